"""The root relaxation of a 1e6-lot book solved two ways in one process, for the next step of
issue 16 (not in the planner: the branch and bound after such a root is not yet settled).

1. **cold**: HiGHS's dual simplex on the whole LP from scratch (what ``planner`` does today;
   ~750,000 columns on ~400 rows, every column priced at every iteration);
2. **sifted from an aggregated start**: each run of ``--run`` neighbouring lots of one holding
   (the layout orders a holding's lots by gain per dollar) becomes one column "sell this share
   of every lot of the run", a program a few times narrower whose solutions are solutions of
   the whole one. Its optimum, spread back over the lots, is a feasible point; the lots where it
   and its row duals agree are fixed at their bound, the rest (and every non-lot column) form
   a working set that HiGHS solves; every column is priced with the working set's duals, each
   one that prices out joins the set (none is moved to its other bound: from a point that is
   not a vertex, tens of thousands move at once, and moving them overshoots into Farkas steps),
   until none does, at reduced costs within ``--tolerance`` (1e-7 left h1e6s6's root $19.50
   above the cold one's; 1e-9 matches it).

    .venv/bin/python benchmarks/sifted_root.py [BOOK ...] [--run 8] [--tolerance 1e-9]

BOOK: a household folder (default: the cached 1e6 books of ``scale.py``). Prints, per book,
the seconds of each way, the rounds, the working set and the two optima.
"""
from __future__ import annotations

import argparse
import gc
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")     # as `planner plan` does (planner.memory)
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import highspy as hp  # noqa: E402
import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402

import models  # noqa: E402
from planner.problem import PlanProblem  # noqa: E402
from planner.solve.highs import HighsLp, new_highs  # noqa: E402

HOUSEHOLDS = ROOT / "benchmarks" / "results" / "households"


def highs_lp(matrix: sp.csc_matrix, cost, lower, upper, row_lower, row_upper) -> hp.Highs:
    highs = new_highs({"presolve": "off"})
    highs.passModel(matrix.shape[1], matrix.shape[0], matrix.nnz, int(hp.MatrixFormat.kColwise),
                    int(hp.ObjSense.kMinimize), 0.0, cost, lower, upper, row_lower, row_upper,
                    matrix.indptr.astype(np.int32), matrix.indices.astype(np.int32), matrix.data,
                    np.zeros(matrix.shape[1], np.int32))
    return highs


def aggregated_start(model: HighsLp, lots: np.ndarray, holding: np.ndarray, run: int):
    """A feasible point of the whole LP and every column's reduced cost, from the LP with each
    run of ``run`` neighbouring lot columns of one holding summed (None: no optimum)."""
    lower, upper, A = model.lower, model.upper, model.A
    summed = (upper[lots] > lower[lots]) & np.isfinite(upper[lots]) & np.isfinite(lower[lots])
    columns, labels = lots[summed], holding[summed]
    new_run = np.r_[True, labels[1:] != labels[:-1]]
    place = np.arange(len(columns)) - np.flatnonzero(new_run)[np.cumsum(new_run) - 1]
    bucket = np.cumsum(new_run | (place % run == 0)) - 1
    buckets = int(bucket[-1]) + 1
    width = upper[columns] - lower[columns]
    spread = sp.csc_matrix((width, (np.arange(len(columns)), bucket)), shape=(len(columns), buckets))
    kept = np.ones(A.shape[1], bool)      # a mask: np.setdiff1d hashes (numpy 2.4: 0.5 s here)
    kept[columns] = False
    kept = np.flatnonzero(kept)
    part = A[:, columns]
    shift = part @ lower[columns]
    highs = highs_lp(sp.hstack([A[:, kept], (part @ spread).tocsc()], format="csc"),
                     np.concatenate([model.cost[kept], spread.T @ model.cost[columns]]),
                     np.concatenate([lower[kept], np.zeros(buckets)]),
                     np.concatenate([upper[kept], np.ones(buckets)]),
                     model.row_lower - shift, model.row_upper - shift)
    highs.run()
    if highs.getModelStatus() != hp.HighsModelStatus.kOptimal:
        return None, buckets
    solution = highs.getSolution()
    value = np.asarray(solution.col_value)
    x = np.empty(A.shape[1])
    x[kept] = value[:len(kept)]
    x[columns] = lower[columns] + np.clip(value[len(kept):], 0.0, 1.0)[bucket] * width
    return (x, model.cost - A.T @ np.asarray(solution.row_dual)), buckets


