"""The backtest driver: paths × strategies as tasks on the batch executors, resumable.

Every (path, strategy) is one task. Its rows of ``years.parquet`` are stored as it finishes in
``OUT/parts/CONFIG/`` (temporary file, fsync, atomic rename), ``CONFIG`` a hash of everything
that changes a result (the household's files, the settings, years, frequency, seed, market or
price history): running the same command again skips what is stored; more paths or more
strategies reuse the ones already run (a path depends only on the seed and its number).
"""
from __future__ import annotations

import hashlib
import json
import re
import sys
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .. import io
from models.errors import InputError
from models.loading import OPTIONAL, REQUIRED, load_household

from ..batch.executors import make_executor
from ..batch.progress import Progress
from . import market as mk
from .engine import YEAR_COLUMNS, Engine, flow_schedule
from .settings import read_backtest_settings
from .strategies import ANNUAL_REBALANCE, parse_strategies, parse_strategy

FORMAT = 1          # part of the config hash: bump when a result's meaning changes
PARTS = "parts"
PRICE_COLUMNS = ["path", "date", "symbol", "price"]
SUMMARY_COLUMNS = ["strategy", "paths", "wealth_liquidated_median", "wealth_liquidated_p10",
                   "wealth_liquidated_p90", "wealth_median", "wealth_p10", "wealth_p90",
                   "taxes_paid", "tax_alpha_bp", "tax_alpha_p25_bp", "tax_alpha_p75_bp",
                   "tax_alpha_iqr_bp", "pretax_alpha_bp", "harvested_losses", "turnover", "violations",
                   "decisions", "seconds"]


@dataclass(frozen=True)
class BacktestConfig:
    """What a backtest runs (the command line's options)."""
    years: int = 10
    paths: int = 100
    seed: int = 0
    every: mk.Every = mk.Every.QUARTER
    strategies: str | None = None           # comma-separated; None: all
    baseline: str = ANNUAL_REBALANCE
    market_file: str | None = None
    prices_file: str | None = None
    history_mode: mk.HistoryMode = mk.HistoryMode.BOOTSTRAP
    block_months: int = 12
    overrides: tuple[tuple[str, Any], ...] = ()    # [plan] settings for every strategy

    def check(self) -> None:
        def bad(option: str, message: str):
            raise InputError(option, message)
        if self.years < 1:
            bad("--years", f"expected at least 1 year, got {self.years}")
        if self.paths < 1:
            bad("--paths", f"expected at least 1 path, got {self.paths}")
        if self.block_months < 1:
            bad("--block-months", f"expected at least 1, got {self.block_months}")


@dataclass(frozen=True)
class Unit:
    """One path × one strategy: everything a worker needs (small: prices of one path)."""
    folder: str
    config: BacktestConfig
    path: int
    strategy: str
    dates: np.ndarray
    prices: np.ndarray
    dividend_yield: np.ndarray
    qualified: np.ndarray


@lru_cache(maxsize=8)
def _household(folder: str, overrides: tuple, digest: str):
    h = load_household(folder)
    if overrides:
        h = h.with_settings(**dict(overrides))
    return h, read_backtest_settings(folder, h.accounts)


def run_unit(unit: Unit) -> pd.DataFrame:
    """Run one path under one strategy; the rows of ``years.parquet``."""
    cfg = unit.config
    base, settings = _household(unit.folder, cfg.overrides, _digest(Path(unit.folder)))
    calendar = mk.Calendar.build(base.as_of, cfg.years, cfg.every)
    engine = Engine(base, calendar, unit.prices, unit.dividend_yield, unit.qualified,
                    flow_schedule(base, calendar, settings), parse_strategy(unit.strategy), unit.path)
    return pd.DataFrame(engine.run(), columns=YEAR_COLUMNS)


# ---- identity and storage ---------------------------------------------------------------------
def _digest(folder: Path) -> str:
    """sha256 of the household folder's files (those the loader reads), by name and content."""
    digest = hashlib.sha256()
    for name in REQUIRED + OPTIONAL:
        path = folder / name
        digest.update(name.encode() + b"\0" + (path.read_bytes() if path.is_file() else b"<absent>") + b"\0")
    return digest.hexdigest()


def _file_digest(path: str | None) -> str:
    if path is None:
        return ""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest() if Path(path).is_file() else "missing"


def config_key(folder: str, cfg: BacktestConfig, market: mk.Market) -> str:
    """Hash of what changes a result (not the number of paths nor the strategies run)."""
    parts = {"format": FORMAT, "household": _digest(Path(folder)), "years": cfg.years,
             "every": cfg.every.value, "seed": cfg.seed, "overrides": [list(o) for o in cfg.overrides],
             "market": repr(market), "prices": _file_digest(cfg.prices_file),
             "history_mode": cfg.history_mode.value if cfg.prices_file else "",
             "block_months": cfg.block_months if cfg.prices_file else 0}
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


