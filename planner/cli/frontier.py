"""``planner frontier HOUSEHOLD --out DIR``: tax cost versus drift over the drift penalty."""
from __future__ import annotations

import argparse
from .options import add_settings_arguments, household_from_args


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("household")
    parser.add_argument("--out", required=True)
    parser.add_argument("--penalties", help="comma-separated drift penalties, bp per pp")
    add_settings_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from .. import io
    from ..charts import frontier_chart
    from ..frontier import frontier, parse_penalties
    household = household_from_args(args)
    penalties = parse_penalties(args.penalties)
    out = io.check_out(args.out, ("frontier.csv", "frontier.png"))     # before the solves
    table = frontier(household, penalties)
    io.write_all(out, {   # both or neither
        "frontier.csv": lambda f: f.write(table.to_csv(index=False).encode()),
        "frontier.png": lambda f: frontier_chart(table.dropna(subset=["tax_cost"]), f,
                                                 title=f"Tax cost versus drift: {household.name}")})
    print(table.to_string(index=False, float_format=lambda x: f"{x:,.4f}"))
    print(f"\nwrote {out / 'frontier.csv'}, {out / 'frontier.png'}")
    return 0
