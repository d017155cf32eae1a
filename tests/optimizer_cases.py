"""Builders for the optimizer's tests: small households from plain tuples, trade-list helpers.

``make(...)`` returns a validated :class:`Household` through :meth:`Household.from_frames`.
Rows are tuples in the column order of the ``*_COLS`` lists (short tuples leave trailing
optional columns blank) or dicts.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any, Iterable

import numpy as np
import pandas as pd

from planner import Household, PlanSettings, TaxProfile, evaluate, models

AS_OF = "2026-12-01"

ACCOUNT_COLS = ["account_id", "type", "cash", "reserve"]
SECURITY_COLS = ["symbol", "price", "asset_class", "wash_group", "spread_bps", "buy", "sell"]
LOT_COLS = ["lot_id", "account_id", "symbol", "quantity", "cost_basis", "acquired"]
TARGET_COLS = ["asset_class", "weight", "band"]
TRANSACTION_COLS = ["date", "account_id", "symbol", "action", "quantity", "price", "lot_id",
                    "realized_gain"]
CASHFLOW_COLS = ["date", "account_id", "amount", "symbol"]
TRADE_COLS = ["date", "account_id", "symbol", "action", "quantity", "price", "lot_id"]


def table(rows: Iterable[Any] | None, columns: list[str], required: int) -> pd.DataFrame:
    """A frame from tuple or dict rows; optional columns nobody filled are dropped."""
    records = []
    for row in rows or []:
        records.append(dict(row) if isinstance(row, dict) else dict(zip(columns, tuple(row))))
    out = pd.DataFrame(records, columns=columns)
    for column in columns[required:]:
        if out[column].isna().all():
            out = out.drop(columns=column)
    # Booleans as the CSV would spell them.
    for column in ("buy", "sell"):
        if column in out.columns:
            out[column] = out[column].map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v))
                                          else ("true" if v else "false"))
    return out


def make(*, accounts, securities, lots=(), targets, transactions=None, cashflows=None,
         allowed=None, as_of: str = AS_OF, tax: dict | None = None, **settings: Any) -> Household:
    """A household; keyword ``settings`` are PlanSettings fields, ``tax`` TaxProfile fields."""
    tax = dict(tax or {})
    if isinstance(tax.get("filing_status"), str):
        tax["filing_status"] = models.FilingStatus(tax["filing_status"])
    return Household.from_frames(
        as_of=as_of,
        accounts=table(accounts, ACCOUNT_COLS, 3),
        securities=table(securities, SECURITY_COLS, 3),
        lots=table(lots, LOT_COLS, len(LOT_COLS)),
        targets=table(targets, TARGET_COLS, 2),
        transactions=table(transactions, TRANSACTION_COLS, 6) if transactions is not None else None,
        cashflows=table(cashflows, CASHFLOW_COLS, 3) if cashflows is not None else None,
        allowed=table(allowed, ["account_id", "symbol"], 2) if allowed is not None else None,
        tax=TaxProfile(**tax), settings=PlanSettings(**settings))


def trades(rows: Iterable[Any]) -> pd.DataFrame:
    """A trade list frame from (date, account_id, symbol, action, quantity, price, [lot_id]) rows."""
    out = pd.DataFrame([dict(zip(TRADE_COLS, tuple(r))) for r in rows], columns=TRADE_COLS)
    out["date"] = out["date"].fillna(AS_OF)
    out["lot_id"] = out["lot_id"].fillna("")
    return out


EMPTY_TRADES = trades([])


def violations(evaluation, rule: str | None = None) -> list[dict]:
    return [v for v in evaluation.violations if rule is None or v["rule"] == rule]


def sells(p) -> pd.DataFrame:
    return p.trades[p.trades["action"] == "sell"]


def buys(p) -> pd.DataFrame:
    return p.trades[p.trades["action"] == "buy"]


def sold_lots(p) -> set[str]:
    return set(sells(p)["lot_id"])


def sold_usd(p, lot_id: str) -> float:
    s = sells(p)
    return float(s.loc[s["lot_id"] == lot_id, "amount"].sum())


def bought_usd(p, symbol: str | None = None, account: str | None = None) -> float:
    b = buys(p)
    if symbol is not None:
        b = b[b["symbol"] == symbol]
    if account is not None:
        b = b[b["account_id"] == account]
    return float(b["amount"].sum())


def weights(h: Household, evaluation) -> dict[str, float]:
    return dict(zip(h.classes, evaluation.weights_after))


def inside_bands(h: Household, evaluation, tol: float = 1e-6) -> bool:
    gap = np.abs(evaluation.weights_after - h.class_target)
    return bool((gap <= h.class_band + tol).all())


def taxable_gain_sells(h: Household, p) -> pd.DataFrame:
    s = sells(p)
    taxable = dict(zip(h.accounts.id, h.accounts.taxable))
    return s[s["account_id"].map(taxable) & (s["realized_gain"] > 0.005)]


# A standard menu of securities: two wash groups per equity class, two for bonds.
SECURITIES = [
    ("VTI", 100.0, "us_equity", "crsp"),
    ("ITOT", 50.0, "us_equity", "sp_tmi"),
    ("VXUS", 50.0, "intl_equity", "ftse_ex_us"),
    ("IXUS", 25.0, "intl_equity", "msci_ex_us"),
    ("BND", 80.0, "bonds", "agg_fa"),
    ("AGG", 100.0, "bonds", "agg"),
]
