"""The root relaxation of each 1e6-lot book solved two ways in one process, side by side:

1. **cold**: HiGHS's dual simplex on the whole LP from scratch (~750,000 columns on ~400 rows,
   every column priced at every iteration: the planner's root before issue 16's last step, and
   still its fallback);
2. **sifted from an aggregated start** (what the planner does from ``sift_min_lots`` lots on,
   :func:`planner.solve.driver.sifted_root`): each run of ``--run`` neighbouring lots of one
   holding summed into one column (:mod:`planner.solve.aggregate`), that program's optimum
   spread back over the lots, the lots where it and its duals agree fixed at their bound, the
   rest sifted in until no fixed lot prices out.

    .venv/bin/python benchmarks/sifted_root.py [BOOK ...] [--run 8]

BOOK: a household folder (default: the cached 1e6 books of ``scale.py``). Prints, per book,
the seconds of each way, the sifted LP's rounds and working set, and the two optima.
"""
from __future__ import annotations

import argparse
import dataclasses
import gc
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")     # as `planner plan` does (planner.memory)
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

import models  # noqa: E402
from planner.problem import PlanProblem  # noqa: E402
from planner.solve.aggregate import Aggregation  # noqa: E402
from planner.solve.driver import sifted_root  # noqa: E402
from planner.solve.highs import HighsLp  # noqa: E402

HOUSEHOLDS = ROOT / "benchmarks" / "results" / "households"


def _root(problem: PlanProblem, options, sifted: bool) -> tuple[float, object, dict, int]:
    """One root on a model of its own (each compiled alike): seconds, answer, the sifted LP's
    figures, lot columns."""
    model = HighsLp(problem.problem, options)
    lots = model.columns_of_vector(problem.program.sell)
    candidates = np.concatenate([lots, model.columns_of_vector(problem.program.buy)])
    started = time.perf_counter()
    if sifted:
        aggregation = Aggregation(model, lots, problem.layout.sell_holding, options.root_run)
        answer, relax = sifted_root(model, candidates, aggregation, 600.0)
    else:
        answer, relax = model.root(time_left=600.0), None
    return time.perf_counter() - started, answer, relax.stats if relax is not None else {}, len(lots)


def measure(book: Path, run: int) -> None:
    gc.disable()
    problem = PlanProblem(models.load_household(book))
    options = dataclasses.replace(problem.options(None, None), root_run=run)
    cold_s, cold, _, lots = _root(problem, options, sifted=False)
    sifted_s, sifted, stats, _ = _root(problem, options, sifted=True)
    print(f"{book.name}: {lots:,} lot columns; cold root {cold_s:.2f} s ({cold.value:,.2f}); "
          f"sifted root (runs of {run}) {sifted_s:.2f} s: {sifted.state.value}, "
          f"{stats.get('rounds', 0)} rounds, working set {stats.get('working_set_columns', 0):,}, "
          f"{sifted.value:,.2f} ({sifted.value - cold.value:+.2f}); ratio {cold_s / sifted_s:.1f}x",
          flush=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("books", nargs="*", type=Path)
    parser.add_argument("--run", type=int, default=8, help="lots summed per column (default 8)")
    args = parser.parse_args(argv)
    books = args.books or sorted(HOUSEHOLDS.glob("h1e6*"))
    if not books:
        print("no book: run `benchmarks/run.py --sizes 1e6` first, or name a household folder")
        return 1
    for book in books:
        measure(book, args.run)
    return 0


if __name__ == "__main__":
    sys.exit(main())