def sifted_root(model: HighsLp, start, movable_columns: np.ndarray, tolerance: float,
                near: int = 4000, max_rounds: int = 20) -> dict:
    """Sift the whole LP from ``start`` = (x, reduced cost); its optimum, rounds and set."""
    x, rc = start
    A, cost, lower, upper = model.A, model.cost, model.lower, model.upper
    n = A.shape[1]
    movable = np.zeros(n, bool)
    movable[movable_columns] = True
    movable &= (upper > lower) & np.isfinite(upper) & np.isfinite(lower)
    scale = np.maximum(1.0, np.abs(np.where(movable, upper, 0.0)))
    at_lower = movable & (x <= lower + 1e-9 * scale) & (rc >= -1e-7)
    at_upper = movable & (x >= upper - 1e-9 * scale) & (rc <= 1e-7)
    active = ~(at_lower | at_upper)
    fixed = np.flatnonzero(~active)
    active[fixed[np.argsort(np.abs(rc[fixed]), kind="stable")[:near]]] = True
    at_lower &= ~active
    at_upper &= ~active
    AT = A.T.tocsr()
    for rounds in range(1, max_rounds + 1):
        cols = np.flatnonzero(active)
        fixed_x = np.where(at_upper, upper, np.where(at_lower, lower, 0.0))
        shift = A @ fixed_x
        highs = highs_lp(A[:, cols], cost[cols], lower[cols], upper[cols],
                         model.row_lower - shift, model.row_upper - shift)
        highs.run()
        if highs.getModelStatus() != hp.HighsModelStatus.kOptimal:
            return {"state": highs.modelStatusToString(highs.getModelStatus()), "rounds": rounds,
                    "working_set": len(cols)}
        rc = cost - AT @ np.asarray(highs.getSolution().row_dual)
        wrong = (at_lower & (rc < -tolerance)) | (at_upper & (rc > tolerance))
        if not wrong.any():
            fixed_x[cols] = np.asarray(highs.getSolution().col_value)
            return {"state": "optimal", "rounds": rounds, "working_set": len(cols),
                    "objective": float(cost @ fixed_x) + model.offset}
        active |= wrong
        at_lower &= ~wrong
        at_upper &= ~wrong
    return {"state": "not settled", "rounds": max_rounds, "working_set": int(active.sum())}


def measure(book: Path, run: int, tolerance: float) -> None:
    gc.disable()
    h = models.load_household(book)
    problem = PlanProblem(h)
    model = HighsLp(problem.problem, problem.options(None, None))
    lots = model.columns_of_vector(problem.program.sell)
    buys = model.columns_of_vector(problem.program.buy)
    layout = problem.layout
    holding = layout.sell_account * len(h.securities) + layout.sell_security
    started = time.perf_counter()
    cold = model.root(time_left=600.0)
    cold_s = time.perf_counter() - started
    started = time.perf_counter()
    start, buckets = aggregated_start(model, lots, holding, run)
    aggregated_s = time.perf_counter() - started
    out = sifted_root(model, start, np.concatenate([lots, buys]), tolerance) if start else {"state": "no start"}
    sifted_s = time.perf_counter() - started
    print(f"{book.name}: {model.n:,} columns, {model.A.shape[0]} rows; cold root {cold_s:.2f} s "
          f"({cold.value:,.2f}); aggregated start ({buckets:,} runs of {run}) {aggregated_s:.2f} s, "
          f"sifted root {sifted_s:.2f} s in all: {out['state']}, {out['rounds']} rounds, working set "
          f"{out['working_set']:,}" + (f", {out['objective']:,.2f} ({out['objective'] - cold.value:+.2f})"
                                       if "objective" in out else ""), flush=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("books", nargs="*", type=Path)
    parser.add_argument("--run", type=int, default=8, help="lots summed per column (default 8)")
    parser.add_argument("--tolerance", type=float, default=1e-9,
                        help="reduced cost below which a fixed lot stays (default 1e-9)")
    args = parser.parse_args(argv)
    books = args.books or sorted(HOUSEHOLDS.glob("h1e6*"))
    if not books:
        print("no book: run `benchmarks/run.py --sizes 1e6` first, or name a household folder")
        return 1
    for book in books:
        measure(book, args.run, args.tolerance)
    return 0


if __name__ == "__main__":
    sys.exit(main())
