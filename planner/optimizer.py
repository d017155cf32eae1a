"""``plan``: the optimal trade list for a household, judged by the evaluator.

The program lives in :mod:`planner.problem`, the solving in :mod:`planner.solve`, the judging
in :mod:`planner.judge` and the diagnosis of an infeasible plan in :mod:`planner.diagnose`.
"""
from __future__ import annotations

import time

from models.enums import SolveStatus, WashSale
from models.household import Household

from .diagnose import diagnose
from .judge import judge, prepare_report
from .problem import PlanProblem
from .result import Plan


def plan(household: Household, **settings: object) -> Plan:
    """The optimal trade list for a household (SPEC §3), judged by the evaluator.

    ``settings`` override the household's ``[plan]`` settings. Raises
    :class:`models.InfeasiblePlan` naming the rule that cannot be met.
    """
    started = time.perf_counter()
    h = household.with_settings(**settings) if settings else household
    problem = PlanProblem(h)
    # The time limit is the whole plan's: the build has spent part of it. While HiGHS solves
    # the root relaxation, the plan-independent part of the report is prepared.
    report = problem.solve(max(h.settings.time_limit_s - (time.perf_counter() - started), 1e-3),
                           meanwhile=lambda: prepare_report(h))
    if report.status is SolveStatus.INFEASIBLE and problem.household.settings.wash_sale is \
            WashSale.PRICE and not problem.wash_fallback:
        # A safety net: a plan avoid finds is one price allows (it washes nothing); the priced
        # model excludes one rare chain (planner.washes) that avoid never needs.
        problem = PlanProblem(h, plan_as_avoid=True)
        report = problem.solve(max(h.settings.time_limit_s - (time.perf_counter() - started), 1e-3))
    if report.status is SolveStatus.INFEASIBLE:
        raise diagnose(h, problem.rules)
    return judge(problem, report, started)
