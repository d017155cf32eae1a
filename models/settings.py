"""The tax profile and the planner's settings, each with a documented default.

Both come from ``household.toml`` (``[tax]``, ``[realized]``, ``[carryforward]``, ``[plan]``)
and can be overridden from Python or the command line with :func:`dataclasses.replace`.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields

import warnings

from .enums import DriftShape, FilingStatus, WashSale
from .errors import InputError
from .tax_tables import StatusTables, TablesBook, shipped_tables


def _coerce_enums(settings: object) -> None:
    """Turn a string given for an enum field into the enum (``filing_status="married_joint"``
    from Python, as the TOML reader does), so a bad name fails here and not deep in a plan."""
    for f in fields(settings):
        kind = _ENUM_FIELDS.get(f.type)     # annotations are strings (postponed evaluation)
        value = getattr(settings, f.name)
        if kind is not None and not isinstance(value, kind):
            object.__setattr__(settings, f.name, kind(value))


_ENUM_FIELDS = {"FilingStatus": FilingStatus, "DriftShape": DriftShape}


@dataclass(frozen=True)
class TaxProfile:
    """The year's tax position before the plan (dollars) and how its tax is computed.

    Flat mode (``schedule`` None, the default): the three effective marginal rates. Schedule
    mode (``schedule`` a tax year): Form 1040 with that year's tables (SPEC §2b) and the
    household's other income; the three rates are then unused.
    """
    filing_status: FilingStatus = FilingStatus.SINGLE
    short_term_rate: float = 0.37        # on net short-term gains
    long_term_rate: float = 0.238        # on net long-term gains
    deduction_rate: float = 0.37         # value of a dollar of the capital-loss deduction
    carryforward_value: float = 0.10     # value now of a dollar of loss carried to next year
    realized_short_term: float = 0.0     # realized earlier this year (losses negative)
    realized_long_term: float = 0.0
    carryover_short_term: float = 0.0    # capital-loss carryover into this year (positive)
    carryover_long_term: float = 0.0
    schedule: int | None = None          # the tax year of §2b's schedule; None: flat rates
    ordinary_income: float = 0.0         # income other than capital gains and qualified dividends
    qualified_dividends: float = 0.0     # taxed like long-term gains, stacked on ordinary income
    other_investment_income: float = 0.0  # interest etc. (inside ordinary_income), for NIIT
    itemized_deductions: float = 0.0     # the larger of these and the standard deduction is taken
    state_rate: float = 0.0              # flat state rate on the year's capital result
    deferred_gain_rate: float = 0.0      # the tax you expect to pay later on a dollar of
    #                                      unrealized gain, discounted (0: off)
    tables: TablesBook = field(default_factory=shipped_tables, repr=False)

    def __post_init__(self) -> None:
        _coerce_enums(self)

    @property
    def loss_limit(self) -> float:
        return self.filing_status.loss_deduction_limit

    @property
    def marginal_rates(self) -> tuple[float, float]:
        """(short-term, long-term) tax per dollar of more gain: the flat rates, or in schedule
        mode the year's tax on the next $1,000 of each at the realized amounts so far. For
        rankings (the heuristics); the tax itself is always the evaluator's."""
        if self.schedule is None:
            return self.short_term_rate, self.long_term_rate
        from .schedule import profile_lines
        step = 1000.0
        s = self.realized_short_term - self.carryover_short_term
        l = self.realized_long_term - self.carryover_long_term
        base = profile_lines(s, l, self).tax
        return ((profile_lines(s + step, l, self).tax - base) / step,
                (profile_lines(s, l + step, self).tax - base) / step)

    def as_dict(self) -> dict:
        """Plain values for summary.json; the tables as their files and the year's source."""
        out = {f.name: (v.value if hasattr(v, "value") else v)
               for f in fields(self) if f.name != "tables" for v in [getattr(self, f.name)]}
        if self.schedule is not None:
            year = self.tables.get(self.schedule)
            out["tables"] = {"files": list(self.tables.files),
                             "file": year.file if year else None,
                             "source": year.source if year else None}
        return out

    @property
    def status_tables(self) -> StatusTables:
        """The schedule year's figures for the filing status; InputError if there are none."""
        year = self.tables.get(self.schedule) if self.schedule is not None else None
        if year is None:
            raise InputError("household.toml", f"no tax tables for {self.schedule}: the "
                             f"tables ({', '.join(self.tables.files)}) have "
                             f"{', '.join(map(str, self.tables.year_numbers))}; add "
                             f"[federal.{self.schedule}] to a file named by [tax] tables",
                             column="schedule")
        return year.status(self.filing_status)


