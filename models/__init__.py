"""Knowing: the household, its tables and settings, loading and validation, and the tax
code and the wash-sale rule as pure functions. No solver is imported here.

The names below are imported when first used (PEP 562), so that ``import models`` (and
``planner --help``) does not load pandas; ``from models import Household`` works as before.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from .enums import AccountType, Action, DriftShape, FilingStatus, Reason, Rule, SolveStatus, Term, WashSale
from .errors import InfeasiblePlan, InputError, PlanError, PlannerError

if TYPE_CHECKING:
    from . import (allocation, dates, importers, inputs, ledger, schedule, schema,  # noqa: F401
                   synthetic, tax, tax_tables, trades, wash_sale)
    from .household import CASH_CLASS, Household
    from .loading import load_household
    from .settings import PlanSettings, TaxProfile

_LAZY = {"CASH_CLASS": "household", "Household": "household", "load_household": "loading",
         "PlanSettings": "settings", "TaxProfile": "settings"}
_SUBMODULES = {"allocation", "dates", "importers", "inputs", "ledger", "schedule", "schema",
               "synthetic", "tax", "tax_tables", "trades", "wash_sale"}

__all__ = [
    "AccountType", "Action", "CASH_CLASS", "DriftShape", "FilingStatus", "Household",
    "InfeasiblePlan", "InputError", "PlanError", "PlanSettings", "PlannerError", "Reason",
    "Rule", "SolveStatus", "TaxProfile", "Term", "WashSale", "load_household",
]


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f"{__name__}.{name}")
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value
