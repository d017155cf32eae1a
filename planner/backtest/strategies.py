"""Strategies a backtest runs, behind one interface: ``decide(household, step) -> trades``.

==========================  ===================================================================
``optimizer``               the planner's MILP with the household's settings; ``optimizer:KEY=V:...``
                            overrides ``[plan]`` settings or ``carryforward_value``, and
                            ``optimizer:drift_penalty_bp=2|10|50:carryforward_value=0|0.2`` runs
                            the grid (six optimizers) to tune them for after-tax wealth
``guide``, ``full_rebalance_fifo``, ``band_rebalance_hifo``, ``taxmin_lots``, ``harvest_only``
                            every heuristic of ``planner compare``, on every decision date
``buy_and_hold``            cash flows only: new cash into the classes below target, withdrawals
                            funded highest cost first; never rebalances
``annual_rebalance_fifo``   every class to target, lots FIFO, once a year (on the anniversaries
                            of the start), buy and hold in between
==========================  ===================================================================

A strategy's trade list is judged and applied by the evaluator, whoever made it, so a naive
strategy that washes a loss pays for it exactly as the ledger says.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd

from models.errors import InputError, PlannerError
from models.loading import coerce_setting
from models.settings import PlanSettings

from ..heuristics import FullRebalanceFIFO, all_heuristics
from ..heuristics.book import Book, Goal, account_order, fund_withdrawals, hifo, move

OPTIMIZER = "optimizer"
BUY_AND_HOLD = "buy_and_hold"
ANNUAL_REBALANCE = "annual_rebalance_fifo"
TAX_FIELDS = ("carryforward_value",)


@dataclass(frozen=True)
class Step:
    """Where a decision falls in the backtest."""
    date: np.datetime64
    index: int                 # 0 for the first decision
    anniversary: bool          # a whole number of years after the start


# A trade list as the engine reads it: SPEC §4 columns, as a DataFrame or as arrays by column
# (the heuristics' books give arrays: a DataFrame per decision was half their time).
Trades = pd.DataFrame | dict[str, np.ndarray]


class Strategy(Protocol):
    name: str

    def decide(self, household, step: Step) -> Trades:
        """A trade list (SPEC §4 columns) for ``household`` on ``step.date``."""
        ...


@dataclass(frozen=True)
class HeuristicStrategy:
    heuristic: Any

    @property
    def name(self) -> str:
        return self.heuristic.name

    def decide(self, household, step: Step) -> Trades:
        return self.heuristic.book(household).columns()


@dataclass(frozen=True)
class BuyAndHold:
    """Cash flows only: fund withdrawals (highest cost first), invest spare cash below target."""
    name: str = BUY_AND_HOLD

    def decide(self, household, step: Step) -> Trades:
        h = household
        book = Book(h, hifo, wash_aware=False)
        fund_withdrawals(book)
        t = h.class_target * h.total_value
        goal = Goal(np.full(len(t), -np.inf), np.full(len(t), np.inf), t)
        move(book, goal, account_order(h, tax_advantaged_first=False), sells=False)
        return book.columns()


@dataclass(frozen=True)
class AnnualRebalanceFIFO:
    name: str = ANNUAL_REBALANCE

    def decide(self, household, step: Step) -> Trades:
        if step.anniversary:
            return FullRebalanceFIFO().book(household).columns()
        return BuyAndHold().decide(household, step)


@dataclass(frozen=True)
class OptimizerStrategy:
    """The optimizer with settings overrides. When it finds no plan (infeasible, an error) the
    decision falls back to buy and hold, and the engine counts it as a violation."""
    settings: tuple[tuple[str, Any], ...] = ()
    name: str = OPTIMIZER
    fallbacks: list = field(default_factory=list, compare=False)

    def decide(self, household, step: Step) -> Trades:
        from ..batch.runs import SOLVER_THREADS
        from ..judge import solved_trades
        from ..problem import PlanProblem
        plan_settings = {k: v for k, v in self.settings if k not in TAX_FIELDS}
        tax = {k: v for k, v in self.settings if k in TAX_FIELDS}
        h = household.with_settings(**plan_settings) if plan_settings else household
        h = h.with_tax(**tax) if tax else h
        problem = PlanProblem(h)
        # One HiGHS thread, as batch's runs: the parallelism is across paths (and HiGHS keeps
        # one thread count per process).
        report = problem.solve(threads=SOLVER_THREADS)
        try:   # the engine judges every strategy's trades: no Plan (charts, figures) here
            return solved_trades(problem, report)
        except PlannerError as error:       # infeasible, time limit without a plan
            self.fallbacks.append(f"{step.date}: {error}")
            return BuyAndHold().decide(household, step)


def heuristic_names() -> list[str]:
    return [h.name for h in all_heuristics()]


def all_names() -> list[str]:
    return [OPTIMIZER, *heuristic_names(), BUY_AND_HOLD, ANNUAL_REBALANCE]


def parse_strategy(text: str) -> Strategy:
    """``optimizer``, ``optimizer:drift_penalty_bp=5:carryforward_value=0.2``, a heuristic's
    name, ``buy_and_hold`` or ``annual_rebalance_fifo``."""
    text = text.strip()
    name, *options = text.split(":")
    if name == OPTIMIZER:
        settings = []
        for option in options:
            if "=" not in option:
                raise InputError("--strategies", f"expected KEY=VALUE in '{text}'")
            key, value = (s.strip() for s in option.split("=", 1))
            settings.append((key, _coerce(key, value)))
        return OptimizerStrategy(tuple(settings), name=text)
    if options:
        raise InputError("--strategies", f"only the optimizer takes settings, not '{name}'")
    if name == BUY_AND_HOLD:
        return BuyAndHold()
    if name == ANNUAL_REBALANCE:
        return AnnualRebalanceFIFO()
    for heuristic in all_heuristics():
        if heuristic.name == name:
            return HeuristicStrategy(heuristic)
    raise InputError("--strategies", f"unknown strategy '{name}'; expected one of "
                                            f"{', '.join(all_names())} (or 'all')")


def _coerce(key: str, value: str) -> Any:
    def fail(message: str):
        raise InputError("--strategies", message, column=key)

    if key in TAX_FIELDS:
        try:
            number = float(value)
        except ValueError:
            fail(f"expected a number, got '{value}'")
        if not 0 <= number <= 1:
            fail(f"expected a fraction between 0 and 1, got {number:g}")
        return number
    if key not in PlanSettings.field_names():
        fail(f"unknown setting '{key}'; expected a [plan] setting or carryforward_value")
    return coerce_setting(key, value, fail)


def expand_grid(text: str) -> list[str]:
    """``optimizer:drift_penalty_bp=2|10:carryforward_value=0|0.2`` → the four optimizers of
    the grid (values separated by ``|``), in order."""
    import itertools
    name, *options = text.strip().split(":")
    axes = []
    for option in options:
        key, _, values = option.partition("=")
        axes.append([f"{key}={v}" for v in values.split("|")])
    return [":".join([name, *combo]) for combo in itertools.product(*axes)] if axes else [name]


def parse_strategies(text: str | None) -> list[Strategy]:
    """A comma-separated list; ``all`` (the default) is every strategy; an optimizer's values
    separated by ``|`` make a grid (:func:`expand_grid`)."""
    names = all_names() if text in (None, "", "all") else \
        [n for s in text.split(",") if s.strip() for n in expand_grid(s)]
    out = [parse_strategy(n) for n in names]
    seen = set()
    for s in out:
        if s.name in seen:
            raise InputError("--strategies", f"strategy '{s.name}' is listed twice")
        seen.add(s.name)
    return out
