"""Solve a compiled program: the root relaxation, then (with binaries) our branch and bound,
on sifted relaxations for big programs, or HiGHS's MIP where binaries are many or integers
appear. The answer's solution is handed back to cvxpy, which sets every variable's value.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import cvxpy as cp
import numpy as np

from .aggregate import Aggregation
from .branch_and_bound import branch_and_bound
from .highs import HighsLp, set_basis_status
from .options import Method, SolverOptions
from .relaxation import Fallback, LpAnswer, LpState, SolverAnswer
from .rounding import round_and_prove, settle_structure
from .sifting import ROOT_PRICE_TOL, SiftedLp


def solve(problem: cp.Problem, options: SolverOptions, priority: list[cp.Variable] = (),
          sift: list[cp.Variable] = (), trade: list[cp.Variable] = (),
          links: list[tuple[int, cp.Variable]] = (), accounts: np.ndarray | None = None,
          buys: np.ndarray | None = None, alike: np.ndarray | None = None,
          meanwhile: Callable[[], object] | None = None) -> tuple[SolverAnswer, HighsLp]:
    """Solve to within ``options.abs_gap`` (dollars of objective) or stop at its time limit.

    ``priority``: binaries to branch on first (the few that shape everything else).
    ``sift``: variables with many bounded columns (dollars sold per lot, bought per account
    and security): the branch and bound's relaxations after the root are solved on a working
    set of them (:mod:`planner.solve.sifting`), still exactly.
    ``trade`` and ``links``: the trade variables, and the integers that belong to one trade
    column each (``(k, variable)``: aligned with ``trade[k]``: share counts, trade
    indicators); with links the program is solved by :mod:`planner.solve.rounding`.
    ``accounts`` and ``buys``: the account of each trade column and where it is a buy
    (aligned with ``trade``'s columns end to end; without them one account, no buys).
    ``alike``: a label for each column of ``sift[0]``, in whose order neighbours with one label
    look alike (a lot's holding): with it the root relaxation is sifted from the program with
    runs of them summed (:mod:`planner.solve.aggregate`), not solved whole.
    ``meanwhile``: work to do on this thread while the root relaxation is solved on another.
    """
    start = time.perf_counter()
    model = HighsLp(problem, options)
    # The root gets what the compile left of the time limit (at 20,000 lots the compile takes
    # 0.2-1.2 s, which the whole limit given to the root would overrun).
    left = options.time_limit_s - (time.perf_counter() - start)
    if left <= 0:
        return SolverAnswer(LpState.TIME_LIMIT, np.inf, -np.inf, time.perf_counter() - start, 0,
                            Method.LP), model
    candidates = np.concatenate([model.columns_of_vector(v) for v in sift]) if sift else None
    relax = None
    if sift and alike is not None and options.root_run > 1 and not links and not len(model.integer) \
            and len(model.binary) <= options.max_binaries:
        aggregation = Aggregation(model, model.columns_of_vector(sift[0]), alike, options.root_run)
        root, relax = _beside(lambda: sifted_root(model, candidates, aggregation, left), meanwhile)
        if relax is None and root.state is not LpState.INFEASIBLE:   # no narrow optimum: cold
            root = model.root(time_left=options.time_limit_s - (time.perf_counter() - start))
    else:
        root = _beside(lambda: model.root(time_left=left), meanwhile)
    if root.state is not LpState.OPTIMAL:
        return SolverAnswer(root.state, np.inf, np.inf, time.perf_counter() - start, 0, Method.LP), model
    if not model.is_mip:
        model.unpack(root.x, root.value)
        model.highs.clearSolver()
        return SolverAnswer(LpState.OPTIMAL, root.value, root.value, time.perf_counter() - start, 0,
                            Method.LP, root.x), model
    if links:
        columns = [model.columns_of_vector(v) for v in trade]
        offsets = np.cumsum([0] + [len(c) for c in columns])
        linked = [(offsets[k] + np.arange(v.size), model.columns_of_vector(v)) for k, v in links]
        n = offsets[-1]
        trade_columns = np.concatenate(columns)
        answer = round_and_prove(model, root.value, root.x, options, start, trade_columns,
                                 linked, model.columns_of(list(priority)),
                                 np.zeros(n, dtype=int) if accounts is None else accounts,
                                 np.zeros(n, dtype=bool) if buys is None else buys)
        answer = settle_structure(model, answer, trade_columns, linked,
                                  options.time_limit_s - (time.perf_counter() - start))
    elif len(model.integer) or len(model.binary) > options.max_binaries:
        answer = model.mip(options.time_limit_s - (time.perf_counter() - start), None)
    elif sift:
        if relax is None:
            relax = SiftedLp.after_root(model, root.x, model.reduced_costs(), candidates)
            fallback, node_options, probes_count = \
                _from_vertex(model, model.set_basis, model.get_basis()), options, False
        else:   # restarts are cheap: a probed node goes straight to its restart
            fallback = _restart(model, relax, candidates, aggregation)
            node_options, probes_count = replace(options, node_rounds=options.restart_rounds), True
        answer = branch_and_bound(model, relax, root.value, root.x, node_options, start,
                                  model.columns_of(list(priority)), fallback=fallback,
                                  probes_count=probes_count)
        answer = replace(answer, sifting=relax.stats)
    else:
        answer = branch_and_bound(model, model, root.value, root.x, options, start,
                                  model.columns_of(list(priority)))
    if np.isfinite(answer.objective):
        model.unpack(answer.x, answer.objective)
    # The solver's working state (factorization, scaled copies) is not read again: freed
    # before the plan is judged and written (at 1e6 lots the write's peak decides the
    # process's); the model stays, for its size and a later cold solve.
    model.highs.clearSolver()
    return replace(answer, seconds=time.perf_counter() - start), model


def _beside(task: Callable[[], object], meanwhile: Callable[[], object] | None):
    """``task()`` (the root relaxation) with ``meanwhile()`` run on this thread while it runs on
    another: highspy releases the GIL in ``Highs.run`` and the root is HiGHS on one core, so
    the second core does the other work. Either's exception propagates, and only once the
    task has ended (leaving the ``with`` waits for it): no thread is left."""
    if meanwhile is None:
        return task()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="highs-root") as pool:
        result = pool.submit(task)
        meanwhile()
        return result.result()


def sifted_root(model: HighsLp, candidates: np.ndarray, aggregation: Aggregation,
                time_left: float) -> tuple[LpAnswer, SiftedLp | None]:
    """The root relaxation sifted from an aggregated start, and the sifted LP that solved it
    (None where no narrow program had an optimum; the root INFEASIBLE where a narrow program's
    Farkas ray proves the whole one infeasible). From a point that is no vertex every
    column priced out joins the working set, at a tolerance (1e-9) under which the sum of the
    reduced costs left over the lots' dollars stays below a cent (1e-7: $19.50 on a 1e6-lot
    book's root)."""
    start = time.perf_counter()
    options = model.options
    point = aggregation.point(time_left=time_left)
    if point is LpState.INFEASIBLE:
        return LpAnswer(LpState.INFEASIBLE, np.inf), None
    if point is None:
        return LpAnswer(LpState.ERROR, np.inf), None
    relax = SiftedLp.from_point(model, point.x, point.reduced_cost, candidates)
    root = relax.lp({}, time_left=time_left - (time.perf_counter() - start),
                    max_rounds=options.root_sift_rounds, flip=False, tolerance=ROOT_PRICE_TOL)
    model.root_seconds = time.perf_counter() - start
    return (root, relax) if root.state is LpState.OPTIMAL else (root, None)


def _from_vertex(model: HighsLp, set_basis: Callable, vertex: object) -> Fallback:
    """A node sifting did not settle, solved on the whole program from the root's vertex,
    where dual simplex's cutoff prunes a hopeless node fast."""
    def solve(fixed: dict[int, float], time_left: float, cutoff: float) -> LpAnswer:
        set_basis(vertex)
        return model.lp(fixed, warm_limit=model.root_seconds + 1.0, time_left=time_left, cutoff=cutoff)
    return solve


def _restart(model: HighsLp, relax: SiftedLp, candidates: np.ndarray, aggregation: Aggregation) -> Fallback:
    """A node sifting did not settle, sifted again from its own aggregated point, as the root
    was, once that point's Lagrangian bound has not already pruned it. Far from its parent (a
    sign binary fixed the other way), one sifting round there took 3-64 s on a 1e6-lot book,
    and the whole program from the root's vertex 56 s; the restart 0.5-2 s. Where the node's
    narrow program has no optimum, sifting goes on from where it is (its Farkas steps prove
    infeasibility); where the restart does not settle, the whole program from the root's
    vertex answers."""
    root, status = relax.get_basis(), None

    def set_vertex(_) -> None:
        nonlocal status
        if status is None:     # made when first asked for
            status = relax.vertex_status(root)
        set_basis_status(model.highs, *status)
    whole = _from_vertex(model, set_vertex, None)

    def solve(fixed: dict[int, float], time_left: float, cutoff: float) -> LpAnswer:
        started = time.perf_counter()
        point = aggregation.point(fixed, time_left)
        if point is LpState.INFEASIBLE:
            return LpAnswer(LpState.INFEASIBLE, np.inf)
        if point is None:     # no narrow optimum: sifting's Farkas steps
            answer = relax.lp(fixed, time_left=time_left - (time.perf_counter() - started),
                              cutoff=cutoff)
        elif point.bound >= cutoff:
            return LpAnswer(LpState.CUTOFF, point.bound)
        else:
            relax.restart(point.x, point.reduced_cost, candidates)
            answer = relax.lp(fixed, time_left=time_left - (time.perf_counter() - started), cutoff=cutoff,
                              max_rounds=model.options.root_sift_rounds, flip=False,
                              tolerance=ROOT_PRICE_TOL)
        if answer.state in (LpState.PROBED, LpState.ERROR):
            return whole(fixed, time_left - (time.perf_counter() - started), cutoff)
        return answer
    return solve
