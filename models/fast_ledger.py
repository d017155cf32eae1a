"""The ledger's common case, vectorized: sales where no wash is possible.

A sell of a lot of lots.csv, named once in the trade list, that is a gain, or in a
tax-advantaged account, or in a wash group with no purchase of any kind (lots, history buys,
scheduled purchases, trade buys) within 30 days of any sale date of the run, cannot be washed
and does not change the replacement pool. Unless some other sale is washed (then everything is
walked, below), nothing adjusts its lot either, so its sale is
proceeds minus its share of the basis, its term follows from the lot's holding period. Those
rows are applied here as arrays; every other row goes through :func:`models.ledger.apply_trades`'
walk, and the two are merged in the walk's own order (sales, holdings, cash and the netting
sums accumulated in event order), so the result is the walk's to the last bit.

Where the walk on the other rows finds a wash (a disallowed loss, a history sale washed) the
whole list is walked instead: adjustments may split rows, and that order is the walk's alone.
"""
from __future__ import annotations

import numpy as np

from .dates import DAY, holding_start, is_long_term
from .enums import Term
from .household import Household
from .ledger import (TRADE_WINDOW, Ledger, _Walker, apply_trades as walk_trades,
                     existing_acquisitions, past_matches, sales_from_columns, untouched_lots)
from .tolerances import GAIN_NOISE, PRICE_TOL, QTY_TOL
from .trades import TradeList
from .wash_sale import MATCH_TOL, WINDOW

MIN_FAST_ROWS = 64   # below this the walk is as fast; keep one path for small lists


def apply_trades(household: Household, trades: TradeList, holdings: bool = True) -> Ledger:
    """Same as :func:`models.ledger.apply_trades`, vectorized where no wash is possible."""
    h, t = household, trades
    if len(t) < MIN_FAST_ROWS:   # too few rows to pay: the walk, without sorting the rows out
        return walk_trades(h, t, holdings)
    lot = h.lots.index.positions(t.lot_id)   # each row's lot in lots.csv (-1: none), once
    fast = _fast_rows(h, t, lot)
    if fast.sum() < MIN_FAST_ROWS or np.any(t.quantity * t.price <= 0):
        return walk_trades(h, t, holdings)
    slow = np.flatnonzero(~fast)
    sub = TradeList(*(getattr(t, f)[slow] for f in ("date", "account_id", "symbol", "is_buy",
                                                  "quantity", "price", "lot_id", "row")))
    walker = _Walker(h, sub)
    part = walker.run(holdings=False)
    if part.violations or part.history_washes or any(s.disallowed != 0 for s in part.sales):
        return walk_trades(h, t, holdings)
    return _merge(h, t, lot, fast, slow, walker, part, holdings)


def _positions(index: dict[str, int], keys: np.ndarray) -> np.ndarray:
    """Positions of ``keys`` in a {name: position} dict, -1 where unknown (once per distinct key)."""
    names, inverse = np.unique(keys.astype(str), return_inverse=True)
    return np.array([index.get(k, -1) for k in names.tolist()], np.int64)[inverse.reshape(-1)]


def _busy_groups(h: Household, lo: np.datetime64, hi: np.datetime64) -> np.ndarray:
    """Wash groups with a purchase dated in [lo, hi] outside the trade list (lots, history
    buys, scheduled purchases): a superset of :func:`models.ledger.existing_acquisitions`'."""
    busy = np.zeros(len(h.wash_groups) + 1, bool)
    lots = h.lots
    recent = (lots.acquired >= lo) & (lots.acquired <= hi)
    busy[h.security_group[lots.security[recent]]] = True
    hist = h.history
    busy[h.history_group[hist.is_buy & (hist.date >= lo) & (hist.date <= hi)]] = True
    flows = h.cashflows
    buys = flows.is_purchase & (flows.date >= lo) & (flows.date <= hi)
    if buys.any():
        busy[h.security_group[_positions(h.securities.index, flows.symbol[buys])]] = True
    return busy


