"""The tax-versus-drift frontier: one program, re-solved over a sweep of the drift penalty.

The penalty is a cvxpy Parameter, so each point costs a re-solve, not a rebuild. The sweep
charges all drift (``rebalance_inside_band`` on) so the curve shows the whole trade-off.
"""
from __future__ import annotations

import pandas as pd

from ._models import models
from .evaluate import evaluate
from .optimizer import PlanProblem

DEFAULT_PENALTIES_BP = (0.0, 0.3, 1.0, 2.0, 3.0, 5.0, 7.5, 10.0, 15.0, 20.0, 30.0, 50.0, 100.0, 300.0)


def parse_penalties(text: str | None) -> tuple[float, ...]:
    """Drift penalties from the command line ("0,1,10"), or the default sweep."""
    if not text:
        return DEFAULT_PENALTIES_BP
    def fail(message: str):
        raise models.InputError("--penalties", f"{message} (comma-separated numbers, e.g. 0,1,10)")
    return tuple(models.schema.plan_setting("drift_penalty_bp", x, fail) for x in text.split(","))


def frontier(household: models.Household, penalties_bp=DEFAULT_PENALTIES_BP) -> pd.DataFrame:
    """One row per penalty: its tax cost, drift after, trading cost and status (evaluator's figures)."""
    h = household.with_settings(rebalance_inside_band=True)
    problem = PlanProblem(h)
    rows = []
    for k in penalties_bp:
        problem.program.parameters.drift_per_dollar.value = k * 1e-2
        result = problem.solve()
        if result.status not in (models.SolveStatus.OPTIMAL, models.SolveStatus.TIME_LIMIT):
            rows.append({"drift_penalty_bp": k, "status": result.status.value})
            continue
        trades = problem.trades()
        ev = evaluate(h.with_settings(drift_penalty_bp=k), trades)
        rows.append({"drift_penalty_bp": k, "status": result.status.value, "tax_cost": ev.tax_cost,
                     "trading_cost": ev.trading_cost, "drift_before": ev.drift_before,
                     "drift_after": ev.drift_after, "trades": len(trades),
                     "turnover": float(trades["amount"].sum()) if len(trades) else 0.0,
                     "gap": result.gap, "seconds": result.seconds})
    return pd.DataFrame(rows)
