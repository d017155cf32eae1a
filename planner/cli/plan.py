"""``planner plan HOUSEHOLD --out DIR``: the optimal trade list, summary and allocation chart."""
from __future__ import annotations

import argparse
import json
import shlex
import sys

from .options import add_settings_arguments, households_from_args, set_words


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("household")
    parser.add_argument("--out", required=True, help="folder for trades.csv, summary.json, allocation.png")
    parser.add_argument("--format", choices=["table", "json"], default="table")
    add_settings_arguments(parser)


FILES = ("trades.csv", "summary.json", "allocation.png")


def run(args: argparse.Namespace) -> int:
    from .. import io
    from ..charts import allocation_chart
    from ..optimizer import plan
    from ..report import plan_text
    base, household = households_from_args(args)
    out = io.check_out(args.out, FILES)          # before the solve, not after
    result = plan(household)
    again = set_words(base.settings, household.settings)
    summary = {**result.summary(), "evaluate_set": again,
               "evaluate_command": " ".join(["planner evaluate", shlex.quote(str(args.household)),
                                             "--trades", shlex.quote(str(out / "trades.csv")),
                                             *[f"--set {shlex.quote(w)}" for w in again]])}
    files = result.files(summary)
    files["allocation.png"] = lambda f: allocation_chart(summary["drift"], f, f"Allocation of {household.name}")
    io.write_all(out, files)                      # all three or none
    if args.format == "json":
        json.dump(summary, sys.stdout, indent=2, default=str)
        print()
    else:
        print(plan_text(result))
        print(f"\nwrote {out / 'trades.csv'}, {out / 'summary.json'}, {out / 'allocation.png'}")
    return 0
