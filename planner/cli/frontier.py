"""``planner frontier HOUSEHOLD --out DIR``: tax cost versus drift over the drift penalty."""
from __future__ import annotations

import argparse
from pathlib import Path

from .options import add_settings_arguments, household_from_args


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("household")
    parser.add_argument("--out", required=True)
    parser.add_argument("--penalties", help="comma-separated drift penalties, bp per pp")
    add_settings_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from ..charts import frontier_chart
    from ..frontier import frontier, parse_penalties
    household = household_from_args(args)
    table = frontier(household, parse_penalties(args.penalties))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "frontier.csv", index=False)
    frontier_chart(table.dropna(subset=["tax_cost"]), out / "frontier.png",
                   title=f"Tax cost versus drift: {household.name}")
    print(table.to_string(index=False, float_format=lambda x: f"{x:,.4f}"))
    print(f"\nwrote {out / 'frontier.csv'}, {out / 'frontier.png'}")
    return 0
