"""Backtests: does a way of rebalancing leave the household richer after tax, over years?

    planner backtest HOUSEHOLD --out DIR [--years 10 --paths 100 --every quarter ...]

    from planner.backtest import BacktestConfig, run_backtest
    result = run_backtest("examples/scenario_a", "out/bt", BacktestConfig(paths=20))
    result.summary                 # summary.csv as a DataFrame

:mod:`.market` (calendar, simulated or replayed prices), :mod:`.strategies` (one interface for
the optimizer, the heuristics and the baselines), :mod:`.engine` (one path under one strategy,
through the evaluator and its ledger), :mod:`.runner` (paths × strategies on the batch
executors, resumable, the outputs of SPEC §5), :mod:`.charts`, :mod:`.settings` (``[backtest]``); the command line is
:mod:`planner.cli.backtest`.
"""
from .market import Calendar, Every, HistoryMode, Market, load_market
from .runner import BacktestConfig, BacktestResult, run_backtest
from .settings import BacktestSettings
from .strategies import Step, Strategy, parse_strategies, parse_strategy

__all__ = ["BacktestConfig", "BacktestResult", "BacktestSettings", "Calendar", "Every",
           "HistoryMode", "Market", "Step", "Strategy", "load_market", "parse_strategies",
           "parse_strategy", "run_backtest"]
