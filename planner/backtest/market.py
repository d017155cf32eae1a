"""Markets for a backtest: the calendar of dates, and prices on it, simulated or replayed.

Simulated (the default, or ``--market FILE``): every asset class has an expected annual
(arithmetic) total return, a volatility and a dividend yield, and the classes are correlated;
each security moves with its class plus its own noise (``idiosyncratic_volatility``: how far
two funds of one class, say VTI and ITOT, drift apart, which is what a harvest lives on). Prices
follow a geometric Brownian motion between the dates of the calendar, the price drift being
the expected return less the dividend yield (the dividend arrives as cash instead).

Market file (TOML), every key optional::

    [defaults]                       # a class not listed below (bond-like classes: see BOND_WORDS)
    expected_return = 0.07
    volatility = 0.18
    dividend_yield = 0.015
    qualified = true                 # distributions are qualified dividends (false: interest)
    idiosyncratic_volatility = 0.02

    [classes.us_equity]
    expected_return = 0.067
    volatility = 0.18
    dividend_yield = 0.013

    [correlation]
    classes = ["us_equity", "intl_equity", "bonds"]
    matrix = [[1.0, 0.85, 0.10], [0.85, 1.0, 0.10], [0.10, 0.10, 1.0]]

Pairs of classes without an entry take :data:`DEFAULT_CORRELATION` by kind (equity or bond).

Defaults (:data:`DEFAULT_CLASSES`) and where they come from, rounded; long-run capital market
assumptions over 10-15 years, not forecasts of ours:

- US equity: expected return 6.7% (J.P. Morgan Asset Management, 2025 Long-Term Capital Market
  Assumptions, U.S. large cap), volatility 18% (Callan 2021-2030 Capital Markets Assumptions,
  broad U.S. equity 17.95%), dividend yield 1.3% (S&P 500 trailing yield, 2024-25).
- International equity: 7.1% (PGIM 4Q 2025 Capital Market Assumptions, international equities
  ex-U.S.), volatility 20.7% (Callan, global ex-U.S. equity), dividend yield 3.0% (MSCI ACWI
  ex-USA trailing yield, about 3%).
- Bonds: 4.6% (PGIM 4Q 2025, U.S. Aggregate), volatility 4.5% (Callan's core U.S. fixed income
  3.75%, raised toward the Aggregate's realized 2000-2024 volatility of about 4-5%),
  distribution yield 4.0%, not qualified (interest, taxed as ordinary income).
- Correlations: U.S./international equity 0.85, equity/bonds 0.10, roughly their 2000-2024
  realized values; an assumption, not a cited table.
- ``idiosyncratic_volatility`` 2% a year: index funds of one class tracking different indexes
  (CRSP vs S&P vs Dow Jones) part by a percent or two a year. An assumption; it drives how
  often a lot is worth harvesting, so sweep it with a market file.

Recorded (``--prices DIR/prices.parquet``, a backtest's own file, with a ``path`` column): its
paths exactly, so a stored run reproduces to the cent.

Replayed or bootstrapped (``--prices FILE``, columns ``date, symbol, price``): the history is
turned into monthly returns per symbol (month-end prices); ``replay`` walks them from the
start of the history (path p starting p months later), ``bootstrap`` draws blocks of
``block_months`` consecutive months (seeded), the same months for every symbol so their
co-movement is kept. Prices between month points are interpolated log-linearly. Dividends
still come from the market assumptions (a price history has none).
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from models.errors import InputError
from models.validation import Columns

DAYS_PER_YEAR = 365.25
BOND_WORDS = ("bond", "tips", "treasur", "muni", "income")


class Every(StrEnum):
    """How often the strategies decide."""
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"

    @property
    def months(self) -> int:
        return {"month": 1, "quarter": 3, "year": 12}[self.value]


class HistoryMode(StrEnum):
    REPLAY = "replay"
    BOOTSTRAP = "bootstrap"


@dataclass(frozen=True)
class ClassAssumption:
    expected_return: float = 0.07          # arithmetic annual total return
    volatility: float = 0.18               # annual
    dividend_yield: float = 0.015          # cash distributions a year, fraction of value
    qualified: bool = True                 # distributions taxed as qualified dividends
    idiosyncratic_volatility: float = 0.02 # a security's own annual noise around its class


EQUITY_DEFAULT = ClassAssumption()
BOND_DEFAULT = ClassAssumption(0.046, 0.045, 0.040, False, 0.005)
DEFAULT_CLASSES = {
    "us_equity": ClassAssumption(0.067, 0.18, 0.013, True, 0.02),
    "intl_equity": ClassAssumption(0.071, 0.207, 0.030, True, 0.02),
    "bonds": BOND_DEFAULT,
}
DEFAULT_CORRELATION = {("equity", "equity"): 0.85, ("bond", "bond"): 0.6, ("equity", "bond"): 0.10}


def class_kind(name: str) -> str:
    return "bond" if any(w in name.lower() for w in BOND_WORDS) else "equity"


@dataclass(frozen=True)
class Market:
    """Assumptions per asset class and their correlations (see the module docstring)."""
    classes: dict[str, ClassAssumption] = field(default_factory=lambda: dict(DEFAULT_CLASSES))
    defaults: ClassAssumption | None = None      # None: by kind (equity or bond defaults)
    correlation: dict[tuple[str, str], float] = field(default_factory=dict)
    source: str = "defaults"

    def of(self, name: str) -> ClassAssumption:
        if name in self.classes:
            return self.classes[name]
        if self.defaults is not None:
            return self.defaults
        return BOND_DEFAULT if class_kind(name) == "bond" else EQUITY_DEFAULT

    def correlation_matrix(self, names: list[str]) -> np.ndarray:
        n = len(names)
        out = np.eye(n)
        for i in range(n):
            for j in range(i + 1, n):
                key = (names[i], names[j])
                value = self.correlation.get(key, self.correlation.get(key[::-1]))
                if value is None:
                    kinds = tuple(sorted((class_kind(names[i]), class_kind(names[j])),
                                         key=lambda k: k != "equity"))
                    value = DEFAULT_CORRELATION[kinds]
                out[i, j] = out[j, i] = value
        return out

    def describe(self, names: list[str]) -> pd.DataFrame:
        """The assumptions used for ``names``: one row per class."""
        return pd.DataFrame([{"asset_class": n, **{f.name: getattr(self.of(n), f.name)
                                                    for f in fields(ClassAssumption)}}
                             for n in names])


def load_market(path: str | Path) -> Market:
    path = Path(path)
    name = path.name
    if not path.is_file():
        raise InputError(name, f"market file not found at {path}")
    try:
        doc = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as error:
        raise InputError(name, f"not valid TOML: {error}") from None
    return market_from_dict(doc, name)


def market_from_dict(doc: dict[str, Any], name: str = "market.toml") -> Market:
    known = {f.name for f in fields(ClassAssumption)}

    def assumption(section: dict, base: ClassAssumption, where: str) -> ClassAssumption:
        if not isinstance(section, dict):
            raise InputError(name, f"[{where}] must be a table", column=where)
        values = {}
        for key, value in section.items():
            if key not in known:
                raise InputError(name, f"unknown key '{key}' in [{where}]; expected one of "
                                       f"{', '.join(sorted(known))}", column=key)
            if key == "qualified":
                if not isinstance(value, bool):
                    raise InputError(name, f"[{where}] qualified: expected true or false", column=key)
            elif isinstance(value, bool) or not isinstance(value, (int, float)) or \
                    (key != "expected_return" and value < 0):
                raise InputError(name, f"[{where}] {key}: expected a non-negative number "
                                       f"(a fraction: 0.07, not 7), got {value!r}", column=key)
            values[key] = value
        return replace(base, **values)

    defaults = assumption(doc["defaults"], EQUITY_DEFAULT, "defaults") if "defaults" in doc else None
    classes = dict(DEFAULT_CLASSES)
    for cls, section in doc.get("classes", {}).items():
        base = classes.get(cls) or defaults or (BOND_DEFAULT if class_kind(cls) == "bond" else EQUITY_DEFAULT)
        classes[cls] = assumption(section, base, f"classes.{cls}")
    correlation: dict[tuple[str, str], float] = {}
    corr = doc.get("correlation", {})
    if corr:
        names, matrix = corr.get("classes"), corr.get("matrix")
        if not isinstance(names, list) or not isinstance(matrix, list) or len(matrix) != len(names) \
                or any(not isinstance(r, list) or len(r) != len(names) for r in matrix):
            raise InputError(name, "[correlation] needs classes = [...] and a square matrix of "
                                   "as many rows", column="correlation")
        m = np.asarray(matrix, dtype=float)
        if not np.allclose(m, m.T) or not np.allclose(np.diag(m), 1.0) or np.abs(m).max() > 1:
            raise InputError(name, "[correlation] matrix must be symmetric with ones on the "
                                   "diagonal and entries in [-1, 1]", column="matrix")
        for i, a in enumerate(names):
            for j, b in enumerate(names):
                if i < j:
                    correlation[(a, b)] = float(m[i, j])
    return Market(classes, defaults, correlation, source=name)


# ---- the calendar -----------------------------------------------------------------------------

def add_months(day: np.datetime64, months: int) -> np.datetime64:
    """The same day of the month ``months`` later, the month's last day if it has no such day
    (Jan 31 + 1 month = Feb 28 or 29): real calendar dates, 28 to 31 days apart."""
    day = np.datetime64(day, "D")
    month = day.astype("datetime64[M]")
    offset = day - month.astype("datetime64[D]")
    target = month + months
    last = (target + 1).astype("datetime64[D]") - np.timedelta64(1, "D")
    return min(target.astype("datetime64[D]") + offset, last)


@dataclass(frozen=True)
class Calendar:
    """The dates a backtest visits: decision dates, year ends (Dec 31) and the end."""
    start: np.datetime64
    end: np.datetime64
    dates: np.ndarray          # datetime64[D], sorted, first = start, last = end
    decision: np.ndarray       # bool: a decision date
    year_end: np.ndarray       # bool: Dec 31, or the end (the last, partial, tax year)
    anniversary: np.ndarray    # bool: a decision date a whole number of years after the start

    @classmethod
    def build(cls, start, years: int, every: Every) -> "Calendar":
        start = np.datetime64(start, "D")
        end = add_months(start, 12 * years)
        step = every.months
        decisions = [add_months(start, k * step) for k in range(12 * years // step + 1)]
        decisions = [d for d in decisions if d < end]
        year_ends = [np.datetime64(f"{y}-12-31") for y in range(int(str(start)[:4]), int(str(end)[:4]) + 1)]
        year_ends = [d for d in year_ends if start <= d < end] + [end]
        dates = np.array(sorted(set(decisions) | set(year_ends)), dtype="datetime64[D]")
        anniversary_dates = {add_months(start, 12 * k) for k in range(years)}
        return cls(start, end, dates, np.isin(dates, decisions), np.isin(dates, year_ends),
                   np.isin(dates, list(anniversary_dates)))

    @classmethod
    def custom(cls, start, end, decisions) -> "Calendar":
        """Decision dates of one's own (tests, studies); year ends added as usual."""
        start, end = np.datetime64(start, "D"), np.datetime64(end, "D")
        decisions = [np.datetime64(d, "D") for d in decisions]
        year_ends = [np.datetime64(f"{y}-12-31") for y in range(int(str(start)[:4]), int(str(end)[:4]) + 1)]
        year_ends = [d for d in year_ends if start <= d < end] + [end]
        dates = np.array(sorted(set(decisions) | set(year_ends) | {start}), dtype="datetime64[D]")
        return cls(start, end, dates, np.isin(dates, decisions), np.isin(dates, year_ends),
                   dates == start)

    @property
    def years(self) -> float:
        return float((self.end - self.start).astype(int)) / DAYS_PER_YEAR


