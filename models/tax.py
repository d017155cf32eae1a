"""Schedule D netting, the capital-loss deduction and carryover, and the tax of the year.

Follows the Schedule D instructions and the Capital Loss Carryover Worksheet (SPEC §2):

    s = short-term results + realized short-term so far − short-term carryover in
    l = likewise for long-term
    a net loss on one side offsets a net gain on the other;
    a net capital loss is deducted up to the limit (3,000; 1,500 married filing separately),
    the short-term loss first; the rest carries over and keeps its character.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from .schedule import YearLines, profile_lines
from .settings import TaxProfile


@dataclass(frozen=True)
class YearResult:
    """The tax year of ``as_of``, dollars. Gains positive, losses negative."""
    short_term: float            # the year's realized short-term result, carryover not included
    long_term: float
    net_short_term: float        # taxed at the short-term rate after all netting (≥ 0)
    net_long_term: float         # taxed at the long-term rate after all netting (≥ 0)
    deduction: float             # capital loss deducted against ordinary income (≥ 0)
    carryover_short_term: float  # carried to next year, positive
    carryover_long_term: float
    tax: float
    lines: YearLines | None = None   # schedule mode: Form 1040's figures (SPEC §2b)

    @property
    def carryover(self) -> float:
        return self.carryover_short_term + self.carryover_long_term

    def as_dict(self) -> dict[str, float]:
        out = {k: v for k, v in asdict(self).items() if k != "lines"}
        if self.lines is not None:
            out.update(self.lines.as_dict())
        return {k: round(v, 6) + 0.0 for k, v in out.items()}


def net_year(short_term: float, long_term: float, profile: TaxProfile) -> YearResult:
    """Net a year's realized results (before carryover) under the profile's rates and carryover."""
    s = short_term - profile.carryover_short_term
    l = long_term - profile.carryover_long_term
    st_gain, st_loss = max(s, 0.0), max(-s, 0.0)
    lt_gain, lt_loss = max(l, 0.0), max(-l, 0.0)
    net_st = max(0.0, st_gain - lt_loss)          # a long-term loss offsets short-term gain
    net_lt = max(0.0, lt_gain - st_loss)          # a short-term loss offsets long-term gain
    total_loss = max(0.0, -(s + l))
    deduction = min(profile.loss_limit, total_loss)
    lines = profile_lines(s, l, profile) if profile.schedule is not None else None
    # Capital Loss Carryover Worksheet line 4: the deduction, less what a negative taxable
    # income left unused (schedule mode); flat mode assumes taxable income is large enough.
    used = deduction if lines is None else lines.carryover_deduction
    # Capital Loss Carryover Worksheet, lines 8 and 13.
    carry_st = max(0.0, st_loss - (used + lt_gain))
    carry_lt = max(0.0, lt_loss - (st_gain + max(0.0, used - st_loss)))
    if lines is None:
        tax = (profile.short_term_rate * net_st + profile.long_term_rate * net_lt
               - profile.deduction_rate * deduction)
    else:
        tax = lines.tax
    return YearResult(short_term, long_term, net_st, net_lt, deduction, carry_st, carry_lt, tax,
                      lines)


def tax_cost(with_plan: YearResult, without_plan: YearResult, profile: TaxProfile) -> float:
    """Tax of the year with the plan minus without it, less the value of the extra carryover."""
    return (with_plan.tax - without_plan.tax
            - profile.carryforward_value * (with_plan.carryover - without_plan.carryover))


def unrealized_gain(household, account: np.ndarray, security: np.ndarray, quantity: np.ndarray,
                    cost_basis: np.ndarray) -> float:
    """Σ over lots in taxable accounts of (value at the household's prices − basis), dollars."""
    taxable = household.accounts.taxable[np.asarray(account, dtype=np.int64)]
    value = np.asarray(quantity, float) * household.securities.price[np.asarray(security, dtype=np.int64)]
    return float(np.sum((value - np.asarray(cost_basis, float))[taxable]))
