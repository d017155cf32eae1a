"""``planner backtest HOUSEHOLD --out DIR``: the command line (add_arguments / run)."""
from __future__ import annotations

import argparse

from models.errors import InputError
from models.loading import coerce_setting
from models.settings import PlanSettings

from ..backtest.market import Every, HistoryMode
from ..backtest.runner import BacktestConfig, run_backtest
from ..backtest.strategies import ANNUAL_REBALANCE, all_names


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("household", help="household folder (SPEC §1), with an optional [backtest]")
    parser.add_argument("--out", required=True, help="results folder (rerun to resume)")
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--paths", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--every", choices=[e.value for e in Every], default=Every.QUARTER.value,
                        help="decision dates: the same day every month, quarter or year")
    parser.add_argument("--strategies", default="all",
                        help=f"comma-separated, default all: {', '.join(all_names())}; the optimizer "
                             "with settings: optimizer:drift_penalty_bp=5:carryforward_value=0.2")
    parser.add_argument("--baseline", default=ANNUAL_REBALANCE,
                        help=f"the strategy tax alpha is measured against (default {ANNUAL_REBALANCE})")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--market", help="market assumptions (TOML): returns, volatilities, "
                                         "dividend yields, correlations per asset class")
    source.add_argument("--prices", help="price history CSV (date, symbol, price) to replay or bootstrap")
    parser.add_argument("--history", choices=[m.value for m in HistoryMode], default=HistoryMode.BOOTSTRAP.value,
                        help="with --prices: replay it (path p starts p months later) or bootstrap blocks")
    parser.add_argument("--block-months", type=int, default=12, help="bootstrap block length, months")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="a [plan] setting for every strategy, e.g. --set band=0.03")
    parser.add_argument("--workers", type=int, help="local processes (default: all cores)")
    parser.add_argument("--dask-local", type=int, metavar="N", help="a Dask LocalCluster of N workers")
    parser.add_argument("--scheduler", metavar="ADDRESS", help="a running Dask scheduler")
    parser.add_argument("--no-charts", action="store_true")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args) -> int:
    overrides = {}
    for item in args.set:
        if "=" not in item:
            raise InputError("--set", f"expected KEY=VALUE, got '{item}'")
        key, value = (s.strip() for s in item.split("=", 1))
        if key not in PlanSettings.field_names():
            raise InputError("--set", f"unknown setting '{key}'")

        def fail(message, key=key):
            raise InputError("--set", message, column=key)
        overrides[key] = coerce_setting(key, value, fail)
    config = BacktestConfig(years=args.years, paths=args.paths, seed=args.seed, every=Every(args.every),
                            strategies=args.strategies, baseline=args.baseline,
                            market_file=args.market, prices_file=args.prices,
                            history_mode=HistoryMode(args.history), block_months=args.block_months,
                            overrides=tuple(sorted(overrides.items())))
    result = run_backtest(args.household, args.out, config, scheduler=args.scheduler,
                          dask_local=args.dask_local, workers=args.workers,
                          progress=not args.quiet, charts=not args.no_charts)
    if args.quiet:
        print(result.text)
    return 0