def _open_groups(h: Household, t: TradeList, lo: np.datetime64, hi: np.datetime64) -> np.ndarray:
    """Wash groups where a sale dated from as_of on may still find replacement shares: an
    acquisition outside the trade list dated from as_of − 30 days with shares the past loss
    sales left (matched as the walk matches them, before any trade: they are dated before
    as_of). A purchase that history losses used up washes nothing more (at h1e5 1,521 loss
    sales were walked for such groups). All groups where that order is not certain: a trade
    dated before as_of, a past loss dated after it."""
    every = np.ones(len(h.wash_groups) + 1, bool)
    hist = h.history
    loss = np.flatnonzero(h.history_loss)
    if (t.date < h.as_of).any() or (hist.date[loss] > h.as_of).any():
        return every
    # Then no past loss reaches past as_of + 30 days, and the household's matching of them
    # (the same order, every purchase they reach) says what they left; later purchases are whole.
    first = max(lo, h.as_of - WINDOW)
    left = past_matches(h).pool.dated(first, min(hi, h.as_of + WINDOW))
    left += existing_acquisitions(h, h.as_of + WINDOW + DAY, hi)
    open_ = np.zeros(len(h.wash_groups) + 1, bool)
    open_[[a.group for a in left if a.unused > MATCH_TOL]] = True
    return open_


def _fast_rows(h: Household, t: TradeList, lot: np.ndarray) -> np.ndarray:
    """Rows the walk would apply as one plain sale of an untouched lot, with no wash possible
    (``lot``: each row's position in lots.csv, -1 for none)."""
    n = len(t)
    lots = h.lots
    if n == 0 or len(lots) == 0:
        return np.zeros(n, bool)
    account = _positions(h.accounts.index, t.account_id)
    security = _positions(h.securities.index, t.symbol)
    named = lot >= 0      # a lot of lots.csv named by one row only (ids and positions are 1:1)
    once = np.bincount(lot[named], minlength=len(lots))[np.where(named, lot, 0)] == 1
    ok = (~t.is_buy) & named & (account >= 0) & (security >= 0) & once
    ok &= (t.quantity * t.price > 0)
    safe = np.where(ok, lot, 0)
    ok &= (lots.account[safe] == account) & (lots.security[safe] == security)
    ok &= h.securities.can_sell[np.where(security >= 0, security, 0)]
    held = lots.quantity[safe]
    ok &= ~(t.quantity > held * (1 + QTY_TOL) + QTY_TOL)
    # rows the walk would judge (issue 15's checks) go to the walk: a price off the quote by
    # more than spread + PRICE_TOL, a date outside the plan's window or its tax year, a sale
    # dated before its lot was acquired
    sec = np.where(security >= 0, security, 0)
    quote = h.securities.price[sec]
    ok &= np.abs(t.price - quote) <= quote * (h.securities.spread_bps[sec] * 1e-4 + PRICE_TOL) + 1e-9
    year_end = (h.as_of.astype("datetime64[Y]") + 1).astype("datetime64[D]") - 1
    ok &= (t.date >= h.as_of) & (t.date <= min(h.as_of + TRADE_WINDOW, year_end))
    ok &= t.date >= lots.acquired[safe]
    if not ok.any():
        return ok
    # wash groups with any purchase in the window the walk's replacement pool would cover
    sells = ~t.is_buy
    dates = np.concatenate([t.date[sells].astype("datetime64[D]"),
                            h.history.date[h.history_loss].astype("datetime64[D]")])
    busy = _busy_groups(h, dates.min() - WINDOW, dates.max() + WINDOW)
    busy &= _open_groups(h, t, dates.min() - WINDOW, dates.max() + WINDOW)
    bought = security[t.is_buy]
    busy[h.security_group[bought[bought >= 0]]] = True
    if (t.is_buy & (security < 0)).any():   # an unknown symbol's group is unknown
        return np.zeros(n, bool)
    # a sale washes nothing unless it is a loss in a taxable account (IRC §1091)
    take = np.minimum(t.quantity, held)
    take = np.where(held - take <= QTY_TOL * np.maximum(1.0, held), held, take)
    gain = t.price * take - lots.cost_basis[safe] * take / held
    gain = np.where(np.abs(gain) < GAIN_NOISE, 0.0, gain)
    taxable = h.accounts.taxable[np.where(account >= 0, account, 0)].astype(bool)
    ok &= ~busy[h.security_group[lots.security[safe]]] | ~taxable | (gain >= 0)
    return ok


