"""Read a household folder (SPEC §1) into a validated :class:`Household`."""
from __future__ import annotations

import os
import re
import tomllib
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from . import inputs, schema
from .enums import FilingStatus
from .errors import InputError
from .household import Household
from .settings import PlanSettings, TaxProfile
from .tax_tables import shipped_tables

REQUIRED = ("household.toml", "accounts.csv", "securities.csv", "lots.csv", "targets.csv")
OPTIONAL = ("transactions.csv", "cashflows.csv", "allowed.csv")
TOP_LEVEL = ("as_of", "filing_status") + schema.SECTIONS


def read_csv(path: Path, required: bool = True) -> pd.DataFrame | None:
    """A household CSV (see :func:`models.inputs.read_csv`): None when optional and absent."""
    return inputs.read_csv(path, required=required)


def load_household(folder: str | Path) -> Household:
    """Read and check every file of a household folder; raise :class:`InputError` if bad."""
    folder = Path(folder)
    try:
        is_folder = folder.is_dir()
    except OSError as error:
        raise InputError(str(folder), f"cannot be read: {error.strerror or error}") from None
    if not is_folder:
        what = "does not exist" if not os.path.lexists(folder) else "is not a folder"
        raise InputError(str(folder), f"not a household folder ({what}; expected a directory)")
    as_of, tax, settings = read_toml(folder / "household.toml", folder)
    frames = {name[:-4]: read_csv(folder / name, required=name in REQUIRED)
              for name in REQUIRED[1:] + OPTIONAL}
    return Household.from_frames(as_of=as_of, tax=tax, settings=settings,
                                 name=folder.resolve().name, **frames)


def read_toml(path: Path, folder: Path | None = None) -> tuple[date, TaxProfile, PlanSettings]:
    text = inputs.read_text(path)
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InputError(path.name, f"not valid TOML: {error}") from None
    return parse_toml(doc, text, folder)


def parse_toml(doc: dict[str, Any], text: str = "", folder: Path | None = None
               ) -> tuple[date, TaxProfile, PlanSettings]:
    """household.toml's keys, checked; ``folder`` resolves ``[tax] tables`` (default: cwd)."""
    def fail(key: str, message: str):
        raise InputError("household.toml", message, _line_of(text, key), key)

    if "as_of" not in doc:
        fail("as_of", "missing key 'as_of' (the trade date, YYYY-MM-DD)")
    as_of = doc["as_of"]
    if isinstance(as_of, datetime):
        as_of = as_of.date()
    if isinstance(as_of, str):
        try:
            as_of = date.fromisoformat(as_of)
        except ValueError:
            fail("as_of", f"expected a date YYYY-MM-DD, got '{as_of}'")
    if not isinstance(as_of, date):
        fail("as_of", f"expected a date YYYY-MM-DD, got {as_of!r}")
    status = doc.get("filing_status", FilingStatus.SINGLE.value)
    if not isinstance(status, str) or status not in {s.value for s in FilingStatus}:
        fail("filing_status", f"expected one of {', '.join(s.value for s in FilingStatus)}, "
                              f"got '{status}'")
    for name in doc:
        if name not in TOP_LEVEL:
            fail(name, f"unknown key or table '{name}'; expected one of {', '.join(TOP_LEVEL)}")
    values: dict[str, dict[str, Any]] = {"tax": {"filing_status": FilingStatus(status)}, "plan": {}}
    for section in schema.SECTIONS:
        for name, value in _section(doc, section, fail).items():
            def located(message: str, section=section, name=name):
                raise InputError("household.toml", f"[{section}] {name}: {message}",
                                 _line_of(text, name, section), name)
            k = schema.key(section, name, located)
            target = "plan" if section in schema.PLAN_SECTIONS else "tax"
            values[target][k.target] = k.kind.check(value, located)
    _schedule_mode(doc.get("tax", {}), values["tax"], text, folder)
    return as_of, TaxProfile(**values["tax"]), PlanSettings(**values["plan"])


def _schedule_mode(section: dict[str, Any], values: dict[str, Any], text: str,
                   folder: Path | None) -> None:
    """[tax]: flat rates, or a schedule year with the household's other income (SPEC §2b);
    never both. Loads a user's tables file and checks the year has tables."""
    def fail(key: str, message: str):
        raise InputError("household.toml", f"[tax] {key}: {message}", _line_of(text, key, "tax"), key)
    year = values.get("schedule")
    for key in (schema.FLAT_RATES if year is not None else schema.SCHEDULE_ONLY):
        if key in section:
            fail(key, f"'{key}' must be absent with schedule = {year}: schedule mode computes the "
                      "tax from the year's tables; remove one of the two" if year is not None else
                      f"'{key}' is a schedule-mode key: add schedule = YEAR to [tax] "
                      "(or remove it to keep flat rates)")
    if "tables" in values:
        values["tables"] = shipped_tables().with_file((folder or Path.cwd()) / values["tables"],
                                                      values["tables"])
    if year is not None:
        try:
            TaxProfile(**values).status_tables
        except InputError as error:
            fail("schedule", error.message)


def coerce_setting(key: str, value: Any, fail) -> Any:
    """Check one ``[plan]`` setting (from TOML or the command line) and give it its type."""
    return schema.plan_setting(key, value, fail)


def _section(doc: dict, name: str, fail) -> dict:
    section = doc.get(name, {})
    if not isinstance(section, dict):
        fail(name, f"expected a table [{name}]")
    return section


def _line_of(text: str, key: str, section: str | None = None) -> int | None:
    """The line of ``key = ...`` in ``[section]`` (or written ``section.key = ...``); with no
    section, of a top-level ``key = ...`` or the header ``[key]``. 1-based, None if not found."""
    current = None
    assignment = re.compile(rf"^\s*\"?{re.escape(key)}\"?\s*=")
    dotted = re.compile(rf"^\s*\"?{re.escape(section or '')}\"?\s*\.\s*\"?{re.escape(key)}\"?\s*=")
    for number, line in enumerate(text.splitlines(), 1):
        header = re.match(r"^\s*\[\s*\"?([^\]\"]+?)\"?\s*\]", line)
        if header:
            current = header[1].strip()
            if section is None and current == key:
                return number
        elif current == section and assignment.match(line):
            return number
        elif section is not None and current is None and dotted.match(line):
            return number
    return None
