"""HiGHS, driven directly: the program's few binaries by a small best-first branch and bound
over warm-started LP re-solves; HiGHS's own MIP solver as the fallback.

Why: the plan's binaries are few (the signs of the year's short-term, long-term and total
results, cash-first, one per contested wash group), while its columns are many (one per lot).
HiGHS's MIP machinery pays per column at every stage (presolve, heuristics, sub-MIPs: 16 s at
1e5 lots); an LP re-solve after changing the bounds of a few binaries costs milliseconds from
the previous basis. Branching proves the plan optimal within the absolute gap, and any node or
time limit hands the rest, with the incumbent, to HiGHS's MIP solver, so the result is never
silently worse than reported.

On big programs the root relaxation is raced by two HiGHS instances and the nodes'
relaxations are sifted (:mod:`planner.sifting`). cvxpy still compiles the problem
(``get_problem_data``) and maps the solution back (``unpack_results``): only this module and
the sifting know HiGHS.
"""
from __future__ import annotations

import heapq
import os
import queue
import threading
import time
from dataclasses import dataclass
from types import SimpleNamespace

import cvxpy as cp
import cvxpy.settings as s
import highspy as hp
import numpy as np
from cvxpy.reductions.solvers.conic_solvers.highs_conif import dims_to_solver_dict

INTEGRALITY_TOL = 1e-6
NODE_LIMIT = 400            # beyond this, HiGHS's own branch and bound takes over
CUSTOM_MAX_BINARIES = 5000
RACE_MIN_COLUMNS = 200_000  # from here two HiGHS instances race on the root relaxation
PROBE_ROUNDS = 1            # sifting rounds spent on each child of a sign or cash-first binary
NODE_ROUNDS = 3             # sifting rounds for a node before the whole program takes it  # beyond this (minimum trade sizes on big books) HiGHS branches itself


@dataclass(frozen=True)
class Outcome:
    status: str             # 'optimal', 'time_limit', 'infeasible', 'error'
    objective: float        # incl. cvxpy's constant offset
    bound: float            # proven lower bound
    seconds: float
    nodes: int
    method: str             # 'lp', 'branch_and_bound', 'highs_mip'

    @property
    def gap(self) -> float:
        return max(0.0, self.objective - self.bound) if np.isfinite(self.objective) else np.inf


def run(highs: hp.Highs, warm_limit: float | None, time_left: float) -> str:
    """One LP solve from the instance's current basis: 'optimal', 'infeasible', 'time_limit'
    or 'error'.

    A warm start usually takes a few pivots, but fixing a sign binary can move the whole
    solution, and then dual simplex from the old basis can take far longer than a cold solve
    (257 s against 18 s on one 1e6-lot book): after ``warm_limit`` seconds (about a cold root
    solve) the basis is dropped and the LP solved from scratch.
    """
    limit = min(warm_limit or np.inf, time_left)
    _limit(highs, limit)
    highs.run()
    status = highs.getModelStatus()
    if status == hp.HighsModelStatus.kTimeLimit and time_left > limit:
        highs.clearSolver()
        _limit(highs, time_left - limit)
        highs.run()
        status = highs.getModelStatus()
    return _state(status)


def _state(status: hp.HighsModelStatus) -> str:
    if status == hp.HighsModelStatus.kTimeLimit:
        return "time_limit"
    if status == hp.HighsModelStatus.kOptimal:
        return "optimal"
    if status == hp.HighsModelStatus.kObjectiveBound:
        return "cutoff"
    if status in (hp.HighsModelStatus.kInfeasible, hp.HighsModelStatus.kUnboundedOrInfeasible):
        return "infeasible"
    return "error"


def _limit(highs: hp.Highs, seconds: float) -> None:
    """HiGHS's time_limit is read against its own run clock, which counts every run of an
    instance: set it that many seconds past the clock."""
    if not np.isfinite(seconds):
        highs.setOptionValue("time_limit", hp.kHighsInf)
    else:
        highs.setOptionValue("time_limit", highs.getRunTime() + max(seconds, 0.1))