def _walk_order(h: Household, t: TradeList, lot: np.ndarray, fast: np.ndarray, slow: np.ndarray,
                walker: _Walker) -> np.ndarray:
    """The order the walk applies rows in: by date, buys before sells, sells in the order
    their lot was acquired (Treas. Reg. 1.1091-1(b)), then file order. (Date and file order
    alone put cash's sums in another order: h1e5's cash after differed by 1e-7.)"""
    acquired = t.date.astype("datetime64[D]").copy()      # a buy's key: its own date
    rows = np.flatnonzero(fast)
    acquired[rows] = h.lots.acquired[lot[rows]]
    sells = np.flatnonzero(~walker.t.is_buy)
    known = h.lots.index.positions(walker.lot_of[sells].astype(str))
    acquired[slow[sells]] = np.where(known >= 0, h.lots.acquired[np.maximum(known, 0)],
                                     np.datetime64("NaT"))
    for k in sells.tolist():                  # a lot a buy of the list creates: the buy's date
        state = walker.states.get(str(walker.lot_of[k]))
        if state is not None:
            acquired[slow[k]] = state.acquired
    return np.lexsort((np.arange(len(t)), acquired, np.where(t.is_buy, 1, 2),
                       t.date.astype("datetime64[D]")))


def _merge(h: Household, t: TradeList, lot_of_row: np.ndarray, fast: np.ndarray, slow: np.ndarray,
           walker: _Walker, part: Ledger, holdings: bool) -> Ledger:
    lots = h.lots
    order = _walk_order(h, t, lot_of_row, fast, slow, walker)  # the walk's event order of rows
    rank = np.empty(len(t), np.int64)
    rank[order] = np.arange(len(t))
    out = Ledger(violations=list(part.violations))
    out.history_washes = []

    # ---- the fast sales, in event order
    rows = np.flatnonzero(fast)
    rows = rows[np.argsort(rank[rows], kind="stable")]
    lot = lot_of_row[rows]
    held = lots.quantity[lot]
    basis_held = lots.cost_basis[lot]
    left = np.minimum(t.quantity[rows], held)
    take = np.minimum(left, held)
    take = np.where(held - take <= QTY_TOL * np.maximum(1.0, held), held, take)
    sold = take > QTY_TOL                         # the walk records no sale below QTY_TOL
    basis = basis_held * take / held
    price = t.price[rows]
    proceeds = price * take
    start = holding_start(lots.acquired[lot])
    date = t.date[rows]
    long = is_long_term(start, date)
    taxable = h.accounts.taxable[lots.account[lot]].astype(bool)
    gain = proceeds - basis
    gain = np.where(np.abs(gain) < GAIN_NOISE, 0.0, gain)
    whole = t.quantity[rows] >= held * (1 - QTY_TOL) - QTY_TOL
    symbols = h.securities.symbol[lots.security[lot]]
    accounts = lots.account[lot]
    on = sold      # the fields of each fast sale, as the walk's record_sale sets them
    taxed = taxable[on].tolist()
    fast_sales = sales_from_columns(
        t.row[rows][on].tolist(), t.lot_id[rows][on].tolist(), accounts[on].tolist(),
        symbols[on].tolist(), list(date[on]), take[on].tolist(), proceeds[on].tolist(),
        np.where(taxable, basis, proceeds)[on].tolist(), np.where(taxable, gain, 0.0)[on].tolist(),
        [Term.LONG if lg else Term.SHORT for lg in long[on].tolist()], taxed, [0.0] * len(taxed),
        [0.0] * len(taxed), [d if tx else None for d, tx in zip(list(start[on]), taxed)])
    fast_rank = rank[rows][sold]

    # ---- the walk's sales keep their order; both are in event order: merge by rank
    slow_rank_of_row = dict(zip(t.row[slow].tolist(), rank[slow].tolist()))
    if len(slow_rank_of_row) != len(slow) or len(set(t.row.tolist())) != len(t):
        return walk_trades(h, t, holdings)
    part_rank = np.array([slow_rank_of_row[s.row] for s in part.sales], np.int64)
    if len(part_rank) and np.any(np.diff(part_rank) < 0):
        return walk_trades(h, t, holdings)
    all_sales = part.sales + fast_sales
    merged = np.argsort(np.concatenate([part_rank, fast_rank]), kind="stable")
    out.sales = [all_sales[k] for k in merged.tolist()]

    # ---- the netting sums, added in event order as the walk adds them
    year = h.as_of.astype("datetime64[Y]")
    first, after = year.astype("datetime64[D]"), (year + 1).astype("datetime64[D]")
    ps = part.sales
    realized = np.concatenate([[s.gain + s.disallowed for s in ps], gain[sold]])[merged]
    counts = np.concatenate([[s.taxable for s in ps], taxable[sold]]).astype(bool)[merged]
    day = np.concatenate([np.array([s.date for s in ps], "datetime64[D]"),
                          date[sold].astype("datetime64[D]")])[merged]
    is_long = np.concatenate([[s.term is Term.LONG for s in ps], long[sold]]).astype(bool)[merged]
    counts &= (day >= first) & (day < after)
    for attr, pick in (("short_term", counts & ~is_long), ("long_term", counts & is_long)):
        amounts = realized[pick]                    # cumsum adds in order, as the walk does
        setattr(out, attr, float(np.cumsum(amounts)[-1]) if len(amounts) else 0.0)

    # ---- cash and dollars per row, in event order
    amount = np.zeros(len(t))
    amount[slow] = part.trade_amount
    amount[rows] = (t.quantity[rows] * t.price[rows])
    applied = amount > 0
    events = order[applied[order]]
    value = t.quantity[events] * t.price[events]
    commission = h.settings.commission_usd
    delta = np.where(t.is_buy[events], -(value + commission), value - commission)
    cash = h.accounts.cash + h.account_flows
    np.add.at(cash, _positions(h.accounts.index, t.account_id[events]), delta)
    out.cash_after = cash
    out.trade_amount = amount
    out.trade_security = _positions(walker.sec_index, t.symbol)
    out.whole_lot = {int(slow[i]) for i in part.whole_lot} | set(rows[whole].tolist())

    if holdings:
        _finish_lots(h, t, out, walker, slow, rank, rows, lot, held - take, basis_held - basis,
                     start, fast_rank_all=rank[rows])
    return out


