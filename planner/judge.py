"""From a solved program to a :class:`planner.result.Plan`: the status checks, the trade list
and the evaluator's judgement of it. ``plan``, the frontier and ``compare`` all go through
:func:`judge`, so a plan is judged the same whichever command made it."""
from __future__ import annotations

import time

import numpy as np
import pandas as pd

from models.enums import SolveStatus
from models.errors import PlanError
from models.household import Household
from models.ledger import collector_paused, wash_restrictions

from .evaluate import evaluate
from .explain import prepare_blocked_groups
from .problem import PlanProblem, SolveReport
from .result import Plan
from .rules import NoWashSale


def solved_trades(problem: PlanProblem, report: SolveReport) -> pd.DataFrame:
    """The trade list the solve found, unjudged (a backtest's evaluator judges it anyway);
    raises :class:`models.PlanError` when it found none."""
    if report.status is SolveStatus.INFEASIBLE:
        raise PlanError("the rules cannot all be met (infeasible)")
    if report.status is SolveStatus.TIME_LIMIT and not np.isfinite(report.gap):
        raise PlanError(f"no plan found within the time limit of "
                        f"{problem.household.settings.time_limit_s:g} s; "
                        "raise time_limit_s (--time-limit) or loosen the rules")
    if report.status is SolveStatus.ERROR or problem.problem.value is None \
            or not np.isfinite(problem.problem.value):
        raise PlanError(f"the solver failed: {report.message or report.status.value}")
    return problem.trades()


def prepare_report(h: Household) -> None:
    """Compute and keep the plan-independent part of a plan's report: the blocked losses'
    groups, purchases and lot figures (all but what the plan did), for :func:`judge`'s plan
    to take. :func:`planner.optimizer.plan` runs it while HiGHS solves the root relaxation
    (on the other core: at 1e6 lots ~1 CPU s taken off the write)."""
    prepare_blocked_groups(h)


def judge(problem: PlanProblem, report: SolveReport, started: float) -> Plan:
    """The plan the solve found, judged by the evaluator; raises :class:`models.PlanError`
    when it found none (infeasible: see :func:`planner.diagnose.diagnose` for why).

    ``started``: when the plan's making began (``time.perf_counter``), for its total seconds.
    """
    h = problem.household
    t0 = time.perf_counter()
    with collector_paused():
        trades = solved_trades(problem, report)
        evaluation = evaluate(h, trades)
        end = time.perf_counter()
        restrictions = next((r.restrictions for r in problem.rules if isinstance(r, NoWashSale)), None)
        if restrictions is None:   # priced: a past loss still makes buying its group costly until then
            restrictions = wash_restrictions(h)
    seconds = {"build": problem.seconds["build"], "solve": report.seconds, "evaluate": end - t0,
               "total": end - started}
    return Plan(household=h, trades=trades, evaluation=evaluation, status=report.status,
                gap=report.gap, model=problem.model_figures(), seconds=seconds,
                solver={"name": "HiGHS", "via": "cvxpy + highspy", "method": report.method,
                        "nodes": report.nodes, "mixed_integer": problem.is_mip, **problem.size(),
                        **problem.gap_tolerance(),
                        "wash_sale": problem.wash_note(),
                        **({"sifting": report.sifting} if report.sifting else {})},
                restrictions=restrictions)
