"""Batch throughput: runs per minute on 1,000-lot households, cold versus warm, sequential
versus the local pool (and, with --dask, a Dask LocalCluster).

    .venv/bin/python benchmarks/batch_throughput.py [--lots 1000] [--households 4] [--dask]

Every mode runs the same grid into a fresh results folder through ``run_batch``, so the wall
time includes everything a user waits for: planning the runs, starting workers, loading
households, building and solving, evaluating, storing each run. Cold rebuilds the program for
every run (``reuse=False``); warm changes only its Parameters (tax rates, drift penalty) between
the runs of a task. The scenarios change rates and the drift penalty only, so warm builds
once per task.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from models.synthetic import SyntheticSpec, generate_household  # noqa: E402
from planner.batch import Grid, run_batch  # noqa: E402

VARY = {"tax.short_term_rate": [0.24, 0.32, 0.35, 0.37], "tax.long_term_rate": [0.15, 0.2, 0.238],
        "plan.drift_penalty_bp": [1.0, 10.0]}


def measure(grid: Grid, out: Path, **options) -> tuple[float, object]:
    start = time.perf_counter()
    runs = run_batch(grid, out, progress=False, charts=False, **options)
    return time.perf_counter() - start, runs


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lots", type=int, default=1000)
    parser.add_argument("--households", type=int, default=4)
    parser.add_argument("--chunk-size", type=int, default=12)
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    parser.add_argument("--dask", action="store_true", help="also a Dask LocalCluster (warm)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="batch-bench-") as tmp:
        root = Path(tmp)
        names = []
        for k in range(args.households):
            name = f"h{k}"
            generate_household(SyntheticSpec(lots=args.lots, seed=100 + k), root / name)
            names.append(name)
        grid = Grid(households=tuple(names), vary=VARY, base=str(root), chunk_size=args.chunk_size)
        n_runs = len(names) * len(grid.scenarios())
        modes = [("sequential", "cold", {"workers": 1, "reuse": False}),
                 ("sequential", "warm", {"workers": 1, "reuse": True}),
                 (f"pool ({args.workers})", "cold", {"workers": args.workers, "reuse": False}),
                 (f"pool ({args.workers})", "warm", {"workers": args.workers, "reuse": True})]
        if args.dask:
            modes.append((f"dask local ({args.workers})", "warm",
                          {"dask_local": args.workers, "reuse": True}))
        print(f"{len(names)} households x {len(grid.scenarios())} scenarios = {n_runs} runs, "
              f"{args.lots:,} lots each, {args.chunk_size} runs per task, {os.cpu_count()} cores, "
              f"load average {os.getloadavg()[0]:.1f} at the start")
        rows, results = [], {}
        for where, how, options in modes:
            seconds, runs = measure(grid, root / f"out-{len(rows)}", **options)
            assert len(runs) == n_runs and (runs["status"] == "optimal").all(), runs["status"].value_counts()
            results[(where, how)] = runs
            per_run = runs["build_seconds"] + runs["solve_seconds"]
            rows.append((where, how, seconds, 60.0 * n_runs / seconds, int(runs["rebuilt"].sum()),
                         float(np.median(per_run)), float(runs["seconds"].sum()),
                         float(runs["cpu_seconds"].sum())))

        base = rows[0][3]
        print()
        print(f"{'executor':<18} {'program':<7} {'wall s':>7} {'runs/min':>9} {'vs seq cold':>11} "
              f"{'builds':>6} {'median build+solve s':>21} {'run s (sum)':>11} {'run CPU s':>9}")
        for where, how, seconds, rate, builds, median, total, cpu in rows:
            print(f"{where:<18} {how:<7} {seconds:>7.2f} {rate:>9.1f} {rate / base:>10.2f}x "
                  f"{builds:>6} {median:>21.3f} {total:>11.2f} {cpu:>9.2f}")
        print(f"load average {os.getloadavg()[0]:.1f} at the end (other processes share the cores)")
        rate = {(w, h): r for w, h, _, r, *_ in rows}
        cpu = {(w, h): c for w, h, *_, c in rows}
        pool = f"pool ({args.workers})"
        print()
        print("ratios of runs per minute:")
        print(f"  warm / cold, sequential: {rate[('sequential', 'warm')] / rate[('sequential', 'cold')]:.2f}")
        print(f"  warm / cold, pool:       {rate[(pool, 'warm')] / rate[(pool, 'cold')]:.2f}")
        print(f"  pool / sequential, cold: {rate[(pool, 'cold')] / rate[('sequential', 'cold')]:.2f}")
        print(f"  pool / sequential, warm: {rate[(pool, 'warm')] / rate[('sequential', 'warm')]:.2f}")
        print(f"  pool warm / sequential cold: {rate[(pool, 'warm')] / rate[('sequential', 'cold')]:.2f}")
        if args.dask:
            dask = f"dask local ({args.workers})"
            print(f"  dask local / pool, warm: {rate[(dask, 'warm')] / rate[(pool, 'warm')]:.2f}")
        print(f"  CPU per run, cold / warm (sequential): "
              f"{cpu[('sequential', 'cold')] / cpu[('sequential', 'warm')]:.2f}; "
              f"CPU per run, pool / sequential (warm): {cpu[(pool, 'warm')] / cpu[('sequential', 'warm')]:.2f}"
              " (near 1: the workers do the same work; a pool's wall-clock gain needs idle cores)")
        # Same answers whichever way: warm against cold, to the solver's gap.
        cold = results[("sequential", "cold")].set_index("run_id")
        worst = 0.0
        for key, runs in results.items():
            other = runs.set_index("run_id").loc[cold.index]
            slack = np.maximum(cold["gap"].fillna(0), other["gap"].fillna(0)) + 1e-6
            worst = max(worst, float((abs(other["objective"] - cold["objective"]) - slack).max()))
        print(f"  objective differences beyond the solver gap: {max(worst, 0.0):.2e} dollars")
    return 0


if __name__ == "__main__":
    sys.exit(main())
