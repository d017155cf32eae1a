"""``planner orders HOUSEHOLD --plan DIR``: orders.csv for a trading desk from a saved plan
(:mod:`planner.orders`)."""
from __future__ import annotations

import argparse
from pathlib import Path

from models.errors import InputError
from models.loading import load_household

from .options import add_order_arguments, write_plan_orders


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("household", help="household folder (SPEC §1)")
    parser.add_argument("--plan", required=True, help="plan folder holding trades.csv")
    add_order_arguments(parser)


def run(args: argparse.Namespace) -> int:
    import pandas as pd

    from ..html_report import household_as_planned, read_plan
    folder = Path(args.plan)
    if not (folder / "trades.csv").is_file():
        raise InputError("trades.csv", f"missing from {folder}; run `planner plan` first")
    household = load_household(args.household)
    if (folder / "summary.json").is_file():      # the settings the plan was made with
        household = household_as_planned(household, read_plan(folder)[0])
    trades = pd.read_csv(folder / "trades.csv", dtype={"lot_id": str, "account_id": str, "symbol": str})
    print(f"wrote {write_plan_orders(household, trades, folder, args)}")
    return 0