class HighsLp:
    """One HiGHS instance holding the compiled program; bounds change, the basis stays."""

    def __init__(self, problem: cp.Problem, options: dict) -> None:
        data, self.chain, self.inverse = problem.get_problem_data(
            cp.HIGHS, canon_backend=cp.SCIPY_CANON_BACKEND)
        self.problem = problem
        dims = dims_to_solver_dict(data[s.DIMS])
        A = data[s.A].tocsc()
        n_eq = dims[s.EQ_DIM]
        b = data[s.B]
        self.A, self.cost = A, np.asarray(data[s.C], dtype=float)
        self.row_lower = np.concatenate([b[:n_eq], np.full(len(b) - n_eq, -hp.kHighsInf)])
        self.row_upper = np.asarray(b, dtype=float)
        self.options = dict(options)
        lp = hp.HighsLp()
        lp.num_col_, lp.num_row_ = A.shape[1], A.shape[0]
        lp.col_cost_ = self.cost
        lp.row_lower_, lp.row_upper_ = self.row_lower, self.row_upper
        lp.a_matrix_.format_ = hp.MatrixFormat.kColwise
        lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = A.indptr, A.indices, A.data
        inf = np.full(lp.num_col_, hp.kHighsInf)
        self.lower = -inf if data[s.LOWER_BOUNDS] is None else data[s.LOWER_BOUNDS].astype(float)
        self.upper = inf.copy() if data[s.UPPER_BOUNDS] is None else data[s.UPPER_BOUNDS].astype(float)
        self.binary = np.array(data[s.BOOL_IDX], dtype=np.int64)
        self.integer = np.array(data[s.INT_IDX], dtype=np.int64)
        self.lower[self.binary] = np.maximum(self.lower[self.binary], 0.0)
        self.upper[self.binary] = np.minimum(self.upper[self.binary], 1.0)
        lp.col_lower_, lp.col_upper_ = self.lower, self.upper
        self.offset = float(self.inverse[-1][s.OFFSET])
        self.sifting_stats: dict[str, int] = {}   # filled when the nodes were sifted
        self.highs = hp.Highs()
        self.highs.setOptionValue("output_flag", False)
        for name, value in options.items():
            self.highs.setOptionValue(name, value)
        self.highs.passModel(lp)
        self._lp = lp if lp.num_col_ >= RACE_MIN_COLUMNS else None   # for the root's rival
        self.n = lp.num_col_
        self.size = {"rows": int(A.shape[0]), "columns": int(A.shape[1]), "nonzeros": int(A.nnz),
                     "binaries": int(len(self.binary)), "integers": int(len(self.integer))}

    def columns_of(self, variables: list[cp.Variable]) -> np.ndarray:
        """Solver columns of some scalar variables (cvxpy keeps their ids through the chain)."""
        offsets = {}
        for item in self.inverse:
            offsets.update(getattr(item, "var_offsets", {}) or {})
        return np.array([offsets[v.id] for v in variables if v.id in offsets], dtype=np.int64)

    def columns_of_vector(self, variable: cp.Variable) -> np.ndarray:
        """Solver columns of a vector variable."""
        first = self.columns_of([variable])
        return first[0] + np.arange(variable.size) if len(first) else np.zeros(0, dtype=np.int64)

    @property
    def is_mip(self) -> bool:
        return bool(len(self.binary) or len(self.integer))

    def lp(self, fixed: dict[int, float], warm_limit: float | None = None,
           time_left: float = np.inf, cutoff: float = np.inf,
           max_rounds: int = 1) -> tuple[str, float, np.ndarray | None]:
        """Solve the relaxation with some binaries fixed; others relaxed to [0, 1].

        Dual simplex raises a lower bound as it goes: once that passes ``cutoff`` HiGHS stops
        ('cutoff'), which prunes a hopeless node in a few pivots. (``max_rounds`` is for
        sifting: one solve here is always the whole answer.)"""
        lo, up = self.lower[self.binary].copy(), self.upper[self.binary].copy()
        if fixed:
            keys = np.fromiter(fixed.keys(), dtype=np.int64)
            vals = np.fromiter(fixed.values(), dtype=float)
            pos = np.searchsorted(self.binary, keys)
            lo[pos], up[pos] = vals, vals
        self.highs.changeColsBounds(len(self.binary), self.binary, lo, up)
        self.highs.setOptionValue("objective_bound", cutoff - self.offset if np.isfinite(cutoff)
                                  else hp.kHighsInf)
        state = run(self.highs, warm_limit, time_left)
        self.highs.setOptionValue("objective_bound", hp.kHighsInf)
        if state == "cutoff":
            return state, cutoff, None
        if state != "optimal":
            return state, np.inf, None
        return "optimal", self.highs.getInfo().objective_function_value + self.offset, \
            np.array(self.highs.getSolution().col_value)

    def root(self, time_left: float) -> tuple[str, float, np.ndarray | None]:
        """The relaxation from scratch. On a big program a second HiGHS instance races this
        one on the other core, with presolve on where this one has it off: which is faster
        varies from book to book (1e6 lots: 9.6 s off against 2.8 s on for one, 2.2 s against
        3.2 s for another, 4.9 s against 7.8 s for a third). The first to finish is kept; the
        other is told to stop and left to wind down on its own."""
        if self._lp is None or (os.cpu_count() or 1) < 2:
            return self.lp({}, time_left=time_left)
        rival = hp.Highs()
        rival.setOptionValue("output_flag", False)
        for name, value in self.options.items():
            rival.setOptionValue(name, value)
        rival.setOptionValue("presolve", "on")
        rival.passModel(self._lp)
        self._lp = None
        racers, finished = [self.highs, rival], queue.Queue()

        def race(k: int) -> None:
            try:
                racers[k].run()
            finally:
                finished.put(k)

        for k, highs in enumerate(racers):
            highs.HandleUserInterrupt = True     # so that cancelSolve can stop it
            _limit(highs, time_left)
            threading.Thread(target=race, args=(k,), daemon=True).start()
        winner = finished.get()
        racers[1 - winner].cancelSolve()
        self.highs = racers[winner]
        self.highs.HandleUserInterrupt = False
        self.highs.setOptionValue("presolve", self.options.get("presolve", "off"))
        state = _state(self.highs.getModelStatus())
        if state != "optimal":
            return state, np.inf, None
        return "optimal", self.highs.getInfo().objective_function_value + self.offset, \
            np.array(self.highs.getSolution().col_value)

    def get_basis(self):
        return self.highs.getBasis()

    def set_basis(self, basis) -> None:
        if basis is not None:
            self.highs.setBasis(basis)

    def mip(self, time_limit: float, incumbent: np.ndarray | None,
            presolve_rule_off: int = 8192) -> Outcome:
        """HiGHS's own branch and bound on the whole program."""
        start = time.perf_counter()
        self.highs.changeColsBounds(len(self.binary), self.binary, self.lower[self.binary],
                                    self.upper[self.binary])
        ints = np.concatenate([self.binary, self.integer])
        self.highs.changeColsIntegrality(len(ints), ints, np.full(len(ints), hp.HighsVarType.kInteger))
        _limit(self.highs, time_limit)
        # Branch and bound needs presolve, but not the parallel rows/columns rule (quadratic
        # over look-alike lots, shared/PERFORMANCE.md).
        self.highs.setOptionValue("presolve", "on")
        self.highs.setOptionValue("presolve_rule_off", presolve_rule_off)
        if incumbent is not None:
            sol = hp.HighsSolution()
            sol.col_value = list(incumbent)
            sol.value_valid = True
            self.highs.setSolution(sol)
        self.highs.run()
        status = self.highs.getModelStatus()
        info = self.highs.getInfo()
        seconds = time.perf_counter() - start
        if status in (hp.HighsModelStatus.kInfeasible, hp.HighsModelStatus.kUnboundedOrInfeasible):
            return Outcome("infeasible", np.inf, np.inf, seconds, 0, "highs_mip")
        if info.primal_solution_status != 2:   # no feasible solution
            state = "time_limit" if status == hp.HighsModelStatus.kTimeLimit else "error"
            return Outcome(state, np.inf, -np.inf, seconds, 0, "highs_mip")
        self.x = np.array(self.highs.getSolution().col_value)
        objective = info.objective_function_value + self.offset
        bound = info.mip_dual_bound + self.offset if np.isfinite(info.mip_dual_bound) else -np.inf
        state = "optimal" if status == hp.HighsModelStatus.kOptimal else "time_limit"
        return Outcome(state, objective, min(bound, objective), seconds, int(info.mip_node_count),
                       "highs_mip")

    def unpack(self, x: np.ndarray, objective: float) -> None:
        """Hand a solution back to cvxpy, which sets every variable's value."""
        info = SimpleNamespace(objective_function_value=objective - self.offset, ipm_iteration_count=0,
                               crossover_iteration_count=0, pdlp_iteration_count=0,
                               qp_iteration_count=0, simplex_iteration_count=0)
        solution = SimpleNamespace(col_value=list(x), row_dual=[0.0] * self.highs.getNumRow())
        self.problem.unpack_results({"solution": solution, "info": info, "model_status": "kOptimal",
                                     "run_time": 0.0}, self.chain, self.inverse)


