"""``planner plan HOUSEHOLD --out DIR [--report]``: the optimal trade list, summary, orders and
allocation chart, and with ``--report`` the client's report.html."""
from __future__ import annotations

import argparse
import gc
import json
import shlex
import sys

from models.ledger import collector_paused

from .drawing import Drawer, drawer
from .options import (add_order_arguments, add_settings_arguments, households_from_args,
                      plan_orders_writer, set_words)
from .startup import import_solver


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("household")
    parser.add_argument("--out", required=True, help="folder for trades.csv, summary.json, allocation.png")
    parser.add_argument("--format", choices=["table", "json"], default="table")
    parser.add_argument("--report", action="store_true", help="also write report.html for the client")
    add_settings_arguments(parser)
    add_order_arguments(parser)


FILES = ("trades.csv", "summary.json", "allocation.png", "orders.csv", "report.html")


def run(args: argparse.Namespace) -> int:
    own_process = getattr(args, "own_process", False)
    charts = drawer(own_process)   # first: matplotlib loads beside the solver's imports
    if own_process:
        # The process ends with the command, and what it makes holds few cycles: no collector
        # (the peak is the same at 1e6 lots; its passes were 0.07 s at h1e5a8, 0.18 s at 1e6).
        # Called as a function, in someone else's process, the command pauses it over the
        # imports only and freezes their objects (cvxpy, scipy: ~400,000, never walked again:
        # 0.3-0.5 s at h1e5a8), thawed when it ends unless the caller had frozen objects.
        gc.disable()
    try:
        with collector_paused():
            import_solver(own_process)
            from .. import io
            from ..optimizer import plan
            from ..progress import progress
            from ..report import plan_text
            freeze = gc.get_freeze_count() == 0
            if freeze:
                gc.freeze()
        try:
            return _run(args, charts, io, plan, progress, plan_text)
        finally:
            if freeze:
                gc.unfreeze()
    finally:
        charts.close()


def _run(args: argparse.Namespace, charts: Drawer, io, plan, progress, plan_text) -> int:
    base, household = households_from_args(args)
    out = io.check_out(args.out, FILES)          # before the solve, not after
    with progress(f"planning {household.name}"):
        result = plan(household)
    again = set_words(base.settings, household.settings)
    # The summary's records and the files' text are many objects and no cycles: the collector
    # paused while they are made and written (its passes were 1-2 CPU s of the write at 1e6)
    with collector_paused():
        summary = {**result.summary(), "evaluate_set": again,
                   "evaluate_command": " ".join(["planner evaluate", shlex.quote(str(args.household)),
                                                 "--trades", shlex.quote(str(out / "trades.csv")),
                                                 *[f"--set {shlex.quote(w)}" for w in again]])}
        chart = charts.allocation(summary["drift"], f"Allocation of {household.name}")
        files = result.files(summary)
        files["orders.csv"] = plan_orders_writer(household, result.trades, args)
        files["allocation.png"] = chart               # drawn meanwhile: written last
        io.write_all(out, files)                      # all four or none
    written = [out / name for name in FILES if name in files]
    if args.report:
        from ..html_report import write_report
        with progress("writing report.html (the guide's rules run for the comparison)"):
            written.append(write_report(household, out))
    if args.format == "json":
        json.dump(summary, sys.stdout, indent=2, default=str)
        print()
    else:
        print(plan_text(result, trades_file=str(out / "trades.csv"),
                        summary_file=str(out / "summary.json")))
        print("\nwrote " + ", ".join(str(p) for p in written))
    return 0
