"""``planner evaluate HOUSEHOLD --trades FILE``: judge a trade list (no solver is loaded)."""
from __future__ import annotations

import argparse
import json
import sys

from models.trades import TradeList
from models.loading import load_household
from ..evaluate import evaluate
from ..report import evaluation_text


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("household", help="household folder (SPEC §1)")
    parser.add_argument("--trades", required=True, help="trade list CSV (SPEC §4)")
    parser.add_argument("--format", choices=["json", "table"], default="json")
    parser.add_argument("--no-lots", action="store_true", help="leave the holdings after out of the JSON")


def run(args: argparse.Namespace) -> int:
    household = load_household(args.household)
    trades = TradeList.read_csv(args.trades, household.as_of)
    result = evaluate(household, trades).to_dict(include_lots=not args.no_lots)
    if args.format == "table":
        print(evaluation_text(result))
    else:
        json.dump(result, sys.stdout, indent=2)
        print()
    return 0
