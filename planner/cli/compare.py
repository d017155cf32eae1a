"""``planner compare HOUSEHOLD --out DIR``: heuristics versus the optimizer (:mod:`planner.compare`)."""
from __future__ import annotations

import argparse
import pandas as pd

from .options import add_settings_arguments, household_from_args


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("household", help="household folder (SPEC §1)")
    parser.add_argument("--out", required=True, help="folder for compare.csv and compare.png")
    parser.add_argument("--penalties", help="drift penalties of the frontier, bp per pp, comma-separated")
    add_settings_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from ..charts import frontier_chart
    from ..compare import chart_points, run_strategies, table
    from ..frontier import frontier, parse_penalties
    from .. import io
    household = household_from_args(args)
    penalties = parse_penalties(args.penalties)
    out = io.check_out(args.out, ("compare.csv", "compare.png"))      # before the solves
    results = run_strategies(household)
    frame = table(results)
    curve = frontier(household, penalties)
    if "tax_cost" not in curve:
        curve = pd.DataFrame({"drift_after": pd.Series([], dtype=float),
                              "tax_cost": pd.Series([], dtype=float)})
    io.write_all(out, {   # both or neither
        "compare.csv": lambda f: f.write(frame.to_csv(index=False, float_format="%.10g").encode()),
        "compare.png": lambda f: frontier_chart(
            curve.dropna(subset=["tax_cost"]), f, points=chart_points(frame),
            title=f"Tax cost versus drift: heuristics and the optimizer, {household.name}")})
    print(frame.to_string(index=False, float_format=lambda x: f"{x:,.4f}"))
    for r in results:
        if r.error:
            print(f"\n{r.strategy}: no plan: {r.error}")
    print(f"\nwrote {out / 'compare.csv'}, {out / 'compare.png'}")
    return 0
