"""What-if batches: many households times many scenarios, fast, reproducible, safe to interrupt.

    planner batch GRID.toml --out RESULTS [--workers N | --dask-local N | --scheduler ADDRESS]

    from planner.batch import Grid, run_batch
    runs = run_batch("grid.toml", "results")          # DataFrame: one row per run

The grid
--------
A TOML file (or a :class:`Grid` built in Python)::

    households = ["households/smith", "households/lee"]   # folders, relative to the grid file

    [set]                                # optional: applied to every run
    "plan.time_limit_s" = 30

    [vary]                               # every combination is one run (cartesian product)
    "plan.band" = [0.03, 0.05]
    "tax.short_term_rate" = [0.24, 0.37]
    "plan.drift_penalty_bp" = {start = 0, stop = 50, step = 10}   # a range, stop included
    "prices.scale" = [0.8, 1.0]          # a price shock: every price times 0.8

    [[zip]]                              # optional: values that move together, one axis
    "tax.short_term_rate" = [0.24, 0.35]
    "tax.long_term_rate" = [0.15, 0.20]

    [[generate]]                         # optional: seeded synthetic households
    lots = 200                           # (models.synthetic.SyntheticSpec fields)
    seeds = [1, 2, 3]                    # one household per seed, under RESULTS/households/

    [batch]
    chunk_size = 8                       # runs per task (see "How it runs")

Keys are dotted:

- ``plan.X``: any ``[plan]`` setting (``band``, ``partial``, ``drift_penalty_bp``, ...),
  checked like ``household.toml``;
- ``tax.X``: ``short_term_rate``, ``long_term_rate``, ``deduction_rate``,
  ``carryforward_value`` (fractions), ``filing_status``; schedule mode (SPEC §2b):
  ``schedule`` (a tax year with tables, or ``"flat"`` for the flat rates), ``ordinary_income``,
  ``qualified_dividends``, ``other_investment_income``, ``itemized_deductions`` (dollars),
  ``state_rate`` and ``deferred_gain_rate`` (fractions);
- ``realized.short_term`` / ``realized.long_term``: gains realized so far this year (dollars);
- ``carryforward.short_term`` / ``carryforward.long_term``: loss carryover in (dollars, >= 0);
- ``prices.scale`` (all prices) and ``prices.CLASS`` (one asset class): price multipliers;
- ``cashflow.ACCOUNT``: a deposit (> 0) or withdrawal (< 0) on the as_of date.

Each run is identified by ``run_id``, a hash of the household folder's files and name and of
the run's settings: the same inputs give the same id on any machine, in any order.

Results
-------
``RESULTS/parts/RUN_ID.parquet`` holds one finished run each, written as the run finishes
(temporary file, fsync, atomic rename: a kill never leaves half a file under that name).
``RESULTS/runs.parquet`` gathers them (one row per run of the grid, grid order, plus one column
per varied key), rewritten when a batch starts and when it ends. Running the same command again
skips every stored run; ``--retry-errors`` reruns those that ended in ``error``.
``RESULTS/charts/`` holds tax cost versus drift per household (PNG), ``RESULTS/trades/`` the
trade lists with ``--save-trades``.

Columns: ``run_id, run_index, household, household_path, settings`` (JSON of the run's keys),
``status`` (optimal, time_limit, infeasible, error), the evaluator's ``tax_cost, trading_cost,
drift_penalty, objective, drift_before, drift_after``, ``trades, turnover, violations, gap``
(dollars), ``seconds, cpu_seconds, build_seconds, solve_seconds``, ``rebuilt`` and
``rebuild_reason`` (why the run built its program instead of reusing one), ``error, worker,
finished_at``.

How it runs
-----------
Runs are grouped by household and, within it, ordered so that runs sharing a structure are
neighbours; fixed-size slices of that order (``chunk_size``) are the tasks. A task loads its
household once and builds the optimizer's program once; a run that only changes tax rates or
the drift penalty resets cvxpy Parameters and re-solves (:meth:`PlanProblem.update`), any other
change rebuilds and says why. Tasks depend on the grid only, never on the number of workers, so
sequential, local-pool and Dask runs solve the same sequences and give identical results.

One code path, three executors with ``submit`` / ``as_completed``: this process
(``workers=1``), a local process pool over all cores (the default; HiGHS ``threads=1``), Dask
(``--dask-local N`` starts a LocalCluster, ``--scheduler ADDRESS`` joins a running one; needs
``pip install .[dask]``). Workers that see the results folder store each run themselves as it
finishes; otherwise the driver stores what a task returns. A run that fails is stored with
its error and the batch goes on; a crashed pool is restarted once.

On Linux the pool forks its workers; elsewhere it spawns them, so scripts must guard their
entry point (``if __name__ == "__main__":``), as Dask's LocalCluster always requires.
"""
from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import math
import os
import socket
import sys
import threading
import time
import tomllib
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ._models import models

SolveStatus = models.SolveStatus
FORMAT = 1                    # part of every run_id: bump when a run's meaning changes
DEFAULT_CHUNK_SIZE = 8        # runs per task: one program build amortized over up to 8 solves
PARTS, RUNS_FILE, TOKEN_FILE = "parts", "runs.parquet", ".batch-id"
MAX_CHARTS = 200
MAX_ATTEMPTS = 2              # a task whose worker process died is tried once more
SOLVER_THREADS = 1            # HiGHS threads per run: the parallelism is across runs

SCHEMA = pa.schema([
    ("run_id", pa.string()), ("run_index", pa.int64()), ("household", pa.string()),
    ("household_path", pa.string()), ("settings", pa.string()), ("status", pa.string()),
    ("tax_cost", pa.float64()), ("trading_cost", pa.float64()), ("drift_penalty", pa.float64()),
    ("objective", pa.float64()), ("drift_before", pa.float64()), ("drift_after", pa.float64()),
    ("trades", pa.int64()), ("turnover", pa.float64()), ("violations", pa.int64()),
    ("gap", pa.float64()), ("seconds", pa.float64()), ("cpu_seconds", pa.float64()),
    ("build_seconds", pa.float64()), ("solve_seconds", pa.float64()), ("rebuilt", pa.bool_()), ("rebuild_reason", pa.string()),
    ("error", pa.string()), ("worker", pa.string()), ("finished_at", pa.string()),
])
COLUMNS = SCHEMA.names

_TAX_RATES = ("short_term_rate", "long_term_rate", "deduction_rate", "carryforward_value",
              "state_rate", "deferred_gain_rate")
