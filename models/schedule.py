"""The tax of a year as Form 1040 computes it (schedule mode, SPEC §2b), line by line.

Given the year's Schedule D results after carryover in (s, line 7; l, line 15) and the
household's profile, :func:`year_lines` follows

    Schedule D            c = s + l (line 16); d = min(limit, −c) when c < 0 (line 21)
    Form 1040             AGI = ordinary + qualified dividends + (c if c ≥ 0 else −d)
                          D = max(standard deduction, itemized) (line 12); TI = max(0, AGI − D)
    QDCGT Worksheet       lines 1-25 of the Form 1040 instructions, the regular tax on lines 22
                          and 24 by the Tax Rate Schedule formula; the federal tax is line 25
    Form 8960             NIIT = 3.8% × max(0, min(NII, AGI − threshold))
    state                 state_rate × (c if c ≥ 0 else −d)
    Carryover Worksheet   line 1 = AGI − D (negative allowed), line 3 = max(0, line 1 + d),
                          line 4 = min(d, line 3): the part of d that replaces d in the
                          carryover formulas, so a loss that saved no tax keeps carrying over.

Pure functions of numbers: no solver, no rounding (the forms let a filer round to whole
dollars; the planner keeps cents so that the optimizer and the evaluator agree to the cent).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .enums import FilingStatus
from .tax_tables import StatusTables

if TYPE_CHECKING:
    from .settings import TaxProfile

NIIT_RATE = 0.038          # IRC §1411(a)(1)
PREFERENTIAL_RATES = (0.0, 0.15, 0.20)   # IRC §1(h)(1): 0%, 15%, 20%


@dataclass(frozen=True)
class Income:
    """The year's income other than the trades' capital result (``[tax]`` of household.toml)."""
    filing_status: FilingStatus
    ordinary_income: float = 0.0
    qualified_dividends: float = 0.0
    other_investment_income: float = 0.0
    itemized_deductions: float = 0.0
    state_rate: float = 0.0


@dataclass(frozen=True)
class QdcgtWorksheet:
    """Qualified Dividends and Capital Gain Tax Worksheet, Form 1040 instructions, line 16."""
    line1: float    # taxable income
    line2: float    # qualified dividends
    line3: float    # min(Schedule D line 15, line 16) when both > 0, else 0
    line4: float    # 2 + 3
    line5: float    # max(0, 1 − 4): ordinary taxable income
    line6: float    # top of the 0% rate
    line7: float    # min(1, 6)
    line8: float    # min(5, 7)
    line9: float    # 7 − 8: taxed at 0%
    line10: float   # min(1, 4)
    line11: float   # = 9
    line12: float   # 10 − 11
    line13: float   # top of the 15% rate
    line14: float   # min(1, 13)
    line15: float   # 5 + 9
    line16: float   # max(0, 14 − 15)
    line17: float   # min(12, 16): taxed at 15%
    line18: float   # 15% × 17
    line19: float   # 9 + 17
    line20: float   # 10 − 19: taxed at 20%
    line21: float   # 20% × 20
    line22: float   # regular tax on line 5
    line23: float   # 18 + 21 + 22
    line24: float   # regular tax on line 1
    line25: float   # min(23, 24): the tax


def qdcgt_worksheet(taxable_income: float, qualified_dividends: float, sched_d_15: float,
                    sched_d_16: float, tables: StatusTables) -> QdcgtWorksheet:
    """The worksheet, line by line, with the Tax Rate Schedule formula for lines 22 and 24."""
    l1 = taxable_income
    l2 = qualified_dividends
    l3 = min(sched_d_15, sched_d_16) if sched_d_15 > 0 and sched_d_16 > 0 else 0.0
    l4 = l2 + l3
    l5 = max(0.0, l1 - l4)
    l6 = tables.zero_rate_max
    l7 = min(l1, l6)
    l8 = min(l5, l7)
    l9 = l7 - l8
    l10 = min(l1, l4)
    l11 = l9
    l12 = l10 - l11
    l13 = tables.fifteen_rate_max
    l14 = min(l1, l13)
    l15 = l5 + l9
    l16 = max(0.0, l14 - l15)
    l17 = min(l12, l16)
    l18 = PREFERENTIAL_RATES[1] * l17
    l19 = l9 + l17
    l20 = l10 - l19
    l21 = PREFERENTIAL_RATES[2] * l20
    l22 = tables.brackets.tax(l5)
    l23 = l18 + l21 + l22
    l24 = tables.brackets.tax(l1)
    l25 = min(l23, l24)
    return QdcgtWorksheet(l1, l2, l3, l4, l5, l6, l7, l8, l9, l10, l11, l12, l13, l14, l15, l16,
                          l17, l18, l19, l20, l21, l22, l23, l24, l25)


@dataclass(frozen=True)
class YearLines:
    """Every figure of the year in schedule mode, dollars."""
    capital_result: float        # c, Schedule D line 16
    deduction: float             # d, Schedule D line 21 (≥ 0)
    agi: float                   # Form 1040 line 11
    deduction_taken: float       # D, Form 1040 line 12
    taxable_income: float        # Form 1040 line 15 (≥ 0)
    worksheet: QdcgtWorksheet
    net_investment_income: float  # Form 8960 line 12 (may be negative)
    niit: float                  # Form 8960 line 17
    state_tax: float             # negative when the year is a net loss
    carryover_deduction: float   # Capital Loss Carryover Worksheet line 4 (≤ d)

    @property
    def federal_income_tax(self) -> float:
        return self.worksheet.line25

    @property
    def tax(self) -> float:
        """The whole year's tax: federal income tax + NIIT + state."""
        return self.federal_income_tax + self.niit + self.state_tax

    def as_dict(self) -> dict[str, float]:
        """The keys SPEC §2b adds to the evaluator's ``year``."""
        return {"agi": self.agi, "taxable_income": self.taxable_income,
                "federal_income_tax": self.federal_income_tax, "niit": self.niit,
                "state_tax": self.state_tax}


