"""The one settings validator: every key of ``household.toml``'s tables, its type and its range.

One line per key in :data:`KEYS`. ``household.toml``, ``--set``, a batch grid and the Python API
(:func:`check_profile`) all check through it, so ``band = true``, ``band = inf``, ``band = 3``
and ``nan`` anywhere are errors naming the key, never a silent 1.0 or a NaN tax.

A key is ``Key(section, name, kind)``: the section of ``household.toml`` (``tax``,
``realized``, ``carryforward``, ``plan``), its name there, what it accepts, and the field of
:class:`TaxProfile` or :class:`PlanSettings` it sets (the name itself unless given).
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from enum import Enum
from typing import Any, Callable

import numpy as np

from .enums import DriftShape, WashSale
from .errors import InputError
from .inputs import parse_number
from .settings import PlanSettings, TaxProfile

Fail = Callable[[str], Any]
_NONE_WORDS = ("none", "")


@dataclass(frozen=True)
class Number:
    """A finite number in [low, high] (``open_low``: above low); ``optional``: None allowed."""
    low: float | None = None
    high: float | None = None
    open_low: bool = False
    optional: bool = False
    rate: bool = False          # a decimal rate: 37 is a percent typed by mistake
    integer: bool = False       # a whole number (a tax year: ``schedule = 2026``)

    def check(self, value: Any, fail: Fail) -> float | int | None:
        if self.optional and (value is None or (isinstance(value, str) and value.strip().lower() in _NONE_WORDS)):
            return None
        number = parse_number(value)
        if number is None:
            fail(f"expected a finite number, got {value!r}")
        if self.integer and (isinstance(value, float) or number != int(number)):   # 2026.0 too
            fail(f"expected a whole number, got {value!r}")
        if self.low is not None and (number < self.low or (self.open_low and number == self.low)):
            fail(f"expected a number {'above' if self.open_low else 'of at least'} {self.low:g}, got {number:g}")
        if self.high is not None and number > self.high:
            fail(f"expected a rate as a decimal (0.37, not 37), got {number:g}" if self.rate
                 else f"expected a number of at most {self.high:g}, got {number:g}")
        return int(number) if self.integer else number


@dataclass(frozen=True)
class Flag:
    """true or false (TOML booleans; the words true/false from the command line)."""

    def check(self, value: Any, fail: Fail) -> bool:
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        if not isinstance(value, (bool, np.bool_)):
            fail(f"expected true or false, got {value!r}")
        return bool(value)


@dataclass(frozen=True)
class Choice:
    """One of an enum's values."""
    enum: type[Enum]

    def check(self, value: Any, fail: Fail) -> Enum:
        allowed = [e.value for e in self.enum]
        if isinstance(value, self.enum):
            return value
        if not isinstance(value, str) or value.strip() not in allowed:
            fail(f"expected one of {', '.join(map(str, allowed))}, got {value!r}")
        return self.enum(value.strip())


@dataclass(frozen=True)
class TablesFile:
    """The name of a tax tables file beside household.toml (read by the loader), or the tables
    themselves (from Python)."""

    def check(self, value: Any, fail: Fail) -> Any:
        if isinstance(value, str):
            if not value.strip():
                fail("expected the name of a tax tables file, got an empty name")
            return value.strip()
        if not hasattr(value, "with_file"):
            fail(f"expected the name of a tax tables file, got {value!r}")
        return value


@dataclass(frozen=True)
class WashSaleChoice:
    """``price`` or ``avoid``; the deprecated booleans pass as booleans (``PlanSettings`` maps
    true to avoid, false to price, and warns)."""

    def check(self, value: Any, fail: Fail) -> WashSale | bool:
        if isinstance(value, WashSale):
            return value
        if isinstance(value, (bool, np.bool_)):
            return bool(value)
        text = value.strip().lower() if isinstance(value, str) else None
        if text in ("true", "false"):
            return text == "true"
        if text not in {w.value for w in WashSale}:
            fail(f"expected one of {', '.join(w.value for w in WashSale)}, got {value!r}")
        return WashSale(text)


@dataclass(frozen=True)
class Key:
    section: str
    name: str
    kind: Number | Flag | Choice | TablesFile | WashSaleChoice
    field: str = ""

    @property
    def target(self) -> str:
        return self.field or self.name


RATE = Number(0.0, 1.0, rate=True)
FLAT_RATES = ("short_term_rate", "long_term_rate", "deduction_rate")   # absent in schedule mode
SCHEDULE_AMOUNTS = ("ordinary_income", "qualified_dividends", "other_investment_income",
                    "itemized_deductions")
