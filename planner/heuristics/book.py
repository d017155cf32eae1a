"""The working state a heuristic trades on, and the moves every heuristic shares.

A :class:`Book` starts from the household and records sells (by lot) and buys (by account and
security) in dollars, keeping each account's cash, the household's class values and the wash
groups touched up to date, so each step of a heuristic sees what the earlier steps did. Money
never moves between accounts: a buy in an account is paid by that account's cash above its
reserve, or by sells in it. :func:`move` is the one rebalancing routine (toward a
:class:`Goal`, account by account, in a given account order, with a given lot order);
:func:`fund_withdrawals` raises the cash a withdrawal needs. Everything per lot is a numpy
array, so a household of 1e4+ lots costs a few sorts, not a Python loop per lot.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from models.allocation import inside_bands, weights
from models.enums import Reason, Term
from models.household import Household
from models.ledger import wash_restrictions
from models.tolerances import MONEY_TOL
from models.trades import PLAN_TRADE_COLUMNS

SPEND_MARGIN = 1e-6         # keep a hair of cash so float sums never dip below a reserve


# ---- facts about the lots, and the orders heuristics sell them in ----------------------------

@dataclass(frozen=True, eq=False)
class LotFacts:
    """Per-lot arrays every lot order and step reads (taxable figures zero elsewhere)."""
    household: Household

    @cached_property
    def value(self) -> np.ndarray:
        return self.household.lot_value

    @cached_property
    def taxable(self) -> np.ndarray:
        return self.household.lot_taxable

    @cached_property
    def cost_ratio(self) -> np.ndarray:
        """Basis per dollar of value: within one security, the order of basis per share."""
        return self.household.lots.cost_basis / np.maximum(self.value, 1e-12)

    @cached_property
    def gain_per_dollar(self) -> np.ndarray:
        return self.household.lot_gain_per_dollar

    @cached_property
    def long_term(self) -> np.ndarray:
        return self.household.lot_long_term

    @cached_property
    def loss(self) -> np.ndarray:
        return self.taxable & (self.gain_per_dollar < 0)

    @cached_property
    def gain(self) -> np.ndarray:
        return self.taxable & (self.gain_per_dollar > 0)

    @cached_property
    def acquired_days(self) -> np.ndarray:
        return self.household.lots.acquired.astype("datetime64[D]").astype(np.int64)


LotOrder = Callable[[LotFacts], np.ndarray]


def _rank(*keys: np.ndarray) -> np.ndarray:
    """Rank of each lot under the keys (first key primary; file order breaks ties)."""
    n = len(keys[0])
    order = np.lexsort((np.arange(n),) + tuple(reversed(keys)))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    return rank


def fifo(f: LotFacts) -> np.ndarray:
    """First in, first out: the oldest lot first."""
    return _rank(f.acquired_days)


def hifo(f: LotFacts) -> np.ndarray:
    """Highest cost first: the highest basis per share of a security first (across the
    securities of a class, the highest basis per dollar of value)."""
    return _rank(-f.cost_ratio)


def tax_min(f: LotFacts) -> np.ndarray:
    """Short-term losses, long-term losses, long-term gains, short-term gains; within each, the
    largest loss (smallest gain) per dollar first."""
    category = np.select([f.loss & ~f.long_term, f.loss, ~f.gain | f.long_term], [0, 1, 2], 3)
    return _rank(category, f.gain_per_dollar)


def hifo_at_tax_rates(f: LotFacts) -> np.ndarray:
    """Highest cost first, each lot's gain (or loss) per dollar weighed by the rate of its term:
    the least tax per dollar sold first. Within one security and term it is HIFO; a
    short-term gain pays the short-term rate, so it sells after a long-term gain a little
    larger."""
    tax = f.household.tax
    short, long = tax.marginal_rates          # the flat rates, or schedule mode's at the margin
    rate = np.where(f.long_term, long, short)
    return _rank(f.gain_per_dollar * rate, -f.cost_ratio)


def history_losses_open_to_a_buy(h) -> np.ndarray:
    """bool per wash group: a loss sold in the last 30 days that a buy on ``as_of`` would wash.

    The optimizer's own restriction (``models.ledger.wash_restrictions``), so heuristics and
    optimizer ban the same groups.
    """
    out = np.zeros(len(h.wash_groups), dtype=bool)
    out[list(wash_restrictions(h).no_buy_until)] = True
    return out


# ---- the goal of a move ----------------------------------------------------------------------

@dataclass(frozen=True)
class Goal:
    """Where each class's value (dollars) must end, ``lo ≤ value ≤ hi``, and where it may go:
    toward ``target``. A move sells what is above ``hi`` and buys what is below ``lo`` (needs);
    it may move a class further toward its target to balance them (room)."""
    lo: np.ndarray
    hi: np.ndarray
    target: np.ndarray

    @classmethod
    def full(cls, h) -> "Goal":
        """Every class exactly at its target."""
        t = h.class_target * h.allocation_value
        return cls(t, t, t)

    @classmethod
    def outside_band_to_target(cls, h, values: np.ndarray) -> "Goal":
        """Classes outside their band back to the target; the others may only absorb."""
        t = h.class_target * h.allocation_value
        out = ~inside_bands(h, weights(h, values))
        return cls(np.where(out, t, -np.inf), np.where(out, t, np.inf), t)

    @classmethod
    def band_edge(cls, h, margin: float) -> "Goal":
        """Every class inside its band, ``margin`` (a weight) inside the edge."""
        V, t, b = h.allocation_value, h.class_target, h.class_band
        m = np.minimum(margin, 0.5 * b)
        return cls((t - b + m) * V, (t + b - m) * V, t * V)

    @classmethod
    def partial(cls, h, start: np.ndarray, fraction: float, margin: float) -> "Goal":
        """``partial = a``: a class that started outside its band closes at least the fraction a
        of its gap (``margin`` more); the others stay inside their band."""
        V, t = h.allocation_value, h.class_target
        edge = cls.band_edge(h, margin)
        gap = start / V - t
        out = ~inside_bands(h, start / V)
        left = np.maximum((1 - fraction) * np.abs(gap) - margin, 0.0)
        lo = np.where(out & (gap < 0), (t - left) * V, edge.lo)
        hi = np.where(out & (gap > 0), (t + left) * V, edge.hi)
        return cls(np.where(out & (gap > 0), -np.inf, lo), np.where(out & (gap < 0), np.inf, hi),
                   t * V)

    def needs(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(sell need, buy need, sell room, buy room) per class, dollars."""
        sell_need = np.maximum(values - self.hi, 0.0)
        buy_need = np.maximum(self.lo - values, 0.0)
        sell_room = np.maximum(np.minimum(values, self.hi) - self.target, 0.0)
        buy_room = np.maximum(self.target - np.maximum(values, self.lo), 0.0)
        return sell_need, buy_need, sell_room, buy_room

    def met(self, values: np.ndarray, tol: float) -> bool:
        return bool(np.all(values >= self.lo - tol) and np.all(values <= self.hi + tol))


