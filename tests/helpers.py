"""Small household fixtures for the tax tests: plain rows in, a validated Household out.

``household(...)`` builds one through :meth:`Household.from_frames` with sensible defaults
(one taxable account ``T1``, one security ``X`` at $10 in ``us_equity``, no lots, targets
derived from the securities' classes, the default tax profile). ``trades(rows)`` makes a trade
list frame. ``write_household`` writes the same household as a folder for the command line.

Rows may be dicts or tuples in the column order given by the ``*_COLUMNS`` lists below.
"""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any, Iterable

import pandas as pd

from models.trades import TRADE_COLUMNS
from planner import Household, PlanSettings, TaxProfile, evaluate

AS_OF = "2026-12-01"
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

ACCOUNT_COLUMNS = ["account_id", "type", "cash", "owner", "reserve"]
SECURITY_COLUMNS = ["symbol", "price", "asset_class", "wash_group"]
LOT_COLUMNS = ["lot_id", "account_id", "symbol", "quantity", "cost_basis", "acquired"]
TARGET_COLUMNS = ["asset_class", "weight"]
TRANSACTION_COLUMNS = ["date", "account_id", "symbol", "action", "quantity", "price", "lot_id",
                       "realized_gain", "term"]
CASHFLOW_COLUMNS = ["date", "account_id", "amount", "symbol"]

DEFAULT_ACCOUNTS = [("T1", "taxable", 100_000.0)]
DEFAULT_SECURITIES = [("X", 10.0, "us_equity")]

# Tax profile fields that may be passed straight to household(...).
_TAX_FIELDS = {"filing_status", "short_term_rate", "long_term_rate", "deduction_rate",
               "carryforward_value", "realized_short_term", "realized_long_term",
               "carryover_short_term", "carryover_long_term"}


def frame(rows: Iterable[Any] | None, columns: list[str], required: int | None = None) -> pd.DataFrame:
    """A frame from dict or tuple rows; short tuples leave the trailing columns blank.

    The first ``required`` columns are always kept; optional ones nobody filled are dropped,
    as a file may omit them.
    """
    required = len(columns) if required is None else required
    rows = list(rows or [])
    records = []
    for row in rows:
        if isinstance(row, dict):
            records.append(dict(row))
        else:
            row = tuple(row)
            if len(row) > len(columns):
                raise ValueError(f"row {row} has more values than columns {columns}")
            records.append(dict(zip(columns, row)))
    used = list(columns)
    for record in records:
        used += [k for k in record if k not in used]
    out = pd.DataFrame(records, columns=used)
    for column in used[required:]:
        if out[column].isna().all():
            out = out.drop(columns=column)
    return out


def default_targets(securities: pd.DataFrame) -> list[tuple[str, float]]:
    classes = list(dict.fromkeys(securities["asset_class"]))
    weights = [1.0 / len(classes)] * len(classes)
    weights[-1] = 1.0 - sum(weights[:-1])
    return list(zip(classes, weights))


def frames(*, accounts=None, securities=None, lots=None, targets=None, transactions=None,
           cashflows=None, allowed=None) -> dict[str, pd.DataFrame | None]:
    """The household's tables as frames (None for an absent optional file)."""
    acc = frame(accounts if accounts is not None else DEFAULT_ACCOUNTS, ACCOUNT_COLUMNS, 3)
    sec = frame(securities if securities is not None else DEFAULT_SECURITIES, SECURITY_COLUMNS, 3)
    lot = frame(lots, LOT_COLUMNS)
    tgt = frame(targets if targets is not None else default_targets(sec), TARGET_COLUMNS)
    return {
        "accounts": acc, "securities": sec, "lots": lot, "targets": tgt,
        "transactions": frame(transactions, TRANSACTION_COLUMNS, 6)
        if transactions is not None else None,
        "cashflows": frame(cashflows, CASHFLOW_COLUMNS, 3) if cashflows is not None else None,
        "allowed": frame(allowed, ["account_id", "symbol"]) if allowed is not None else None,
    }


def tax_profile(tax: TaxProfile | None = None, **fields: Any) -> TaxProfile:
    """``tax`` (default: the default profile) with ``fields`` replaced; strings name enums."""
    tax = tax or TaxProfile()
    return replace(tax, **fields) if fields else tax


