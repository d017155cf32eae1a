"""Heuristics versus the optimizer, by the evaluator's yardstick.

    planner compare HOUSEHOLD --out DIR [--set key=value ...]

runs every heuristic (:mod:`planner.heuristics`) and the optimizer on one household, judges
each trade list with :func:`planner.evaluate.evaluate`, and writes ``compare.csv`` (printed as
a table too) with one row per strategy, the optimizer's named ``optimizer``:

==========================  ====================================================================
``tax_cost``                the evaluator's tax cost of the plan, dollars
``drift_before``, ``_after``  sum over classes of |weight − target|, before and after the plan
``trades``                  rows of the trade list
``turnover``                dollars traded (sells plus buys)
``wash_sale_violations``    the evaluator's ``wash_sale`` violations (washed losses)
``band_violations``         classes ending outside their band (``band``, ``partial_rebalance``)
``rules_broken``            every rule the evaluator finds broken, ``+``-joined (empty: none)
==========================  ====================================================================

``<strategy>_trades.csv``, each strategy's trade list (trades.csv's columns, money to the
cent), and ``compare.png``: tax cost against drift, a point per strategy over the optimizer's
frontier, a strategy that breaks a rule drawn as a red cross labelled with the rules. From
Python, :func:`compare` gives the same table and :func:`run_strategies` each strategy's trade list, evaluation and run time. The command line is :mod:`planner.cli.compare`.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from models.enums import Rule
from models.errors import PlanError

from .evaluate import Evaluation, evaluate

COLUMNS = ["strategy", "tax_cost", "drift_before", "drift_after", "trades", "turnover",
           "wash_sale_violations", "band_violations", "rules_broken"]
OPTIMIZER = "optimizer"
BAND_RULES = {Rule.BAND.value, Rule.PARTIAL_REBALANCE.value}


@dataclass(frozen=True)
class StrategyResult:
    """One strategy's plan for a household and the evaluator's judgement of it."""
    strategy: str
    trades: pd.DataFrame | None
    evaluation: Evaluation | None   # None when no plan was made
    seconds: float                # time to make the plan (not to evaluate it)
    error: str = ""               # why there is no plan (an infeasible optimizer, say)

    def count(self, rules: set[str]) -> int:
        if self.evaluation is None:
            return 0
        return sum(v["rule"] in rules for v in self.evaluation.violations)

    def row(self) -> dict[str, Any]:
        """The ``compare.csv`` row."""
        ev = self.evaluation
        if ev is None:
            return {"strategy": self.strategy, **{c: np.nan for c in COLUMNS[1:-1]}, "rules_broken": ""}
        turnover = float(ev.ledger.trade_amount.sum()) if len(self.trades) else 0.0
        return {"strategy": self.strategy, "tax_cost": ev.tax_cost,
                "drift_before": ev.drift_before, "drift_after": ev.drift_after,
                "trades": len(self.trades), "turnover": turnover,
                "wash_sale_violations": self.count({Rule.WASH_SALE.value}),
                "band_violations": self.count(BAND_RULES),
                "rules_broken": "+".join(sorted({v["rule"] for v in ev.violations}))}


def run_strategies(household, heuristics=None, optimizer: bool = True) -> list[StrategyResult]:
    """Every heuristic's plan (default: :func:`planner.heuristics.all_heuristics`), then the
    optimizer's, each judged by the evaluator."""
    from .heuristics import all_heuristics
    out = []
    for heuristic in heuristics if heuristics is not None else all_heuristics():
        start = time.perf_counter()
        trades = heuristic.plan(household)
        seconds = time.perf_counter() - start
        out.append(StrategyResult(heuristic.name, trades, evaluate(household, trades), seconds))
    if optimizer:
        out.append(run_optimizer(household))
    return out


def run_optimizer(household) -> StrategyResult:
    from .optimizer import plan
    start = time.perf_counter()
    try:
        result = plan(household)
    except PlanError as error:
        return StrategyResult(OPTIMIZER, None, None, time.perf_counter() - start, str(error))
    return StrategyResult(OPTIMIZER, result.trades, result.evaluation, time.perf_counter() - start)


def table(results: list[StrategyResult]) -> pd.DataFrame:
    frame = pd.DataFrame([r.row() for r in results], columns=COLUMNS)
    return frame.astype({"trades": "Int64", "wash_sale_violations": "Int64", "band_violations": "Int64"})


def compare(household, heuristics=None) -> pd.DataFrame:
    """One row per strategy (the heuristics, then ``optimizer``), the columns of ``compare.csv``."""
    return table(run_strategies(household, heuristics))


def chart_points(frame: pd.DataFrame) -> pd.DataFrame:
    """One labelled point per distinct (drift, tax cost): strategies that land on the same
    spot share a label (``band_rebalance_hifo = taxmin_lots``) instead of overprinting."""
    points = frame.dropna(subset=["tax_cost"])
    key = list(zip(points["drift_after"].round(6), points["tax_cost"].round(2),
                   points["rules_broken"].fillna("")))
    return (points.assign(key=key).groupby("key", sort=False)
            .agg(strategy=("strategy", " = ".join), drift_after=("drift_after", "first"),
                 tax_cost=("tax_cost", "first"), rules_broken=("rules_broken", "first"))
            .reset_index(drop=True))
