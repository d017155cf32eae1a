"""The branch-and-bound relaxations on a working set of columns (sifting), proven against all.

Why: at 1e6 lots every simplex iteration prices a million columns, yet a plan's answer lives
on a few: the root relaxation of a 1e6-lot book sold 99,150 lots, all but 3 of them whole,
and left the rest untouched. Here the columns a relaxation leaves at a bound are *fixed* there
(the row bounds absorb them) and HiGHS sees only the working set: the basic columns and those
whose reduced cost is near zero. After every solve the row duals price every column in one
sparse product; a fixed column whose reduced cost says it should move is moved to the other
bound (once) or into the working set, and the set is solved again. An infeasible set is
answered with HiGHS's Farkas ray: the fixed columns that could break the certificate move.
A relaxation returns only when no column prices out: it is the full relaxation's optimum, so
every bound the branch and bound uses is exact (``tests/test_sifting.py`` checks it). Before
that, the duals of any round give a Lagrangian lower bound, which may already prune a node.

Pricing out columns is textbook LP (column generation; CPLEX calls this method "sifting");
fixing columns at their upper bound as well as their lower one is what makes it pay here,
where most lots that move are sold whole.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import highspy as hp
import numpy as np

from .highs import HighsLp, new_highs, warm_solve
from .relaxation import LpAnswer, LpState

LOWER, UPPER, ACTIVE = 0, 1, 2
PRICE_TOL = 1e-7          # HiGHS's own dual feasibility tolerance
ROOT_PRICE_TOL = 1e-9     # a root sifted from a point that is no vertex (driver.sifted_root)


@dataclass(frozen=True)
class Start:
    """Where a node's relaxation starts: HiGHS's basis and the fixings it belongs to."""
    basis: hp.HighsBasis
    state: np.ndarray
    flipped: np.ndarray


class SiftedLp:
    """The full relaxation of ``full`` solved on a working set: a
    :class:`planner.solve.relaxation.Relaxation` like the full one, solutions in full columns."""

    def __init__(self, full: HighsLp, state: np.ndarray, col_status: np.ndarray | None = None,
                 row_status: list | None = None) -> None:
        """``state``: each column LOWER, UPPER (fixed there) or ACTIVE (in the working set);
        ``col_status`` and ``row_status``: HiGHS's basis to start from (the working set's
        columns taken from the whole program's statuses), or None for a cold start."""
        self.full = full
        self.near_columns, self.max_rounds = full.options.near_columns, full.options.max_sift_rounds
        self.binary = full.binary
        self.A, self.AT = full.A, full.A.T.tocsr()
        self.cost, self.lower, self.upper = full.cost, full.lower.copy(), full.upper.copy()
        n = len(self.cost)
        self.state, self.flipped = state, np.zeros(n, dtype=bool)
        self.cols = np.flatnonzero(state == ACTIVE)
        self.pos = np.full(n, -1, dtype=np.int64)
        self.pos[self.cols] = np.arange(len(self.cols))
        self.row_lower, self.row_upper = full.row_lower, full.row_upper
        self.highs = new_highs(full.options.highs())
        self.highs.setOptionValue("presolve", "off")   # warm starts only
        lp = hp.HighsLp()
        sub = self.A[:, self.cols]
        lp.num_col_, lp.num_row_ = len(self.cols), self.A.shape[0]
        lp.col_cost_, lp.col_lower_, lp.col_upper_ = (self.cost[self.cols], self.lower[self.cols],
                                                      self.upper[self.cols])
        lower, upper = self._row_bounds()
        lp.row_lower_, lp.row_upper_ = lower, upper
        lp.a_matrix_.format_ = hp.MatrixFormat.kColwise
        lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = sub.indptr, sub.indices, sub.data
        self.highs.passModel(lp)
        if col_status is not None:
            start = hp.HighsBasis()
            start.col_status = [hp.HighsBasisStatus(k) for k in col_status[self.cols].tolist()]
            start.row_status = list(row_status)
            start.valid = True
            self.highs.setBasis(start)
        self.rounds = self.flips = self.farkas_steps = self.restarts = 0
        # A solve past its warm limit is given up (PROBED), not finished cold, where the
        # branch and bound starts a node over from its aggregated point instead.
        self.starts_over = False

    @classmethod
    def after_root(cls, full: HighsLp, x: np.ndarray, reduced_cost: np.ndarray,
                   candidates: np.ndarray) -> "SiftedLp":
        """From the whole program's root vertex (``full``'s basis): its nonbasic candidate
        columns fixed at their bound, the basic ones and those nearest their threshold kept."""
        col_status = full.column_status()     # the instance's basis, fast
        basic = col_status == int(hp.HighsBasisStatus.kBasic)
        state = _fixings(full, x, reduced_cost, candidates, ~basic)
        return cls(full, state, col_status, list(full.get_basis().row_status))

    @classmethod
    def from_point(cls, full: HighsLp, x: np.ndarray, reduced_cost: np.ndarray,
                   candidates: np.ndarray) -> "SiftedLp":
        """From a feasible point that is not a vertex (:mod:`planner.solve.aggregate`'s): the
        candidate columns it leaves at a bound their reduced cost agrees with are fixed there,
        the rest form the working set, which HiGHS solves from scratch."""
        relax = cls(full, _fixings(full, x, reduced_cost, candidates, np.ones(len(x), dtype=bool)))
        relax.starts_over = True
        return relax

    # ---- the working set -----------------------------------------------------------------------
    def _fixed_values(self) -> np.ndarray:
        """Every fixed column at its bound, zero for the working set's."""
        return np.where(self.state == UPPER, self.upper, np.where(self.state == LOWER, self.lower, 0.0))

    def _row_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        shift = self.A @ self._fixed_values()
        return self.row_lower - shift, self.row_upper - shift

    def _refresh_rows(self) -> None:
        lower, upper = self._row_bounds()
        rows = np.arange(len(lower), dtype=np.int32)
        self.highs.changeRowsBounds(len(rows), rows, lower, upper)

    def _activate(self, columns: np.ndarray) -> None:
        """Move fixed columns into the working set at the bound they were fixed at."""
        if not len(columns):
            return
        basis = self.highs.getBasis()
        was_upper = self.state[columns] == UPPER
        sub = self.A[:, columns]
        self.highs.addCols(len(columns), self.cost[columns], self.lower[columns], self.upper[columns],
                           sub.nnz, sub.indptr[:-1].astype(np.int32), sub.indices.astype(np.int32),
                           sub.data)
        self.pos[columns] = len(self.cols) + np.arange(len(columns))
        self.cols = np.concatenate([self.cols, columns])
        self.state[columns] = ACTIVE
        if was_upper.any():
            self._refresh_rows()
        if basis.valid:
            status = [hp.HighsBasisStatus.kUpper if u else hp.HighsBasisStatus.kLower for u in was_upper]
            basis.col_status = list(basis.col_status) + status
            self.highs.setBasis(basis)

    @property
    def stats(self) -> dict[str, int]:
        return {"columns": len(self.cost), "working_set_columns": len(self.cols),
                "rounds": self.rounds, "flips": self.flips, "farkas_steps": self.farkas_steps,
                "aggregated_root": int(self.starts_over), "restarts": self.restarts}

    def _flip(self, columns: np.ndarray, to) -> None:
        self.flips += len(columns)
        self.state[columns] = to
        self.flipped[columns] = True

    def _wrong(self, rc: np.ndarray, tolerance: float) -> np.ndarray:
        """Fixed columns whose reduced cost asks to leave their bound."""
        wrong_lower = (self.state == LOWER) & (rc < -tolerance) & (self.upper > self.lower)
        wrong_upper = (self.state == UPPER) & (rc > tolerance)
        return np.flatnonzero(wrong_lower | wrong_upper)

    def _lagrangian_gap(self, rc: np.ndarray, wrong: np.ndarray) -> float:
        """How far below the working set's optimum the full relaxation can be: every wrong
        column moved all the way at its reduced cost (the Lagrangian bound)."""
        span = self.upper[wrong] - self.lower[wrong]
        return -float(np.abs(rc[wrong]) @ span)

    def _move(self, rc: np.ndarray, wrong: np.ndarray, flip: bool) -> None:
        """Columns already moved once, and those nearest their threshold, join the set; the
        rest move to the bound their reduced cost asks for (without ``flip``, all join)."""
        if not flip:
            self._activate(wrong)
            return
        again = wrong[self.flipped[wrong]]
        fresh = wrong[~self.flipped[wrong]]
        near = fresh[np.argsort(np.abs(rc[fresh]), kind="stable")[:max(self.near_columns, len(fresh) // 20)]]
        flip = np.setdiff1d(fresh, near, assume_unique=True)
        if len(flip):
            self._flip(flip, np.where(rc[flip] < 0, UPPER, LOWER))
            self._refresh_rows()
        self._activate(np.concatenate([again, near]))

    def _farkas(self) -> bool:
        """The working set is infeasible. HiGHS's Farkas ray y proves it: max of yᵀA·x over
        the working set's bounds falls short of min yᵀr over the row bounds by a deficit. A
        fixed column j moved to its other bound closes |yᵀa_j|·(u_j − l_j) of it if that is
        the right way: move the largest of those until the deficit is covered twice (a
        column moved before joins the working set instead). False if no fixed column could
        help: the full relaxation is infeasible too."""
        self.farkas_steps += 1
        _, has_ray, ray = self.highs.getDualRay()
        room = (self.state != ACTIVE) & (self.upper > self.lower)
        chosen = np.flatnonzero(room)    # without a usable certificate: all of them
        if has_ray:
            y = np.asarray(ray)
            d = self.AT @ y
            lower, upper = self._row_bounds()
            for sign in (1.0, -1.0):
                ys, ds = sign * y, sign * d
                deficit = _deficit(ds[self.cols], ys, self.node_lower[self.cols], self.node_upper[self.cols],
                                   lower, upper)
                if not deficit:
                    continue
                helps = room & np.where(self.state == LOWER, ds > 0, ds < 0)
                helpful = np.flatnonzero(helps)
                closes = np.abs(ds[helpful]) * (self.upper[helpful] - self.lower[helpful])
                order = np.argsort(-closes, kind="stable")
                count = int(np.searchsorted(np.cumsum(closes[order]), 2.0 * deficit)) + 1
                chosen = helpful[order[:max(count, 64)]]
                break
        if not len(chosen):
            return False
        once = chosen[~self.flipped[chosen]]
        self._flip(once, np.where(self.state[once] == LOWER, UPPER, LOWER))
        self._refresh_rows()
        self._activate(chosen[self.flipped[chosen] & ~np.isin(chosen, once)])
        return True

    def restart(self, x: np.ndarray, reduced_cost: np.ndarray, candidates: np.ndarray) -> None:
        """Start the next solve from a feasible point that is no vertex (a node's aggregated
        point, :mod:`planner.solve.aggregate`): the fixed columns it leaves at a bound their
        reduced cost agrees with are fixed there, the rest join the working set, which HiGHS
        then solves from scratch (a node far from every basis this instance has seen)."""
        state = _fixings(self.full, x, reduced_cost, candidates, self.state != ACTIVE)
        join = np.flatnonzero((state == ACTIVE) & (self.state != ACTIVE))
        fixed_at = np.where(state == UPPER, UPPER, LOWER)     # where the joining ones were
        self.state = np.where(self.state == ACTIVE, ACTIVE, fixed_at).astype(np.int8)
        self.flipped[:] = False
        self.restarts += 1
        self._refresh_rows()
        self._activate(join)
        self.highs.clearSolver()

    def vertex_status(self, start: "Start") -> tuple[np.ndarray, np.ndarray]:
        """The whole program's basis at a node's start (the working set's basis there, every
        fixed column nonbasic at its bound), as columns' and rows' statuses: the vertex the
        whole program's HiGHS starts from when sifting hands a node to it."""
        basis = start.basis
        status = np.where(start.state == UPPER, int(hp.HighsBasisStatus.kUpper),
                          int(hp.HighsBasisStatus.kLower)).astype(np.int8)
        status[self.cols[:len(basis.col_status)]] = np.fromiter(map(int, basis.col_status), np.int8)
        return status, np.fromiter(map(int, basis.row_status), np.int8)

    # ---- the interface the branch and bound uses ---------------------------------------------
    def get_basis(self) -> "Start":
        return Start(self.highs.getBasis(), self.state.copy(), self.flipped.copy())

    def set_basis(self, start: "Start | None") -> None:
        """Go back to a node's start: its fixings, and its basis with the columns that joined
        since nonbasic at the bound that node had them fixed at."""
        if start is None:
            return
        active = self.state == ACTIVE
        self.state = np.where(active, ACTIVE, start.state).astype(np.int8)
        self.flipped = start.flipped.copy()
        self._refresh_rows()
        basis = start.basis
        if not basis.valid:
            return
        joined = self.cols[len(basis.col_status):]
        if len(joined):
            upper = start.state[joined] == UPPER
            basis.col_status = list(basis.col_status) + [
                hp.HighsBasisStatus.kUpper if u else hp.HighsBasisStatus.kLower for u in upper]
        self.highs.setBasis(basis)

    def lp(self, fixed: dict[int, float], warm_limit: float | None = None,
           time_left: float = np.inf, cutoff: float = np.inf,
           max_rounds: int | None = None, flip: bool = True,
           tolerance: float = PRICE_TOL) -> LpAnswer:
        """The full relaxation with some binaries fixed, solved on the working set.

        Returns CUTOFF with a lower bound once that bound reaches ``cutoff`` (the node cannot
        beat the incumbent), and PROBED with a lower bound after ``max_rounds`` unfinished
        rounds (its ``estimate``: the working set's optimum, an upper bound). ``flip``: a
        column priced out may move to its other bound (from a vertex: a few do); without it
        every such column joins the working set (from a point that is no vertex, tens of
        thousands price out at once, and moving them overshoots). ``tolerance``: the reduced
        cost, in dollars of objective per dollar traded, a fixed column may keep.
        """
        max_rounds = max_rounds or self.max_rounds
        start = time.perf_counter()
        self.node_lower, self.node_upper = self.lower.copy(), self.upper.copy()
        if fixed:
            keys = np.fromiter(fixed.keys(), dtype=np.int64)
            vals = np.fromiter(fixed.values(), dtype=float)
            self.node_lower[keys], self.node_upper[keys] = vals, vals
        b = self.binary
        self.highs.changeColsBounds(len(b), self.pos[b].astype(np.int32), self.node_lower[b],
                                    self.node_upper[b])
        for round_ in range(1, self.max_rounds + 1):
            self.rounds += 1
            remaining = time_left - (time.perf_counter() - start)
            state = warm_solve(self.highs, warm_limit, remaining, cold=not self.starts_over)
            if state is LpState.TIME_LIMIT and self.starts_over and remaining > (warm_limit or np.inf):
                return LpAnswer(LpState.PROBED, -np.inf, estimate=np.inf)
            if state is LpState.OPTIMAL:
                x = self._fixed_values()
                value = self.highs.getInfo().objective_function_value + self.full.offset + \
                    float(self.cost @ x)
                rc = self.cost - self.AT @ np.asarray(self.highs.getSolution().row_dual)
                wrong = self._wrong(rc, tolerance)
                if not len(wrong):
                    x[self.cols] = np.asarray(self.highs.getSolution().col_value)
                    return LpAnswer(LpState.OPTIMAL, value, x)
                bound = value + self._lagrangian_gap(rc, wrong)
                if bound >= cutoff:
                    return LpAnswer(LpState.CUTOFF, bound)
                if round_ >= max_rounds:
                    return LpAnswer(LpState.PROBED, bound, estimate=value)
                self._move(rc, wrong, flip)
            elif state is LpState.INFEASIBLE:
                if not self._farkas():
                    return LpAnswer(LpState.INFEASIBLE, np.inf)
                if round_ >= max_rounds:
                    return LpAnswer(LpState.PROBED, -np.inf, estimate=np.inf)
            else:
                return LpAnswer(state, np.inf)
        return LpAnswer(LpState.ERROR, np.inf)


def _extreme(weights: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> float:
    """max of weights · v over lower ≤ v ≤ upper (inf when unbounded in that direction)."""
    up, down = weights > 0, weights < 0
    return float(np.sum(weights[up] * upper[up]) + np.sum(weights[down] * lower[down]))


def _fixings(full: HighsLp, x: np.ndarray, reduced_cost: np.ndarray, candidates: np.ndarray,
             may_fix: np.ndarray) -> np.ndarray:
    """Each column's state: the candidates ``x`` leaves at a bound their reduced cost agrees
    with (and ``may_fix`` allows) fixed there, except the ``near_columns`` nearest their
    threshold; every other column in the working set."""
    lower, upper = full.lower, full.upper
    n = len(full.cost)
    movable = np.zeros(n, dtype=bool)
    movable[candidates] = (upper[candidates] > lower[candidates]) & np.isfinite(lower[candidates]) \
        & np.isfinite(upper[candidates])
    movable &= may_fix
    low, up = np.where(movable, lower, 0.0), np.where(movable, upper, 0.0)
    scale = np.maximum(1.0, np.abs(up))
    at_lower = movable & (x <= low + 1e-9 * scale) & (reduced_cost >= -PRICE_TOL)
    at_upper = movable & (x >= up - 1e-9 * scale) & (reduced_cost <= PRICE_TOL)
    state = np.full(n, ACTIVE, dtype=np.int8)
    state[at_lower], state[at_upper] = LOWER, UPPER
    fixed = np.flatnonzero(state != ACTIVE)
    near = fixed[np.argsort(np.abs(reduced_cost[fixed]), kind="stable")[:full.options.near_columns]]
    state[near] = ACTIVE
    state[candidates[upper[candidates] == lower[candidates]]] = LOWER   # no room: never moves
    return state


def _deficit(d: np.ndarray, y: np.ndarray, lower: np.ndarray, upper: np.ndarray,
             row_lower: np.ndarray, row_upper: np.ndarray) -> float:
    """How far max yᵀAx over ``lower ≤ x ≤ upper`` (``d`` = Aᵀy) falls short of min yᵀr over
    the row bounds: > 0 makes ``y`` a Farkas certificate; 0 where it does not fall short."""
    reach, need = _extreme(d, lower, upper), -_extreme(-y, row_lower, row_upper)
    short = np.isfinite(need) and reach < need - 1e-9 * max(1.0, abs(need))
    return float(need - reach) if short else 0.0


def proves_infeasible(A, y: np.ndarray, lower: np.ndarray, upper: np.ndarray, row_lower: np.ndarray,
                      row_upper: np.ndarray) -> bool:
    """Whether the ray ``y`` (either sign) is a Farkas certificate for rows ``row_lower ≤ Ax ≤
    row_upper`` over ``lower ≤ x ≤ upper``: yᵀAx cannot reach what the row bounds ask of it."""
    d = A.T @ y
    return any(_deficit(sign * d, sign * y, lower, upper, row_lower, row_upper) > 0 for sign in (1.0, -1.0))