def part_name(path: int, strategy: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", strategy)
    return f"p{path:05d}__{slug}__{hashlib.sha256(strategy.encode()).hexdigest()[:8]}.parquet"


def atomic_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Whole or not at all (:mod:`planner.io`)."""
    io.atomic_parquet(pa.Table.from_pandas(frame, preserve_index=False), path)


# ---- the driver -------------------------------------------------------------------------------
@dataclass
class BacktestResult:
    years: pd.DataFrame
    prices: pd.DataFrame
    summary: pd.DataFrame
    out: Path
    ran: int = 0                  # units run now (the rest were stored)
    charts: list[str] = field(default_factory=list)
    text: str = ""


def market_of(cfg: BacktestConfig) -> mk.Market:
    return mk.load_market(cfg.market_file) if cfg.market_file else mk.Market()


def price_paths(base, cfg: BacktestConfig, market: mk.Market, calendar: mk.Calendar) -> list[np.ndarray]:
    universe = mk.SecurityUniverse.of(base)
    if cfg.prices_file:
        frame, name = mk.read_prices(cfg.prices_file), Path(cfg.prices_file).name
        if "path" in frame.columns:
            return mk.recorded_paths(frame, base.securities.symbol, calendar.dates, cfg.paths, name)
        history = mk.PriceHistory.of(frame, name)
        return [mk.from_history(history, cfg.history_mode, universe, calendar.dates, cfg.seed, p,
                                cfg.block_months, Path(cfg.prices_file).name)
                for p in range(cfg.paths)]
    return [mk.simulate(market, universe, calendar.dates, cfg.seed, p) for p in range(cfg.paths)]


def run_backtest(household: str | Path, out: str | Path, config: BacktestConfig | None = None,
                 scheduler: Any = None, dask_local: int | None = None, workers: int | None = None,
                 progress: bool = True, charts: bool = True) -> BacktestResult:
    """Run every (path, strategy) of ``config`` not stored in ``out`` yet; write
    ``years.parquet``, ``prices.parquet``, ``summary.csv`` and the charts."""
    started = time.perf_counter()
    cfg = config or BacktestConfig()
    cfg.check()
    folder = str(Path(household))
    base = load_household(folder)
    read_backtest_settings(folder, base.accounts)              # bad [backtest]: fail now
    strategies = [s.name for s in parse_strategies(cfg.strategies)]
    if cfg.baseline not in strategies:
        parse_strategy(cfg.baseline)                           # a known name, or an InputError
        strategies.append(cfg.baseline)
    market = market_of(cfg)
    calendar = mk.Calendar.build(base.as_of, cfg.years, cfg.every)
    paths = price_paths(base, cfg, market, calendar)
    yields, qualified = mk.dividend_yields(market, mk.SecurityUniverse.of(base))
    out = Path(out)
    key = config_key(folder, cfg, market)
    parts = out / PARTS / key
    parts.mkdir(parents=True, exist_ok=True)
    prices = prices_frame(paths, calendar.dates, base.securities.symbol)
    atomic_parquet(prices, out / "prices.parquet")
    units = [Unit(folder, cfg, p, s, calendar.dates, paths[p], yields, qualified)
             for p in range(cfg.paths) for s in strategies]
    todo = [u for u in units if not (parts / part_name(u.path, u.strategy)).exists()]
    bar = _bar(len(units), len(units) - len(todo), sys.stderr if progress else None)
    where = "nothing to run"
    if todo:
        executor = make_executor(scheduler, dask_local, workers, len(todo))
        where = executor.description
        if progress:
            print(f"planner backtest: {len(units)} path x strategy runs, {len(units) - len(todo)} "
                  f"stored already, {len(todo)} to run on {where}", file=sys.stderr)
        finished = False
        try:
            for u, future in executor.map(run_unit, todo):
                atomic_parquet(future.result(), parts / part_name(u.path, u.strategy))
                bar.advance(None)
            finished = True
        except KeyboardInterrupt:
            if progress:
                print(f"\nplanner backtest: interrupted; {bar.done} of {len(units)} runs stored in "
                      f"{parts}. Run the same command again to finish.", file=sys.stderr)
            raise
        finally:
            executor.close(cancel=not finished)
        bar.show(final=True)
    years = gather(parts, units, strategies)
    atomic_parquet(years, out / "years.parquet")
    summary = summarize(years, cfg.baseline, calendar.years, strategies)
    io.atomic_write(out / "summary.csv", lambda f: f.write(
        summary.to_csv(index=False, float_format="%.6g").encode()))
    assumptions = market.describe(list(dict.fromkeys(base.securities.asset_class)))
    io.atomic_write(out / "market.csv", lambda f: f.write(assumptions.to_csv(index=False).encode()))
    written = []
    if charts:
        from .charts import write_charts
        written = write_charts(years, summary, cfg.baseline, out)
    text = report(summary, cfg, len(todo), where, time.perf_counter() - started, out)
    if progress:
        print(text, file=sys.stderr)
    return BacktestResult(years, prices, summary, out, len(todo), [str(p) for p in written], text)


def _bar(total: int, done: int, stream):
    class BacktestProgress(Progress):
        def line(self) -> str:
            text = super().line()
            return "backtest" + text[len("batch"):].replace(" runs", " path x strategy runs", 1) \
                if text.startswith("batch") else text
    return BacktestProgress(total, done, stream)


def prices_frame(paths: list[np.ndarray], dates: np.ndarray, symbols: np.ndarray) -> pd.DataFrame:
    n_dates, n_sec = len(dates), len(symbols)
    return pd.DataFrame({
        "path": np.repeat(np.arange(len(paths)), n_dates * n_sec),
        "date": np.tile(np.repeat(dates.astype("datetime64[D]").astype(str), n_sec), len(paths)),
        "symbol": np.tile(symbols.astype(str), n_dates * len(paths)),
        "price": np.concatenate([p.ravel() for p in paths]) if paths else np.zeros(0)})


def gather(parts: Path, units: list[Unit], strategies: list[str]) -> pd.DataFrame:
    frames = [pq.read_table(parts / part_name(u.path, u.strategy)).to_pandas() for u in units]
    years = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=YEAR_COLUMNS)
    order = {s: i for i, s in enumerate(strategies)}
    years = years.assign(_o=years["strategy"].map(order)).sort_values(["path", "_o", "year"])
    return years.drop(columns="_o").reset_index(drop=True)


def per_path(years: pd.DataFrame, horizon_years: float) -> pd.DataFrame:
    """One row per path × strategy: wealth at the end (and liquidated), its annualized return."""
    g = years.groupby(["path", "strategy"], sort=False)
    out = g.agg(value_start=("value_start", "first"), wealth=("value_end", "last"),
                liquidation_tax=("liquidation_tax", "last"), taxes_paid=("tax", "sum"),
                harvested_losses=("harvested_losses", "sum"), turnover=("turnover", "sum"),
                violations=("violations", "sum"), decisions=("decisions", "sum"),
                seconds=("seconds", "sum")).reset_index()
    out["wealth_liquidated"] = out["wealth"] - out["liquidation_tax"]
    ratio = np.maximum(out["wealth_liquidated"] / out["value_start"], 1e-12)
    out["annualized"] = ratio ** (1.0 / horizon_years) - 1.0
    # Before tax: the wealth plus every tax paid along the way (not compounded), so the part
    # of an alpha that is allocation, cash drag or costs shows apart from the taxes.
    gross = np.maximum((out["wealth"] + out["taxes_paid"]) / out["value_start"], 1e-12)
    out["annualized_pretax"] = gross ** (1.0 / horizon_years) - 1.0
    return out


def summarize(years: pd.DataFrame, baseline: str, horizon_years: float,
              strategies: list[str]) -> pd.DataFrame:
    """``summary.csv``: one row per strategy (see the README for the columns)."""
    paths = per_path(years, horizon_years)
    base = paths[paths["strategy"] == baseline].set_index("path")["annualized"]
    paths["alpha_bp"] = 1e4 * (paths["annualized"] - paths["path"].map(base))
    base_pretax = paths[paths["strategy"] == baseline].set_index("path")["annualized_pretax"]
    paths["pretax_alpha_bp"] = 1e4 * (paths["annualized_pretax"] - paths["path"].map(base_pretax))
    rows = []
    for s in strategies:
        p = paths[paths["strategy"] == s]
        if not len(p):
            continue
        q = lambda col, x: float(np.percentile(p[col], x))     # noqa: E731
        rows.append({"strategy": s, "paths": len(p),
                     "wealth_liquidated_median": q("wealth_liquidated", 50),
                     "wealth_liquidated_p10": q("wealth_liquidated", 10),
                     "wealth_liquidated_p90": q("wealth_liquidated", 90),
                     "wealth_median": q("wealth", 50), "wealth_p10": q("wealth", 10),
                     "wealth_p90": q("wealth", 90), "taxes_paid": q("taxes_paid", 50),
                     "tax_alpha_bp": q("alpha_bp", 50), "tax_alpha_p25_bp": q("alpha_bp", 25),
                     "tax_alpha_p75_bp": q("alpha_bp", 75),
                     "tax_alpha_iqr_bp": q("alpha_bp", 75) - q("alpha_bp", 25),
                     "pretax_alpha_bp": q("pretax_alpha_bp", 50),
                     "harvested_losses": q("harvested_losses", 50), "turnover": q("turnover", 50),
                     "violations": int(p["violations"].sum()), "decisions": int(p["decisions"].sum()),
                     "seconds": float(p["seconds"].sum())})
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


def report(summary: pd.DataFrame, cfg: BacktestConfig, ran: int, where: str, seconds: float,
           out: Path) -> str:
    shown = summary[["strategy", "wealth_liquidated_median", "taxes_paid", "tax_alpha_bp",
                     "tax_alpha_p25_bp", "tax_alpha_p75_bp", "pretax_alpha_bp", "violations", "seconds"]]
    table = shown.to_string(index=False, float_format=lambda x: f"{x:,.1f}")
    return (f"{table}\n\ntax alpha: bp/year of after-tax (liquidated) annualized return against "
            f"{cfg.baseline}, median and quartiles over {cfg.paths} paths\n"
            f"planner backtest: {ran} runs now on {where} in {seconds:,.1f}s; wrote "
            f"{out / 'years.parquet'}, {out / 'prices.parquet'}, {out / 'summary.csv'}")
