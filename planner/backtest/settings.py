"""``[backtest]`` in ``household.toml``: the household's cash flows over the years.

    [backtest]
    contributions = { TAX = 12000, ROTH = 7000 }   # dollars a year per account (default none)
    withdrawals = { TAX = 30000 }                  # dollars a year per account (default none)
    flow_growth = 0.02                             # both grow by this each year (default 0)
    repeat_cashflows = false                       # cashflows.csv's plain rows recur every year

Yearly amounts are paid at each decision date for the period until the next one (in advance). ``cashflows.csv``'s
plain rows (no ``symbol``) dated on or after ``as_of`` happen at the first decision date on or
after their date; scheduled purchases (rows with a symbol) are the strategies' business in a
backtest and are left out.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from models.errors import InputError

FILE = "household.toml"


@dataclass(frozen=True)
class BacktestSettings:
    contributions: dict[str, float] = field(default_factory=dict)
    withdrawals: dict[str, float] = field(default_factory=dict)
    flow_growth: float = 0.0
    repeat_cashflows: bool = False


def read_backtest_settings(folder: str | Path, accounts) -> BacktestSettings:
    path = Path(folder) / FILE
    doc = tomllib.loads(path.read_text()) if path.is_file() else {}
    return backtest_settings(doc.get("backtest", {}), accounts)


def backtest_settings(section: Any, accounts) -> BacktestSettings:
    def fail(key: str, message: str):
        raise InputError(FILE, f"[backtest] {message}", column=key)

    if not isinstance(section, dict):
        fail("backtest", "expected a table [backtest]")
    known = {"contributions", "withdrawals", "flow_growth", "repeat_cashflows"}
    for key in section:
        if key not in known:
            fail(key, f"unknown key '{key}'; expected one of {', '.join(sorted(known))}")
    amounts = {}
    for key in ("contributions", "withdrawals"):
        table = section.get(key, {})
        if not isinstance(table, dict):
            fail(key, f"{key}: expected a table of account_id = dollars a year")
        for account_id, amount in table.items():
            if account_id not in accounts.index:
                fail(key, f"{key}: unknown account '{account_id}' (not in accounts.csv)")
            if isinstance(amount, bool) or not isinstance(amount, (int, float)) or amount < 0:
                fail(key, f"{key}.{account_id}: expected dollars a year (>= 0), got {amount!r}")
        amounts[key] = {k: float(v) for k, v in table.items()}
    growth = section.get("flow_growth", 0.0)
    if isinstance(growth, bool) or not isinstance(growth, (int, float)) or growth <= -1:
        fail("flow_growth", f"flow_growth: expected a yearly growth rate (0.02), got {growth!r}")
    repeat = section.get("repeat_cashflows", False)
    if not isinstance(repeat, bool):
        fail("repeat_cashflows", f"repeat_cashflows: expected true or false, got {repeat!r}")
    return BacktestSettings(amounts["contributions"], amounts["withdrawals"], float(growth), repeat)