def household(*, as_of: str = AS_OF, accounts=None, securities=None, lots=None, targets=None,
              transactions=None, cashflows=None, allowed=None, tax: TaxProfile | None = None,
              settings: PlanSettings | None = None, **tax_fields: Any) -> Household:
    """A validated household; unknown keyword arguments are TaxProfile fields."""
    unknown = set(tax_fields) - _TAX_FIELDS
    if unknown:
        raise TypeError(f"unknown household() arguments: {sorted(unknown)}")
    return Household.from_frames(
        as_of=as_of, tax=tax_profile(tax, **tax_fields), settings=settings or PlanSettings(),
        **frames(accounts=accounts, securities=securities, lots=lots, targets=targets,
                 transactions=transactions, cashflows=cashflows, allowed=allowed))


def trades(rows: Iterable[Any]) -> pd.DataFrame:
    """A trade list frame: rows (date, account_id, symbol, action, quantity, price, [lot_id]).

    A date of None means ``as_of`` (SPEC §4).
    """
    out = frame(rows, TRADE_COLUMNS, len(TRADE_COLUMNS))
    for column in TRADE_COLUMNS:
        if column not in out.columns:
            out[column] = None
    return out[TRADE_COLUMNS + [c for c in out.columns if c not in TRADE_COLUMNS]]


def judged(h: Household, rows: Iterable[Any] = ()) -> dict[str, Any]:
    """Evaluate a trade list on a household: the same dict the CLI prints as JSON."""
    return evaluate(h, trades(rows)).to_dict()


# ---- lookups in an evaluation dict ------------------------------------------------------------
def sales_of(result: dict, lot_id: str) -> list[dict]:
    return [s for s in result["sales"] if s["lot_id"] == lot_id]


def sale_total(result: dict, lot_id: str, key: str) -> float:
    return sum(s[key] for s in sales_of(result, lot_id))


def lots_of(result: dict, lot_id: str) -> list[dict]:
    return [lot for lot in result["lots"] if lot["lot_id"] == lot_id]


def lot_total(result: dict, lot_id: str, key: str) -> float:
    return sum(lot[key] for lot in lots_of(result, lot_id))


# ---- a household folder for the command line ----------------------------------------------
def toml_text(as_of: str, tax: TaxProfile, plan: dict[str, Any] | None = None) -> str:
    lines = [f"as_of = {as_of}", f'filing_status = "{tax.filing_status.value}"', "", "[tax]",
             f"short_term_rate = {tax.short_term_rate!r}", f"long_term_rate = {tax.long_term_rate!r}",
             f"deduction_rate = {tax.deduction_rate!r}",
             f"carryforward_value = {tax.carryforward_value!r}", "", "[realized]",
             f"short_term = {tax.realized_short_term!r}", f"long_term = {tax.realized_long_term!r}",
             "", "[carryforward]", f"short_term = {tax.carryover_short_term!r}",
             f"long_term = {tax.carryover_long_term!r}", ""]
    if plan:
        lines.append("[plan]")
        for key, value in plan.items():
            lines.append(f"{key} = {json.dumps(value)}")
        lines.append("")
    return "\n".join(lines)


def write_household(folder: Path, *, as_of: str = AS_OF, tax: TaxProfile | None = None,
                    plan: dict[str, Any] | None = None, accounts=None, securities=None, lots=None,
                    targets=None, transactions=None, cashflows=None, allowed=None,
                    **tax_fields: Any) -> Path:
    """Write a household folder (SPEC §1) and return it."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "household.toml").write_text(toml_text(as_of, tax_profile(tax, **tax_fields), plan))
    tables = frames(accounts=accounts, securities=securities, lots=lots, targets=targets,
                    transactions=transactions, cashflows=cashflows, allowed=allowed)
    for name, table in tables.items():
        if table is not None:
            table.to_csv(folder / f"{name}.csv", index=False)
    return folder


def write_trades(path: Path, rows: Iterable[Any]) -> Path:
    path = Path(path)
    trades(rows).to_csv(path, index=False)
    return path
