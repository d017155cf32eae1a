"""The root relaxation sifted from an aggregated start (planner.solve.aggregate, driver.sifted_root):
the narrow program's point is a feasible point of the whole relaxation, bracketed by its value and
its Lagrangian bound; runs halve where a narrow program has no solution, and its Farkas ray may
prove the whole one has none; the sifted root is the cold root's optimum; its vertex is an
optimal basis of the whole program; and a solve past its warm limit is given up, not finished
cold, where the branch and bound starts a node over."""
from __future__ import annotations

import cvxpy as cp
import highspy as hp
import numpy as np
import pytest
import scipy.sparse as sp

from planner import load_household
from planner.problem import PlanProblem
from planner.solve import SolverOptions
from planner.solve import sifting
from planner.solve.sifting import proves_infeasible
from planner.solve.aggregate import Aggregation, Point
from planner.solve.driver import sifted_root
from planner.solve.highs import HighsLp, basis_status, set_basis_status
from planner.solve.relaxation import LpState
from models.synthetic import SyntheticSpec, generate_household

RUN = 8


@pytest.fixture(scope="module", params=[1, 2, 3])
def book(request, tmp_path_factory):
    """A seeded book's whole program, cold root solved, and what sifting needs of it."""
    spec = SyntheticSpec(lots=3000, accounts=6, securities=60, asset_classes=4, seed=request.param,
                         drift=0.12, loss_fraction=0.3)
    h = load_household(generate_household(spec, tmp_path_factory.mktemp("book") / "h"))
    problem = PlanProblem(h, solver_options=SolverOptions(sift_min_lots=0, near_columns=0))
    model = HighsLp(problem.problem, problem.options())
    cold = model.root(time_left=60.0)
    assert cold.state is LpState.OPTIMAL
    lots = model.columns_of_vector(problem.program.sell)
    candidates = np.concatenate([lots, model.columns_of_vector(problem.program.buy)])
    return model, cold, lots, candidates, problem.layout.sell_holding


def _feasible(model: HighsLp, x: np.ndarray) -> bool:
    activity = model.A @ x
    scale = 1e-7 * np.maximum(1.0, np.abs(activity))
    room = 1e-7 * np.maximum(1.0, np.abs(x))          # HiGHS's primal feasibility tolerance
    return bool(np.all(x >= model.lower - room) and np.all(x <= model.upper + room)
                and np.all(activity >= model.row_lower - scale)
                and np.all(activity <= model.row_upper + scale))


def test_the_aggregated_point_is_feasible_and_brackets_the_root(book):
    model, cold, lots, _, alike = book
    point = Aggregation(model, lots, alike, RUN).point()
    assert point is not None and _feasible(model, point.x)
    # Its value is its objective, computed here from the point itself; a restriction's optimum
    # lies above the whole relaxation's, the same duals' Lagrangian bound below it.
    assert point.value == pytest.approx(float(model.cost @ point.x) + model.offset, abs=1e-6)
    assert point.bound - 1e-6 <= cold.value <= point.value + 1e-6
    # Every lot of a run moved by the same share of its room (runs: up to RUN neighbouring lots
    # with room of one holding).
    roomy = model.upper[lots] > model.lower[lots]
    columns, labels = lots[roomy], alike[roomy]
    new = np.r_[True, labels[1:] != labels[:-1]]
    place = np.arange(len(columns)) - np.flatnonzero(new)[np.cumsum(new) - 1]
    same = ~new[1:] & (place[1:] % RUN != 0)
    share = (point.x[columns] - model.lower[columns]) / (model.upper[columns] - model.lower[columns])
    assert same.sum() > len(columns) // 2
    assert np.allclose(share[1:][same], share[:-1][same], atol=1e-9)


def test_a_binary_fixed_in_the_narrow_program_is_fixed_in_its_point(book):
    model, _, lots, _, alike = book
    b = int(model.binary[0])
    for value in (0.0, 1.0):
        point = Aggregation(model, lots, alike, RUN).point({b: value})
        if point is not None:
            assert point.x[b] == value and _feasible(model, point.x)


