"""Why the plan did what it did with losses and classes (SPEC §3: every loss the wash-sale rule
blocks or makes costly is listed with the date it becomes free; each wash taken says what it
costs and why it pays; a sentence per class says why it was or was not traded)."""
from __future__ import annotations

import weakref
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from models.enums import WashSale
from models.ledger import collector_paused, plan_washes
from models.tolerances import QTY_TOL, WEIGHT_TOL
from models.wash_sale import LOT_PURCHASE, WINDOW

from .summary_json import Spool, indent_for

DAY = np.timedelta64(1, "D")


def _purchase(h, a) -> dict[str, Any]:
    what = {"lot": f"lot {a.lot_id}", "history": "a purchase in transactions.csv",
            "scheduled": "a scheduled purchase (cashflows.csv)"}.get(a.source, a.source)
    return {"date": str(a.date), "account_id": str(h.accounts.id[a.account]), "symbol": a.symbol,
            "shares": round(float(a.unused), 6), "what": what,
            "tax_advantaged": not a.taxable}


@dataclass(frozen=True, eq=False)
class BlockedGroups:
    """``blocked_losses``: per wash group its purchases and its loss lots' figures, and per
    lot (in ``groups``' order) what the plan needs to say what it did with it. Prepared
    without a plan, each lot's ``plan`` saying it is not sold (what the plan does with all but
    a few), ``unsold`` missing; :func:`blocked_losses` completes it."""
    groups: list[dict[str, Any]]   # {"wash_group", "free_to_harvest_from", "blocked_by", "lots"}
    lot_ids: list[str]
    records: list[dict[str, Any]]  # the lots' dicts of ``groups``, in their order
    free_day: np.ndarray           # free_to_harvest_from, per lot
    lot_class: np.ndarray          # the lot's asset class
    group_of: np.ndarray           # the lot's position in ``groups``
    unsold: np.ndarray | None = None   # the plan did not sell the lot
    encoded: Spool | None = None   # summary.json's text of ``groups`` as prepared


_BLOCKED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def prepare_blocked_groups(h) -> None:
    """Compute :func:`blocked_groups` now and keep it for the next plan of ``h`` to take
    (:func:`planner.judge.prepare_report` runs it while HiGHS solves the root)."""
    if h not in _BLOCKED:
        prepared = _blocked_groups(h)
        if indent_for(len(prepared.records)) is None:   # the summary will be compact
            prepared = replace(prepared, encoded=Spool.of(prepared.groups))
        _BLOCKED[h] = prepared


def blocked_groups(h) -> BlockedGroups:
    """Every taxable loss lot a purchase inside its wash window blocks (``avoid``) or makes
    costly (``price``), by wash group. A group lists its purchases once, in the order a sale
    today is matched to them (Treas. Reg. 1.1091-1(c)), and the first day a sale washes
    nothing (its last purchase + 31 days); each lot gives the shares a sale today would wash,
    how many of them for good, and how many of the group's purchases that sale reaches (a
    prefix of them: a lot's own purchase skipped, a lot never replaces itself).

    The one prepared by :func:`prepare_blocked_groups` is handed over, not shared: the caller
    may change its lot dicts (at 1e6 lots a second copy of 290,000 dicts would cost ~200 MB
    of the peak), forgetting a changed lot's group in ``encoded`` as :func:`blocked_losses`
    does, and the next plan of ``h`` computes its own."""
    prepared = _BLOCKED.pop(h, None)
    return _blocked_groups(h) if prepared is None else prepared


def _blocked_groups(h) -> BlockedGroups:
    """With the collector paused: 290,000 records at 1e6 lots and no cycles, and a full
    collection they set off walked every object of the process, the compiled program's too
    (0.5 of 1.1 CPU s at h1e6s6, on the main thread while HiGHS solves the root)."""
    with collector_paused():
        return _groups(h)


