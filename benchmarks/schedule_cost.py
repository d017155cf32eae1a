"""Solve-time cost of schedule mode (SPEC §2b) against flat rates, at 1e3, 1e4, 1e5 lots.

    .venv/bin/python benchmarks/schedule_cost.py                  # 1e3, 1e4, 1e5
    .venv/bin/python benchmarks/schedule_cost.py --sizes 1e3,1e4 --repeat 3

For each size one synthetic household (models.synthetic, seeded) is planned three ways, each
in a fresh Python process so times are its own: flat rates (the household's), and schedule
mode: 2026 married filing jointly with 90,000 of income (the possible gains straddle the 0%
top and the NIIT threshold), 2025 single with 30,000 (short-term gains can also push the
ordinary part across the 0% top: the kink binaries too), and 2026 joint with 900,000 (every
gain at 20% + NIIT: the stack is linear, fewest binaries).
Build (PlanProblem) and solve times, binaries and the branch-and-bound nodes are printed and
written to benchmarks/results/schedule_cost.csv; the best of --repeat runs is kept.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
MODES = {
    "flat": {},
    "schedule, income 90k": dict(schedule=2026, filing_status="married_joint", ordinary_income=90_000,
                                 qualified_dividends=10_000, other_investment_income=5_000,
                                 state_rate=0.05),
    "schedule single, 30k": dict(schedule=2025, filing_status="single", ordinary_income=30_000,
                                 qualified_dividends=2_000, other_investment_income=1_000),
    "schedule, income 900k": dict(schedule=2026, filing_status="married_joint",
                                  ordinary_income=900_000, qualified_dividends=10_000,
                                  other_investment_income=5_000, state_rate=0.05),
}

CHILD = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
from models import FilingStatus, load_household
from planner.optimizer import PlanProblem
folder, changes = sys.argv[2], json.loads(sys.argv[3])
h = load_household(folder)
if changes:
    changes["filing_status"] = FilingStatus(changes["filing_status"])
    h = h.with_tax(**changes)
t0 = time.perf_counter()
problem = PlanProblem(h)
t1 = time.perf_counter()
result = problem.solve()
t2 = time.perf_counter()
size = problem.size()
print(json.dumps({"build_s": t1 - t0, "solve_s": t2 - t1, "status": result.status.value,
                  "binaries": size.get("binaries", 0), "nodes": result.nodes,
                  "method": result.method, "objective": float(problem.problem.value)}))
"""


def household(lots: int, folder: Path) -> Path:
    sys.path.insert(0, str(ROOT))
    from models.synthetic import SyntheticSpec, generate_household
    return generate_household(SyntheticSpec(lots=lots, seed=7), folder / f"h{lots}")


def run(folder: Path, changes: dict) -> dict:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    out = subprocess.run([sys.executable, "-c", CHILD, str(ROOT), str(folder), json.dumps(changes)],
                         capture_output=True, text=True, env=env, timeout=3600)
    if out.returncode:
        raise RuntimeError(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1e3,1e4,1e5")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in [int(float(s)) for s in args.sizes.split(",")]:
            folder = household(size, Path(tmp))
            for mode, changes in MODES.items():
                runs = [run(folder, dict(changes)) for _ in range(args.repeat)]
                best = min(runs, key=lambda r: r["build_s"] + r["solve_s"])
                rows.append({"lots": size, "mode": mode, **best})
                print(f"{size:>7} lots  {mode:<22} build {best['build_s']:7.2f} s  solve "
                      f"{best['solve_s']:7.2f} s  {best['binaries']:>3} binaries  "
                      f"{best['nodes']:>4} nodes  {best['status']}", flush=True)
    RESULTS.mkdir(exist_ok=True)
    with open(RESULTS / "schedule_cost.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {RESULTS / 'schedule_cost.csv'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
