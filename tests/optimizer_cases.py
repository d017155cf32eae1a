"""The optimizer's tests' view of households: the rows of :mod:`tests.helpers` (the one
builder) in the column orders below, and lookups in a plan.

``make(...)`` returns a validated :class:`Household` through :meth:`Household.from_frames`.
Rows are tuples in the column order of the ``*_COLS`` lists (short tuples leave trailing
optional columns blank) or dicts.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from planner import Household, PlanSettings, TaxProfile
from tests.helpers import AS_OF, frame, trades

ACCOUNT_COLS = ["account_id", "type", "cash", "reserve"]
SECURITY_COLS = ["symbol", "price", "asset_class", "wash_group", "spread_bps", "buy", "sell"]
LOT_COLS = ["lot_id", "account_id", "symbol", "quantity", "cost_basis", "acquired"]
TARGET_COLS = ["asset_class", "weight", "band"]
TRANSACTION_COLS = ["date", "account_id", "symbol", "action", "quantity", "price", "lot_id",
                    "realized_gain"]
CASHFLOW_COLS = ["date", "account_id", "amount", "symbol"]


def _spelled(out: pd.DataFrame) -> pd.DataFrame:
    """Booleans of the buy and sell columns as the CSV would spell them."""
    for column in ("buy", "sell"):
        if column in out.columns:
            out[column] = out[column].map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v))
                                          else ("true" if v else "false"))
    return out


def make(*, accounts, securities, lots=(), targets, transactions=None, cashflows=None,
         allowed=None, as_of: str = AS_OF, tax: dict | None = None, **settings: Any) -> Household:
    """A household; keyword ``settings`` are PlanSettings fields, ``tax`` TaxProfile fields."""
    return Household.from_frames(
        as_of=as_of,
        accounts=frame(accounts, ACCOUNT_COLS, 3),
        securities=_spelled(frame(securities, SECURITY_COLS, 3)),
        lots=frame(lots, LOT_COLS),
        targets=frame(targets, TARGET_COLS, 2),
        transactions=frame(transactions, TRANSACTION_COLS, 6) if transactions is not None else None,
        cashflows=frame(cashflows, CASHFLOW_COLS, 3) if cashflows is not None else None,
        allowed=frame(allowed, ["account_id", "symbol"], 2) if allowed is not None else None,
        tax=TaxProfile(**(tax or {})), settings=PlanSettings(**settings))


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
