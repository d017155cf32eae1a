"""``planner batch GRID.toml --out RESULTS``: what-if grids, resumable (:mod:`planner.batch`)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from models.enums import SolveStatus
from models.errors import InputError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("grid", help="grid TOML: households and the settings to vary")
    parser.add_argument("--out", required=True, help="results folder (rerun to resume)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, help="local processes (default: all cores; 1: this process)")
    where.add_argument("--dask-local", type=int, metavar="N", help="start a Dask LocalCluster of N workers")
    where.add_argument("--scheduler", metavar="ADDRESS", help="a running Dask scheduler, tcp://host:8786")
    parser.add_argument("--chunk-size", type=int, help="runs per task (default 8, or the grid's [batch])")
    parser.add_argument("--no-reuse", action="store_true", help="rebuild the program for every run")
    parser.add_argument("--save-trades", action="store_true", help="write each run's trades")
    parser.add_argument("--retry-errors", action="store_true", help="rerun stored runs that ended in error")
    parser.add_argument("--no-diagnose", action="store_true", help="don't explain infeasible runs")
    parser.add_argument("--no-charts", action="store_true", help="skip the frontier charts")
    parser.add_argument("--quiet", action="store_true", help="no progress or summary on stderr")


def run(args: argparse.Namespace) -> int:
    from ..batch import RUNS_FILE, run_batch
    if args.chunk_size is not None and args.chunk_size < 1:
        raise InputError("--chunk-size", "expected a whole number of at least 1")
    for name in ("workers", "dask_local"):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            raise InputError(f"--{name.replace('_', '-')}", "expected at least 1")
    try:
        results = run_batch(args.grid, args.out, scheduler=args.scheduler, dask_local=args.dask_local,
                            workers=args.workers, progress=not args.quiet, chunk_size=args.chunk_size,
                            reuse=not args.no_reuse, save_trades=args.save_trades,
                            retry_errors=args.retry_errors, diagnose=not args.no_diagnose,
                            charts=not args.no_charts)
    except KeyboardInterrupt:
        return 130
    print(f"wrote {Path(args.out) / RUNS_FILE} ({len(results)} runs)")
    failed = results[results["status"] == SolveStatus.ERROR.value]
    if len(results) and len(failed) == len(results):    # nothing to show for it: say so, exit 1
        print(f"planner batch: {len(failed)} of {len(results)} runs failed; the first: "
              f"{failed['error'].iloc[0] or 'no message'}", file=sys.stderr)
        return 1
    return 0