def solve(problem: cp.Problem, abs_gap: float, time_limit: float, options: dict,
          priority: list[cp.Variable] = (), sift: list[cp.Variable] = (),
          trade: list[cp.Variable] = (), links: list[tuple[int, cp.Variable]] = ()
          ) -> tuple[Outcome, HighsLp]:
    """Solve to within ``abs_gap`` (dollars of objective) or stop at ``time_limit``.

    ``priority``: binaries to branch on first (the few that shape everything else).
    ``sift``: variables with many bounded columns (dollars sold per lot, bought per account
    and security): the branch and bound's relaxations after the root are solved on a working
    set of them (:mod:`planner.sifting`), still exactly.
    ``trade`` and ``links``: the trade variables, and the integers that belong to one trade
    column each (``(k, variable)``: aligned with ``trade[k]``); with links, the program is
    solved by :mod:`planner.rounding`.
    """
    start = time.perf_counter()
    model = HighsLp(problem, options)
    root_start = time.perf_counter()
    state, value, x = model.root(time_left=time_limit)
    model.root_seconds = time.perf_counter() - root_start
    if state != "optimal":
        return Outcome(state, np.inf, np.inf, time.perf_counter() - start, 0, "lp"), model
    if not model.is_mip:
        model.unpack(x, value)
        return Outcome("optimal", value, value, time.perf_counter() - start, 0, "lp"), model
    if links:
        from .rounding import round_and_prove
        columns = [model.columns_of_vector(v) for v in trade]
        offsets = np.cumsum([0] + [len(c) for c in columns])
        linked = [(offsets[k] + np.arange(v.size), model.columns_of_vector(v)) for k, v in links]
        out = round_and_prove(model, value, x, abs_gap, time_limit, start,
                              np.concatenate(columns), linked)
    elif len(model.integer) or len(model.binary) > CUSTOM_MAX_BINARIES:
        out = model.mip(time_limit - (time.perf_counter() - start), None)
    else:
        relax = model
        if sift:
            from .sifting import SiftedLp
            reduced_cost = np.asarray(model.highs.getSolution().col_dual)
            model.root_basis = model.highs.getBasis()
            relax = SiftedLp(model, x, reduced_cost, model.root_basis,
                             np.concatenate([model.columns_of_vector(v) for v in sift]))
        out = _branch_and_bound(model, relax, value, x, abs_gap, time_limit, start,
                                model.columns_of(list(priority)))
        if relax is not model:
            model.sifting_stats = relax.stats
    if np.isfinite(out.objective):
        model.unpack(model.x, out.objective)
    return replace_seconds(out, time.perf_counter() - start), model


