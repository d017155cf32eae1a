"""``planner evaluate HOUSEHOLD --trades FILE``: judge a trade list (no solver is loaded)."""
from __future__ import annotations

import argparse
import json
import sys

from models.trades import TradeList
from ..evaluate import evaluate
from ..report import evaluation_text
from .options import add_settings_arguments, household_from_args


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("household", help="household folder (SPEC §1)")
    parser.add_argument("--trades", required=True, help="trade list CSV (SPEC §4)")
    parser.add_argument("--format", choices=["json", "table"], default="json")
    parser.add_argument("--no-lots", action="store_true", help="leave the holdings after out of the JSON")
    add_settings_arguments(parser)   # judge by a plan's own settings: its summary.json's evaluate_set


def run(args: argparse.Namespace) -> int:
    household = household_from_args(args)
    trades = TradeList.read_csv(args.trades, household.as_of)
    result = evaluate(household, trades).to_dict(include_lots=not args.no_lots)
    if args.format == "table":
        print(evaluation_text(result))
    else:
        json.dump(result, sys.stdout, indent=2)
        print()
    return 0
