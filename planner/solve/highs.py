"""The program as one HiGHS LP: compiled by cvxpy, solved by highspy, handed back to cvxpy.

This is the only module that touches cvxpy's internals: ``get_problem_data`` (the matrices
and the inverse chain), the inverse data's ``var_offsets`` and ``OFFSET``, HiGHS's
``dims_to_solver_dict`` and ``unpack_results``. They are not public API: pyproject.toml pins
the cvxpy range this is tested with, and ``tests/test_solve.py`` fails loudly when a new
cvxpy changes them.
"""
from __future__ import annotations

import functools
import os
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import cvxpy as cp
import cvxpy.settings as s
import highspy as hp
import numpy as np
from cvxpy.reductions.solvers.conic_solvers.highs_conif import dims_to_solver_dict

from .options import Method, SolverOptions
from .relaxation import LpAnswer, LpState, SolverAnswer


@functools.cache
def _silence_banner() -> None:
    """HiGHS prints a banner when its first instance is made: make that one with stdout closed."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            hp.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)


# The thread count HiGHS's process-wide scheduler was started with (0: HiGHS's default). It
# starts at the first run and then refuses, with an error and no message, any instance whose
# ``threads`` option differs: a batch worker solving with threads=1 after a default solve in
# the same process got "error" on every run.
_scheduler_threads: int | None = None


def _match_scheduler(threads: int) -> None:
    """Restart HiGHS's scheduler when a run asks for another thread count than it has."""
    global _scheduler_threads
    if threads and _scheduler_threads is not None and threads != _scheduler_threads:
        hp.Highs.resetGlobalScheduler(True)
        _scheduler_threads = None
    if _scheduler_threads is None or threads:
        _scheduler_threads = threads


def new_highs(options: dict[str, object]) -> hp.Highs:
    """A silent HiGHS instance with ``options`` set."""
    _silence_banner()
    _match_scheduler(int(options.get("threads") or 0))
    highs = hp.Highs()
    highs.setOptionValue("output_flag", False)
    for name, value in options.items():
        highs.setOptionValue(name, value)
    return highs


def lp_state(status: hp.HighsModelStatus) -> LpState:
    if status == hp.HighsModelStatus.kTimeLimit:
        return LpState.TIME_LIMIT
    if status == hp.HighsModelStatus.kOptimal:
        return LpState.OPTIMAL
    if status == hp.HighsModelStatus.kObjectiveBound:
        return LpState.CUTOFF
    if status in (hp.HighsModelStatus.kInfeasible, hp.HighsModelStatus.kUnboundedOrInfeasible):
        return LpState.INFEASIBLE
    return LpState.ERROR


def set_time_limit(highs: hp.Highs, seconds: float) -> None:
    """HiGHS's time_limit is read against its own run clock, which counts every run of an
    instance: set it that many seconds past the clock."""
    if not np.isfinite(seconds):
        highs.setOptionValue("time_limit", hp.kHighsInf)
    else:
        highs.setOptionValue("time_limit", highs.getRunTime() + max(seconds, 0.1))


def warm_solve(highs: hp.Highs, warm_limit: float | None, time_left: float,
               cold: bool = True) -> LpState:
    """One LP solve from the instance's current basis.

    A warm start usually takes a few pivots, but fixing a sign binary can move the whole
    solution, and then dual simplex from the old basis can take far longer than a cold solve
    (257 s against 18 s on one 1e6-lot book): after ``warm_limit`` seconds (about a cold root
    solve) the basis is dropped and the LP solved from scratch (without ``cold``: TIME_LIMIT,
    for a caller with a better way to start over).
    """
    limit = min(warm_limit or np.inf, time_left)
    set_time_limit(highs, limit)
    highs.run()
    status = highs.getModelStatus()
    if status == hp.HighsModelStatus.kUnknown:
        # Dual simplex stopped without a verdict, cycling on bad basis changes (seen on a
        # working set of a 5e5-lot book's node, from its last basis and from scratch alike):
        # once more by primal simplex, from where it stopped.
        strategy = highs.getOptionValue("simplex_strategy")      # highspy 1.16: (status, value)
        strategy = strategy[-1] if isinstance(strategy, tuple) else strategy
        highs.setOptionValue("simplex_strategy", 4)
        highs.run()
        highs.setOptionValue("simplex_strategy", strategy)
        status = highs.getModelStatus()
    if status == hp.HighsModelStatus.kTimeLimit and time_left > limit and cold:
        highs.clearSolver()
        set_time_limit(highs, time_left - limit)
        highs.run()
        status = highs.getModelStatus()
    return lp_state(status)


