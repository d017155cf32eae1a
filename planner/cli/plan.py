"""``planner plan HOUSEHOLD --out DIR``: the optimal trade list, summary and allocation chart."""
from __future__ import annotations

import argparse
import json
import sys

from .options import add_settings_arguments, household_from_args


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("household")
    parser.add_argument("--out", required=True, help="folder for trades.csv, summary.json, allocation.png")
    parser.add_argument("--format", choices=["table", "json"], default="table")
    add_settings_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from ..charts import allocation_chart
    from ..optimizer import plan
    from ..report import plan_text
    household = household_from_args(args)
    result = plan(household)
    out = result.write(args.out)
    allocation_chart(result.summary()["drift"], out / "allocation.png", f"Allocation of {household.name}")
    if args.format == "json":
        json.dump(result.summary(), sys.stdout, indent=2, default=str)
        print()
    else:
        print(plan_text(result))
        print(f"\nwrote {out / 'trades.csv'}, {out / 'summary.json'}, {out / 'allocation.png'}")
    return 0
