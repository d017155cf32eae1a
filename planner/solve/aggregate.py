"""A feasible point of a big relaxation, from a narrower program: runs of look-alike columns
summed into one.

Why: the root relaxation of a 1e6-lot book is ~750,000 columns on ~400 rows, and HiGHS's dual
simplex prices every column at every iteration (2.4-22 s cold on seven such books). The layout
orders a holding's lots by gain per dollar, so neighbouring lots of one holding look alike to
the program: a column "sell the same share of each of these ``run`` lots" stands for them, and
the program of such columns is ``run`` times narrower. Its solutions are solutions of the whole
program (a restriction, so its optimum is an upper bound); spread back over the lots, its
optimum and row duals say which lots sit at a bound they want, and sifting
(:class:`planner.solve.sifting.SiftedLp`) proves the whole optimum from there (0.4-0.6 s on
those books, ``benchmarks/sifted_root.py``).
"""
from __future__ import annotations

import time
from typing import NamedTuple

import highspy as hp
import numpy as np
import scipy.sparse as sp

from .highs import HighsLp, new_highs, set_time_limit
from .relaxation import LpState
from .sifting import proves_infeasible


class Point(NamedTuple):
    """A feasible point of the whole relaxation, not a vertex, and what its duals prove."""
    x: np.ndarray
    reduced_cost: np.ndarray      # every column's, under the narrow program's row duals
    value: float                  # its objective: an upper bound on the relaxation's optimum
    bound: float                  # the Lagrangian bound of those duals: a lower bound


class Aggregation:
    """The narrow programs of one whole program: built once per run length, when first asked
    for (a node's differs from the root's in its binaries' bounds only), and solved again from
    scratch with a node's binaries fixed (from the last node's basis, dual simplex took longer
    than that: seed 8's solve 4.3 -> 9.0 s).

    ``columns``: the columns that may be summed (no binary: those are fixed per node), in an
    order where neighbours with the same ``label`` look alike; each run of up to ``run`` of them
    with one label becomes one column.
    """

    def __init__(self, model: HighsLp, columns: np.ndarray, labels: np.ndarray, run: int) -> None:
        self.model, self.columns, self.labels, self.run = model, columns, labels, run
        self._narrow: dict[int, _Narrow] = {}

    def point(self, fixed: dict[int, float] | None = None,
              time_left: float = np.inf) -> Point | LpState | None:
        """A feasible point of the whole relaxation (with the binaries in ``fixed`` fixed);
        INFEASIBLE where a narrow program's Farkas ray proves the whole one has none; None if
        no narrow program has an optimum within ``time_left`` (the whole one may still have).

        A run sells all its lots in the same share, which a node's fixings can make impossible
        where single lots are not (a 5e5-lot book's node: infeasible in runs of 8 and of 4,
        0.2 s each; optimal in runs of 2, 0.5 s, its bound within 0.001% of the node's optimum;
        sifting on from the parent there took 17 s): then runs half as long, down to pairs.
        """
        deadline = time.perf_counter() + time_left
        run = self.run
        while run > 1 and time.perf_counter() < deadline:
            if run not in self._narrow:
                self._narrow[run] = _Narrow(self.model, self.columns, self.labels, run)
            point = self._narrow[run].point(fixed or {}, deadline - time.perf_counter())
            if point is not None:
                return point
            run //= 2
        return None


class _Narrow:
    """One narrow program in a HiGHS instance of its own."""

    def __init__(self, model: HighsLp, columns: np.ndarray, labels: np.ndarray, run: int) -> None:
        lower, upper, A = model.lower, model.upper, model.A
        summed = (upper[columns] > lower[columns]) & np.isfinite(upper[columns]) & np.isfinite(lower[columns])
        columns, labels = columns[summed], labels[summed]
        new_label = np.r_[True, labels[1:] != labels[:-1]]
        place = np.arange(len(columns)) - np.flatnonzero(new_label)[np.cumsum(new_label) - 1]
        bucket = np.cumsum(new_label | (place % run == 0)) - 1
        buckets = int(bucket[-1]) + 1 if len(columns) else 0
        width = upper[columns] - lower[columns]
        spread = sp.csc_matrix((width, (np.arange(len(columns)), bucket)), shape=(len(columns), buckets))
        kept = np.ones(A.shape[1], dtype=bool)    # a mask: np.setdiff1d hashes (numpy 2.4: 0.5 s here)
        kept[columns] = False
        kept = np.flatnonzero(kept)
        part = A[:, columns]
        shift = part @ lower[columns]
        narrow = sp.hstack([A[:, kept], (part @ spread).tocsc()], format="csc")
        self.highs = new_highs(model.options.highs())
        self.highs.passModel(narrow.shape[1], narrow.shape[0], narrow.nnz, int(hp.MatrixFormat.kColwise),
                             int(hp.ObjSense.kMinimize), 0.0,
                             np.concatenate([model.cost[kept], spread.T @ model.cost[columns]]),
                             np.concatenate([lower[kept], np.zeros(buckets)]),
                             np.concatenate([upper[kept], np.ones(buckets)]),
                             model.row_lower - shift, model.row_upper - shift,
                             narrow.indptr.astype(np.int32), narrow.indices.astype(np.int32), narrow.data,
                             np.zeros(narrow.shape[1], np.int32))
        self.model, self.columns, self.kept, self.bucket, self.width = model, columns, kept, bucket, width
        self.binary_at = np.searchsorted(kept, model.binary).astype(np.int32)   # binaries are kept

    def point(self, fixed: dict[int, float], time_left: float) -> Point | LpState | None:
        model, columns = self.model, self.columns
        lower, upper = model.lower.copy(), model.upper.copy()
        if fixed:
            keys = np.fromiter(fixed.keys(), dtype=np.int64)
            lower[keys] = upper[keys] = np.fromiter(fixed.values(), dtype=float)
        b = model.binary
        self.highs.changeColsBounds(len(b), self.binary_at, lower[b], upper[b])
        self.highs.clearSolver()
        set_time_limit(self.highs, time_left)
        self.highs.run()
        status = self.highs.getModelStatus()
        if status == hp.HighsModelStatus.kInfeasible:
            # The narrow program's Farkas ray may prove the whole one infeasible too: y with
            # max yᵀAx over the whole box short of min yᵀr over the row bounds.
            _, has_ray, ray = self.highs.getDualRay()
            if has_ray and proves_infeasible(model.A, np.asarray(ray), lower, upper, model.row_lower,
                                             model.row_upper):
                return LpState.INFEASIBLE
        if status != hp.HighsModelStatus.kOptimal:
            return None
        solution = self.highs.getSolution()
        value = np.asarray(solution.col_value)
        x = np.empty(model.n)
        x[self.kept] = value[:len(self.kept)]
        x[columns] = lower[columns] + np.clip(value[len(self.kept):], 0.0, 1.0)[self.bucket] * self.width
        reduced_cost = model.cost - model.A.T @ np.asarray(solution.row_dual)
        value = self.highs.getInfo().objective_function_value + model.offset
        # The narrow program's duals price every column: its own are optimal there, and a
        # summed lot whose reduced cost asks for its other bound could lower the objective by
        # at most |rc| times its distance to that bound (the same duals' Lagrangian bound).
        rc, at = reduced_cost[columns], x[columns]
        slack = np.maximum(rc * (at - lower[columns]), rc * (at - upper[columns]))
        return Point(x, reduced_cost, value, value - float(np.sum(np.maximum(slack, 0.0))))