# ---- price paths ------------------------------------------------------------------------------

@dataclass(frozen=True)
class SecurityUniverse:
    symbol: np.ndarray
    asset_class: np.ndarray
    price: np.ndarray          # at the start

    @classmethod
    def of(cls, household) -> "SecurityUniverse":
        s = household.securities
        return cls(s.symbol, s.asset_class, s.price.astype(float))


def dividend_yields(market: Market, universe: SecurityUniverse) -> tuple[np.ndarray, np.ndarray]:
    """(annual dividend yield, qualified) per security, from its class."""
    a = [market.of(c) for c in universe.asset_class]
    return (np.array([x.dividend_yield for x in a]), np.array([x.qualified for x in a], dtype=bool))


def simulate(market: Market, universe: SecurityUniverse, dates: np.ndarray, seed: int,
             path: int) -> np.ndarray:
    """Prices (dates × securities) of one path; depends only on (seed, path), so a path is the
    same whatever the number of paths or the order they run in."""
    rng = np.random.default_rng([seed, path])
    names = list(dict.fromkeys(universe.asset_class))
    cls_of = np.array([names.index(c) for c in universe.asset_class])
    a = [market.of(n) for n in names]
    mu = np.array([x.expected_return for x in a])
    vol = np.array([x.volatility for x in a])
    div = np.array([x.dividend_yield for x in a])
    idio = np.array([x.idiosyncratic_volatility for x in a])[cls_of]
    try:
        chol = np.linalg.cholesky(market.correlation_matrix(names))
    except np.linalg.LinAlgError:
        raise InputError(market.source, "the correlation matrix is not positive definite") from None
    dt = np.diff(dates).astype(float) / DAYS_PER_YEAR
    z_class = rng.standard_normal((len(dt), len(names))) @ chol.T
    z_own = rng.standard_normal((len(dt), len(universe.symbol)))
    drift = (mu - div - 0.5 * vol ** 2)[cls_of][None, :] - 0.5 * idio[None, :] ** 2
    log_step = drift * dt[:, None] + np.sqrt(dt)[:, None] * (
        (vol[None, :] * z_class)[:, cls_of] + idio[None, :] * z_own)
    log_path = np.vstack([np.zeros(len(universe.symbol)), np.cumsum(log_step, axis=0)])
    return universe.price[None, :] * np.exp(log_path)


