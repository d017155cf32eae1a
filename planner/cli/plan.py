"""``planner plan HOUSEHOLD --out DIR [--report]``: the optimal trade list, summary, orders and
allocation chart, and with ``--report`` the client's report.html."""
from __future__ import annotations

import argparse
import json
import sys

from .options import add_order_arguments, add_settings_arguments, household_from_args, write_plan_orders


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("household")
    parser.add_argument("--out", required=True, help="folder for trades.csv, summary.json, allocation.png")
    parser.add_argument("--format", choices=["table", "json"], default="table")
    parser.add_argument("--report", action="store_true", help="also write report.html for the client")
    add_settings_arguments(parser)
    add_order_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from ..charts import allocation_chart
    from ..optimizer import plan
    from ..progress import progress
    from ..report import plan_text
    household = household_from_args(args)
    with progress(f"planning {household.name}"):
        result = plan(household)
    out = result.write(args.out)
    allocation_chart(result.summary()["drift"], out / "allocation.png", f"Allocation of {household.name}")
    written = [out / "trades.csv", out / "summary.json", out / "allocation.png",
               write_plan_orders(household, result.trades, out, args)]
    if args.report:
        from ..html_report import write_report
        with progress("writing report.html (the guide's rules run for the comparison)"):
            written.append(write_report(household, out))
    if args.format == "json":
        json.dump(result.summary(), sys.stdout, indent=2, default=str)
        print()
    else:
        print(plan_text(result))
        print("\nwrote " + ", ".join(str(p) for p in written))
    return 0