def year_lines(s: float, l: float, income: Income, tables: StatusTables) -> YearLines:
    """The year's tax from its Schedule D results after carryover in (s: line 7, l: line 15)."""
    c = s + l
    limit = FilingStatus(income.filing_status).loss_deduction_limit
    d = min(limit, -c) if c < 0 else 0.0
    capital = c if c >= 0 else -d
    agi = income.ordinary_income + income.qualified_dividends + capital
    deduction_taken = max(tables.standard_deduction, income.itemized_deductions)
    line15 = agi - deduction_taken           # before Form 1040's "if zero or less, enter 0"
    worksheet = qdcgt_worksheet(max(0.0, line15), income.qualified_dividends, l, c, tables)
    nii = income.other_investment_income + income.qualified_dividends + capital
    niit = NIIT_RATE * max(0.0, min(nii, agi - tables.niit_threshold))
    # Capital Loss Carryover Worksheet lines 1-4 (line 1 is the year's line 15, negative allowed).
    carryover_deduction = min(d, max(0.0, line15 + d))
    return YearLines(c, d, agi, deduction_taken, max(0.0, line15), worksheet, nii, niit,
                     income.state_rate * capital, carryover_deduction)


def profile_income(profile: "TaxProfile") -> Income:
    return Income(profile.filing_status, profile.ordinary_income, profile.qualified_dividends,
                  profile.other_investment_income, profile.itemized_deductions,
                  profile.state_rate)


def profile_lines(s: float, l: float, profile: "TaxProfile") -> YearLines:
    """:func:`year_lines` with the income and the year's tables of a schedule-mode profile."""
    return year_lines(s, l, profile_income(profile), profile.status_tables)


def bracket_position(with_plan: YearLines, without_plan: YearLines, tables: StatusTables) -> dict:
    """Where the year sits on the stack, with and without the plan (for summary.json and the
    report): the preferential income at 0%, 15% and 20% (QDCGT lines 9, 17, 20), the room left
    under the 0% top, and the gain the plan moved into the 0% band (gain harvesting)."""
    w, w0 = with_plan.worksheet, without_plan.worksheet
    return {"zero_rate_top": tables.zero_rate_max, "fifteen_rate_top": tables.fifteen_rate_max,
            "deduction_taken": with_plan.deduction_taken,
            "taxable_income": with_plan.taxable_income,
            "preferential_at_0": w.line9, "preferential_at_15": w.line17,
            "preferential_at_20": w.line20,
            "zero_rate_room_left": max(0.0, tables.zero_rate_max - with_plan.taxable_income),
            "plan_gain_at_0": w.line9 - w0.line9,
            "plan_gain_at_15": w.line17 - w0.line17,
            "plan_gain_at_20": w.line20 - w0.line20}
