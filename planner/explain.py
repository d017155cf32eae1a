"""Why the plan did what it did with losses and classes (SPEC §3: every loss the wash-sale rule
blocks or makes costly is listed with the date it becomes free; each wash taken says what it
costs and why it pays; a sentence per class says why it was or was not traded)."""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from models.enums import WashSale
from models.ledger import plan_washes
from models.tolerances import WEIGHT_TOL
from models.wash_sale import WINDOW

DAY = np.timedelta64(1, "D")


def _purchase(h, a) -> dict[str, Any]:
    what = {"lot": f"lot {a.lot_id}", "history": "a purchase in transactions.csv",
            "scheduled": "a scheduled purchase (cashflows.csv)"}.get(a.source, a.source)
    return {"date": str(a.date), "account_id": str(h.accounts.id[a.account]), "symbol": a.symbol,
            "shares": round(float(a.unused), 6), "what": what,
            "tax_advantaged": not a.taxable}


def blocked_losses(plan) -> list[dict[str, Any]]:
    """Every taxable loss lot a purchase inside its wash window blocks (``avoid``) or makes
    costly (``price``): the purchases, the shares a sale today would wash, the first day a sale
    washes nothing (the last purchase + 31 days), and what the plan did with the lot."""
    h = plan.household
    frame = plan_washes(h)
    later = [a for a in frame.scheduled if a.date <= h.as_of + WINDOW]
    by_group: dict[int, list] = {}
    for a in frame.supply + later:
        by_group.setdefault(a.group, []).append(a)
    sold = plan.trades[plan.trades["action"] == "sell"].groupby("lot_id")["quantity"].sum()
    washed = plan.evaluation.washes_frame().groupby("loss_lot")["shares"].sum() \
        if len(plan.evaluation.washes_frame()) else pd.Series(dtype=float)
    avoid = h.settings.wash_sale is WashSale.AVOID
    out = []
    lots = h.lots
    loss = np.flatnonzero(h.lot_taxable & (h.lot_gain_per_dollar < 0))
    for i in loss.tolist():
        group = int(h.security_group[lots.security[i]])
        purchases = [a for a in by_group.get(group, []) if a.purchase != "lot:" + str(lots.id[i])]
        if not purchases:
            continue
        lot = str(lots.id[i])
        shares = float(lots.quantity[i])
        per_share = float(lots.cost_basis[i] / shares - h.lot_price[i])
        replace = sum(a.unused for a in purchases)
        lost = sum(a.unused for a in purchases if not a.taxable)
        free = max(a.date for a in purchases) + WINDOW + DAY
        if lot in sold.index and washed.get(lot, 0.0) > 0:
            status = f"sold anyway: {washed.get(lot, 0.0):g} of its shares washed, priced in the plan"
        elif lot in sold.index:
            status = "sold: loss sales earlier in the law's order used up the replacement shares"
        elif avoid:
            status = "not sold: wash_sale = avoid forbids selling it at a loss before " + str(free)
        else:
            status = "not sold: the wash would cost more than the harvest brings"
        out.append({"lot_id": lot, "account_id": str(h.accounts.id[lots.account[i]]),
                    "symbol": str(h.securities.symbol[lots.security[i]]),
                    "wash_group": str(h.wash_groups[group]),
                    "unrealized_loss": round(per_share * shares, 2),
                    "shares_a_sale_today_washes": round(min(shares, replace), 6),
                    "of_them_lost_for_good": round(min(shares, lost), 6),
                    "free_to_harvest_from": str(free),
                    "blocked_by": [_purchase(h, a) for a in purchases],
                    "plan": status})
    return out


def wash_explanations(plan) -> list[dict[str, Any]]:
    """Each loss sale the plan lets be washed: what it loses (for good, or deferred into shares
    it keeps) and what the sale is worth to the plan anyway (the objective without it)."""
    ev = plan.evaluation
    washes = ev.washes_frame()
    if washes.empty:
        return []
    out = []
    trades = plan.trades
    for lot, rows in washes[washes["loss_row"].notna()].groupby("loss_lot", sort=False):
        without = trades[~((trades["action"] == "sell") & (trades["lot_id"] == lot))]
        alternative = models_evaluate(plan.household, without)
        benefit = alternative.objective - ev.objective
        permanent = float(rows.loc[rows["treatment"] == "permanent", "disallowed"].sum())
        deferred = float(rows.loc[rows["treatment"] == "deferred", "disallowed"].sum())
        replaced = ", ".join(f"{r.shares:g} sh by {r.replacement_lot or r.replacement} "
                             f"({r.replacement_account_id}, {r.acquired})" for r in rows.itertuples())
        sold_back = set(rows["replacement_lot"]) & set(trades.loc[trades["action"] == "sell", "lot_id"])
        back = f"; {', '.join(sorted(sold_back))}, sold in the plan too, give(s) the deferred loss " \
            "straight back" if sold_back else ""
        out.append({"loss_lot": lot, "symbol": rows["symbol"].iloc[0],
                    "shares_washed": float(rows["shares"].sum()),
                    "disallowed": round(permanent + deferred, 2),
                    "lost_for_good": round(permanent, 2), "deferred": round(deferred, 2),
                    "objective_gain_of_the_sale": round(benefit, 2),
                    "why": f"washed by {replaced}; selling it anyway lowers the objective by "
                           f"{benefit:,.2f} (the unwashed part of its loss counts this year){back}"})
    return out


def models_evaluate(h, trades):
    from .evaluate import evaluate
    return evaluate(h, trades[["date", "account_id", "symbol", "action", "quantity", "price", "lot_id"]])


def class_notes(plan, blocked: list[dict[str, Any]]) -> dict[str, str]:
    """A sentence per asset class: what the plan traded in it and why, or why nothing."""
    h, ev, trades = plan.household, plan.evaluation, plan.trades
    notes = {}
    cls_of = dict(zip(h.securities.symbol, h.securities.asset_class))
    blocked_by_class: dict[str, list] = {}
    for b in blocked:
        if not b["plan"].startswith("sold"):
            blocked_by_class.setdefault(cls_of[b["symbol"]], []).append(b)
    for c, name in enumerate(h.classes):
        w0, w1 = ev.weights_before[c], ev.weights_after[c]
        t, band = h.class_target[c], h.class_band[c]
        where = f"{w0:.1%} -> {w1:.1%} (target {t:.1%} ± {band:.1%})"
        rows = trades[trades["symbol"].map(cls_of) == name]
        held_back = ""
        if name in blocked_by_class:
            first = min(b["free_to_harvest_from"] for b in blocked_by_class[name])
            held_back = (f"; {len(blocked_by_class[name])} loss lot(s) left unsold: recent purchases in "
                         f"their wash groups block them or make them costly until {first}")
        if len(rows):
            parts = [f"{action} {amount:,.0f} ({reason})" for (action, reason), amount in
                     rows.groupby(["action", "reason"])["amount"].sum().items()]
            notes[str(name)] = f"traded: {', '.join(parts)}{held_back}; {where}."
            continue
        outside = abs(w0 - t) > band + WEIGHT_TOL
        why = "outside its band, moved by other classes' trades and cash" if outside else \
            "inside its band, so no rebalancing is owed"
        lots = np.flatnonzero((h.security_class[h.lots.security] == c) & h.lot_taxable &
                              (h.lot_gain_per_dollar < 0))
        if held_back:
            why += held_back
        elif len(lots):
            why += "; its losses are worth less than the drift and trading cost of harvesting them"
        else:
            why += "; it holds no taxable loss to harvest"
        notes[str(name)] = f"not traded: {why}; {where}."
    return notes