_TAX_AMOUNTS = models.loading.SCHEDULE_AMOUNTS
_AMOUNTS = {"realized": "realized_", "carryforward": "carryover_"}
_TABLE_SECTIONS = ("prices", "cashflow")     # keys that change the household's tables


# ---- keys of a scenario ----------------------------------------------------------------------
def coerce_key(key: str, value: Any, fail: Callable[[str], Any]) -> Any:
    """Check one dotted grid key and its value; return the value as stored in ``settings``."""
    section, _, name = key.partition(".")
    if not name:
        fail(f"expected a dotted key such as plan.band or tax.short_term_rate, got '{key}'")
    if section == "plan":
        if name not in models.PlanSettings.field_names():
            fail(f"unknown setting '{name}'; expected one of "
                 f"{', '.join(models.PlanSettings.field_names())}")
        value = models.loading.coerce_setting(name, value, fail)
        return value.value if hasattr(value, "value") else value
    if section == "tax":
        if name == "filing_status":
            choices = [s.value for s in models.FilingStatus]
            if value not in choices:
                fail(f"expected one of {', '.join(choices)}, got {value!r}")
            return value
        if name == "schedule":     # a year, or "flat" (None) for the flat rates
            if value in ("flat", "none", None):
                return None
            if isinstance(value, bool) or not isinstance(value, int):
                fail(f"expected a tax year such as 2026 or \"flat\", got {value!r}")
            return value           # its tables are checked per household (apply_settings)
        if name in _TAX_AMOUNTS:
            number = _number(value, fail)
            if number < 0:
                fail(f"expected an amount of at least 0, got {number:g}")
            return number
        if name not in _TAX_RATES:
            fail(f"unknown key; expected tax. and one of {', '.join(_TAX_RATES + _TAX_AMOUNTS)}, "
                 "schedule, filing_status")
        number = _number(value, fail)
        if not 0 <= number <= 1:
            fail(f"expected a rate as a decimal (0.37, not 37), got {number:g}")
        return number
    if section in _AMOUNTS:
        if name not in ("short_term", "long_term"):
            fail(f"unknown key; expected {section}.short_term or {section}.long_term")
        number = _number(value, fail)
        if section == "carryforward" and number < 0:
            fail(f"a carryover is a positive amount of loss, got {number:g}")
        return number
    if section == "prices":
        number = _number(value, fail)
        if number <= 0:
            fail(f"expected a price multiplier above 0, got {number:g}")
        return number
    if section == "cashflow":
        return _number(value, fail)
    fail(f"unknown section '{section}'; expected plan, tax, realized, carryforward, prices or "
         "cashflow")


def _number(value: Any, fail) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        fail(f"expected a number, got {value!r}")
    return float(value)


def apply_settings(base: models.Household, settings: Mapping[str, Any],
                   tables: dict | None = None) -> models.Household:
    """The household of one run: ``base`` with the run's keys applied.

    ``tables`` memoizes households whose tables a key changed (price shocks, cash flows), so
    runs with the same shock share the same tables and can reuse one program.
    """
    shocks = tuple(sorted((k, v) for k, v in settings.items() if k.split(".")[0] in _TABLE_SECTIONS))
    h = base
    if shocks:
        if tables is not None and shocks in tables:
            h = tables[shocks]
        else:
            h = _shocked(base, shocks)
            if tables is not None:
                tables[shocks] = h
    tax, plan = {}, {}
    for key, value in settings.items():
        section, _, name = key.partition(".")
        if section == "plan":       # None ("none" in the grid) stands for an unset optional
            plan[name] = None if value is None else models.loading.coerce_setting(name, value, _raise(key))
        elif section == "tax":
            tax[name] = models.FilingStatus(value) if name == "filing_status" else value
        elif section in _AMOUNTS:
            tax[_AMOUNTS[section] + name] = value
    if tax:
        h = h.with_tax(**tax)
        if h.tax.schedule is not None:
            h.tax.status_tables            # an InputError for a year without tables
        elif "schedule" not in tax:        # (runs with tax.schedule = "flat" ignore them)
            for name in tax:
                if name in _TAX_AMOUNTS and tax[name]:
                    raise models.InputError("grid", "a schedule-mode amount: set tax.schedule "
                                            "(or schedule = YEAR in household.toml)",
                                            column=f"tax.{name}")
    if plan:
        h = h.with_settings(**plan)
    return h


def _raise(key: str):
    def fail(message: str):
        raise models.InputError("grid", message, column=key)
    return fail


def _shocked(h: models.Household, shocks: tuple) -> models.Household:
    factor = np.ones(len(h.securities))
    flows = []
    for key, value in shocks:
        section, _, name = key.partition(".")
        if section == "prices":
            if name == "scale":
                factor *= value
            else:
                chosen = h.securities.asset_class == name
                if not chosen.any():
                    raise models.InputError("grid", f"no security of asset class '{name}' in "
                                            f"household {h.name}", column=key)
                factor[chosen] *= value
        else:
            if name not in h.accounts.index:
                raise models.InputError("grid", f"no account '{name}' in household {h.name}",
                                        column=key)
            flows.append((h.accounts.index[name], value))
    out = h
    if (factor != 1).any():
        out = replace(out, securities=replace(h.securities, price=h.securities.price * factor))
    if flows:
        c = h.cashflows
        out = replace(out, cashflows=replace(
            c, date=np.concatenate([c.date, np.full(len(flows), h.as_of, dtype=c.date.dtype)]),
            account=np.concatenate([c.account, [a for a, _ in flows]]).astype(c.account.dtype),
            amount=np.concatenate([c.amount, [v for _, v in flows]]).astype(float),
            symbol=np.concatenate([c.symbol, np.full(len(flows), "", dtype=object)]).astype(c.symbol.dtype)))
    return out