def basis_status(highs: hp.Highs) -> tuple[np.ndarray, np.ndarray]:
    """The columns' and rows' statuses in an instance's basis (``HighsBasisStatus`` values),
    read from HiGHS's basis file: highspy's ``HighsBasis.col_status`` makes a Python object of
    every entry (0.4-0.55 CPU s for the 748,000 columns of a 1e6-lot program, the file ~0.1 s).
    Should the file's layout ever differ (version 2: a header, then a line "name status" per
    column and per row), the slow read is the answer."""
    n_col, n_row = highs.getNumCol(), highs.getNumRow()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "basis.bas"
        highs.writeBasis(str(path))
        raw = np.frombuffer(path.read_bytes(), dtype=np.uint8)
    ends = np.flatnonzero(raw == ord("\n"))
    if len(ends) == 4 + n_col + n_row and raw[: ends[0]].tobytes() == b"HiGHS_basis_file v2" \
            and raw[ends[1] + 1: ends[2]].tobytes() == f"# Columns {n_col}".encode() \
            and raw[ends[2 + n_col] + 1: ends[3 + n_col]].tobytes() == f"# Rows {n_row}".encode():
        line_end = np.concatenate([ends[3: 3 + n_col], ends[4 + n_col:]])
        status = raw[line_end - 1] - ord("0")     # each line's last character
        if (raw[line_end - 2] == ord(" ")).all() and (status <= 9).all():
            status = status.astype(np.int8)
            return status[:n_col], status[n_col:]
    basis = highs.getBasis()
    return (np.fromiter(map(int, basis.col_status), np.int8, n_col),
            np.fromiter(map(int, basis.row_status), np.int8, n_row))


def set_basis_status(highs: hp.Highs, col_status: np.ndarray, row_status: np.ndarray) -> None:
    """Give an instance a basis by statuses, through HiGHS's basis file, for the reason
    :func:`basis_status` gives (named as HiGHS names them: once an instance has written a
    basis file, it checks the names of one it reads)."""
    def lines(tag: str, status: np.ndarray) -> str:
        return "".join([f"{tag}{i} {k}\n" for i, k in enumerate(status.tolist())])
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "basis.bas"
        path.write_text(f"HiGHS_basis_file v2\nValid\n# Columns {len(col_status)}\n"
                        + lines("c", col_status) + f"# Rows {len(row_status)}\n" + lines("r", row_status))
        if highs.readBasis(str(path)) != hp.HighsStatus.kOk:
            raise RuntimeError("HiGHS refused a basis it was given")


