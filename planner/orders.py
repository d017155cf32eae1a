"""``orders.csv``: the plan as orders a trading desk enters, one per account, symbol and side.

A plan sells lot by lot; a desk enters one order per account, security and side and names the
lots for the custodian's specific identification. :func:`orders` groups the trade list that
way. Columns (money to the cent, shares to :data:`planner.numbers.SHARE_DECIMALS` places):

=================  ================================================================================
``order_id``       ``O1``, ``O2``, ... in the order the desk should enter them: per date, sells
                   before buys (a sell funds the buys of its account), then account and symbol
``date``           the trade date (``as_of`` unless the trade list dates a row)
``account_id``     the household's account id
``account_type``   ``taxable``, ``traditional``, ``roth`` or ``hsa``
``symbol``         the security
``side``           ``sell`` or ``buy``
``quantity``       shares, the sum of the order's lot quantities below (whole numbers, written
                   without decimals, when the plan was made with ``whole_shares``)
``order_type``     ``market`` (default) or ``limit``
``limit_price``    the plan's price, to the cent, for a ``limit`` order; empty for ``market``
``time_in_force``  ``day`` (default) or ``gtc``
``est_price``      the price the plan assumed (securities.csv), dollars per share
``est_amount``     quantity × est_price, to the cent
``lot_count``      lots named in ``lots`` (0 for a buy)
``lots``           a sell's specific-lot instructions, the lots in the plan's order, each
                   ``LOT_ID:ACQUIRED:SHARES`` and separated by ``;`` — e.g.
                   ``L1:2025-03-10:10.500;L7:2026-02-09:4.000``. Read an item from the right
                   (``rsplit(":", 2)``), so a lot id may itself hold a colon. Empty for a buy.
``reasons``        the plan's reasons for the trades in the order (``harvest``, ``rebalance``, ...),
                   joined by ``+``
=================  ================================================================================

A sold lot's shares are rounded to the nearest place, never above what the lot holds, and a lot
sold whole is sold as held (a lot of 10.0004 shares: ``10.0004``, no residue left); a buy is
rounded down, so it never spends more cash than the plan. An order's quantity is the sum of
its lots', so the lot instructions always add up to the order.
"""
from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import numpy as np
import pandas as pd

from models.enums import Action

from .io import atomic_write, csv_text
from .numbers import SHARE_DECIMALS

ORDER_COLUMNS = ["order_id", "date", "account_id", "account_type", "symbol", "side", "quantity",
                 "order_type", "limit_price", "time_in_force", "est_price", "est_amount",
                 "lot_count", "lots", "reasons"]
LOT_SEPARATOR = ";"


class OrderType(StrEnum):
    MARKET = "market"     # fills at the market; the plan's price is an estimate
    LIMIT = "limit"       # no worse than the plan's price (may not fill)


class TimeInForce(StrEnum):
    DAY = "day"           # expires at the close: the plan is a plan for one day's prices
    GTC = "gtc"           # good till cancelled