# ---- the grid --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Grid:
    """Households and the settings to vary. Build from TOML with :meth:`from_toml`.

    ``households`` are folders (relative to ``base``); ``vary`` maps a dotted key to its values
    (cartesian product, first key slowest); each mapping of ``zips`` is one more axis whose keys
    advance together; ``fixed`` applies to every run; ``generate`` holds
    :class:`models.synthetic.SyntheticSpec` households written under ``RESULTS/households``.
    """
    households: tuple[str, ...] = ()
    vary: Mapping[str, tuple] = field(default_factory=dict)
    zips: tuple[Mapping[str, tuple], ...] = ()
    fixed: Mapping[str, Any] = field(default_factory=dict)
    generate: tuple[Any, ...] = ()
    base: str = "."
    chunk_size: int = DEFAULT_CHUNK_SIZE
    source: str = "grid"

    def __post_init__(self) -> None:
        put = object.__setattr__
        put(self, "households", tuple(str(h) for h in self.households))
        put(self, "base", str(self.base))
        specs = []
        for item in self.generate:     # SyntheticSpec objects, or groups of them (one per seed)
            specs += list(item) if isinstance(item, (tuple, list)) else [item]
        put(self, "generate", tuple(specs))
        put(self, "fixed", {k: self._check(k, v) for k, v in dict(self.fixed).items()})
        put(self, "vary", {k: self._axis(k, v) for k, v in dict(self.vary).items()})
        zips = []
        for group in self.zips:
            group = {k: self._axis(k, v) for k, v in dict(group).items()}
            lengths = {len(v) for v in group.values()}
            if len(lengths) > 1:
                self._fail("zip", f"every key of a [[zip]] needs as many values; got lengths "
                           f"{sorted(lengths)} for {', '.join(group)}")
            zips.append(group)
        put(self, "zips", tuple(zips))
        seen = list(self.fixed)
        for key in [*self.vary, *(k for g in self.zips for k in g)]:
            if key in seen:
                self._fail(key, "the key is given twice (in [set], [vary] or [[zip]])")
            seen.append(key)
        if not isinstance(self.chunk_size, int) or isinstance(self.chunk_size, bool) or self.chunk_size < 1:
            self._fail("chunk_size", f"expected a whole number of at least 1, got {self.chunk_size!r}")
        if not self.households and not self.generate:
            self._fail("households", "the grid names no household (households = [...] or [[generate]])")

    def _fail(self, key: str, message: str):
        raise models.InputError(self.source, message, column=key)

    def _check(self, key: str, value: Any) -> Any:
        return coerce_key(key, value, lambda m: self._fail(key, m))

    def _axis(self, key: str, values: Any) -> tuple:
        if isinstance(values, Mapping):
            values = _range(values, lambda m: self._fail(key, m))
        if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
            values = [values]
        values = tuple(self._check(key, v) for v in values)
        if not values:
            self._fail(key, "expected at least one value")
        return values

    @classmethod
    def from_toml(cls, path: str | Path) -> "Grid":
        path = Path(path)
        if not path.is_file():
            raise models.InputError(str(path), "grid file not found")
        try:
            doc = tomllib.loads(path.read_text())
        except tomllib.TOMLDecodeError as error:
            raise models.InputError(path.name, f"not valid TOML: {error}") from None
        return cls.from_dict(doc, base=path.resolve().parent, source=path.name)

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any], base: str | Path = ".", source: str = "grid") -> "Grid":
        def fail(key, message):
            raise models.InputError(source, message, column=key)

        known = {"households", "vary", "zip", "set", "generate", "batch"}
        for key in doc:
            if key not in known:
                fail(key, f"unknown key; expected {', '.join(sorted(known))}")
        households = doc.get("households", [])
        if isinstance(households, str):
            households = [households]
        if not isinstance(households, list) or not all(isinstance(h, str) for h in households):
            fail("households", "expected a list of household folders")
        zips = doc.get("zip", [])
        zips = [zips] if isinstance(zips, dict) else zips
        generate = doc.get("generate", [])
        generate = [generate] if isinstance(generate, dict) else generate
        batch = doc.get("batch", {})
        for key in batch:
            if key != "chunk_size":
                fail(key, "unknown key in [batch]; expected chunk_size")
        return cls(households=tuple(households), vary=doc.get("vary", {}), zips=tuple(zips),
                   fixed=doc.get("set", {}), generate=tuple(_specs(g, fail) for g in generate),
                   base=str(base), chunk_size=batch.get("chunk_size", DEFAULT_CHUNK_SIZE),
                   source=source)

    def keys(self) -> list[str]:
        """Every key a run may set, in grid order."""
        return [*self.fixed, *self.vary, *(k for g in self.zips for k in g)]

    def scenarios(self) -> list[dict[str, Any]]:
        """Every combination: one dict of dotted keys per run of each household."""
        axes = [[{k: v} for v in values] for k, values in self.vary.items()]
        axes += [[{k: vs[i] for k, vs in g.items()} for i in range(len(next(iter(g.values()))))]
                 for g in self.zips if g]
        out = []
        for combo in itertools.product(*axes):
            settings = dict(self.fixed)
            for part in combo:
                settings.update(part)
            out.append(settings)
        return out

    def folders(self, out: str | Path) -> list[tuple[str, Path]]:
        """(label, folder) of every household; synthetic ones are generated under ``out``."""
        listed = [(h, (Path(self.base) / h)) for h in self.households]
        made = []
        for spec in self.generate:
            name = f"synthetic-{spec.lots}lots-seed{spec.seed}"
            made.append((f"generated:{name}", _generate(spec, Path(out) / "households" / name)))
        return listed + made


def _range(spec: Mapping[str, Any], fail) -> list[float]:
    """{start, stop, step} (stop included when reached) or {start, stop, num} (evenly spaced)."""
    if set(spec) not in ({"start", "stop", "step"}, {"start", "stop", "num"}):
        fail("a range is {start, stop, step} or {start, stop, num}")
    start, stop = _number(spec["start"], fail), _number(spec["stop"], fail)
    if "num" in spec:
        if not isinstance(spec["num"], int) or spec["num"] < 1:
            fail("num must be a whole number of at least 1")
        values = np.linspace(start, stop, spec["num"])
    else:
        step = _number(spec["step"], fail)
        if step == 0 or (stop - start) / step < 0:
            fail("the step must lead from start to stop")
        count = int(math.floor((stop - start) / step + 1e-9)) + 1
        values = start + step * np.arange(count)
    return [round(float(v), 12) for v in values]   # 0.30000000000000004 hashes as 0.3


def _specs(doc: Mapping[str, Any], fail) -> tuple:
    """One ``[[generate]]`` table: SyntheticSpec fields, with ``seeds`` or ``count``."""
    synthetic = models.synthetic
    known = {f.name for f in fields(synthetic.SyntheticSpec)}
    doc = dict(doc)
    seeds = doc.pop("seeds", None)
    count = doc.pop("count", None)
    for key in doc:
        if key not in known:
            fail(key, f"unknown key in [[generate]]; expected seeds, count or one of {', '.join(sorted(known))}")
    seed = doc.pop("seed", 0)
    if seeds is None:
        seeds = [seed + i for i in range(count if count is not None else 1)]
    specs = []
    for s in seeds:
        spec = synthetic.SyntheticSpec(**doc, seed=s)
        try:
            spec.check()
        except ValueError as error:
            fail("generate", str(error))
        specs.append(spec)
    return tuple(specs)


