"""The command line: parse, call the library, format. ``main(argv) -> exit status``.

    planner evaluate HOUSEHOLD --trades FILE [--format json|table]
    planner plan HOUSEHOLD --out DIR [--set key=value ...]
    planner frontier HOUSEHOLD --out DIR
    planner compare HOUSEHOLD --out DIR
    planner batch GRID.toml --out RESULTS
    planner backtest HOUSEHOLD --out DIR [--years 10 --paths 100 --every quarter]
    planner generate FOLDER --lots N [--seed S]
"""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from ._models import models
from .report import evaluation_text


def add_settings_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a [plan] setting, e.g. --set band=0.03 --set partial=0.5")
    parser.add_argument("--band", type=float, help="absolute band around each class target")
    parser.add_argument("--partial", type=float, help="fraction of each out-of-band gap to close")
    parser.add_argument("--drift-penalty-bp", type=float, help="bp of household value per pp of drift")
    parser.add_argument("--time-limit", type=float, help="solver time limit, seconds")


def _settings(args) -> dict:
    """The --set and shortcut overrides, checked like household.toml's [plan]."""
    raw = {}
    for item in args.set:
        if "=" not in item:
            raise models.InputError("--set", f"expected KEY=VALUE, got '{item}'")
        key, value = item.split("=", 1)
        raw[key.strip()] = value.strip()
    for key, attr in (("band", "band"), ("partial", "partial"),
                      ("drift_penalty_bp", "drift_penalty_bp"), ("time_limit_s", "time_limit")):
        if getattr(args, attr, None) is not None:
            raw[key] = getattr(args, attr)
    known = models.PlanSettings.field_names()
    out = {}
    for key, value in raw.items():
        if key not in known:
            raise models.InputError("--set", f"unknown setting '{key}'; expected one of {', '.join(known)}")

        def fail(message, key=key):
            raise models.InputError("--set", message, column=key)

        out[key] = models.loading.coerce_setting(key, value, fail)
    return out


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="planner", description="Tax-aware trade planner.")
    commands = parser.add_subparsers(dest="command", required=True)
    ev = commands.add_parser("evaluate", help="judge a trade list on a household (JSON)")
    ev.add_argument("household", help="household folder (SPEC §1)")
    ev.add_argument("--trades", required=True, help="trade list CSV (SPEC §4)")
    ev.add_argument("--format", choices=["json", "table"], default="json")
    ev.add_argument("--no-lots", action="store_true", help="leave the holdings after out of the JSON")

    pl = commands.add_parser("plan", help="the optimal trade list: trades.csv, summary.json")
    pl.add_argument("household")
    pl.add_argument("--out", required=True, help="folder for trades.csv, summary.json, allocation.png")
    pl.add_argument("--format", choices=["table", "json"], default="table")
    add_settings_arguments(pl)

    fr = commands.add_parser("frontier", help="tax cost versus drift over the drift penalty")
    fr.add_argument("household")
    fr.add_argument("--out", required=True)
    fr.add_argument("--penalties", help="comma-separated drift penalties, bp per pp")
    add_settings_arguments(fr)

    gen = commands.add_parser("generate", help="write a seeded synthetic household folder")
    gen.add_argument("folder")
    gen.add_argument("--lots", type=int, default=1000)
    gen.add_argument("--accounts", type=int, default=4)
    gen.add_argument("--securities", type=int, default=50)
    gen.add_argument("--asset-classes", type=int, default=4)
    gen.add_argument("--seed", type=int, default=0)

    from . import batch, compare
    compare.add_arguments(commands.add_parser("compare", help="heuristics versus the optimizer"))
    batch.add_arguments(commands.add_parser("batch", help="what-if grids, resumable"))
    from .backtest import command as backtest
    backtest.add_arguments(commands.add_parser("backtest", help="strategies over years of simulated markets"))
    return parser


def household_from_args(args) -> "models.Household":
    household = models.load_household(args.household)
    overrides = _settings(args)
    return household.with_settings(**overrides) if overrides else household


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


def _plan(args) -> int:
    from .charts import allocation_chart
    from .optimizer import plan
    from .report import plan_text
    household = household_from_args(args)
    result = plan(household)
    out = result.write(args.out)
    allocation_chart(result.summary()["drift"], out / "allocation.png", f"Allocation of {household.name}")
    if args.format == "json":
        json.dump(result.summary(), sys.stdout, indent=2, default=str)
        print()
    else:
        print(plan_text(result))
        print(f"\nwrote {out / 'trades.csv'}, {out / 'summary.json'}, {out / 'allocation.png'}")
    return 0


def _frontier(args) -> int:
    from .charts import frontier_chart
    from .frontier import frontier, parse_penalties
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


def _generate(args) -> int:
    from ._models import models as m
    synthetic = m.synthetic
    spec = synthetic.SyntheticSpec(lots=args.lots, accounts=args.accounts, securities=args.securities,
                                   asset_classes=args.asset_classes, seed=args.seed)
    try:
        spec.check()
    except ValueError as error:
        raise models.InputError("planner generate", str(error)) from None
    print(f"wrote {synthetic.generate_household(spec, args.folder)}")
    return 0


def _compare(args) -> int:
    from . import compare
    return compare.run(args)


def _batch(args) -> int:
    from . import batch
    return batch.run(args)


def _backtest(args) -> int:
    from .backtest import command
    return command.run(args)


COMMANDS = {"evaluate": _evaluate, "plan": _plan, "frontier": _frontier, "generate": _generate,
            "compare": _compare, "batch": _batch, "backtest": _backtest}


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except models.PlannerError as error:
        print(f"planner: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