def _finish_lots(h: Household, t: TradeList, out: Ledger, walker: _Walker, slow: np.ndarray,
                 rank: np.ndarray, rows: np.ndarray, lot: np.ndarray, quantity: np.ndarray,
                 basis: np.ndarray, start: np.ndarray, fast_rank_all: np.ndarray) -> None:
    """The walk's finish_lots over both parts: untouched lots, then touched lots in the order
    the walk first touched them (buys' new lots first, then by first sale)."""
    lots = h.lots
    # the walk creates a state for each buy's new lot, then one per lot at its first sale
    sub = walker.t
    created = {sub.lot_id[i] or f"new-{sub.row[i]}" for i in np.flatnonzero(sub.is_buy)}
    first: dict[str, int] = {}
    for i in np.argsort(rank[slow], kind="stable").tolist():
        if not sub.is_buy[i]:
            first.setdefault(str(walker.lot_of[i]), int(rank[slow][i]))
    state_rank = [(-1 if lid in created else first[lid], n) for n, lid in enumerate(walker.states)]
    slow_states = list(walker.states.values())
    ranks = np.concatenate([np.array([r for r, _ in state_rank], np.int64), fast_rank_all])
    kinds = np.repeat([0, 1], [len(state_rank), len(fast_rank_all)])
    which = np.concatenate([np.arange(len(state_rank)), np.arange(len(fast_rank_all))])
    by = np.lexsort((which, kinds, ranks))
    entries = zip(kinds[by].tolist(), which[by].tolist())

    touched = np.zeros(len(lots), bool)
    ids = lots.index.positions(list(walker.states)) if walker.states else np.zeros(0, np.int64)
    touched[ids[ids >= 0]] = True
    touched[lot] = True
    fast_ids = t.lot_id[rows].tolist()
    fast_acc = lots.account[lot].tolist()
    fast_sec = lots.security[lot].tolist()
    fast_q, fast_b, fast_s = quantity.tolist(), basis.tolist(), list(start)
    rows_out = []
    for kind, k in entries:
        if kind == 0:
            st = slow_states[k]
            if st.held:
                rows_out += [(st.lot_id, st.account, st.security, p.quantity, p.basis, p.start,
                              p.adjusted) for p in st.parcels if p.quantity > QTY_TOL]
        elif fast_q[k] > QTY_TOL:
            rows_out.append((fast_ids[k], fast_acc[k], fast_sec[k], fast_q[k], fast_b[k], fast_s[k], False))
    # one frame, as the walk makes it (a second frame and a concat copied a million rows)
    frame = untouched_lots(lots, ~touched, rows_out)
    out.lots = frame
    out.shares_after = np.bincount(frame["security"].to_numpy(dtype=np.int64),
                                   frame["quantity"].to_numpy(dtype=float), minlength=len(h.securities))
