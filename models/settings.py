"""The tax profile and the planner's settings, each with a documented default.

Both come from ``household.toml`` (``[tax]``, ``[realized]``, ``[carryforward]``, ``[plan]``)
and can be overridden from Python or the command line with :func:`dataclasses.replace`.
"""
from __future__ import annotations

from dataclasses import dataclass, fields

from .enums import DriftShape, FilingStatus


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
    """Effective marginal rates and the year's tax position before the plan (dollars)."""
    filing_status: FilingStatus = FilingStatus.SINGLE
    short_term_rate: float = 0.37        # on net short-term gains
    long_term_rate: float = 0.238        # on net long-term gains
    deduction_rate: float = 0.37         # value of a dollar of the capital-loss deduction
    carryforward_value: float = 0.10     # value now of a dollar of loss carried to next year
    realized_short_term: float = 0.0     # realized earlier this year (losses negative)
    realized_long_term: float = 0.0
    carryover_short_term: float = 0.0    # capital-loss carryover into this year (positive)
    carryover_long_term: float = 0.0

    def __post_init__(self) -> None:
        _coerce_enums(self)

    @property
    def loss_limit(self) -> float:
        return self.filing_status.loss_deduction_limit


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
        True (default): the plan washes no loss.
    cash_first
        True (default): no taxable lot is sold at a gain while investable cash stays idle.
    min_trade_usd
        No trade smaller than this (0: no minimum). Adds a binary per candidate trade.
    whole_shares
        Trade whole shares only. Adds an integer per candidate trade.
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
    wash_sale: bool = True
    cash_first: bool = True
    min_trade_usd: float = 0.0
    whole_shares: bool = False
    commission_usd: float = 0.0
    max_weight: float | None = None
    time_limit_s: float = 60.0
    mip_gap_abs_fraction: float = 1e-6

    def __post_init__(self) -> None:
        _coerce_enums(self)

    @classmethod
    def field_names(cls) -> list[str]:
        return [f.name for f in fields(cls)]