class HighsLp:
    """One HiGHS instance holding the compiled program; bounds change, the basis stays.

    A :class:`planner.solve.relaxation.Relaxation`, and the whole program for HiGHS's MIP.
    """

    def __init__(self, problem: cp.Problem, options: SolverOptions) -> None:
        columns = sum(v.size for v in problem.variables())
        backend = cp.CPP_CANON_BACKEND if columns < options.cpp_compile_max_columns else cp.SCIPY_CANON_BACKEND
        data, self.chain, self.inverse = problem.get_problem_data(cp.HIGHS, canon_backend=backend)
        self.problem = problem
        dims = dims_to_solver_dict(data[s.DIMS])
        A = data[s.A].tocsc()
        n_eq = dims[s.EQ_DIM]
        b = data[s.B]
        self.A, self.cost = A, np.asarray(data[s.C], dtype=float)
        self.row_lower = np.concatenate([b[:n_eq], np.full(len(b) - n_eq, -hp.kHighsInf)])
        self.row_upper = np.asarray(b, dtype=float)
        self.options = options
        inf = np.full(A.shape[1], hp.kHighsInf)
        self.lower = -inf if data[s.LOWER_BOUNDS] is None else data[s.LOWER_BOUNDS].astype(float)
        self.upper = inf.copy() if data[s.UPPER_BOUNDS] is None else data[s.UPPER_BOUNDS].astype(float)
        self.binary = np.array(data[s.BOOL_IDX], dtype=np.int64)
        self.integer = np.array(data[s.INT_IDX], dtype=np.int64)
        self.lower[self.binary] = np.maximum(self.lower[self.binary], 0.0)
        self.upper[self.binary] = np.minimum(self.upper[self.binary], 1.0)
        self.offset = float(self.inverse[-1][s.OFFSET])
        self.highs = new_highs(options.highs())
        # The arrays passed as numpy buffers: a HighsLp's fields convert element by element
        # (0.3 CPU s for the 8.7 million numbers of a 1e6-lot program). Column-wise, minimize,
        # no offset, every column continuous (integers are set for the MIP only).
        status = self.highs.passModel(
            A.shape[1], A.shape[0], A.nnz, int(hp.MatrixFormat.kColwise), int(hp.ObjSense.kMinimize), 0.0,
            self.cost, self.lower, self.upper, self.row_lower, self.row_upper,
            A.indptr.astype(np.int32, copy=False), A.indices.astype(np.int32, copy=False), A.data,
            np.zeros(A.shape[1], np.int32))
        if status == hp.HighsStatus.kError:
            raise cp.error.SolverError("HiGHS refused the compiled program")
        self.root_seconds = np.nan        # how long the root relaxation took, once solved
        self.n = A.shape[1]
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

    def _answer(self, state: LpState) -> LpAnswer:
        if state is not LpState.OPTIMAL:
            return LpAnswer(state, np.inf)
        return LpAnswer(state, self.highs.getInfo().objective_function_value + self.offset,
                        np.array(self.highs.getSolution().col_value))

    def lp(self, fixed: dict[int, float], warm_limit: float | None = None,
           time_left: float = np.inf, cutoff: float = np.inf, max_rounds: int = 1) -> LpAnswer:
        """Solve the relaxation with some binaries fixed; others relaxed to [0, 1].

        Dual simplex raises a lower bound as it goes: once that passes ``cutoff`` HiGHS stops
        (CUTOFF), which prunes a hopeless node in a few pivots. (``max_rounds`` is for
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
        state = warm_solve(self.highs, warm_limit, time_left)
        self.highs.setOptionValue("objective_bound", hp.kHighsInf)
        if state is LpState.CUTOFF:
            return LpAnswer(state, cutoff)
        return self._answer(state)

    def root(self, time_left: float) -> LpAnswer:
        """The relaxation from scratch, presolve off (options.py says why).

        No second instance races this one with presolve on: measured in one process on the
        benchmark's four 1e6-lot books, presolve on was never much faster (CPU seconds off/on:
        4.5/10.2, 2.8/22.7, 4.1/3.7, 26.0/26.4), and the race doubled the CPU the root took,
        so on a shared machine the winner finished at about twice its time alone (h1e6: root
        21.7 s raced under load against a 9.1 s cold LP). One instance also makes the root's
        vertex, and so the plan, the same from run to run."""
        start = time.perf_counter()
        try:
            return self.lp({}, time_left=time_left)
        finally:
            self.root_seconds = time.perf_counter() - start

    def reduced_costs(self) -> np.ndarray:
        return np.asarray(self.highs.getSolution().col_dual)

    def get_basis(self) -> hp.HighsBasis:
        return self.highs.getBasis()

    def column_status(self) -> np.ndarray:
        """Every column's status in the instance's basis (``HighsBasisStatus`` values)."""
        return basis_status(self.highs)[0]

    def set_basis(self, basis: hp.HighsBasis | None) -> None:
        if basis is not None:
            self.highs.setBasis(basis)

    def mip(self, time_limit: float, incumbent: np.ndarray | None,
            presolve_rule_off: int | None = None) -> SolverAnswer:
        """HiGHS's own branch and bound on the whole program (``presolve_rule_off``: the
        presolve rules switched off, the options' by default)."""
        start = time.perf_counter()
        self.highs.changeColsBounds(len(self.binary), self.binary, self.lower[self.binary],
                                    self.upper[self.binary])
        ints = np.concatenate([self.binary, self.integer])
        self.highs.changeColsIntegrality(len(ints), ints, np.full(len(ints), hp.HighsVarType.kInteger))
        set_time_limit(self.highs, time_limit)
        # Branch and bound needs presolve, but not the parallel rows/columns rule.
        self.highs.setOptionValue("presolve", "on")
        self.highs.setOptionValue("presolve_rule_off", self.options.presolve_rule_off
                                  if presolve_rule_off is None else presolve_rule_off)
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
            return SolverAnswer(LpState.INFEASIBLE, np.inf, np.inf, seconds, 0, Method.HIGHS_MIP)
        if info.primal_solution_status != 2:   # no feasible solution
            state = LpState.TIME_LIMIT if status == hp.HighsModelStatus.kTimeLimit else LpState.ERROR
            return SolverAnswer(state, np.inf, -np.inf, seconds, 0, Method.HIGHS_MIP)
        objective = info.objective_function_value + self.offset
        bound = info.mip_dual_bound + self.offset if np.isfinite(info.mip_dual_bound) else -np.inf
        state = LpState.OPTIMAL if status == hp.HighsModelStatus.kOptimal else LpState.TIME_LIMIT
        return SolverAnswer(state, objective, min(bound, objective), seconds, int(info.mip_node_count),
                            Method.HIGHS_MIP, np.array(self.highs.getSolution().col_value))

    def unpack(self, x: np.ndarray, objective: float) -> None:
        """Hand a solution back to cvxpy, which sets every variable's value."""
        info = SimpleNamespace(objective_function_value=objective - self.offset, ipm_iteration_count=0,
                               crossover_iteration_count=0, pdlp_iteration_count=0,
                               qp_iteration_count=0, simplex_iteration_count=0)
        # numpy arrays, not lists (cvxpy reads them through np.array): no Python float per column
        solution = SimpleNamespace(col_value=np.asarray(x, dtype=float),
                                   row_dual=np.zeros(self.highs.getNumRow()))
        self.problem.unpack_results({"solution": solution, "info": info, "model_status": "kOptimal",
                                     "run_time": 0.0}, self.chain, self.inverse)
