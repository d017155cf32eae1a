"""Options and categories as string enums, never bare strings."""
from __future__ import annotations

from enum import StrEnum


class AccountType(StrEnum):
    TAXABLE = "taxable"
    TRADITIONAL = "traditional"   # traditional IRA, 401(k)
    ROTH = "roth"
    HSA = "hsa"

    @property
    def is_taxable(self) -> bool:
        return self is AccountType.TAXABLE


class FilingStatus(StrEnum):
    SINGLE = "single"
    MARRIED_JOINT = "married_joint"
    MARRIED_SEPARATE = "married_separate"
    HEAD_OF_HOUSEHOLD = "head_of_household"

    @property
    def loss_deduction_limit(self) -> float:
        """IRC §1211(b): 3,000 a year, 1,500 for married filing separately."""
        return 1500.0 if self is FilingStatus.MARRIED_SEPARATE else 3000.0


class Action(StrEnum):
    BUY = "buy"
    SELL = "sell"


class Term(StrEnum):
    SHORT = "short"
    LONG = "long"


class Reason(StrEnum):
    """Why a trade is in the plan (SPEC §4)."""
    REBALANCE = "rebalance"
    HARVEST = "harvest"
    REPLACEMENT = "replacement"
    CASH = "cash"
    WITHDRAWAL = "withdrawal"
    CONCENTRATION = "concentration"


class DriftShape(StrEnum):
    """Shape of the drift penalty on each class's weight gap."""
    ABSOLUTE = "absolute"    # k · |gap|, exact in an LP
    SQUARED = "squared"      # k · gap², as the maximum of tangent lines (still an LP)


class Rule(StrEnum):
    """Names of the planning rules of SPEC §3, as violations and infeasibility report them."""
    BAND = "band"
    PARTIAL_REBALANCE = "partial_rebalance"
    CASH_FIRST = "cash_first"
    CASH = "cash"                       # cash below reserve or negative; withdrawal unfunded
    WASH_SALE = "wash_sale"
    LOT = "lot"                         # unknown lot, selling more than it holds
    ACCOUNT = "account"                 # unknown account
    ALLOWED = "allowed"                 # a buy the account may not make, a forbidden side
    MIN_TRADE = "min_trade"
    WHOLE_SHARES = "whole_shares"
    CONCENTRATION = "concentration"
    TAX_BUDGET = "tax_budget"
    GAIN_BUDGET = "gain_budget"
    PRICE = "price"                     # a trade price off the quote by more than spread + tolerance
    DATE = "date"                       # a trade dated outside the plan's window


class SolveStatus(StrEnum):
    OPTIMAL = "optimal"            # proven within the requested gap
    TIME_LIMIT = "time_limit"      # best plan found, with its gap
    INFEASIBLE = "infeasible"
    ERROR = "error"