def replace_seconds(out: Outcome, seconds: float) -> Outcome:
    return Outcome(out.status, out.objective, out.bound, seconds, out.nodes, out.method)


@dataclass
class _Node:
    fixed: dict[int, float]           # binary column -> 0 or 1
    start: object = None              # where its relaxation starts (its own once solved)
    x: np.ndarray | None = None       # its relaxation's solution, once solved
    value: float = np.inf             # its relaxation's optimum once solved, or a lower bound
    estimate: float = np.inf          # a probed node's working-set optimum (an upper bound)


def _branch_and_bound(model: HighsLp, relax, root_value: float, root_x: np.ndarray, abs_gap: float,
                      time_limit: float, start: float, priority: np.ndarray) -> Outcome:
    """Best-first search with diving: a node is solved when popped (children inherit the
    parent's bound), ties go to the deepest node, and the child in the direction the
    relaxation leans (or, for a priority binary, the one that looks better) is taken first,
    so the first leaf comes quickly and prunes the rest.

    ``relax`` solves the nodes' relaxations (``model`` itself or a :class:`SiftedLp` of it);
    ``model`` holds the whole program for HiGHS's MIP fallback. A node never starts from
    whatever node was solved last but from its parent's basis: after a sibling that moved
    far, that is the difference between 0.4 s and 140 s at 1e6 lots."""
    best, best_x = np.inf, None
    heap = [(root_value, 0, 0, _Node({}, None, root_x, root_value))]   # (bound, -depth, order, node)
    counter, nodes, proven = 1, 0, np.inf
    is_priority = np.isin(model.binary, priority)

    def left() -> float:
        return time_limit - (time.perf_counter() - start)

    def solve_node(node: _Node, rounds: int) -> str:
        relax.set_basis(node.start)
        state, value, x = relax.lp(node.fixed, warm_limit=model.root_seconds + 1.0, time_left=left(),
                                   cutoff=best - abs_gap, max_rounds=rounds)
        if rounds == NODE_ROUNDS and relax is not model and state in ("probed", "error"):
            # Sifting did not settle (the node is far from its parent): the whole program
            # from the root's basis, where dual simplex's cutoff prunes a hopeless node fast.
            model.set_basis(model.root_basis)
            state, value, x = model.lp(node.fixed, warm_limit=model.root_seconds + 1.0,
                                       time_left=left(), cutoff=best - abs_gap)
        if state == "optimal":
            node.x, node.value, node.start = x, value, relax.get_basis()
        elif state == "probed":     # a lower bound, and its progress kept for later
            node.value, node.start, node.estimate = value, relax.get_basis(), relax.estimate
        return state

    while heap:
        bound, neg_depth, _, node = heapq.heappop(heap)
        if bound >= best - abs_gap:
            proven = bound   # the smallest bound left: nothing open can beat the incumbent
            heap.clear()
            break
        if node.x is None:
            state = solve_node(node, NODE_ROUNDS)
            nodes += 1
            if state == "time_limit":   # out of time inside this node: it stays open
                heapq.heappush(heap, (bound, neg_depth, counter, node))
                break
            if state == "error":        # never pruned unsolved: HiGHS's MIP takes the rest
                heapq.heappush(heap, (bound, neg_depth, counter, node))
                return _hand_over(model, heap, best, best_x, nodes, left(), abs_gap)
            if state != "optimal":
                continue
        if node.value >= best - abs_gap:
            continue
        x = node.x
        frac = _fractionality(x, model.binary)
        if frac.max() <= INTEGRALITY_TOL:
            if node.value < best:
                best, best_x = node.value, x
            continue
        if nodes >= NODE_LIMIT or left() < 0:
            heapq.heappush(heap, (node.value, neg_depth, counter, node))
            return _hand_over(model, heap, best, best_x, nodes, left(), abs_gap)
        open_ = frac > INTEGRALITY_TOL
        pick = open_ & is_priority if (open_ & is_priority).any() else open_
        k = int(np.argmax(np.where(pick, frac, -1.0)))
        j, lean = int(model.binary[k]), float(np.round(x[model.binary[k]]))
        if node.start is None:
            node.start = relax.get_basis()
        children = [_Node({**node.fixed, j: v}, node.start) for v in (lean, 1.0 - lean)]
        bounds = [node.value, node.value]
        if is_priority[k]:
            # A sign or cash-first binary moves the whole plan, and the side the relaxation
            # leans to can be far worse (at 1e6 lots: $75.8M against $2.0M): look at both
            # children now (with sifting, PROBE_ROUNDS rounds each: a lower bound and an
            # estimate) and dive into the better one. A solved leaf is an incumbent at once.
            estimates = []
            for i, child in enumerate(children):
                state = solve_node(child, PROBE_ROUNDS)
                nodes += 1
                if state == "optimal":
                    bounds[i] = child.value
                    estimates.append(child.value)
                    if _fractionality(child.x, model.binary).max() <= INTEGRALITY_TOL:
                        if child.value < best:
                            best, best_x = child.value, child.x
                        bounds[i] = np.inf
                elif state == "probed":
                    bounds[i] = max(node.value, child.value)
                    estimates.append(child.estimate)
                elif state in ("cutoff", "infeasible"):
                    bounds[i] = np.inf
                    estimates.append(np.inf)
                else:                   # time limit or error: left for when it is popped
                    child.start, child.x = node.start, None
                    estimates.append(np.inf)
            order = np.argsort(estimates, kind="stable")
            children = [children[i] for i in order]
            bounds = [bounds[i] for i in order]
        # The first child pops first: both carry the smaller bound (still a valid bound).
        key = min(bounds)
        for i, (child, b) in enumerate(zip(children, bounds)):
            if b < best - abs_gap:
                heapq.heappush(heap, (key, neg_depth - 1, counter + i, child))
        counter += 2
    if heap:   # stopped by the time limit with nodes still open
        model.x = best_x
        lower = min(b for b, *_ in heap)
        if best_x is None:
            return Outcome("time_limit", np.inf, lower, 0.0, nodes, "branch_and_bound")
        return Outcome("time_limit", best, min(best, lower), 0.0, nodes, "branch_and_bound")
    if best_x is None:
        return Outcome("infeasible", np.inf, np.inf, 0.0, nodes, "branch_and_bound")
    model.x = best_x
    return Outcome("optimal", best, min(best, proven), 0.0, nodes, "branch_and_bound")


def _fractionality(x: np.ndarray, binary: np.ndarray) -> np.ndarray:
    """How far each binary's value lies from 0 or 1."""
    return np.abs(x[binary] - np.round(x[binary]))


def _hand_over(model: HighsLp, heap: list, best: float, best_x: np.ndarray | None, nodes: int,
               time_left: float, abs_gap: float) -> Outcome:
    """HiGHS's own branch and bound takes the rest, from the incumbent; the better answer wins,
    and HiGHS's bound holds for the whole program whichever plan is kept (its optimum may
    come back a hair above the incumbent it was given)."""
    model.x = best_x
    rest = model.mip(time_left, best_x)
    if rest.objective <= best:
        return rest
    bound = max(rest.bound, min(b for b, *_ in heap))
    state = "optimal" if best - bound <= abs_gap else "time_limit"
    return Outcome(state, best, min(best, bound), 0.0, nodes, "branch_and_bound")
