"""The command line: parse, call the library, format. ``main(argv) -> exit status``."""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from ._models import models
from .report import evaluation_text


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="planner", description="Tax-aware trade planner.")
    commands = parser.add_subparsers(dest="command", required=True)
    ev = commands.add_parser("evaluate", help="judge a trade list on a household (JSON)")
    ev.add_argument("household", help="household folder (SPEC §1)")
    ev.add_argument("--trades", required=True, help="trade list CSV (SPEC §4)")
    ev.add_argument("--format", choices=["json", "table"], default="json")
    ev.add_argument("--no-lots", action="store_true", help="leave the holdings after out of the JSON")
    return parser


def _evaluate(args) -> int:
    from .evaluate import evaluate
    household = models.load_household(args.household)
    trades = models.trades.TradeList.read_csv(args.trades, household.as_of)
    result = evaluate(household, trades).to_dict(include_lots=not args.no_lots)
    if args.format == "table":
        print(evaluation_text(result))
    else:
        json.dump(result, sys.stdout, indent=2)
        print()
    return 0


COMMANDS = {"evaluate": _evaluate}


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except models.PlannerError as error:
        print(f"planner: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