# ---- the book --------------------------------------------------------------------------------

class Book:
    """Trades so far and the household as they leave it.

    Parameters
    ----------
    household
        The household to trade on.
    order
        The lot order (a :data:`LotOrder`): within an account and class, lots sell in it.
    wash_aware
        True: never sell a taxable loss lot the household's purchases (past, scheduled or in
        this book) would wash, and never buy a wash group sold at a loss here or in the last
        30 days. False: trade as if the rule did not exist (the naive baselines).
    prefer_cheap
        Which security a buy picks in a class: True the lowest spread (then the most held),
        False the one the household holds most (buy more of what you own).
    """

    def __init__(self, household, order: LotOrder, wash_aware: bool, prefer_cheap: bool = False):
        h = self.h = household
        self.facts = LotFacts(h)
        self.wash_aware = wash_aware
        self.prefer_cheap = prefer_cheap
        self.left = h.lots.quantity.astype(float).copy()
        self.sold = np.zeros(len(h.lots))
        self.sell_rows: dict[str, np.ndarray] = {}        # reason -> shares sold per lot
        self.cash = (h.accounts.cash + h.account_flows).astype(float)
        self.buys: dict[tuple[int, int], list] = {}       # (account, security) -> [shares, reason]
        self.bought_class = np.zeros(len(h.classes))
        self.lot_class = h.security_class[h.lots.security]
        self.lot_group = h.security_group[h.lots.security]
        n_groups = len(h.wash_groups)
        self.bought_group = np.zeros(n_groups, dtype=bool)
        self.loss_sold_group = np.zeros(n_groups, dtype=bool)
        if wash_aware:
            r = wash_restrictions(h)
            self.blocked = r.blocked_lot
            self.no_buy_group = history_losses_open_to_a_buy(h)
            self.no_buy_group[list(r.no_buy_until)] = True
        else:
            self.blocked = np.zeros(len(h.lots), dtype=bool)
            self.no_buy_group = np.zeros(n_groups, dtype=bool)
        self._slices = self._group_lots(order(self.facts))

    def _group_lots(self, rank: np.ndarray) -> dict[tuple[int, int], np.ndarray]:
        """Lot rows of each (account, class), in the lot order: one sort for all."""
        h = self.h
        order = np.lexsort((rank, self.lot_class, h.lots.account))
        acc, cls = h.lots.account[order], self.lot_class[order]
        cuts = np.flatnonzero((np.diff(acc) != 0) | (np.diff(cls) != 0)) + 1
        return {(int(h.lots.account[s[0]]), int(self.lot_class[s[0]])): s
                for s in np.split(order, cuts) if len(s)}

    # ---- what the household looks like now --------------------------------------------------
    @property
    def V(self) -> float:
        """The value class weights are fractions of (cash above the reserves is a class)."""
        return self.h.allocation_value

    def class_values(self) -> np.ndarray:
        h = self.h
        values = np.bincount(self.lot_class, self.left * h.lot_price, minlength=len(h.classes))
        values = values + self.bought_class
        values[h.cash_class] += self.cash.sum() - h.reserve_total
        return values

    def weights(self) -> np.ndarray:
        return self.class_values() / self.V

    def outside_band(self) -> np.ndarray:
        return ~inside_bands(self.h, self.weights())

    def spare(self, a: int) -> float:
        """Cash account ``a`` may spend: above its reserve (negative: a shortfall)."""
        return float(self.cash[a] - self.h.accounts.reserve[a])

    def lots_of(self, a: int, c: int) -> np.ndarray:
        return self._slices.get((a, c), np.zeros(0, dtype=np.int64))

    def sellable(self, lots: np.ndarray, allow_wash: bool = False) -> np.ndarray:
        """The lots among ``lots`` that may be sold now, in the same order."""
        h = self.h
        ok = (self.left[lots] > 0) & h.securities.can_sell[h.lots.security[lots]]
        if self.wash_aware and not allow_wash:
            loss = self.facts.loss[lots]
            washed = self.blocked[lots] | self.bought_group[self.lot_group[lots]]
            ok &= ~(loss & washed)
        return lots[ok]

    def holdings(self, a: int) -> np.ndarray:
        """Sellable value per class in account ``a``."""
        h = self.h
        out = np.zeros(len(h.classes))
        for (acc, c), lots in self._slices.items():
            if acc == a:
                ok = self.sellable(lots)
                out[c] = float((self.left[ok] * h.lot_price[ok]).sum())
        return out

    def buy_security(self, a: int, c: int, avoid_groups: np.ndarray | None = None) -> int:
        """The security a buy of class ``c`` in account ``a`` picks, or -1 if none may be bought."""
        h = self.h
        ok = h.can_buy[a] & (h.security_class == c)
        if self.wash_aware:
            banned = self.no_buy_group | self.loss_sold_group
            if avoid_groups is not None:
                banned = banned | avoid_groups
            ok &= ~banned[h.security_group]
        candidates = np.flatnonzero(ok)
        if not len(candidates):
            return -1
        held = self._security_value[candidates]
        spread = h.securities.spread_bps[candidates]
        keys = (candidates, spread, -held) if not self.prefer_cheap else (candidates, -held, spread)
        return int(candidates[np.lexsort(keys)[0]])

    @cached_property
    def _security_value(self) -> np.ndarray:
        h = self.h
        return np.bincount(h.lots.security, h.lot_value, minlength=len(h.securities))

    def buyable_classes(self, a: int) -> np.ndarray:
        h = self.h
        out = np.array([self.buy_security(a, c) >= 0 for c in range(len(h.classes))], dtype=bool)
        out[h.cash_class] = False
        return out

    # ---- trading ----------------------------------------------------------------------------
    def sell(self, lots: np.ndarray, usd: float, reason: str, allow_wash: bool = False) -> float:
        """Sell from ``lots`` in their order (whole lots, then part of the next) until the cash
        raised, after commissions, is about ``usd`` dollars; returns the proceeds."""
        h, s = self.h, self.h.settings
        if usd <= MONEY_TOL or not len(lots):
            return 0.0
        lots = self.sellable(lots, allow_wash)
        avail = self.left[lots]
        price = h.lot_price[lots]
        value = avail * price
        keep = (value > 0) & (value >= s.min_trade_usd)    # no trade below the minimum size
        lots, avail, price, value = lots[keep], avail[keep], price[keep], value[keep]
        if not len(lots):
            return 0.0
        rows = self.sell_rows.setdefault(reason, np.zeros(len(h.lots)))
        fee = s.commission_usd * (rows[lots] == 0)         # one trade row per lot and reason
        cum = np.cumsum(value - fee)
        k = int(np.searchsorted(cum, usd - MONEY_TOL))    # lots[:k] go whole
        shares = avail.copy()
        shares[k + 1:] = 0.0
        if k < len(lots):
            rest = usd - (cum[k - 1] if k else 0.0) + fee[k]
            q = max(rest, s.min_trade_usd) / price[k]
            # Whole shares: a part of a lot in whole shares, or all it holds (fraction included).
            shares[k] = min(np.ceil(q - 1e-9) if s.whole_shares else q, avail[k])
        take = shares > 0
        lots, shares, price, fee = lots[take], shares[take], price[take], fee[take]
        full = shares >= self.left[lots] * (1 - 1e-12)
        shares = np.where(full, self.left[lots], shares)
        self.left[lots] = np.where(full, 0.0, self.left[lots] - shares)
        self.sold[lots] += shares
        rows[lots] += shares
        proceeds = shares * price
        np.add.at(self.cash, h.lots.account[lots], proceeds - fee)
        losing = self.facts.loss[lots]
        self.loss_sold_group[self.lot_group[lots[losing]]] = True
        return float(proceeds.sum())

    def buy(self, a: int, j: int, usd: float, reason: str) -> float:
        """Buy up to ``usd`` dollars of security ``j`` in account ``a`` (no more than it can pay)."""
        h, s = self.h, self.h.settings
        new = (a, j) not in self.buys
        fee = s.commission_usd if new else 0.0
        usd = min(usd, self.spare(a) - fee - SPEND_MARGIN)
        price = h.securities.price[j]
        shares = np.floor(usd / price + 1e-9) if s.whole_shares else usd / price
        usd = shares * price
        if usd <= max(MONEY_TOL, s.min_trade_usd - MONEY_TOL) or shares <= 0:
            return 0.0
        if new:
            self.buys[(a, j)] = [0.0, reason]
        elif self.buys[(a, j)][1] == Reason.CASH.value:
            self.buys[(a, j)][1] = reason        # cash topped up by a rebalance: a rebalance
        self.buys[(a, j)][0] += shares
        self.cash[a] -= usd + fee
        self.bought_class[h.security_class[j]] += usd
        self.bought_group[h.security_group[j]] = True
        return float(usd)

    # ---- the trade list -------------------------------------------------------------------
    def frame(self) -> pd.DataFrame:
        """The trade list (SPEC §4 columns and reasons): sells first, then buys."""
        columns = self._columns()
        if not len(columns["quantity"]):
            return pd.DataFrame({c: pd.Series([], dtype=object) for c in PLAN_TRADE_COLUMNS})
        keep = columns["quantity"] > 0
        frame = pd.DataFrame(columns)
        return frame if keep.all() else frame[keep].reset_index(drop=True)

    def columns(self) -> dict[str, np.ndarray]:
        """:meth:`frame`'s rows as arrays, without the DataFrame (what a backtest reads)."""
        columns = self._columns()
        keep = columns["quantity"] > 0
        return {c: v[keep] for c, v in columns.items()}

    def _columns(self) -> dict[str, np.ndarray]:
        h = self.h
        date = str(h.as_of)
        parts = [(np.flatnonzero(rows > 0), reason) for reason, rows in self.sell_rows.items()]
        lots = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, dtype=np.int64)
        reasons = np.concatenate([np.full(len(p[0]), p[1], dtype=object) for p in parts]) \
            if parts else np.zeros(0, dtype=object)
        q = np.concatenate([self.sell_rows[r][p] for p, r in parts]) if parts else np.zeros(0)
        whole = self.left[lots] == 0
        last = np.zeros(len(lots), dtype=bool)      # a lot sold out: its last row takes the rest
        if len(lots):
            last[len(lots) - 1 - np.unique(lots[::-1], return_index=True)[1]] = True
        q = np.where(whole & last, h.lots.quantity[lots] - (self.sold[lots] - q), q)
        q = np.minimum(q, h.lots.quantity[lots])
        # The row that empties a lot comes after the lot's other rows: it sells all the lot
        # still holds (with whole shares, the only row that may carry the fraction).
        order = np.argsort(whole & last, kind="stable")
        lots, reasons, q = lots[order], reasons[order], q[order]
        price = h.lot_price[lots]
        taxable = self.facts.taxable[lots]
        basis = h.lots.cost_basis[lots] * q / h.lots.quantity[lots]
        term = np.where(self.facts.long_term[lots], Term.LONG.value, Term.SHORT.value)
        keys = list(self.buys)
        acc = np.array([k[0] for k in keys], dtype=np.int64)
        sec = np.array([k[1] for k in keys], dtype=np.int64)
        shares = np.array([self.buys[k][0] for k in keys], dtype=float)
        bprice = h.securities.price[sec]
        n_s, n_b = len(lots), len(keys)

        def text(sells, buys) -> np.ndarray:
            return np.concatenate([np.asarray(sells, dtype=object), np.asarray(buys, dtype=object)])

        out = {
            "date": np.full(n_s + n_b, date, dtype=object),
            "account_id": text(h.accounts.id[h.lots.account[lots]], h.accounts.id[acc]),
            "symbol": text(h.securities.symbol[h.lots.security[lots]], h.securities.symbol[sec]),
            "action": np.array(["sell"] * n_s + ["buy"] * n_b, dtype=object),
            "quantity": np.concatenate([q, shares]),
            "price": np.concatenate([price, bprice]),
            "lot_id": text(h.lots.id[lots], np.full(n_b, "", dtype=object)),
            "amount": np.concatenate([q * price, shares * bprice]),
            "cost_basis": np.concatenate([np.where(taxable, basis, np.nan), shares * bprice]),
            "realized_gain": np.concatenate([np.where(taxable, q * price - basis, 0.0), np.zeros(n_b)]),
            "term": text(np.where(taxable, term, ""), np.full(n_b, "", dtype=object)),
            "reason": text(reasons, [self.buys[k][1] for k in keys])}
        return {c: out[c] for c in PLAN_TRADE_COLUMNS}

    def realized(self) -> tuple[float, float]:
        """The book's realized short- and long-term results so far (no wash adjustment)."""
        f = self.facts
        gain = self.sold * self.h.lot_price * f.gain_per_dollar
        return float(gain[~f.long_term].sum()), float(gain[f.long_term].sum())

    def adopt(self, other: "Book") -> None:
        """Take over the state of ``other`` (a copy that ran a step this book chose)."""
        self.__dict__.update(other.__dict__)

    def copy(self) -> "Book":
        """An independent copy (for a dry run of a step)."""
        other = object.__new__(Book)
        other.__dict__.update(self.__dict__)
        for name in ("left", "sold", "cash", "bought_class", "bought_group", "loss_sold_group"):
            setattr(other, name, getattr(self, name).copy())
        other.sell_rows = {k: v.copy() for k, v in self.sell_rows.items()}
        other.buys = {k: list(v) for k, v in self.buys.items()}
        return other