def _groups(h) -> BlockedGroups:
    frame = plan_washes(h)
    # supply (dated by as_of) then scheduled: by group, each in date order, the order a sale
    # on as_of meets them
    listed = frame.supply + [a for a in frame.scheduled if a.date <= h.as_of + WINDOW]
    lots = h.lots
    loss = np.flatnonzero(h.lot_taxable & (h.lot_gain_per_dollar < 0))
    if not listed or not len(loss):
        return BlockedGroups([], [], [], np.zeros(0, "datetime64[D]"), np.zeros(0, np.int64),
                             np.zeros(0, np.int64))
    group = np.array([a.group for a in listed], np.int64)
    order = np.argsort(group, kind="stable")
    purchases = [listed[k] for k in order.tolist()]
    group = group[order]
    unused = np.array([a.unused for a in purchases], float)
    lost = np.where([not a.taxable for a in purchases], unused, 0.0)
    groups = len(h.wash_groups)
    first = np.searchsorted(group, np.arange(groups + 1))
    count = np.diff(first)
    total = np.bincount(group, unused, groups)
    own: dict[str, list[int]] = {}                 # a lot's own purchase never replaces it
    for k, a in enumerate(purchases):
        if a.purchase.startswith(LOT_PURCHASE):
            own.setdefault(a.purchase[len(LOT_PURCHASE):], []).append(k)
    # the few lots with purchases of their own, by position (not a lookup per loss lot)
    own_of = {p: m for p, m in zip(lots.index.positions(list(own)).tolist(), own.values()) if p >= 0}
    n_own = np.zeros(len(lots), np.int64)
    n_own[list(own_of)] = [len(m) for m in own_of.values()]
    lot_group = h.security_group[lots.security[loss]]
    others = count[lot_group] - n_own[loss]
    # by group (each in the book's order): the list's order
    keep = np.flatnonzero(others > 0)
    keep = keep[np.argsort(lot_group[keep], kind="stable")]
    loss, lot_group = loss[keep], lot_group[keep]
    lot_ids = lots.id[loss].tolist()
    with_own = np.flatnonzero(n_own[loss] > 0)
    mine = {j: own_of[p] for j, p in zip(with_own.tolist(), loss[with_own].tolist())}  # kept lot -> its own
    shares = lots.quantity[loss]
    own_unused = np.zeros(len(loss))
    for j, m in mine.items():
        own_unused[j] = unused[m].sum()
    replacing = total[lot_group] - own_unused
    need = np.minimum(shares, replacing)
    # The purchases a sale today is matched to: the fewest, from the group's first, whose
    # shares cover ``need`` (up to ``end``, perhaps in part); where the lot's own purchase lies
    # among them it is skipped, and the sale reaches as much further as that purchase held.
    # Shares are summed within each group (summed across groups, 1e6 lots' totals lost the
    # billionths of a share an exact cover is decided by).
    within, within_lost = _within_group(unused, first), _within_group(lost, first)
    start, last = first[lot_group], first[lot_group + 1] - 1
    end = np.empty(len(loss), np.int64)
    bounds = np.searchsorted(lot_group, np.arange(groups + 1))
    for g in np.unique(lot_group).tolist():
        lo, hi = bounds[g], bounds[g + 1]
        end[lo:hi] = first[g] + np.searchsorted(within[first[g]:first[g + 1]], need[lo:hi] - QTY_TOL)
    skipped, skipped_lost = np.zeros(len(loss)), np.zeros(len(loss))
    reached_own = np.zeros(len(loss), np.int64)
    for j, skip in mine.items():
        g, covered = lot_group[j], need[j]
        for k in sorted(skip):          # the lot's own purchases, in the list's order
            if k <= end[j]:
                covered += unused[k]
                end[j] = first[g] + np.searchsorted(within[first[g]:first[g + 1]], covered - QTY_TOL)
        while last[j] in skip:          # its own purchase, last, does not keep it blocked
            last[j] -= 1
        end[j] = min(end[j], last[j])
        passed = [k for k in skip if k <= end[j]]
        reached_own[j], skipped[j], skipped_lost[j] = len(passed), unused[passed].sum(), lost[passed].sum()
    end = np.minimum(end, last)
    reached = end - start + 1 - reached_own
    # of them lost for good: the shares matched to purchases in tax-advantaged accounts
    whole = within[end] - unused[end] - skipped          # the purchases before ``end``'s shares
    gone = within_lost[end] - lost[end] - skipped_lost + \
        np.clip(need - whole, 0.0, unused[end]) * (lost[end] > 0)
    date = np.array([a.date for a in purchases], "datetime64[D]")
    loss_dollars = (lots.cost_basis[loss] / shares - h.lot_price[loss]) * shares
    # Accounts, symbols and dates as one string object each, shared by the lots (at 1e6 lots a
    # string per lot and column was ~50 MB of the process's peak).
    days, day = np.unique(date[last] + WINDOW + DAY, return_inverse=True)
    free = days.astype(str).tolist()
    # a lot left unsold, as the plan leaves all but a few: prepared here, while the root solves
    avoid = h.settings.wash_sale is WashSale.AVOID
    not_sold = ["not sold: wash_sale = avoid forbids selling it at a loss before " + d if avoid
                else "not sold: the wash would cost more than the harvest brings" for d in free]
    columns = zip(lot_ids, _shared(h.accounts.id.tolist(), lots.account[loss]),
                  _shared(h.securities.symbol.tolist(), lots.security[loss]), _rounded(loss_dollars, 2).tolist(),
                  _rounded(need, 6).tolist(), (_rounded(gone, 6) + 0.0).tolist(), reached.tolist(),
                  _shared(free, day), _shared(not_sold, day))
    records = [{"lot_id": lot, "account_id": account, "symbol": symbol,
                "unrealized_loss": dollars, "shares_a_sale_today_washes": wash,
                "of_them_lost_for_good": gone, "purchases_reached": n,
                "free_to_harvest_from": free_from, "plan": plan}
               for lot, account, symbol, dollars, wash, gone, n, free_from, plan in columns]
    out = []
    for g in np.unique(lot_group).tolist():
        out.append({"wash_group": h.wash_groups[g],
                    "free_to_harvest_from": str(date[first[g + 1] - 1] + WINDOW + DAY),
                    "blocked_by": [_purchase(h, a) for a in purchases[first[g]:first[g + 1]]],
                    "lots": records[bounds[g]:bounds[g + 1]]})
    return BlockedGroups(out, lot_ids, records, days[day], h.security_class[lots.security[loss]],
                         np.unique(lot_group, return_inverse=True)[1])


