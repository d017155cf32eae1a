"""``planner compare HOUSEHOLD --out DIR``: heuristics versus the optimizer (:mod:`planner.compare`):
compare.csv, compare.png and each strategy's ``<strategy>_trades.csv``."""
from __future__ import annotations

import argparse
import pandas as pd

from .options import add_frontier_arguments, household_from_args
from .startup import import_solver


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_frontier_arguments(parser, "compare.csv, compare.png and each strategy's trade list")


def run(args: argparse.Namespace) -> int:
    import_solver(getattr(args, "own_process", False))
    from models.trades import PLAN_TRADE_COLUMNS

    from ..charts import frontier_chart
    from ..compare import chart_points, run_strategies, table
    from ..frontier import frontier, parse_penalties
    from .. import io
    from ..numbers import round_money_columns
    from ..progress import progress
    from ..report import people_table
    from ..result import MONEY_COLUMNS
    household = household_from_args(args)
    penalties = parse_penalties(args.penalties)
    out = io.check_out(args.out, ("compare.csv", "compare.png"))      # before the solves
    with progress("running the heuristics and the optimizer"):
        results = run_strategies(household)
    frame = table(results)
    with progress("tracing the frontier"):
        curve = frontier(household, penalties)
    if "tax_cost" not in curve:
        curve = pd.DataFrame({"drift_after": pd.Series([], dtype=float),
                              "tax_cost": pd.Series([], dtype=float)})
    money = ("tax_cost", "turnover")
    compared = round_money_columns(frame, money).to_csv(index=False, float_format="%.10g")
    files = {
        "compare.csv": lambda f: f.write(compared.encode()),
        "compare.png": lambda f: frontier_chart(
            curve.dropna(subset=["tax_cost"]), f, points=chart_points(frame),
            title=f"Tax cost versus drift: heuristics and the optimizer, {household.name}")}
    for r in results:          # each strategy's trade list, to read or to evaluate again
        if r.trades is not None:
            columns = [c for c in PLAN_TRADE_COLUMNS if c in r.trades]
            text = round_money_columns(r.trades[columns], MONEY_COLUMNS).to_csv(index=False, float_format="%.10g")
            files[f"{r.strategy}_trades.csv"] = lambda f, text=text: f.write(text.encode())
    io.write_all(out, files)   # all or none
    written = [out / name for name in files]
    print(people_table(frame, money_columns=money, weight_columns=("drift_before", "drift_after")))
    for r in results:
        if r.error:
            print(f"\n{r.strategy}: no plan: {r.error}")
    print("\nwrote " + ", ".join(str(p) for p in written))
    return 0
