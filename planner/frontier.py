"""The tax-versus-drift frontier: one program, re-solved over a sweep of the drift penalty.

The penalty is re-solvable (:data:`planner.problem.RESOLVABLE`), so each point costs a
re-solve, not a rebuild. The sweep charges all drift (``rebalance_inside_band`` on) so the
curve shows the whole trade-off. Each point is judged as ``planner plan`` judges its plan.
"""
from __future__ import annotations

import time

import pandas as pd

from models.errors import InputError, PlanError
from models.household import Household
from models.schema import plan_setting

from .judge import judge
from .problem import PlanProblem

DEFAULT_PENALTIES_BP = (0.0, 0.3, 1.0, 2.0, 3.0, 5.0, 7.5, 10.0, 15.0, 20.0, 30.0, 50.0, 100.0, 300.0)


def parse_penalties(text: str | None) -> tuple[float, ...]:
    """Drift penalties from the command line ("0,1,10"), or the default sweep."""
    if not text:
        return DEFAULT_PENALTIES_BP
    def fail(message: str):
        raise InputError("--penalties", f"{message} (comma-separated numbers, e.g. 0,1,10)")
    return tuple(plan_setting("drift_penalty_bp", x, fail) for x in text.split(","))


def frontier(household: Household, penalties_bp: tuple[float, ...] = DEFAULT_PENALTIES_BP) -> pd.DataFrame:
    """One row per penalty: its tax cost, drift after, trading cost and status (evaluator's figures)."""
    h = household.with_settings(rebalance_inside_band=True)
    problem = PlanProblem(h)
    rows = []
    for k in penalties_bp:
        started = time.perf_counter()
        if not problem.update(h.with_settings(drift_penalty_bp=k)):
            raise RuntimeError("the drift penalty is re-solvable, yet the program asked for a rebuild")
        report = problem.solve()
        try:
            plan = judge(problem, report, started)
        except PlanError:       # infeasible, failed, or out of time without a plan: the status says
            rows.append({"drift_penalty_bp": k, "status": report.status.value})
            continue
        ev, trades = plan.evaluation, plan.trades
        rows.append({"drift_penalty_bp": k, "status": report.status.value, "tax_cost": ev.tax_cost,
                     "trading_cost": ev.trading_cost, "drift_before": ev.drift_before,
                     "drift_after": ev.drift_after, "trades": len(trades),
                     "turnover": float(trades["amount"].sum()) if len(trades) else 0.0,
                     "gap": report.gap, "seconds": report.seconds})
    return pd.DataFrame(rows)
