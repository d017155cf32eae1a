"""The tax tables of a year as data: ordinary brackets, the 0%/15% long-term thresholds, the
standard deduction and the NIIT threshold per filing status (SPEC §2b).

2025 and 2026 ship in ``models/data/tax_tables.toml`` with their sources; a household may add
or replace years with its own file of the same format (``[tax] tables = "FILE"``), documented
at the top of the shipped file and in the README. Every figure is checked when read: a bad
one is an :class:`InputError` naming the file and the key.
"""
from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from .enums import FilingStatus
from .errors import InputError

SHIPPED_FILE = "tax_tables.toml"
# IRC §1411(b): not indexed for inflation.
NIIT_THRESHOLD = {FilingStatus.SINGLE: 200_000.0, FilingStatus.MARRIED_JOINT: 250_000.0,
                  FilingStatus.MARRIED_SEPARATE: 125_000.0,
                  FilingStatus.HEAD_OF_HOUSEHOLD: 200_000.0}
_STATUS_KEYS = ("brackets", "zero_rate_max", "fifteen_rate_max", "standard_deduction",
                "niit_threshold")
_STATE_STATUS_KEYS = ("brackets", "standard_deduction")


@dataclass(frozen=True)
class Brackets:
    """A Tax Rate Schedule: ``rates[i]`` applies to income over ``edges[i]`` (edges[0] = 0)."""
    edges: tuple[float, ...]
    rates: tuple[float, ...]

    def tax(self, income: float) -> float:
        """The schedule's formula (never the Tax Table's $50 rows), dollars; 0 for income ≤ 0."""
        tops = self.edges[1:] + (math.inf,)
        return sum(r * min(max(income - e, 0.0), top - e)
                   for e, top, r in zip(self.edges, tops, self.rates))


@dataclass(frozen=True)
class StatusTables:
    """One filing status's figures for a year."""
    brackets: Brackets
    zero_rate_max: float       # QDCGT Worksheet line 6
    fifteen_rate_max: float    # QDCGT Worksheet line 13
    standard_deduction: float  # Form 1040 line 12 when not itemizing
    niit_threshold: float      # Form 8960 line 14


@dataclass(frozen=True)
class StateTables:
    """A state's own schedule, read and checked; the tax of the year uses the flat state_rate."""
    name: str
    source: str
    brackets: tuple[tuple[FilingStatus, Brackets], ...]
    standard_deduction: tuple[tuple[FilingStatus, float], ...]


@dataclass(frozen=True)
class YearTables:
    year: int
    source: str
    file: str                                        # the file they were read from
    statuses: tuple[tuple[FilingStatus, StatusTables], ...]
    state: StateTables | None = None

    def status(self, filing_status: FilingStatus) -> StatusTables:
        return dict(self.statuses)[FilingStatus(filing_status)]


@dataclass(frozen=True)
class TablesBook:
    """Every year available: the shipped tables, overridden year by year by a user's file."""
    years: tuple[YearTables, ...]
    files: tuple[str, ...]

    def get(self, year: int) -> YearTables | None:
        return next((t for t in self.years if t.year == year), None)

    @property
    def year_numbers(self) -> list[int]:
        return sorted(t.year for t in self.years)

    def with_file(self, path: Path, label: str | None = None) -> "TablesBook":
        """This book with the years of a user's tables file added (a year there wins)."""
        extra = read_tables(path, label or path.name)
        kept = tuple(t for t in self.years if t.year not in {e.year for e in extra})
        return TablesBook(tuple(sorted(kept + extra, key=lambda t: t.year)),
                          self.files + (label or path.name,))


@lru_cache(maxsize=1)
def shipped_tables() -> TablesBook:
    """The tables that ship with the planner (package data, present in an installed wheel)."""
    # By this package, not by the name "models": a user's own models.py may shadow it.
    text = resources.files(__package__).joinpath("data", SHIPPED_FILE).read_text(encoding="utf-8")
    years = parse_tables(tomllib.loads(text), SHIPPED_FILE)
    return TablesBook(years, (SHIPPED_FILE,))


def read_tables(path: Path, label: str) -> tuple[YearTables, ...]:
    """Read a user's tables file; every problem is an InputError naming ``label`` and the key."""
    if not path.is_file():
        raise InputError(label, f"tax tables file not found ({path})")
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise InputError(label, f"not valid TOML: {error}") from None
    return parse_tables(doc, label)