def test_the_sifted_root_is_the_cold_root_and_its_vertex_an_optimal_basis(book):
    model, cold, lots, candidates, alike = book
    root, relax = sifted_root(model, candidates, Aggregation(model, lots, alike, RUN), 60.0)
    assert root.state is LpState.OPTIMAL and relax is not None
    assert root.value == pytest.approx(cold.value, abs=1e-6 * max(1.0, abs(cold.value)))
    assert _feasible(model, root.x)
    assert relax.stats["working_set_columns"] < len(model.cost)
    # The whole program started at the sifted root's vertex is already optimal there.
    set_basis_status(model.highs, *relax.vertex_status(relax.get_basis()))
    again = model.lp({})
    assert again.value == pytest.approx(cold.value, abs=1e-6 * max(1.0, abs(cold.value)))
    assert model.highs.getInfo().simplex_iteration_count <= 5


def test_basis_statuses_go_through_highs_basis_file(book):
    model, *_ = book
    model.root(time_left=60.0)
    col, row = basis_status(model.highs)
    assert len(col) == model.n and len(row) == model.A.shape[0]
    assert np.array_equal(col, np.fromiter(map(int, model.highs.getBasis().col_status), np.int8))
    assert (col == int(hp.HighsBasisStatus.kBasic)).sum() + (row == int(hp.HighsBasisStatus.kBasic)).sum() \
        == model.A.shape[0]
    # Read back, after the instance has written a basis file (and so named its columns).
    set_basis_status(model.highs, col, row)
    assert np.array_equal(basis_status(model.highs)[0], col)


def test_a_solve_past_its_warm_limit_is_given_up_where_nodes_start_over(book, monkeypatch):
    model, _, lots, candidates, alike = book
    point = Aggregation(model, lots, alike, RUN).point()
    monkeypatch.setattr(sifting, "warm_solve", lambda *args, **kwargs: LpState.TIME_LIMIT)
    relax = sifting.SiftedLp.from_point(model, point.x, point.reduced_cost, candidates)
    given_up = relax.lp({}, warm_limit=1.0, time_left=100.0)
    assert given_up.state is LpState.PROBED and given_up.value == -np.inf
    relax.starts_over = False
    assert relax.lp({}, warm_limit=1.0, time_left=100.0).state is LpState.TIME_LIMIT


# ---- narrow programs with no solution ------------------------------------------------------------
def _toy(constraint) -> tuple[HighsLp, np.ndarray]:
    """Eight lots of one holding, 0 ≤ x ≤ 1, one constraint: the whole program and its columns."""
    x = cp.Variable(8, bounds=[0, 1])
    problem = cp.Problem(cp.Minimize(cp.sum(x)), [constraint(x)])
    model = HighsLp(problem, SolverOptions())
    return model, model.columns_of_vector(x)


def test_runs_halve_until_a_narrow_program_has_a_solution():
    # x0 − x2 ≥ 1: lots 0 and 2 in one run (of 8 or 4) move alike and cannot; in pairs they can.
    model, lots = _toy(lambda x: x[0] - x[2] >= 1)
    point = Aggregation(model, lots, np.zeros(8, dtype=int), RUN).point()
    assert isinstance(point, Point) and _feasible(model, point.x)
    assert point.x[lots[0]] == pytest.approx(1.0) and point.x[lots[2]] == pytest.approx(0.0)
    # lots 0 and 1 share every run, down to pairs: no narrow program has a solution
    model, lots = _toy(lambda x: x[0] - x[1] >= 1)
    assert Aggregation(model, lots, np.zeros(8, dtype=int), RUN).point() is None


def test_a_narrow_programs_farkas_ray_proves_the_whole_one_infeasible():
    model, lots = _toy(lambda x: cp.sum(x) >= 9)      # eight lots of at most 1 each
    assert Aggregation(model, lots, np.zeros(8, dtype=int), RUN).point() is LpState.INFEASIBLE


def test_a_farkas_certificate_is_checked_against_the_whole_box():
    A = sp.csc_matrix(np.ones((1, 2)))
    lower, upper = np.zeros(2), np.ones(2)
    for y in (np.array([1.0]), np.array([-1.0])):       # either sign of the ray
        assert proves_infeasible(A, y, lower, upper, np.array([3.0]), np.array([np.inf]))
        assert not proves_infeasible(A, y, lower, upper, np.array([2.0]), np.array([np.inf]))
        assert proves_infeasible(A, y, lower, upper, np.array([-np.inf]), np.array([-1.0]))
