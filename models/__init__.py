"""Knowing: the household, its tables and settings, loading and validation, and the tax
code and the wash-sale rule as pure functions. No solver is imported here."""
from .enums import AccountType, Action, DriftShape, FilingStatus, Reason, Rule, SolveStatus, Term
from .errors import InfeasiblePlan, InputError, PlanError, PlannerError
from .household import CASH_CLASS, Household
from .loading import load_household
from .settings import PlanSettings, TaxProfile

__all__ = [
    "AccountType", "Action", "CASH_CLASS", "DriftShape", "FilingStatus", "Household",
    "InfeasiblePlan", "InputError", "PlanError", "PlanSettings", "PlannerError", "Reason",
    "Rule", "SolveStatus", "TaxProfile", "Term", "load_household",
]

from . import allocation, dates, importers, inputs, ledger, schedule, schema, synthetic, tax, tax_tables, trades, wash_sale  # noqa: E402,F401  (attribute access for planner)
