"""One household's program: the terms and rules composed into one MILP, built once, solved by
:mod:`planner.solve`, and re-solved after a change that :data:`RESOLVABLE` lists.

    household → Layout (columns) → Program (variables) + terms + rules → cvxpy Problem
    → planner.solve → dollars per column → trade list (→ planner.judge: the Plan)
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace

import cvxpy as cp
import numpy as np
import pandas as pd

from models.enums import SolveStatus, WashSale
from models.household import Household
from models.tax import net_year

from .layout import Layout
from .program import Program
from .rules import NoWashSale, PlanRule, rules_for
from .solve import Method, SolverOptions, solve
from .solve.highs import HighsLp
from .solve.relaxation import LpState
from .terms import DeferredGain, DriftPenalty, TaxCost, TradingCost
from .washes import MAX_PAIRS, WashPricing

# What a re-solve may change without a rebuild (PlanProblem.update), as batch keys name them:
# each enters the program only through a scalar Parameter (program.Parameters,
# TaxCost.constant) or a solver option. Everything else (realized amounts and carryovers in
# TaxCost's bounds and big-Ms, band, partial, budgets, the rules switched on, the tables) is
# baked into the compiled problem. Batch runs, the frontier and update() all read this list.
RESOLVABLE: tuple[str, ...] = (
    "tax.short_term_rate", "tax.long_term_rate", "tax.deduction_rate", "tax.carryforward_value",
    "plan.drift_penalty_bp", "plan.time_limit_s", "plan.mip_gap_abs_fraction",
    "plan.whole_share_gap")
_TABLES = ("accounts", "securities", "lots", "targets", "history", "cashflows", "buy_menu")
_STATUS = {LpState.OPTIMAL: SolveStatus.OPTIMAL, LpState.TIME_LIMIT: SolveStatus.TIME_LIMIT,
           LpState.INFEASIBLE: SolveStatus.INFEASIBLE}


@dataclass(frozen=True)
class SolveReport:
    """How one solve of the program ended (the solution itself is in the program's variables)."""
    status: SolveStatus
    gap: float                    # absolute optimality gap, dollars (0 for an LP; inf: no plan)
    seconds: float
    message: str = ""
    method: Method | str = ""     # '' when the solver failed before choosing
    nodes: int = 0
    sifting: dict[str, int] = field(default_factory=dict)   # the working set's figures, when sifted


@dataclass
class PlanProblem:
    """One household's program, built once; re-solve after changing its Parameters."""
    household: Household
    rules: list[PlanRule] | None = None       # None: the rules the settings switch on
    solver_options: SolverOptions = SolverOptions()   # gap, time limit, threads: from the settings
    seconds: dict[str, float] = field(default_factory=dict)
    plan_as_avoid: bool = False   # price asked, but plan as avoid (the priced model found no plan)

    def __post_init__(self) -> None:
        start = time.perf_counter()
        self.highs: HighsLp | None = None   # the compiled program, once solved
        h = self.household
        if self.rules is None:
            self.rules = rules_for(h)
        layout = Layout.of(h)
        # wash_sale = "price" on a book too big to price pair by pair: plan as "avoid" (the
        # evaluator then finds no wash either way), and say so (wash_note).
        # Too many pairs to price all: a narrower scope (washes.Scope); none fits: avoid.
        priced = h.settings.wash_sale is WashSale.PRICE and not self.plan_as_avoid
        self.wash_scope = WashPricing.scope_for(h, layout) if priced else None
        self.wash_fallback = h.settings.wash_sale is WashSale.PRICE and self.wash_scope is None
        if self.wash_fallback:
            self.rules = self.rules + [NoWashSale()]
        sell_zero = np.zeros(layout.n_sell, dtype=bool)
        buy_zero = np.zeros(layout.n_buy, dtype=bool)
        for rule in self.rules:
            s_cap, b_cap = rule.caps(layout)
            if s_cap is not None:
                sell_zero |= s_cap
            if b_cap is not None:
                buy_zero |= b_cap
        # A column a rule caps at zero is no column at all: the solver never sees it.
        self.layout = layout.without(sell_zero, buy_zero)
        self.program = p = Program(self.layout, self.wash_scope)
        self.tax = TaxCost(p)
        self.trading = TradingCost(p)
        self.drift = DriftPenalty(p)
        self.deferred = DeferredGain(p)
        constraints = list(p.constraints)
        for rule in self.rules:
            constraints += rule.constraints(p, self.tax)
        self.objective = self.tax.expression + self.trading.expression + self.drift.expression \
            + self.deferred.expression
        # Branch first on the binaries that shape everything else: the signs of the year's
        # results and cash-first; the per-group wash-sale choices follow.
        self.priority = self.tax.binaries + [b for r in self.rules for b in getattr(r, "priority", [])]
        # Integers that belong to one trade column each (trade indicators, share counts): the
        # program is then rounded and proven by planner.solve.rounding (0: aligned with the
        # sell columns, 1: with the buy columns).
        self.links = [(k, on) for k, on in ((0, p.sell_on), (1, p.buy_on)) if on is not None]
        self.links += [link for r in self.rules for link in getattr(r, "links", [])]
        self.problem = cp.Problem(cp.Minimize(self.objective), constraints)
        self.seconds["build"] = time.perf_counter() - start

    def rebuild_reasons(self, household: Household) -> list[str]:
        """Why ``household`` needs a new program rather than new Parameter values ([] if none).

        Tables are compared by identity: derive variants with ``with_tax``/``with_settings``
        so the unchanged tables are shared. A flip of ``carryforward_value`` against the
        deduction's value (TaxCost.deduction_binary) adds or drops one of TaxCost's binaries,
        so it is structural too.
        """
        old, new = self.household, household
        reasons = [name for name in _TABLES if getattr(old, name) is not getattr(new, name)]
        if old.as_of != new.as_of:
            reasons.insert(0, "as_of")
        for prefix, before, after in (("tax", old.tax, new.tax), ("plan", old.settings, new.settings)):
            reasons += [f"{prefix}.{f.name}" for f in fields(before) if f"{prefix}.{f.name}" not in RESOLVABLE
                        and getattr(before, f.name) != getattr(after, f.name)]
        if self.tax.deduction_binary(old.tax) != self.tax.deduction_binary(new.tax):
            reasons.append("tax.carryforward_value against the deduction's value flips")
        return reasons

    def update(self, household: Household) -> bool:
        """Point the built program at ``household`` by resetting Parameters only (no rebuild).

        Returns False and changes nothing when :meth:`rebuild_reasons` is not empty: build a
        new ``PlanProblem`` then. Otherwise the tax rates, the drift penalty and the tax of the
        year without the plan (``tax.constant``) take the new household's values, and the next
        :meth:`solve` reuses cvxpy's compiled problem.
        """
        if self.rebuild_reasons(household):
            return False
        self.household = self.program.household = household
        self.program.parameters.set(household)
        w = self.tax.without        # its realized amounts do not depend on the rates
        self.tax.without = net_year(w.short_term, w.long_term, household.tax)
        self.tax.set_constant()
        return True

    @property
    def is_mip(self) -> bool:
        return self.problem.is_mixed_integer()

    def size(self) -> dict[str, int]:
        """Rows, columns, nonzeros, binaries and integers of the program HiGHS sees."""
        if self.highs is None:
            self.highs = HighsLp(self.problem, self.solver_options)
        return dict(self.highs.size)

    def options(self, time_limit_s: float | None = None, threads: int | None = None) -> SolverOptions:
        """The solver options for the household as it is now: its gap and time limit."""
        return replace(self.solver_options, abs_gap=self.abs_gap, share_gap=self.share_gap, threads=threads,
                       time_limit_s=float(time_limit_s or self.household.settings.time_limit_s))

    def solve(self, time_limit_s: float | None = None, threads: int | None = None,
              meanwhile: Callable[[], object] | None = None) -> SolveReport:
        """Solve to within the absolute gap of the settings; set every variable's value.
        ``meanwhile``: work done while HiGHS solves the root (:func:`planner.solve.solve`)."""
        options = self.options(time_limit_s, threads)
        lay = self.layout
        sift = [self.program.sell, self.program.buy] if lay.n_sell >= options.sift_min_lots else []
        # The account of each trade column (a side without columns has a placeholder one).
        sell_account = lay.sell_account if lay.n_sell else np.zeros(1, dtype=int)
        buy_account = lay.buy_account if lay.n_buy else np.zeros(1, dtype=int)
        try:
            out, self.highs = solve(self.problem, options, priority=self.priority, sift=sift,
                                    trade=[self.program.sell, self.program.buy], links=self.links,
                                    accounts=np.concatenate([sell_account, buy_account]),
                                    buys=np.arange(sell_account.size + buy_account.size) >= sell_account.size,
                                    alike=lay.sell_holding if sift else None, meanwhile=meanwhile)
        except cp.error.SolverError as error:
            return SolveReport(SolveStatus.ERROR, np.inf, 0.0, str(error))
        status = _STATUS.get(out.status, SolveStatus.ERROR)
        found = np.isfinite(out.objective)
        message = ("no plan found within the time limit" if status is SolveStatus.TIME_LIMIT and not found
                   else f"HiGHS ended in state '{out.status.value}'" if status is SolveStatus.ERROR else "")
        return SolveReport(status, out.gap if found else np.inf, out.seconds, message, out.method, out.nodes,
                           out.sifting)

    @property
    def abs_gap(self) -> float:
        """Absolute optimality gap in dollars: a fraction of household value ($1 per $1M)."""
        h = self.household
        return max(h.settings.mip_gap_abs_fraction * h.total_value, 1e-6)

    @property
    def share_gap(self) -> float:
        """With whole shares (and ``whole_share_gap``), dollars: the drift penalty of one share
        of the cheapest fund each account may buy; 0 otherwise.

        Why: whole shares leave each account some cash it cannot spend exactly, and a class a
        share off its target, which the relaxation (the bound) does not pay. Closing the last
        dollars of that gap is a subset sum over share prices: at 1,000 lots HiGHS took 1-60 s
        (3 of 10 households unproven at 60 s) to prove plans the rounding had found in a second
        within this tolerance ($10-26 there, against gaps of $3-13). The solver section
        reports it with the gap; ``whole_share_gap = false`` asks for the strict proof."""
        h, lay = self.household, self.layout
        if not (h.settings.whole_shares and h.settings.whole_share_gap and lay.n_buy):
            return 0.0
        cheapest = np.full(len(h.accounts), np.inf)
        np.minimum.at(cheapest, lay.buy_account, h.securities.price[lay.buy_security])
        return float(self.program.parameters.drift_per_dollar.value * cheapest[np.isfinite(cheapest)].sum())

    def gap_tolerance(self) -> dict[str, object]:
        """The gap a plan reported optimal is proven within (dollars), and where it comes from."""
        basis = "whole shares: drift penalty of one share per account" if self.share_gap > self.abs_gap \
            else "mip_gap_abs_fraction of household value"
        return {"gap_tolerance": max(self.abs_gap, self.share_gap), "gap_tolerance_basis": basis}

    def model_figures(self) -> dict[str, float]:
        """The model's own values of the objective's parts (to compare with the evaluator's)."""
        def v(x):
            value = x.value
            return float(np.sum(value)) if value is not None else float("nan")
        out = {"tax_cost": v(self.tax.expression), "trading_cost": v(self.trading.expression),
               "drift_penalty": v(self.drift.expression), "objective": v(self.objective)}
        washes = self.program.washes
        if washes is not None:   # every new wash, as the evaluator's ``washes`` sum them
            out.update(disallowed=v(washes.disallowed_expr) + washes.fixed_disallowed,
                       permanently_disallowed=v(washes.permanent_expr) + washes.fixed_permanent,
                       deferred_kept=v(self.tax.deferred))
        return out

    def wash_note(self) -> str:
        """How the program treated the wash-sale rule (SPEC §3), in words."""
        if self.wash_fallback and self.plan_as_avoid:
            return "price asked, planned as avoid: the priced model found no plan; avoid did"
        if self.wash_fallback:
            return (f"price asked, planned as avoid: more than {MAX_PAIRS} loss/replacement pairs "
                    "to price exactly on this book")
        if self.household.settings.wash_sale is WashSale.PRICE:
            w = self.program.washes
            narrowed = self.wash_scope.note()
            narrowed = f" (more than {MAX_PAIRS} pairs to price all: {narrowed})" if narrowed else ""
            return (f"price: {len(w.pair_most)} loss/replacement pairs, "
                    f"{sum(v.size for v in w.binaries)} binaries{narrowed}")
        return "avoid"

    def trades(self) -> pd.DataFrame:
        """The solution as a trade list (SPEC §4 columns)."""
        p = self.program
        return self.layout.trades(p.sell.value[: self.layout.n_sell] if self.layout.n_sell else np.zeros(0),
                                  p.buy.value[: self.layout.n_buy] if self.layout.n_buy else np.zeros(0),
                                  whole_shares=self.household.settings.whole_shares)
