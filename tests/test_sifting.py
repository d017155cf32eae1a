"""The reduced model equals the full one: branch and bound over sifted relaxations
(planner.solve.sifting: most lots fixed at a bound, the rest priced after every solve) proves the
same optimum as branch and bound over the whole program, on random small households and on
seeded synthetic books, with the sifting forced on (no size threshold, no columns kept near
their threshold, so every fixing, flip, Farkas step and cutoff is exercised)."""
from __future__ import annotations

import time

import numpy as np
import pytest
from hypothesis import given

from planner import load_household, models
from planner.judge import judge
from planner.problem import PlanProblem
from planner.solve import SolverOptions
from models.synthetic import SyntheticSpec, generate_household

from tests.test_optimizer_properties import PROFILE, TOL, _describe, households

STRICT_GAP = 1e-9
NEVER = 10 ** 12          # a sift_min_lots no household reaches


def _solve(h, sift: bool, root_run: int = SolverOptions.root_run):
    options = SolverOptions(sift_min_lots=0 if sift else NEVER, near_columns=0, root_run=root_run)
    problem = PlanProblem(h, solver_options=options)
    started = time.perf_counter()
    return problem, problem.solve(), started


def _assert_same_optimum(h, note: str = "", root_run: int = SolverOptions.root_run) -> dict:
    full, full_result, _ = _solve(h, sift=False)
    sifted, sifted_result, started = _solve(h, sift=True, root_run=root_run)
    assert sifted_result.status == full_result.status, note
    if full_result.status is not models.SolveStatus.OPTIMAL:
        return {}
    gap = max(full.abs_gap, sifted.abs_gap) + full_result.gap + sifted_result.gap
    assert sifted.problem.value == pytest.approx(full.problem.value, abs=gap + TOL), note
    # The sifted plan is a plan like any other: its figures are the evaluator's to the cent.
    plan = judge(sifted, sifted_result, started)
    ev = plan.evaluation
    assert ev.tax_cost == pytest.approx(plan.model["tax_cost"], abs=TOL), note
    assert ev.trading_cost == pytest.approx(plan.model["trading_cost"], abs=TOL), note
    assert ev.drift_penalty == pytest.approx(plan.model["drift_penalty"], abs=TOL), note
    assert ev.violations == [], note
    return sifted_result.sifting


@PROFILE
@given(h=households())
def test_sifted_branch_and_bound_proves_the_full_optimum(h):
    h = h.with_settings(whole_shares=False, mip_gap_abs_fraction=STRICT_GAP)
    _assert_same_optimum(h, _describe(h))


@pytest.mark.parametrize("root_run", [0, SolverOptions.root_run])   # the root cold, or sifted
@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5, 6])
def test_sifted_equals_full_on_synthetic_books(seed, root_run, tmp_path):
    spec = SyntheticSpec(lots=1500, accounts=6, securities=60, asset_classes=4, seed=seed,
                         drift=0.05 * seed % 0.2 + 0.02, loss_fraction=0.15 * (seed % 3) + 0.1)
    h = load_household(generate_household(spec, tmp_path / "h"))
    h = h.with_settings(mip_gap_abs_fraction=STRICT_GAP)
    stats = _assert_same_optimum(h, f"seed {seed}", root_run)
    if stats:   # it really worked on a working set, not on everything, from the root asked for
        assert stats["working_set_columns"] < stats["columns"], stats
        assert stats["aggregated_root"] == (root_run > 1), stats


@pytest.mark.parametrize("root_run", [0, SolverOptions.root_run])
def test_sifting_moves_fixed_columns_and_answers_infeasible_sets(root_run, tmp_path):
    """Over the seeded books, fixed columns are flipped, Farkas rays free columns, nodes far
    from their parent start over from their aggregated point (after a sifted root), and the
    answer still matches (the checks above); here: those paths were actually taken."""
    totals = {"flips": 0, "farkas_steps": 0, "rounds": 0, "restarts": 0}
    for seed in (1, 2, 3):
        spec = SyntheticSpec(lots=800, accounts=4, securities=40, asset_classes=4, seed=seed,
                             drift=0.15, loss_fraction=0.4)
        h = load_household(generate_household(spec, tmp_path / f"h{seed}"))
        stats = _assert_same_optimum(h.with_settings(mip_gap_abs_fraction=STRICT_GAP), f"seed {seed}",
                                     root_run)
        for key in totals:
            totals[key] += stats.get(key, 0)
    assert totals["rounds"] > 0 and totals["flips"] > 0, totals
    assert (totals["restarts"] > 0) == (root_run > 1), totals
