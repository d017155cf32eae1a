"""The sifted root against the cold one over many books: each plan solved twice in one process,
the root cold (``SolverOptions(root_run=0)``: HiGHS's dual simplex on the whole LP, then the
branch and bound sifted from its vertex) and sifted from an aggregated start (the planner's
default from ``sift_min_lots`` on), with the seconds and the optimum of each.

    .venv/bin/python benchmarks/sifted_root_books.py [--books v,w,h] [--limit 60]

Books (generated once, cached under benchmarks/results/households/): ``v``: five 5e5-lot books
of 13-20 accounts (seeds 20-28, even); ``w``: eight 4e5-lot books of 4-20 accounts, 3-8
classes, 10-50% of lots at a loss (seeds 40-47); ``h``: the cached 1e6 books of ``scale.py``.
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

import models  # noqa: E402
from models.synthetic import SyntheticSpec, generate_household  # noqa: E402
from planner.problem import PlanProblem  # noqa: E402
from planner.solve import SolverOptions  # noqa: E402

HOUSEHOLDS = ROOT / "benchmarks" / "results" / "households"
SPECS = {
    "v": [(f"v{s}-500000l", SyntheticSpec(lots=500_000, accounts=12 + s % 9, securities=800 + 37 * s,
                                          asset_classes=6 + s % 5, seed=s)) for s in range(20, 30, 2)],
    "w": [(f"w{s}-400000l", SyntheticSpec(lots=400_000, accounts=4 + s % 17, securities=300 + 97 * (s % 9),
                                          asset_classes=3 + s % 6, seed=s, drift=0.02 + 0.04 * (s % 6),
                                          loss_fraction=0.1 + 0.1 * (s % 5),
                                          recent_fraction=0.01 + 0.01 * (s % 4))) for s in range(40, 48)],
}


def books(kinds: list[str]) -> list[Path]:
    found = []
    for kind in kinds:
        if kind == "h":
            found += sorted(HOUSEHOLDS.glob("h1e6*"))
            continue
        for name, spec in SPECS[kind]:
            folder = HOUSEHOLDS / name
            if not (folder / ".complete").is_file():
                generate_household(spec, folder)
                (folder / ".complete").write_text(f"{spec}\n")
            found.append(folder)
    return found


def solve(h, root_run: int, limit: float) -> tuple[float, object, float]:
    problem = PlanProblem(h, solver_options=dataclasses.replace(SolverOptions(), root_run=root_run))
    started = time.perf_counter()
    report = problem.solve(time_limit_s=limit)
    value = problem.problem.value if report.status is models.SolveStatus.OPTIMAL else float("nan")
    return time.perf_counter() - started, report, value


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--books", default="v,w,h", help="kinds of book (default v,w,h)")
    parser.add_argument("--limit", type=float, default=60.0, help="time limit per solve, s")
    args = parser.parse_args(argv)
    gc.disable()
    print(f"{'book':24s} {'cold s':>7s} {'sifted s':>8s} {'ratio':>6s}  optimum (cold; sifted - cold)")
    for folder in books(args.books.split(",")):
        h = models.load_household(folder)
        cold_s, cold, cold_value = solve(h, 0, args.limit)
        sifted_s, sifted, sifted_value = solve(h, SolverOptions.root_run, args.limit)
        print(f"{folder.name[:24]:24s} {cold_s:7.2f} {sifted_s:8.2f} {cold_s / sifted_s:6.1f}  "
              f"{cold.status.value} {cold_value:,.2f}; {sifted.status.value} "
              f"{sifted_value - cold_value:+.4f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