def _rounded(values: np.ndarray, digits: int) -> np.ndarray:
    """Python's ``round(v, digits)`` of each value, vectorized (at 1e6 lots three figures of
    290,000 lots, 0.45 CPU s one by one). The integer nearest to v × 10^digits, over 10^digits,
    is Python's correctly rounded result wherever that product is not within a few units in
    its last place of a half: there the exact value and the product lie on the same side of
    the half, and IEEE division gives the double nearest to the decimal. The others (ties,
    near ties, products too large to hold integers exactly, NaN, infinities) take Python's
    round itself."""
    values = np.asarray(values, dtype=float)
    scale = 10.0 ** digits
    with np.errstate(invalid="ignore", over="ignore"):
        scaled = values * scale
        out = np.rint(scaled) / scale
        unsure = ~(np.abs(scaled) < 2.0 ** 52) | \
            (np.abs(scaled - np.floor(scaled) - 0.5) <= 4 * np.abs(np.spacing(scaled)))
    for k in np.flatnonzero(unsure).tolist():
        out[k] = round(float(values[k]), digits)
    return out


def _within_group(values: np.ndarray, first: np.ndarray) -> np.ndarray:
    """The running sum of ``values`` within each group (group ``g``: ``first[g]:first[g + 1]``)."""
    out = np.empty_like(values)
    for lo, hi in zip(first[:-1].tolist(), first[1:].tolist()):
        out[lo:hi] = np.cumsum(values[lo:hi])
    return out