def _generate(spec, folder: Path) -> Path:
    """Write a synthetic household once, whole or not at all (temporary folder, rename)."""
    if (folder / "household.toml").is_file():
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = folder.parent / f".{folder.name}.{uuid.uuid4().hex[:8]}"
    models.synthetic.generate_household(spec, tmp)
    try:
        os.replace(tmp, folder)
    except OSError:                      # someone else made it first
        import shutil
        shutil.rmtree(tmp, ignore_errors=True)
    return folder


# ---- runs and tasks --------------------------------------------------------------------------
@dataclass(frozen=True)
class Run:
    run_id: str
    index: int                 # position in the grid
    household: str             # folder name
    household_path: str        # as the grid gives it (or generated:NAME)
    folder: str
    settings: str              # canonical JSON of the run's keys


@dataclass(frozen=True)
class Task:
    """Runs of one household, solved in order by one worker with one program where possible."""
    folder: str
    runs: tuple[Run, ...]
    out: str
    token: str
    reuse: bool = True
    save_trades: bool = False
    diagnose: bool = True
    threads: int = SOLVER_THREADS
    attempt: int = 1


def settings_json(settings: Mapping[str, Any]) -> str:
    return json.dumps(dict(settings), sort_keys=True, separators=(",", ":"))


def household_digest(folder: Path) -> str:
    """sha256 of the household's files (the ones the loader reads), by name and content."""
    loading = models.loading
    digest = hashlib.sha256()
    if not folder.is_dir():
        digest.update(f"missing folder {folder}".encode())
        return digest.hexdigest()
    for name in loading.REQUIRED + loading.OPTIONAL:
        digest.update(name.encode() + b"\0")
        path = folder / name
        if not path.is_file():
            digest.update(b"<absent>\0")
            continue
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        digest.update(b"\0")
    return digest.hexdigest()


def run_id(household: str, digest: str, settings: str) -> str:
    """Stable id of a run: its household's name and files and its settings."""
    return hashlib.sha256(f"{FORMAT}\n{household}\n{digest}\n{settings}".encode()).hexdigest()[:16]


def plan_runs(grid: Grid, out: str | Path) -> list[Run]:
    """Every run of the grid, household by household, in grid order; duplicates once."""
    runs, seen = [], set()
    scenarios = [settings_json(s) for s in grid.scenarios()]
    for label, folder in grid.folders(out):
        name = folder.resolve().name
        digest = household_digest(folder)
        for settings in scenarios:
            rid = run_id(name, digest, settings)
            if rid in seen:
                continue
            seen.add(rid)
            runs.append(Run(rid, len(runs), name, label, str(folder), settings))
    return runs


def structure_key(settings: str) -> str:
    """The run's keys a Parameter cannot carry: runs with equal keys can share one program."""
    from .optimizer import PARAMETER_SETTINGS, PARAMETER_TAX_FIELDS
    free = {f"tax.{k}" for k in PARAMETER_TAX_FIELDS} | {f"plan.{k}" for k in PARAMETER_SETTINGS}
    return settings_json({k: v for k, v in json.loads(settings).items() if k not in free})


def make_tasks(runs: Sequence[Run], chunk_size: int, skip: set[str], out: Path, token: str,
               **options) -> list[Task]:
    """Slices of each household's runs, ordered by structure; stored runs left out.

    The slices are cut before leaving out stored runs, so they depend on the grid alone.
    """
    by_folder: dict[str, list[Run]] = {}
    for r in runs:
        by_folder.setdefault(r.folder, []).append(r)
    tasks = []
    for folder, group in by_folder.items():
        group = sorted(group, key=lambda r: structure_key(r.settings))   # stable: grid order within
        for k in range(0, len(group), chunk_size):
            todo = tuple(r for r in group[k:k + chunk_size] if r.run_id not in skip)
            if todo:
                tasks.append(Task(folder, todo, str(out), token, **options))
    return tasks


# ---- the worker ------------------------------------------------------------------------------
_SEES: dict[tuple[str, str], bool] = {}


def _sees_results(out: str, token: str) -> bool:
    """True when this worker sees the driver's results folder (same machine or shared disk)."""
    if (out, token) not in _SEES:
        try:
            _SEES[(out, token)] = (Path(out) / TOKEN_FILE).read_text().strip() == token
        except OSError:
            _SEES[(out, token)] = False
    return _SEES[(out, token)]


def run_task(task: Task) -> list[tuple[dict, pd.DataFrame | None]]:
    """Solve a task's runs in order; store each as it finishes when the results are visible.

    Returns (row, trades) per run; trades only when they still need storing by the driver.
    """
    local = _sees_results(task.out, task.token)
    try:
        base, load_error = models.load_household(task.folder), None
    except Exception as error:      # a malformed household fails its runs, not the batch
        base, load_error = None, _describe(error)
    state = _Reuse()
    out = []
    for r in task.runs:
        row, trades = _solve_run(r, base, load_error, state, task)
        if local:
            store(Path(task.out), row, trades)
            trades = None
        out.append((row, trades))
    return out


@dataclass
class _Reuse:
    """What a task keeps from run to run: the program and the shocked households' tables."""
    problem: Any = None
    tables: dict = field(default_factory=dict)
    runs: int = 0


def _blank_row(r: Run) -> dict[str, Any]:
    row = {c: None for c in COLUMNS}
    row.update(run_id=r.run_id, run_index=r.index, household=r.household,
               household_path=r.household_path, settings=r.settings, rebuilt=False,
               rebuild_reason="", error="", worker=f"{socket.gethostname()}:{os.getpid()}")
    return row


def _solve_run(r: Run, base, load_error: str | None, state: _Reuse, task: Task):
    """One run: its row (and trades when asked). Any failure becomes a row with its error."""
    started, cpu = time.perf_counter(), time.process_time()
    row, trades = _blank_row(r), None
    if load_error is not None:
        row.update(status=SolveStatus.ERROR.value, error=load_error)
    else:
        try:
            trades = _solve(r, base, state, task, row)
        except Exception as error:
            state.problem = None           # a failure may leave the program half-changed
            row.update(status=SolveStatus.ERROR.value, error=_describe(error))
    state.runs += 1
    row["seconds"] = time.perf_counter() - started
    row["cpu_seconds"] = time.process_time() - cpu      # this process's CPU: wall minus waiting
    row["finished_at"] = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
    return row, trades if task.save_trades else None