@dataclass(frozen=True)
class PlanSettings:
    """The planner's rules and objective weights (SPEC §3). Units are in the names.

    band
        Absolute band around each class target, as a weight (0.05 = ±5 percentage points).
    relative_band
        Optional band as a fraction of the target (0.25 = ±25% of it); the tighter wins.
    drift_penalty_bp
        Basis points of household value the plan would pay to remove one percentage point of
        class drift (sum over classes of |weight - target|). 10 bp/pp: on $1M, $1,000 per pp.
    drift_shape
        ``absolute`` (L1, default) or ``squared`` (penalty · gap_pp², as tangent lines).
    rebalance_inside_band
        When every class starts inside its band the plan is not obliged to rebalance; with
        False (default) it then pays only for drift it adds, so it trades only to harvest or
        where that lowers tax and cost.
    partial
        With 0 < a ≤ 1, each class outside its band closes at least the fraction a of its gap
        instead of being forced inside the band. None: full (into the band).
    tax_budget_usd, gain_budget_usd
        Optional caps on the plan's tax cost and on its net realized gains.
    wash_sale
        ``price`` (default): the plan may wash a loss where that pays, priced exactly as the
        evaluator does (SPEC §2, §3); ``avoid``: the plan washes no loss. The old booleans are
        deprecated: ``true`` means ``avoid``, ``false`` means ``price`` (never "ignore the law").
    cash_first
        True (default): no taxable lot is sold at a gain while investable cash stays idle.
    min_trade_usd
        No trade smaller than this (0: no minimum). Adds a binary per candidate trade.
    whole_shares
        Trade whole shares only. Adds an integer per candidate trade.
    whole_share_gap
        True (default): with whole shares, a plan within the drift penalty of one share of the
        cheapest fund per account of the proven bound counts as optimal (the solver section
        reports that tolerance and the gap); false: only ``mip_gap_abs_fraction``.
    commission_usd
        Commission per trade, counted in the trading cost (and as a fixed cost when
        ``min_trade_usd`` makes trades binary; otherwise it is charged by the evaluator only).
    max_weight
        Optional cap on any single security's household weight.
    time_limit_s, mip_gap_abs_fraction
        Solver time limit, and the absolute optimality gap as a fraction of household value
        (1e-6: one dollar per million).
    """
    band: float = 0.05
    relative_band: float | None = None
    drift_penalty_bp: float = 10.0
    drift_shape: DriftShape = DriftShape.ABSOLUTE
    rebalance_inside_band: bool = False
    partial: float | None = None
    tax_budget_usd: float | None = None
    gain_budget_usd: float | None = None
    wash_sale: WashSale = WashSale.PRICE
    cash_first: bool = True
    min_trade_usd: float = 0.0
    whole_shares: bool = False
    whole_share_gap: bool = True
    commission_usd: float = 0.0
    max_weight: float | None = None
    time_limit_s: float = 60.0
    mip_gap_abs_fraction: float = 1e-6

    def __post_init__(self) -> None:
        if not isinstance(self.wash_sale, WashSale):
            if isinstance(self.wash_sale, bool):
                warnings.warn(f"wash_sale = {str(self.wash_sale).lower()} is deprecated; it now means "
                              f"wash_sale = \"{WashSale.of(self.wash_sale).value}\"", FutureWarning,
                              stacklevel=3)
            object.__setattr__(self, "wash_sale", WashSale.of(self.wash_sale))
        _coerce_enums(self)

    @classmethod
    def field_names(cls) -> list[str]:
        return [f.name for f in fields(cls)]