def orders(household, trades: pd.DataFrame, order_type: OrderType = OrderType.MARKET,
           time_in_force: TimeInForce = TimeInForce.DAY,
           share_decimals: int = SHARE_DECIMALS) -> pd.DataFrame:
    """The trade list (SPEC §4 columns) as orders: one row per date, account, symbol and side."""
    if len(trades) == 0:
        return pd.DataFrame(columns=ORDER_COLUMNS)
    h = household
    t = trades.reset_index(drop=True)
    date = (t["date"].astype(str) if "date" in t else pd.Series(str(h.as_of), index=t.index))
    date = date.where(date.str.len() > 0, str(h.as_of))
    lot_id = t["lot_id"].fillna("").astype(str) if "lot_id" in t else pd.Series("", index=t.index)
    sell = t["action"].to_numpy() == Action.SELL.value
    raw = t["quantity"].to_numpy(dtype=float)
    scale = 10.0 ** share_decimals
    # Buys round down (never spend more cash than the plan); sells to the nearest place.
    quantity = np.where(sell, np.round(raw, share_decimals),
                        np.floor(raw * scale + 1e-6) / scale)
    # Never more than the lot holds; a lot sold whole as held, even to more places than the
    # precision (a reinvested fund's lot, say): the custodian closes it, no residue remains.
    ids = lot_id.to_numpy(dtype=object)
    position = h.lots.index.positions(ids)
    found = position >= 0
    lot_held = np.where(found, h.lots.quantity[np.maximum(position, 0)], np.nan)
    known = sell & found
    quantity[known] = np.minimum(quantity[known], lot_held[known])
    whole_lot = known & (np.abs(raw - lot_held) <= 1e-9 * np.maximum(1.0, lot_held))
    quantity[whole_lot] = lot_held[whole_lot]
    dates = date.to_numpy(dtype=object)
    named = sell & (ids != "")
    bought = ~sell & (ids != "")
    bought_here = dict(zip(ids[bought].tolist(), dates[bought].tolist()))
    lot_acquired = np.array([bought_here.get(i, "") for i in ids.tolist()], dtype=object)
    acquired = h.lots.acquired[np.maximum(position, 0)]
    dated = found & ~np.isnat(acquired)
    lot_acquired[dated] = np.datetime_as_string(acquired[dated], unit="D")
    lots = np.full(len(t), "", dtype=object)
    lots[named] = [f"{i}:{a}:{format_shares(q, share_decimals)}" for i, a, q in
                   zip(ids[named].tolist(), lot_acquired[named].tolist(), quantity[named].tolist())]
    account_type = dict(zip(h.accounts.id, h.accounts.type))
    frame = pd.DataFrame({
        "date": date, "account_id": t["account_id"].astype(str), "symbol": t["symbol"].astype(str),
        "side": t["action"].astype(str), "quantity": quantity,
        "price": t["price"].to_numpy(dtype=float), "side_rank": np.where(sell, 0, 1)})
    keys = ["date", "side_rank", "account_id", "symbol", "side"]
    grouped = frame.groupby(keys, sort=True)
    out = grouped.agg(quantity=("quantity", "sum"), est_price=("price", "first"))
    # lots and reasons joined per order without pandas per group (0.28 s CPU for 8,366
    # orders): the non-empty ones, in row order, reasons once each
    order = grouped.ngroup().to_numpy()
    n = len(out)
    out["lots"] = _joined(lots[named], order[named], n, LOT_SEPARATOR)
    out["lot_count"] = np.bincount(order[named], minlength=n)
    reason = (t["reason"].fillna("").astype(str).to_numpy(dtype=object) if "reason" in t
              else np.full(len(t), "", dtype=object))
    reasons = pd.DataFrame({"order": order, "reason": reason})
    reasons = reasons[reasons["reason"] != ""].drop_duplicates()
    out["reasons"] = _joined(reasons["reason"].to_numpy(dtype=object), reasons["order"].to_numpy(),
                             n, "+")
    out = out.reset_index().drop(columns="side_rank")
    out["quantity"] = out["quantity"] + 0.0
    out["est_price"] = out["est_price"].round(4)
    out["est_amount"] = np.round(out["quantity"] * out["est_price"], 2) + 0.0
    out["account_type"] = out["account_id"].map(account_type)
    out["order_type"] = order_type.value
    out["limit_price"] = (np.round(out["est_price"], 2) if order_type is OrderType.LIMIT
                          else pd.Series(np.nan, index=out.index))
    out["time_in_force"] = time_in_force.value
    out["order_id"] = [f"O{k + 1}" for k in range(len(out))]
    return out[ORDER_COLUMNS]


def _joined(values: np.ndarray, group: np.ndarray, n: int, separator: str) -> np.ndarray:
    """``values`` joined by ``separator`` per group (0..n-1) in their order; "" for a group
    with none."""
    out = np.full(n, "", dtype=object)
    if len(values) == 0:
        return out
    by = np.argsort(group, kind="stable")
    g, v = group[by], values[by].tolist()
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    ends = np.r_[starts[1:], len(v)]
    out[g[starts]] = [separator.join(v[a:b]) for a, b in zip(starts.tolist(), ends.tolist())]
    return out


def format_shares(q: float, decimals: int) -> str:
    """Shares to ``decimals`` places; a whole lot held to more places keeps them all."""
    rounded = round(q, decimals)
    return f"{rounded:.{decimals}f}" if abs(rounded - q) < 1e-9 else f"{q:.10g}"


def write_orders(frame: pd.DataFrame, path: str | Path, share_decimals: int = SHARE_DECIMALS) -> Path:
    """Write ``orders.csv`` whole or not at all; shares printed to ``share_decimals`` places."""
    text = orders_text(frame, share_decimals)
    return atomic_write(Path(path), lambda f: f.write(text.encode("utf-8")))


def orders_text(frame: pd.DataFrame, share_decimals: int = SHARE_DECIMALS) -> str:
    """``orders.csv``'s text: shares to ``share_decimals`` places, money to the cent."""
    if not len(frame):
        return frame.to_csv(index=False)
    shown = frame.copy()     # shares to the precision, money to exactly two places
    shown["quantity"] = [format_shares(q, share_decimals) for q in frame["quantity"].tolist()]
    for c in ("est_amount", "limit_price"):
        shown[c] = ["" if x != x else f"{x:.2f}" for x in frame[c].tolist()]
    shown["est_price"] = [f"{x:.4f}".rstrip("0").rstrip(".") if x != round(x, 2) else f"{x:.2f}"
                          for x in frame["est_price"].tolist()]
    return csv_text(shown)