SCHEDULE_ONLY = (*SCHEDULE_AMOUNTS, "state_rate", "tables")             # need schedule = YEAR
AMOUNT = Number()                     # dollars, either sign
LOSS = Number(0.0)                    # a carryover: a positive amount of loss
FRACTION = Number(0.0, 1.0)
OPTIONAL_FRACTION = Number(0.0, 1.0, open_low=True, optional=True)

KEYS: tuple[Key, ...] = (
    Key("tax", "short_term_rate", RATE),
    Key("tax", "long_term_rate", RATE),
    Key("tax", "deduction_rate", RATE),
    Key("tax", "carryforward_value", RATE),
    Key("tax", "schedule", Number(1900.0, 2200.0, optional=True, integer=True)),   # SPEC §2b
    Key("tax", "ordinary_income", Number(0.0)),
    Key("tax", "qualified_dividends", Number(0.0)),
    Key("tax", "other_investment_income", Number(0.0)),
    Key("tax", "itemized_deductions", Number(0.0)),
    Key("tax", "state_rate", RATE),
    Key("tax", "deferred_gain_rate", RATE),
    Key("tax", "tables", TablesFile()),
    Key("realized", "short_term", AMOUNT, "realized_short_term"),
    Key("realized", "long_term", AMOUNT, "realized_long_term"),
    Key("carryforward", "short_term", LOSS, "carryover_short_term"),
    Key("carryforward", "long_term", LOSS, "carryover_long_term"),
    Key("plan", "band", FRACTION),
    Key("plan", "relative_band", Number(0.0, optional=True)),
    Key("plan", "drift_penalty_bp", Number(0.0)),
    Key("plan", "drift_shape", Choice(DriftShape)),
    Key("plan", "rebalance_inside_band", Flag()),
    Key("plan", "partial", OPTIONAL_FRACTION),
    Key("plan", "tax_budget_usd", Number(0.0, optional=True)),
    Key("plan", "gain_budget_usd", Number(0.0, optional=True)),
    Key("plan", "wash_sale", WashSaleChoice()),
    Key("plan", "cash_first", Flag()),
    Key("plan", "min_trade_usd", Number(0.0)),
    Key("plan", "whole_shares", Flag()),
    Key("plan", "whole_share_gap", Flag()),
    Key("plan", "commission_usd", Number(0.0)),
    Key("plan", "max_weight", OPTIONAL_FRACTION),
    Key("plan", "time_limit_s", Number(0.0, open_low=True)),
    Key("plan", "mip_gap_abs_fraction", Number(0.0, 1.0)),
)
SECTIONS = tuple(dict.fromkeys(k.section for k in KEYS))
BY_SECTION: dict[str, dict[str, Key]] = {s: {k.name: k for k in KEYS if k.section == s} for s in SECTIONS}
PLAN_SECTIONS = ("plan",)             # the sections that set PlanSettings; the rest TaxProfile


def key(section: str, name: str, fail: Fail) -> Key:
    """The key ``name`` of ``[section]``, or a message listing the known ones."""
    if section not in BY_SECTION:
        fail(f"unknown table [{section}]; expected one of {', '.join(f'[{s}]' for s in SECTIONS)}")
    known = BY_SECTION[section]
    if name not in known:
        fail(f"unknown key in [{section}]; expected one of {', '.join(known)}")
    return known[name]


def check(section: str, name: str, value: Any, fail: Fail) -> Any:
    """Check one setting and give it its type (for example from ``--set band=0.03``)."""
    return key(section, name, fail).kind.check(value, fail)


def plan_setting(name: str, value: Any, fail: Fail) -> Any:
    """A ``[plan]`` setting, checked."""
    return check("plan", name, value, fail)


def check_profile(tax: TaxProfile, settings: PlanSettings, source: str = "settings") -> None:
    """Every field of a tax profile and of the settings built in Python, checked like the file.

    The backstop of the Python API (``Household.with_settings(band=float('nan'))``).
    """
    for k in KEYS:
        value = getattr(settings if k.section in PLAN_SECTIONS else tax, k.target)
        if not (value is None and isinstance(k.kind, Number) and k.kind.optional):
            k.kind.check(value, _raise(source, k))


def _raise(source: str, k: Key) -> Fail:
    def fail(message: str):
        raise InputError(source, f"[{k.section}] {k.name}: {message}", column=k.name)
    return fail


def uncovered() -> set[str]:
    """Fields of the settings without a line in :data:`KEYS` (a test keeps this empty)."""
    plan = {f.name for f in fields(PlanSettings)}
    tax = {f.name for f in fields(TaxProfile)} - {"filing_status"}
    return (plan - {k.target for k in KEYS if k.section in PLAN_SECTIONS}) | \
        (tax - {k.target for k in KEYS if k.section not in PLAN_SECTIONS})