def _solve(r: Run, base, state: _Reuse, task: Task, row: dict[str, Any]) -> pd.DataFrame | None:
    """Apply the run's keys, reuse or rebuild the program, solve, evaluate; fill ``row``."""
    from .evaluate import evaluate
    from .optimizer import PlanProblem, diagnose
    h = apply_settings(base, json.loads(r.settings), state.tables)
    row["drift_before"] = float(np.abs(models.allocation.weights_before(h) - h.class_target).sum())
    t0 = time.perf_counter()
    problem = state.problem
    if problem is None:
        why = "first run of its task" if state.runs == 0 else "the previous run failed"
    elif not task.reuse:
        why = "reuse off"
    else:
        changed = problem.rebuild_reasons(h)
        why = f"changed {', '.join(changed)}" if changed else ""
    if why:
        state.problem = None
        problem = state.problem = PlanProblem(h)
        row.update(rebuilt=True, rebuild_reason=why)
    elif not problem.update(h):            # cannot happen: rebuild_reasons found nothing
        raise RuntimeError("PlanProblem.update refused a parameter-only change")
    row["build_seconds"] = time.perf_counter() - t0
    result = problem.solve(threads=task.threads)
    row.update(status=result.status.value, solve_seconds=result.seconds,
               gap=result.gap if np.isfinite(result.gap) else None, error=result.message)
    value = problem.problem.value
    if result.status in (SolveStatus.OPTIMAL, SolveStatus.TIME_LIMIT) and value is not None \
            and np.isfinite(value):
        trades = problem.trades()
        ev = evaluate(h, trades)
        row.update(tax_cost=ev.tax_cost, trading_cost=ev.trading_cost,
                   drift_penalty=ev.drift_penalty, objective=ev.objective,
                   drift_after=ev.drift_after, trades=len(trades),
                   turnover=float(trades["amount"].sum()) if len(trades) else 0.0,
                   violations=len(ev.violations))
        return trades
    if result.status is SolveStatus.INFEASIBLE:
        row["error"] = "infeasible"
        if task.diagnose:              # name the rule that cannot be met (a few more solves)
            try:
                row["error"] = str(diagnose(h, problem.rules))
            except Exception as error:
                row["error"] = f"infeasible (diagnosis failed: {_describe(error)})"
    return None


def _describe(error: BaseException) -> str:
    if isinstance(error, models.PlannerError):
        return str(error)
    return f"{type(error).__name__}: {error}"


def _failed_row(r: Run, message: str) -> dict[str, Any]:
    row = _blank_row(r)
    row.update(status=SolveStatus.ERROR.value, error=message, worker="driver",
               finished_at=datetime.now(timezone.utc).isoformat(timespec="milliseconds"))
    return row


# ---- storage ---------------------------------------------------------------------------------
def part_path(out: Path, rid: str) -> Path:
    return out / PARTS / f"{rid}.parquet"


def store(out: Path, row: dict[str, Any], trades: pd.DataFrame | None = None) -> bool:
    """Store one finished run (and its trades) unless stored already; True if written now."""
    final = part_path(out, row["run_id"])
    if final.exists():
        return False
    if trades is not None:
        _atomic_parquet(pa.Table.from_pandas(trades, preserve_index=False),
                        out / "trades" / f"{row['run_id']}.parquet")
    _atomic_parquet(pa.Table.from_pylist([row], schema=SCHEMA), final)
    return True


def _atomic_parquet(table: pa.Table, path: Path) -> None:
    """Write whole or not at all: a hidden temporary file, fsync, then an atomic rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with open(tmp, "wb") as f:
            pq.write_table(table, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _read_parts(out: Path, skip: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Stored parts, but those in ``skip`` (run_id → time) not written after that time.

    An unreadable part is set aside (renamed .corrupt) so that its run runs again.
    """
    folder = out / PARTS
    entries = [e for e in os.scandir(folder) if e.name.endswith(".parquet")
               and not e.name.startswith(".")] if folder.is_dir() else []
    skip = skip or {}
    tables = []
    for entry in sorted(entries, key=lambda e: e.name):
        rid = entry.name[:-len(".parquet")]
        if rid in skip and entry.stat().st_mtime < skip[rid]:
            continue
        try:
            tables.append(_conform(pq.ParquetFile(entry.path).read()))
        except Exception as error:
            print(f"planner batch: {entry.name} is unreadable ({error}); its run will run again",
                  file=sys.stderr)
            os.replace(entry.path, folder / f".{entry.name}.corrupt")
    if not tables:
        return SCHEMA.empty_table().to_pandas()
    return pa.concat_tables(tables).to_pandas()


def _conform(table: pa.Table) -> pa.Table:
    """A part in :data:`SCHEMA` (parts of an older format lack columns: nulls)."""
    if table.schema.equals(SCHEMA):
        return table
    columns = [table.column(f.name).cast(f.type) if f.name in table.column_names
               else pa.nulls(table.num_rows, f.type) for f in SCHEMA]
    return pa.Table.from_arrays(columns, schema=SCHEMA)


def read_results(out: str | Path) -> pd.DataFrame:
    """Every stored run: the parts, and rows of the last runs.parquet.

    Parts are written once per run_id, so a part already gathered into runs.parquet is not
    read again unless it is newer (rerun with ``retry_errors``): a resume costs what is new.
    A row of runs.parquet whose part is gone still counts as stored.
    """
    out = Path(out)
    old_path = out / RUNS_FILE
    old = None
    if old_path.is_file():
        try:
            old = pq.read_table(old_path).to_pandas()
            old = old[[c for c in COLUMNS if c in old.columns]]
        except Exception as error:
            print(f"planner batch: {old_path} is unreadable ({error}); rebuilding it from "
                  f"{PARTS}/", file=sys.stderr)
            old = None
    since = old_path.stat().st_mtime if old is not None else 0.0
    parts = _read_parts(out, dict.fromkeys(old["run_id"], since) if old is not None else None)
    if old is not None and len(old):
        old = old[~old["run_id"].isin(parts["run_id"])]
        parts = pd.concat([parts, old], ignore_index=True) if len(parts) else old
    return parts.drop_duplicates("run_id", keep="first").reset_index(drop=True)


