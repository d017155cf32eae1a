"""Read a household folder (SPEC §1) into a validated :class:`Household`."""
from __future__ import annotations

import re
import tomllib
from dataclasses import fields
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .enums import DriftShape, FilingStatus
from .errors import InputError
from .household import Household
from .settings import PlanSettings, TaxProfile, range_error

# Text columns: ids that look like numbers are read as text, so 007 keeps its zeros.
_TEXT = {c: str for c in ("account_id", "type", "owner", "symbol", "asset_class", "wash_group",
                          "lot_id", "action", "buy", "sell", "term")}
REQUIRED = ("household.toml", "accounts.csv", "securities.csv", "lots.csv", "targets.csv")
OPTIONAL = ("transactions.csv", "cashflows.csv", "allowed.csv")
_RATES = ("short_term_rate", "long_term_rate", "deduction_rate", "carryforward_value")


def read_csv(path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path, skipinitialspace=True, skip_blank_lines=False)
        numeric_ids = [c for c in frame.columns if c in _TEXT and
                       pd.api.types.is_numeric_dtype(frame[c]) and frame[c].notna().any()]
        if numeric_ids:   # ids that look like numbers are read again as text (keep 007)
            frame = pd.read_csv(path, skipinitialspace=True, skip_blank_lines=False,
                                dtype={c: str for c in numeric_ids})
    except pd.errors.EmptyDataError:
        raise InputError(path.name, "the file is empty; expected a header row") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as error:
        text = " ".join(str(error).split())
        found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", text)
        if found:
            raise InputError(path.name, f"expected {found[1]} fields as in the header, found "
                             f"{found[3]}", int(found[2])) from None
        raise InputError(path.name, f"not a readable CSV file: {text}") from None
    blank = frame.isna().all(axis=1).to_numpy()
    if blank.any():   # keep the file's line numbers for error messages
        lines = np.flatnonzero(~blank) + 2
        frame = frame.loc[~blank].reset_index(drop=True)
        frame.attrs["file_lines"] = lines
    return frame


def load_household(folder: str | Path) -> Household:
    """Read and check every file of a household folder; raise :class:`InputError` if bad."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(str(folder), "not a household folder (expected a directory)")
    for name in REQUIRED:
        if not (folder / name).is_file():
            raise InputError(name, f"required file missing from {folder}")
    as_of, tax, settings = read_toml(folder / "household.toml")
    frames = {name[:-4]: read_csv(folder / name) for name in REQUIRED[1:] + OPTIONAL
              if (folder / name).is_file()}
    return Household.from_frames(as_of=as_of, tax=tax, settings=settings,
                                 name=folder.resolve().name, **frames)


def read_toml(path: Path) -> tuple[date, TaxProfile, PlanSettings]:
    text = path.read_text()
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InputError(path.name, f"not valid TOML: {error}") from None
    return parse_toml(doc, text)


def parse_toml(doc: dict[str, Any], text: str = "") -> tuple[date, TaxProfile, PlanSettings]:
    def fail(key: str, message: str, section: str | None = None):
        raise InputError("household.toml", message, _line_of(text, key, section), key)

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
    if status not in {s.value for s in FilingStatus}:
        fail("filing_status", f"expected one of {', '.join(s.value for s in FilingStatus)}, "
                              f"got '{status}'")
    tax_values: dict[str, Any] = {"filing_status": FilingStatus(status)}
    for key, value in _section(doc, "tax", fail).items():
        if key not in _RATES:
            fail(key, f"unknown key in [tax]; expected one of {', '.join(_RATES)}")
        tax_values[key] = _number(value, key, lambda k, m: fail(k, m, "tax"), low=0.0, high=1.0)
    for section, prefix, sign in (("realized", "realized_", None), ("carryforward", "carryover_", 0.0)):
        for key, value in _section(doc, section, fail).items():
            if key not in ("short_term", "long_term"):
                fail(key, f"unknown key in [{section}]; expected short_term or long_term", section)
            tax_values[prefix + key] = _number(value, key, lambda k, m, s=section: fail(k, m, s), low=sign)
    plan = _section(doc, "plan", fail)
    known = {f.name: f for f in fields(PlanSettings)}
    plan_values: dict[str, Any] = {}
    for key, value in plan.items():
        if key not in known:
            fail(key, f"unknown key in [plan]; expected one of {', '.join(known)}", "plan")
        plan_values[key] = coerce_setting(key, value, lambda m, k=key: fail(k, m, "plan"))
    return as_of, TaxProfile(**tax_values), PlanSettings(**plan_values)


def coerce_setting(key: str, value: Any, fail) -> Any:
    """Check one ``[plan]`` setting (from TOML or the command line) and give it its type."""
    default = getattr(PlanSettings(), key)
    if key == "drift_shape":
        if str(value) not in {s.value for s in DriftShape}:
            fail(f"expected one of {', '.join(s.value for s in DriftShape)}, got '{value}'")
        return DriftShape(str(value))
    if isinstance(default, bool):
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        if not isinstance(value, bool):
            fail(f"expected true or false, got {value!r}")
        return value
    if isinstance(value, str) and value.lower() in ("none", ""):
        if default is None:
            return None
    if isinstance(value, bool) or (isinstance(value, str) and value.lower() in ("true", "false")):
        fail(f"expected a number, got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        fail(f"expected a number, got {value!r}")
    if number < 0:
        fail(f"expected a number of at least 0, got {number:g}")
    if key == "partial" and not 0 < number <= 1:
        fail(f"expected a fraction 0 < a <= 1, got {number:g}")
    message = range_error(key, number)
    if message:
        fail(message)
    return number


def _section(doc: dict, name: str, fail) -> dict:
    section = doc.get(name, {})
    if not isinstance(section, dict):
        fail(name, f"expected a table [{name}]")
    return section


def _number(value: Any, key: str, fail, low: float | None = None, high: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        fail(key, f"expected a number, got {value!r}")
    if low is not None and value < low:
        fail(key, f"expected a number of at least {low:g}, got {value:g}")
    if high is not None and value > high:
        fail(key, f"expected a rate as a decimal (0.37, not 37), got {value:g}")
    return float(value)


def _line_of(text: str, key: str, section: str | None = None) -> int | None:
    """The line of ``key = ...`` in the TOML text (tomllib gives no lines): within the table
    ``[section]`` when given (``short_term`` is in [realized] and in [carryforward]), or as
    a dotted key ``section.key`` outside it."""
    lines = text.splitlines()
    current = None
    plain = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
    dotted = re.compile(rf"^\s*{re.escape(section or '')}\s*\.\s*{re.escape(key)}\s*=")
    for number, line in enumerate(lines, start=1):
        header = re.match(r"^\s*\[\s*([^\[\]]+?)\s*\]", line)
        if header:
            current = header.group(1)
            continue
        if section is None or current == section:
            if plain.match(line):
                return number
        elif current is None and dotted.match(line):
            return number
    return None