# ---- moves shared by the heuristics ------------------------------------------------------------

def _fill(amounts: np.ndarray, total: float) -> np.ndarray:
    """Split ``total`` over classes, the largest amount first, each at most its amount."""
    out = np.zeros_like(amounts)
    for c in np.argsort(-amounts, kind="stable"):
        if total <= MONEY_TOL or amounts[c] <= 0:
            break
        out[c] = min(amounts[c], total)
        total -= out[c]
    return out


def move(book: Book, goal: Goal, accounts: Sequence[int], *, sells: bool = True,
         invest_cash: bool = True, sell_reason: str = Reason.REBALANCE.value,
         buy_reason: str = Reason.REBALANCE.value) -> None:
    """Move the household toward ``goal``, one account at a time in ``accounts`` order.

    In each account: its spare cash first, then sells of classes above ``hi`` (lots in the
    book's order), then, only to fill classes below ``lo``, sells of classes above target
    (room); buys fill the classes below ``lo`` (largest need first), then classes below target
    with what the required sells raised (and spare cash, with ``invest_cash``). No account
    sells more than it can reinvest in classes the goal wants more of.
    """
    h = book.h
    cash_class = h.cash_class
    for a in accounts:
        values = book.class_values()
        sell_need, buy_need, sell_room, buy_room = goal.needs(values)
        # Cash is a class: spend it only down to its target; raise it where it is short.
        cash_need = buy_need[cash_class]
        for arr in (sell_need, buy_need, sell_room, buy_room):
            arr[cash_class] = 0.0
        buyable = book.buyable_classes(a)
        k_must, k_room = buy_need[buyable].sum(), buy_room[buyable].sum()
        spare = max(book.spare(a), 0.0)
        spare = min(spare, max(0.0, values[cash_class] - goal.target[cash_class]))
        if k_must + k_room + cash_need <= MONEY_TOL:
            continue
        held = book.holdings(a) if sells else np.zeros(len(h.classes))
        s_must = np.minimum(sell_need, held)
        s_room = np.minimum(sell_room, held - s_must)
        x1 = min(spare, k_must)
        x2 = min(s_must.sum(), k_must - x1)
        x3 = min(s_must.sum() - x2, k_room)
        x4 = min(s_room.sum(), k_must - x1 - x2)
        x5 = min(spare - x1, k_room - x3) if invest_cash else 0.0
        raise_cash = min(cash_need, s_must.sum() - x2 - x3 + s_room.sum() - x4)
        must_plan = _fill(s_must, x2 + x3 + max(0.0, min(raise_cash, s_must.sum() - x2 - x3)))
        room_plan = _fill(s_room, x4 + max(0.0, raise_cash - (s_must.sum() - x2 - x3)))
        for c in np.flatnonzero((must_plan + room_plan) > MONEY_TOL):
            book.sell(book.lots_of(a, c), must_plan[c] + room_plan[c], sell_reason)
        room_budget = x3 + x5
        for need, is_room in ((buy_need, False), (buy_room, True)):
            for c in np.argsort(-need, kind="stable"):
                if need[c] <= MONEY_TOL or not buyable[c]:
                    continue
                amount = min(need[c], max(book.spare(a), 0.0))
                if is_room:
                    amount = min(amount, room_budget)
                j = book.buy_security(a, c)
                got = book.buy(a, j, amount, buy_reason) if j >= 0 else 0.0
                if is_room:
                    room_budget -= got


def fund_withdrawals(book: Book, accounts: Sequence[int] | None = None) -> None:
    """Sell what each account short of cash (a withdrawal, or cash below its reserve) needs:
    the most overweight class first, lots in the book's order; a lot the wash-sale rule
    protects only when nothing else is left."""
    h = book.h
    accounts = range(len(h.accounts)) if accounts is None else accounts
    for a in accounts:
        for allow_wash in (False, True):
            need = -book.spare(a) + 2 * MONEY_TOL
            if need <= 2 * MONEY_TOL:
                break
            over = book.class_values() - h.class_target * book.V
            for c in np.argsort(-over, kind="stable"):
                need = -book.spare(a) + 2 * MONEY_TOL
                if need <= 2 * MONEY_TOL:
                    break
                book.sell(book.lots_of(a, int(c)), need, Reason.WITHDRAWAL.value, allow_wash)


def account_order(h, tax_advantaged_first: bool) -> list[int]:
    """Accounts in file order, or the tax-advantaged ones first (then file order)."""
    rows = list(range(len(h.accounts)))
    if tax_advantaged_first:
        rows.sort(key=lambda a: bool(h.accounts.taxable[a]))
    return rows