def consolidate(out: str | Path, runs: Sequence[Run], keys: Sequence[str] = ()) -> pd.DataFrame:
    """Write ``runs.parquet``: the grid's stored runs in grid order, one column per key."""
    out = Path(out)
    stored = read_results(out)
    index = {r.run_id: r.index for r in runs}
    df = stored[stored["run_id"].isin(index)].copy()
    df["run_index"] = df["run_id"].map(index).astype("int64")
    df = df.sort_values("run_index").reset_index(drop=True)
    for c in ("trades", "violations"):
        df[c] = df[c].astype("Int64")
    settings = df["settings"].map(json.loads) if len(df) else pd.Series([], dtype=object)
    for key in keys:
        df[key] = [s.get(key) for s in settings]
    tmp = out / f".{RUNS_FILE}.{os.getpid()}.tmp"
    df.to_parquet(tmp, index=False)
    os.replace(tmp, out / RUNS_FILE)
    return df


def _token(out: Path) -> str:
    path = out / TOKEN_FILE
    if not path.is_file():
        tmp = out / f"{TOKEN_FILE}.{os.getpid()}.tmp"
        tmp.write_text(uuid.uuid4().hex + "\n")
        try:
            os.link(tmp, path)           # first writer wins
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
    return path.read_text().strip()


# ---- executors: one interface for this process, a local pool and Dask -------------------------
class Executor:
    """``submit(fn, arg)`` returns a future; ``as_completed(futures)`` yields them finished."""
    description = "executor"
    workers = 1

    def submit(self, fn, arg):
        raise NotImplementedError

    def as_completed(self, futures) -> Iterator:
        raise NotImplementedError

    def broken(self, error: BaseException) -> bool:
        """True when ``error`` means the workers died and :meth:`restart` may help."""
        return False

    def restart(self) -> None:
        pass

    def close(self, cancel: bool = False) -> None:
        pass


class _Deferred:
    """A future run on demand by :class:`InlineExecutor`."""

    def __init__(self, fn, arg) -> None:
        self.fn, self.arg, self._value, self._error = fn, arg, None, None

    def run(self) -> None:
        try:
            self._value = self.fn(self.arg)
        except Exception as error:
            self._error = error

    def result(self):
        if self._error is not None:
            raise self._error
        return self._value


class InlineExecutor(Executor):
    """Everything in this process, one task after another."""
    description = "this process (sequential)"

    def submit(self, fn, arg):
        return _Deferred(fn, arg)

    def as_completed(self, futures):
        for f in futures:
            f.run()
            yield f


class PoolExecutor(Executor):
    """A local process pool.

    On Linux the workers are forked from this process, which has imported the planner: they
    start in milliseconds and never re-import the caller's main module (a script without an
    ``if __name__ == "__main__":`` guard would otherwise run again in every worker). The pool
    forks all its workers at the first submit, before it starts its own thread. Elsewhere
    (macOS, Windows, where fork is unsafe or absent) they are spawned: guard the entry point.
    """

    def __init__(self, workers: int) -> None:
        import multiprocessing
        self.workers = workers
        self.description = f"local pool of {workers} processes"
        method = "fork" if sys.platform.startswith("linux") else "spawn"
        self._context = multiprocessing.get_context(method)
        self._start()

    def _start(self) -> None:
        from concurrent.futures import ProcessPoolExecutor
        self._pool = ProcessPoolExecutor(self.workers, mp_context=self._context)

    def submit(self, fn, arg):
        return self._pool.submit(fn, arg)

    def as_completed(self, futures):
        from concurrent.futures import as_completed
        return as_completed(futures)

    def broken(self, error):
        from concurrent.futures.process import BrokenProcessPool
        return isinstance(error, BrokenProcessPool)

    def restart(self):
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._start()

    def close(self, cancel=False):
        # On an interrupt, stop the workers too: they would otherwise go on with the tasks
        # already queued to them. A run cut short leaves at most a hidden temporary file.
        workers = list((getattr(self._pool, "_processes", None) or {}).values()) if cancel else []
        self._pool.shutdown(wait=not cancel, cancel_futures=cancel)
        for process in workers:
            process.terminate()
        for process in workers:
            process.join(timeout=5)


class DaskExecutor(Executor):
    """A Dask distributed cluster: one at ``scheduler`` (an address or a Client), or a
    LocalCluster of ``local_workers`` single-threaded processes started here."""

    def __init__(self, scheduler: Any = None, local_workers: int | None = None) -> None:
        try:
            import logging

            from distributed import Client, LocalCluster
        except ImportError:
            raise models.PlannerError("Dask is not installed: pip install 'tax-aware-planner[dask]' "
                                      "(or run without --scheduler/--dask-local)") from None
        self._cluster, self._own_client = None, True
        if isinstance(scheduler, Client):
            self.client, self._own_client = scheduler, False
            where = "a Dask client's cluster"
        elif scheduler is not None:
            try:
                self.client = Client(scheduler, set_as_default=False, timeout=10)
            except (OSError, TimeoutError) as error:
                raise models.PlannerError(f"cannot reach the Dask scheduler at {scheduler}: {error}") from None
            where = f"Dask scheduler {scheduler}"
        else:
            self._cluster = LocalCluster(n_workers=local_workers, threads_per_worker=1,
                                         processes=True, dashboard_address=None,
                                         silence_logs=logging.ERROR)
            self.client = Client(self._cluster, set_as_default=False)
            where = "Dask LocalCluster"
        threads = sum(w.get("nthreads", 1) for w in self.client.scheduler_info()["workers"].values())
        self.workers = max(threads, 1)
        self.description = f"{where} ({self.workers} worker threads)"

    def submit(self, fn, arg):
        return self.client.submit(fn, arg, pure=False)

    def as_completed(self, futures):
        from distributed import as_completed
        return as_completed(futures, loop=self.client.loop)   # this client, not a default one

    def close(self, cancel=False):
        if self._own_client:
            self.client.close()
        if self._cluster is not None:
            self._cluster.close()


def make_executor(scheduler=None, dask_local: int | None = None, workers: int | None = None,
                  tasks: int | None = None) -> Executor:
    """Dask when asked (``scheduler`` or ``dask_local``), else a local pool over all cores
    (``workers`` processes), else this process when one worker or one task is enough."""
    if scheduler is not None or dask_local:
        return DaskExecutor(scheduler, dask_local)
    n = workers or os.cpu_count() or 1
    if tasks is not None:
        n = min(n, tasks)
    return InlineExecutor() if n <= 1 else PoolExecutor(n)