def _shared(values: list[str], index: np.ndarray) -> list[str]:
    """``values[i]`` for each ``i`` of ``index``: the same string objects, not copies."""
    return [values[i] for i in index.tolist()]


def blocked_losses(plan) -> BlockedGroups:
    """:func:`blocked_groups` with what the plan did with each lot (``plan``, its last key)."""
    h = plan.household
    prepared = blocked_groups(h)
    if not prepared.groups:
        return replace(prepared, unsold=np.zeros(0, bool))
    sold = set(plan.trades.loc[plan.trades["action"] == "sell", "lot_id"].tolist())
    washes = plan.evaluation.washes_frame()
    washed = washes.groupby("loss_lot")["shares"].sum().to_dict() if len(washes) else {}

    def status(lot: str) -> str:      # of a lot the plan sells
        if washed.get(lot, 0.0) > 0:
            return f"sold anyway: {washed[lot]:g} of its shares washed, priced in the plan"
        return "sold: loss sales earlier in the law's order used up the replacement shares"

    unsold = np.array([lot not in sold for lot in prepared.lot_ids], bool)
    for j in np.flatnonzero(~unsold).tolist():     # prepared as not sold: the few it sells
        prepared.records[j]["plan"] = status(prepared.lot_ids[j])
        if prepared.encoded is not None:
            prepared.encoded.forget(prepared.groups[prepared.group_of[j]])
    return replace(prepared, unsold=unsold)


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
        gives = "gives" if len(sold_back) == 1 else "give"
        back = f"; {', '.join(sorted(sold_back))}, sold in the plan too, {gives} the deferred " \
            "loss straight back" if sold_back else ""
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


def class_notes(plan, blocked: BlockedGroups) -> dict[str, str]:
    """A sentence per asset class: what the plan traded in it and why, or why nothing."""
    h, ev, trades = plan.household, plan.evaluation, plan.trades
    notes = {}
    classes = len(h.classes)
    trade_class = trades["symbol"].map(dict(zip(h.securities.symbol, h.securities.asset_class)))
    # loss lots left unsold, per class: how many, and the first day one is free
    held = blocked.lot_class[blocked.unsold]
    held_count = np.bincount(held, minlength=classes)
    first_free = np.full(classes, np.datetime64("9999-12-31"), "datetime64[D]")
    np.minimum.at(first_free, held, blocked.free_day[blocked.unsold])
    loss_lots = np.bincount(h.security_class[h.lots.security][h.lot_taxable & (h.lot_gain_per_dollar < 0)],
                            minlength=classes)
    # each class's dollars by action and reason: one groupby, not a selection of the rows per
    # class (each a copy of a 70,000-row list at 1e6 lots); the same sums, in the same order
    traded: dict[str, list[str]] = {}
    sums = trades.groupby([trade_class, "action", "reason"])["amount"].sum()
    for (asset_class, action, reason), amount in sums.items():
        traded.setdefault(asset_class, []).append(f"{action} {amount:,.0f} ({reason})")
    for c, name in enumerate(h.classes):
        w0, w1 = ev.weights_before[c], ev.weights_after[c]
        t, band = h.class_target[c], h.class_band[c]
        where = f"{w0:.1%} -> {w1:.1%} (target {t:.1%} ± {band:.1%})"
        held_back = ""
        if held_count[c]:
            held_back = (f"; {held_count[c]} loss lot(s) left unsold: recent purchases in "
                         f"their wash groups block them or make them costly until {first_free[c]}")
        if name in traded:
            notes[str(name)] = f"traded: {', '.join(traded[name])}{held_back}; {where}."
            continue
        outside = abs(w0 - t) > band + WEIGHT_TOL
        why = "outside its band, moved by other classes' trades and cash" if outside else \
            "inside its band, so no rebalancing is owed"
        if held_back:
            why += held_back
        elif loss_lots[c]:
            why += "; its losses are worth less than the drift and trading cost of harvesting them"
        else:
            why += "; it holds no taxable loss to harvest"
        notes[str(name)] = f"not traded: {why}; {where}."
    return notes
