"""``planner frontier HOUSEHOLD --out DIR``: tax cost versus drift over the drift penalty."""
from __future__ import annotations

import argparse
from .options import add_frontier_arguments, household_from_args
from .startup import import_solver


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_frontier_arguments(parser, "frontier.csv and frontier.png")


def run(args: argparse.Namespace) -> int:
    import_solver(getattr(args, "own_process", False))
    from .. import io
    from ..charts import frontier_chart
    from ..frontier import frontier, parse_penalties
    from ..numbers import round_money_columns
    from ..progress import progress
    from ..report import people_table
    household = household_from_args(args)
    penalties = parse_penalties(args.penalties)
    out = io.check_out(args.out, ("frontier.csv", "frontier.png"))     # before the solves
    with progress("tracing the frontier"):
        table = frontier(household, penalties)
    money = ("tax_cost", "trading_cost", "turnover", "gap")
    text = round_money_columns(table, money).to_csv(index=False, float_format="%.10g")
    io.write_all(out, {   # both or neither
        "frontier.csv": lambda f: f.write(text.encode()),
        "frontier.png": lambda f: frontier_chart(table.dropna(subset=["tax_cost"]), f,
                                                 title=f"Tax cost versus drift: {household.name}")})
    shown = table.assign(seconds=[f"{x:.2f}" if x == x else "" for x in table["seconds"]]) \
        if "seconds" in table else table
    print(people_table(shown, money_columns=money, weight_columns=("drift_before", "drift_after")))
    print(f"\nwrote {out / 'frontier.csv'}, {out / 'frontier.png'}")
    return 0