# ---- progress --------------------------------------------------------------------------------
class Progress:
    """done/total, rate and time left on one line of ``stream`` (stderr).

    Runs count as done when their task comes back, or earlier when :meth:`watch` sees their
    part files appear (workers store each run as it finishes).
    """

    def __init__(self, total: int, done: int, stream: TextIO | None) -> None:
        self.total, self.before, self.stream = total, done, stream
        self.returned = self.on_disk = 0      # runs of this session: from tasks, from the disk
        self.status: Counter = Counter()
        self.rebuilt = 0
        self.started = time.perf_counter()
        self._shown, self._last = 0.0, -1
        self._tty = bool(stream is not None and getattr(stream, "isatty", lambda: False)())
        self._lock = threading.Lock()
        self._stop = threading.Event()

    @property
    def done(self) -> int:
        return self.before + max(self.returned, self.on_disk)

    def advance(self, row: Mapping[str, Any] | None) -> None:
        """One more run stored (``row`` None: stored by a worker that then died)."""
        self.returned += 1
        if row is not None:
            self.status[row["status"]] += 1
            self.rebuilt += bool(row["rebuilt"])
        self.show()

    def watch(self, folder: Path, ids: set[str], every: float = 0.5) -> None:
        """Count the part files of ``ids`` in ``folder`` every ``every`` seconds until :meth:`stop`."""
        if self.stream is None:
            return

        def loop():
            while not self._stop.wait(every):
                try:
                    self.on_disk = sum(1 for e in os.scandir(folder) if e.name[:-8] in ids)
                except OSError:
                    continue
                self.show()

        threading.Thread(target=loop, name="planner-batch-progress", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()

    @property
    def rate_per_minute(self) -> float:
        elapsed = time.perf_counter() - self.started
        return 60.0 * (self.done - self.before) / elapsed if elapsed > 0 else 0.0

    def line(self) -> str:
        rate = self.rate_per_minute
        left = self.total - self.done
        eta = _duration(60.0 * left / rate) if rate > 0 else "?"
        failed = self.status[SolveStatus.ERROR.value] + self.status[SolveStatus.INFEASIBLE.value]
        pct = 100.0 * self.done / self.total if self.total else 100.0
        return (f"batch {self.done}/{self.total} runs ({pct:.0f}%) · {rate:,.1f} runs/min · "
                f"{eta} left" + (f" · {failed} failed" if failed else ""))

    def show(self, final: bool = False) -> None:
        if self.stream is None:
            return
        with self._lock:
            now = time.perf_counter()
            every = 0.2 if self._tty else 10.0
            if not final and now - self._shown < every and self.done < self.total:
                return
            self._shown, text = now, self.line()
            if self._tty:
                self.stream.write("\r\033[K" + text + ("\n" if final else ""))
            elif self.done != self._last:
                self.stream.write(text + "\n")
            self._last = self.done
            self.stream.flush()


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds // 60 % 60:02d}m"


# ---- the driver ------------------------------------------------------------------------------
def run_batch(grid: Grid | str | Path, out: str | Path, scheduler: Any = None,
              dask_local: int | None = None, workers: int | None = None, progress: bool = True,
              *, chunk_size: int | None = None, reuse: bool = True, save_trades: bool = False,
              retry_errors: bool = False, diagnose: bool = True, charts: bool = True) -> pd.DataFrame:
    """Run every run of ``grid`` not yet stored in ``out``; return all of the grid's runs.

    Parameters
    ----------
    grid
        A :class:`Grid` or the path of a grid TOML file.
    out
        The results folder (created). Rerunning with the same folder resumes.
    scheduler
        Address of a running Dask scheduler (``tcp://host:8786``) or a ``distributed.Client``.
    dask_local
        Start a Dask LocalCluster of this many single-threaded worker processes.
    workers
        Size of the local process pool (default: all cores); 1 runs in this process.
    progress
        Progress and the final summary on stderr.
    chunk_size
        Runs per task (default: the grid's ``[batch] chunk_size``, 8).
    reuse
        False rebuilds the program for every run (the cold baseline of the benchmark).
    save_trades, retry_errors, diagnose, charts
        Write each run's trade list; rerun stored runs that ended in ``error``; name the
        rule an infeasible run cannot meet (extra solves); draw the frontier charts.

    Returns
    -------
    pandas.DataFrame
        ``runs.parquet``'s rows; ``attrs["summary"]`` holds the summary text.
    """
    started = time.perf_counter()
    grid = grid if isinstance(grid, Grid) else Grid.from_toml(grid)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    token = _token(out)
    runs = plan_runs(grid, out)
    keys = grid.keys()
    existing = consolidate(out, runs, keys)          # a resume starts from a whole runs.parquet
    stored = set(existing["run_id"])
    if retry_errors:
        failed = existing.loc[existing["status"] == SolveStatus.ERROR.value, "run_id"]
        for rid in failed:
            part_path(out, rid).unlink(missing_ok=True)
        stored -= set(failed)
    tasks = make_tasks(runs, chunk_size or grid.chunk_size, stored, out, token, reuse=reuse,
                       save_trades=save_trades, diagnose=diagnose)
    todo = sum(len(t.runs) for t in tasks)
    bar = Progress(len(runs), len(runs) - todo, sys.stderr if progress else None)
    where = "nothing to run"
    interrupted = False
    if tasks:
        executor = make_executor(scheduler, dask_local, workers, len(tasks))
        where = executor.description
        if progress:
            print(f"planner batch: {len(runs)} runs, {len(runs) - todo} stored already, {todo} to "
                  f"run in {len(tasks)} tasks on {where}", file=sys.stderr)
        finished = False
        bar.watch(out / PARTS, {r.run_id for t in tasks for r in t.runs})
        try:
            _drive(executor, tasks, out, bar)
            finished = True
        except KeyboardInterrupt:
            interrupted = True
        finally:
            bar.stop()
            executor.close(cancel=not finished)
        bar.show(final=True)
    results = consolidate(out, runs, keys)
    if interrupted:
        print(f"\nplanner batch: interrupted; {len(results)} of {len(runs)} runs stored in {out}. "
              "Run the same command again to finish.", file=sys.stderr)
        raise KeyboardInterrupt
    written = write_charts(results, out) if charts else []
    text = summary(results, runs, bar, where, time.perf_counter() - started, out, written)
    results.attrs["summary"] = text
    results.attrs["charts"] = [str(p) for p in written]
    if progress:
        print(text, file=sys.stderr)
    return results


def _drive(executor: Executor, tasks: list[Task], out: Path, bar: Progress) -> None:
    """Submit every task, store what comes back, retry tasks whose worker process died once."""
    queue = list(tasks)
    while queue:
        pending = {executor.submit(run_task, t): t for t in queue}
        queue = []
        for future in executor.as_completed(list(pending)):
            task = pending.pop(future)
            try:
                payload = future.result()
            except Exception as error:
                left = tuple(r for r in task.runs if not part_path(out, r.run_id).exists())
                for _ in range(len(task.runs) - len(left)):
                    bar.advance(None)              # stored by the worker before it died
                if left and executor.broken(error) and task.attempt < MAX_ATTEMPTS:
                    queue.append(replace(task, runs=left, attempt=task.attempt + 1))
                    continue
                payload = [(_failed_row(r, f"the worker failed: {_describe(error)}"), None) for r in left]
            for row, trades in payload:
                store(out, row, trades)
                bar.advance(row)
        if queue:
            executor.restart()


def summary(results: pd.DataFrame, runs: Sequence[Run], bar: Progress, where: str,
            seconds: float, out: Path, charts: Sequence[Path]) -> str:
    ran = bar.returned
    counts = results["status"].value_counts()
    statuses = ", ".join(f"{s} {int(counts[s])}" for s in [s.value for s in SolveStatus] if s in counts)
    lines = [f"planner batch: {len(results)} of {len(runs)} runs stored ({statuses or 'none'}); "
             f"{ran} ran now on {where} in {_duration(seconds)}"
             + (f", {bar.rate_per_minute:,.1f} runs/min" if ran else "")]
    if ran:
        lines.append(f"  programs reused for {ran - bar.rebuilt} of {ran} runs (built {bar.rebuilt})")
    errors = results[results["status"] == SolveStatus.ERROR.value]
    for _, row in errors.head(5).iterrows():
        lines.append(f"  error in {row['household']} {row['settings']}: {row['error']}")
    if len(errors) > 5:
        lines.append(f"  ... and {len(errors) - 5} more errors (see the error column)")
    lines.append(f"  wrote {out / RUNS_FILE}" + (f" and {len(charts)} charts in {out / 'charts'}"
                                                  if charts else ""))
    return "\n".join(lines)


# ---- charts ----------------------------------------------------------------------------------
def write_charts(results: pd.DataFrame, out: Path) -> list[Path]:
    """Tax cost versus drift per household (PNG in ``out/charts``).

    Where ``plan.drift_penalty_bp`` varies, one chart per household and combination of the
    other keys: the frontier the penalty traces. Otherwise one chart per household of its
    efficient runs (no other run has both less drift and less tax).
    """
    from .charts import frontier_chart
    ok = results[results["status"].isin([SolveStatus.OPTIMAL.value, SolveStatus.TIME_LIMIT.value])
                 & results["tax_cost"].notna() & results["drift_after"].notna()]
    folder = out / "charts"
    written: list[Path] = []
    index = []
    penalty = "plan.drift_penalty_bp"
    for path, rows in ok.groupby("household_path", sort=False):
        name = _safe(rows["household"].iloc[0] if path.startswith("generated:") else path)
        settings = rows["settings"].map(json.loads)
        varies = settings.map(lambda s: s.get(penalty)).nunique(dropna=False) > 1
        if varies:
            others = settings.map(lambda s: settings_json({k: v for k, v in s.items() if k != penalty}))
            groups = list(rows.groupby(others, sort=False))
        else:
            groups = [("", _efficient(rows))]
        for k, (other, group) in enumerate(groups):
            if len(written) >= MAX_CHARTS:
                break
            file = folder / (f"{name}.png" if len(groups) == 1 else f"{name}-{k + 1:03d}.png")
            what = "drift penalty sweep" if varies else "efficient runs"
            label = f" {_short(other)}" if other and other != "{}" else ""
            folder.mkdir(parents=True, exist_ok=True)
            frontier_chart(group, file, title=f"{rows['household'].iloc[0]}: {what}{label}")
            written.append(file)
            index.append({"chart": file.name, "household_path": path, "settings": other or "{}",
                          "runs": len(group)})
    if index:
        pd.DataFrame(index).to_csv(folder / "index.csv", index=False)
    if len(ok) and len(written) >= MAX_CHARTS:
        print(f"planner batch: drew the first {MAX_CHARTS} charts only", file=sys.stderr)
    return written


def _efficient(rows: pd.DataFrame) -> pd.DataFrame:
    ordered = rows.sort_values(["drift_after", "tax_cost"])
    best = ordered["tax_cost"].cummin()
    keep = ordered["tax_cost"] <= best.shift(fill_value=np.inf) - 1e-9
    return ordered[keep.to_numpy()]


def _safe(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text).strip("_.") or "household"


def _short(settings: str) -> str:
    text = ", ".join(f"{k.split('.', 1)[1]}={v}" for k, v in json.loads(settings).items())
    return f"({text[:70]}{'…' if len(text) > 70 else ''})"


# ---- command line ----------------------------------------------------------------------------
def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("grid", help="grid TOML: households and the settings to vary")
    parser.add_argument("--out", required=True, help="results folder (rerun to resume)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, help="local processes (default: all cores; 1: this process)")
    where.add_argument("--dask-local", type=int, metavar="N", help="start a Dask LocalCluster of N workers")
    where.add_argument("--scheduler", metavar="ADDRESS", help="a running Dask scheduler, tcp://host:8786")
    parser.add_argument("--chunk-size", type=int, help="runs per task (default 8, or the grid's [batch])")
    parser.add_argument("--no-reuse", action="store_true", help="rebuild the program for every run")
    parser.add_argument("--save-trades", action="store_true", help="write each run's trades")
    parser.add_argument("--retry-errors", action="store_true", help="rerun stored runs that ended in error")
    parser.add_argument("--no-diagnose", action="store_true", help="don't explain infeasible runs")
    parser.add_argument("--no-charts", action="store_true", help="skip the frontier charts")
    parser.add_argument("--quiet", action="store_true", help="no progress or summary on stderr")


def run(args) -> int:
    if args.chunk_size is not None and args.chunk_size < 1:
        raise models.InputError("--chunk-size", "expected a whole number of at least 1")
    for name in ("workers", "dask_local"):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            raise models.InputError(f"--{name.replace('_', '-')}", "expected at least 1")
    try:
        results = run_batch(args.grid, args.out, scheduler=args.scheduler, dask_local=args.dask_local,
                            workers=args.workers, progress=not args.quiet, chunk_size=args.chunk_size,
                            reuse=not args.no_reuse, save_trades=args.save_trades,
                            retry_errors=args.retry_errors, diagnose=not args.no_diagnose,
                            charts=not args.no_charts)
    except KeyboardInterrupt:
        return 130
    print(f"wrote {Path(args.out) / RUNS_FILE} ({len(results)} runs)")
    return 0