def parse_tables(doc: dict[str, Any], file: str) -> tuple[YearTables, ...]:
    def fail(key: str, message: str):
        raise InputError(file, message, column=key)

    unknown = set(doc) - {"federal", "state"}
    if unknown:
        fail(sorted(unknown)[0], "unknown table; expected [federal.YEAR] or [state.YEAR]")
    federal = _table(doc.get("federal", {}), "federal", fail)
    if not federal:
        fail("federal", "no [federal.YEAR] table; expected at least one year of tables")
    states = _table(doc.get("state", {}), "state", fail)
    for year in states:
        if year not in federal:
            fail(f"state.{year}", f"a state table for {year} needs [federal.{year}] too")
    years = []
    for year_key, table in federal.items():
        year = _year(year_key, f"federal.{year_key}", fail)
        where = f"federal.{year_key}"
        _only(table, {"source"} | {s.value for s in FilingStatus}, where, fail)
        statuses = []
        for status in FilingStatus:
            key = f"{where}.{status.value}"
            entry = table.get(status.value)
            if not isinstance(entry, dict):
                fail(key, f"missing table [{key}]; every filing status needs its figures")
            _only(entry, set(_STATUS_KEYS), key, fail)
            for name in _STATUS_KEYS[1:4]:
                if name not in entry:
                    fail(f"{key}.{name}", f"missing key '{name}'")
            zero = _amount(entry["zero_rate_max"], f"{key}.zero_rate_max", fail)
            fifteen = _amount(entry["fifteen_rate_max"], f"{key}.fifteen_rate_max", fail)
            if fifteen < zero:
                fail(f"{key}.fifteen_rate_max", f"expected at least zero_rate_max ({zero:g})")
            niit = entry.get("niit_threshold")
            statuses.append((status, StatusTables(
                _brackets(entry.get("brackets"), f"{key}.brackets", fail), zero, fifteen,
                _amount(entry["standard_deduction"], f"{key}.standard_deduction", fail),
                NIIT_THRESHOLD[status] if niit is None else
                _amount(niit, f"{key}.niit_threshold", fail))))
        state = _state(states.get(year_key), f"state.{year_key}", fail)
        years.append(YearTables(year, _source(table, where, fail), file, tuple(statuses), state))
    return tuple(sorted(years, key=lambda t: t.year))


def _state(table: dict | None, where: str, fail) -> StateTables | None:
    if table is None:
        return None
    _only(table, {"source", "name"} | {s.value for s in FilingStatus}, where, fail)
    brackets, deductions = [], []
    for status in FilingStatus:
        entry = table.get(status.value)
        if entry is None:
            continue
        key = f"{where}.{status.value}"
        if not isinstance(entry, dict):
            fail(key, f"expected a table [{key}]")
        _only(entry, set(_STATE_STATUS_KEYS), key, fail)
        brackets.append((status, _brackets(entry.get("brackets"), f"{key}.brackets", fail)))
        deductions.append((status, _amount(entry.get("standard_deduction", 0.0),
                                           f"{key}.standard_deduction", fail)))
    name = table.get("name", "")
    if not isinstance(name, str):
        fail(f"{where}.name", f"expected text, got {name!r}")
    return StateTables(name, _source(table, where, fail), tuple(brackets), tuple(deductions))


def _table(value: Any, name: str, fail) -> dict:
    if not isinstance(value, dict):
        fail(name, f"expected tables [{name}.YEAR]")
    return value


def _year(key: str, where: str, fail) -> int:
    if not key.isdigit() or not 1900 < int(key) < 3000:
        fail(where, f"expected a tax year such as [{where.split('.')[0]}.2026], got '{key}'")
    return int(key)


def _only(table: dict, allowed: set[str], where: str, fail) -> None:
    for key in table:
        if key not in allowed:
            fail(f"{where}.{key}", f"unknown key; expected one of {', '.join(sorted(allowed))}")


def _source(table: dict, where: str, fail) -> str:
    source = table.get("source")
    if not isinstance(source, str) or not source.strip():
        fail(f"{where}.source", "missing key 'source' (where the figures come from)")
    return " ".join(source.split())


def _amount(value: Any, key: str, fail) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        fail(key, f"expected a finite number of dollars, got {value!r}")
    if value < 0:
        fail(key, f"expected at least 0, got {value:g}")
    return float(value)


def _brackets(rows: Any, key: str, fail) -> Brackets:
    if not isinstance(rows, list) or not rows:
        fail(key, "expected a list of [income over, rate] rows, e.g. [[0, 0.10], [11925, 0.12]]")
    edges, rates = [], []
    for i, row in enumerate(rows, start=1):
        if not isinstance(row, list) or len(row) != 2:
            fail(key, f"row {i}: expected [income over, rate], got {row!r}")
        edge = _amount(row[0], key, fail)
        rate = _amount(row[1], key, fail)
        if rate >= 1:
            fail(key, f"row {i}: expected a rate as a decimal below 1 (0.37, not 37), got {rate:g}")
        if edges and edge <= edges[-1]:
            fail(key, f"row {i}: income edges must increase, got {edge:g} after {edges[-1]:g}")
        if rates and rate < rates[-1]:
            fail(key, f"row {i}: rates must not fall (a progressive schedule), got {rate:g} "
                      f"after {rates[-1]:g}")
        edges.append(edge)
        rates.append(rate)
    if edges[0] != 0:
        fail(key, f"the first row must start at 0, got {edges[0]:g}")
    return Brackets(tuple(edges), tuple(rates))
