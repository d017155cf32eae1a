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

from .branch_and_bound import branch_and_bound
from .highs import HighsLp
from .options import Method, SolverOptions
from .relaxation import LpState, SolverAnswer
from .rounding import round_and_prove, settle_structure
from .sifting import SiftedLp


def solve(problem: cp.Problem, options: SolverOptions, priority: list[cp.Variable] = (),
          sift: list[cp.Variable] = (), trade: list[cp.Variable] = (),
          links: list[tuple[int, cp.Variable]] = (), accounts: np.ndarray | None = None,
          buys: np.ndarray | None = None,
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
    ``meanwhile``: work to do on this thread while HiGHS solves the root relaxation on another.
    """
    start = time.perf_counter()
    model = HighsLp(problem, options)
    # The root gets what the compile left of the time limit (at 20,000 lots the compile takes
    # 0.2-1.2 s, which the whole limit given to the root would overrun).
    left = options.time_limit_s - (time.perf_counter() - start)
    if left <= 0:
        return SolverAnswer(LpState.TIME_LIMIT, np.inf, -np.inf, time.perf_counter() - start, 0,
                            Method.LP), model
    root = _root(model, left, meanwhile)
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
        basis = model.get_basis()
        relax = SiftedLp(model, root.x, model.reduced_costs(), basis,
                         np.concatenate([model.columns_of_vector(v) for v in sift]))
        answer = branch_and_bound(model, relax, root.value, root.x, options, start,
                                  model.columns_of(list(priority)), root_basis=basis)
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


def _root(model: HighsLp, time_left: float, meanwhile: Callable[[], object] | None):
    """The root relaxation, with ``meanwhile()`` run on this thread while HiGHS solves it on
    another: highspy releases the GIL in ``Highs.run`` and the root is HiGHS on one core (at
    1e6 lots ~5 s), so the second core does the other work. Either's exception propagates,
    and only once the root has ended (leaving the ``with`` waits for it): no thread is left."""
    if meanwhile is None:
        return model.root(time_left=time_left)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="highs-root") as pool:
        root = pool.submit(model.root, time_left=time_left)
        meanwhile()
        return root.result()
