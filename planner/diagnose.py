"""Why a plan is infeasible: drop rules one at a time to find the one that cannot be met, and
say why in the rulebook's words (:attr:`models.rulebook.RuleSpec.explain`)."""
from __future__ import annotations

import numpy as np

from models.enums import SolveStatus
from models.errors import InfeasiblePlan
from models.household import Household
from models.rulebook import RULES
from models.tolerances import WEIGHT_TOL

from .problem import PlanProblem
from .rules import Band, PlanRule

PROBE_SECONDS = 10     # time limit of each trial solve


def diagnose(h: Household, rules: list[PlanRule]) -> InfeasiblePlan:
    """Name the rule that cannot be met, and why: drop rules one at a time to find the culprit."""
    base = [r for r in rules if isinstance(r, Band)]
    others = [r for r in rules if not isinstance(r, Band)]
    # Which classes cannot reach their band at all? Solve with the bands dropped and see.
    for rule in others:
        trial = PlanProblem(h, rules=[r for r in rules if r is not rule])
        if trial.solve(time_limit_s=PROBE_SECONDS).status is not SolveStatus.INFEASIBLE:
            # With the culprit kept and the bands dropped, which classes stay outside?
            culprits = _unreachable_classes(h, others)
            what = ", ".join(culprits) if culprits else "the classes together"
            verb = "cannot reach its band" if len(culprits) == 1 else "cannot reach their bands"
            return InfeasiblePlan(rule.rule.value if not base else "band", [
                f"{what} {verb} under the rule '{rule.rule.value}': {RULES[rule.rule].explain(h)}"])
    loose = PlanProblem(h, rules=others)
    if loose.solve(time_limit_s=PROBE_SECONDS).status is SolveStatus.INFEASIBLE:
        failing = [r for r in others
                   if PlanProblem(h, rules=[r]).solve(PROBE_SECONDS).status is SolveStatus.INFEASIBLE]
        rule = failing[0] if failing else others[0]
        return InfeasiblePlan(rule.rule.value, [RULES[rule.rule].explain(h)])
    culprits = _unreachable_classes(h, others)
    return InfeasiblePlan("band", [
        f"{c} cannot reach its band: not enough sellable holdings, buyable securities or cash "
        "in the accounts that could move it" for c in culprits] or ["the bands cannot all be met"])


def _unreachable_classes(h: Household, rules: list[PlanRule]) -> list[str]:
    """Classes still outside their band when the plan minimizes drift alone under ``rules``."""
    probe = PlanProblem(h.with_settings(drift_penalty_bp=1e6, rebalance_inside_band=True), rules=rules)
    if probe.solve(time_limit_s=PROBE_SECONDS).status is SolveStatus.INFEASIBLE:
        return []
    w = np.asarray(probe.program.class_value.value).ravel() / h.allocation_value
    outside = np.abs(w - h.class_target) > h.class_band + WEIGHT_TOL
    return [str(c) for c in h.classes[outside]]