def read_prices(path: str | Path) -> pd.DataFrame:
    """A prices file, CSV or Parquet (a backtest's own ``prices.parquet`` included)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path.name, f"price history not found at {path}")
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    return pd.read_csv(path, dtype={"symbol": str}, skipinitialspace=True)


def recorded_paths(frame: pd.DataFrame, symbols: np.ndarray, dates: np.ndarray, paths: int,
                   file: str) -> list[np.ndarray]:
    """The paths of a ``path, date, symbol, price`` file (a backtest's ``prices.parquet``),
    exactly: the same calendar and securities, so a stored run reproduces to the cent."""
    t = Columns(frame, file)
    t.require("path", "date", "symbol", "price")
    table = pd.DataFrame({"path": t.number("path", minimum=0.0).astype(np.int64), "date": t.day("date"),
                          "symbol": t.text("symbol"), "price": t.number("price", positive=True, what="price")})
    out = []
    for p in range(paths):
        one = table[table["path"] == p].pivot_table(index="date", columns="symbol", values="price")
        if not len(one):
            raise InputError(file, f"no prices for path {p} (the file has paths "
                                   f"{table['path'].min()}-{table['path'].max()})", column="path")
        missing = [s for s in symbols if s not in one.columns]
        if missing or len(one) != len(dates) or not np.array_equal(
                one.index.to_numpy().astype("datetime64[D]"), dates):
            raise InputError(file, f"path {p} was recorded on other dates or securities than this "
                                   "backtest's (same household, --years and --every needed)", column="date")
        out.append(one[list(symbols)].to_numpy())
    return out


@dataclass(frozen=True)
class PriceHistory:
    """Monthly log returns per symbol from a ``date, symbol, price`` file."""
    months: np.ndarray         # datetime64[M], the month each return ends in
    log_returns: np.ndarray    # months × symbols
    symbols: np.ndarray

    @classmethod
    def read_csv(cls, path: str | Path) -> "PriceHistory":
        return cls.of(read_prices(path), Path(path).name)

    @classmethod
    def of(cls, frame: pd.DataFrame, file: str) -> "PriceHistory":
        path = Path(file)
        t = Columns(frame, path.name)
        t.require("date", "symbol", "price")
        table = pd.DataFrame({"date": t.day("date"), "symbol": t.text("symbol"),
                              "price": t.number("price", positive=True, what="price")})
        table["month"] = table["date"].to_numpy().astype("datetime64[M]")
        last = table.sort_values("date").groupby(["month", "symbol"])["price"].last().unstack()
        if len(last) < 3:
            raise InputError(path.name, "a price history needs at least three months of prices")
        returns = np.log(last).diff().iloc[1:]
        return cls(returns.index.to_numpy().astype("datetime64[M]"), returns.to_numpy(),
                   returns.columns.to_numpy(dtype=object))

    def columns_for(self, symbols: np.ndarray, file: str) -> np.ndarray:
        index = {s: i for i, s in enumerate(self.symbols)}
        missing = [s for s in symbols if s not in index]
        if missing:
            raise InputError(file, f"no prices for {', '.join(missing[:5])} (every security of "
                                   "the household needs a price history)", column="symbol")
        cols = np.array([index[s] for s in symbols])
        if np.isnan(self.log_returns[:, cols]).any():
            raise InputError(file, "a month without a price for some security: every symbol "
                                   "needs a price at the end of every month of the history")
        return cols


def from_history(history: PriceHistory, mode: HistoryMode, universe: SecurityUniverse,
                 dates: np.ndarray, seed: int, path: int, block_months: int = 12,
                 file: str = "prices") -> np.ndarray:
    """Prices (dates × securities) of one path, replayed or block-bootstrapped from history."""
    cols = history.columns_for(universe.symbol, file)
    returns = history.log_returns[:, cols]
    n_months = int(np.ceil(float((dates[-1] - dates[0]).astype(int)) / (DAYS_PER_YEAR / 12))) + 1
    if mode is HistoryMode.REPLAY:
        if path + n_months > len(returns):
            raise InputError(file, f"path {path} needs {n_months} months of history from month "
                                   f"{path + 1}; the history has {len(returns)}")
        steps = returns[path:path + n_months]
    else:
        rng = np.random.default_rng([seed, path, 1])
        starts = rng.integers(0, max(1, len(returns) - block_months + 1),
                              size=n_months // block_months + 1)
        steps = np.concatenate([returns[s:s + block_months] for s in starts])[:n_months]
    monthly = np.vstack([np.zeros(len(cols)), np.cumsum(steps, axis=0)])
    at = (dates - dates[0]).astype(float) / (DAYS_PER_YEAR / 12)
    logs = np.column_stack([np.interp(at, np.arange(len(monthly)), monthly[:, j])
                            for j in range(len(cols))])
    return universe.price[None, :] * np.exp(logs)
