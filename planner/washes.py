"""Wash sales priced exactly in the program (SPEC §2 and §3, ``wash_sale = "price"``).

The law matches loss shares to replacement shares greedily: loss sales in date order (the
plan's, all on ``as_of``, in the order their shares were acquired, Treas. Reg. 1.1091-1(b)),
each taking the earliest unused replacement shares of its window, share for share
(1.1091-1(c)). Per wash group the program lists

* the demands, in that order: past losses still open (transactions.csv, the last 30 days),
  then the plan's taxable loss lots, and the parcels of a sold replacement lot that a washed
  loss turned into a loss;
* the supply, in acquisition order: purchases made by ``as_of`` (what the past losses left),
  the plan's buys (a run of buys in accounts of one kind is one supply: they wash alike),
  purchases scheduled after ``as_of``;

and one variable m per (demand, supply) pair the window allows (never a loss lot's own
purchase, Rev. Rul. 56-602; never a supply the ones before it surely cover). Greedy matching
is then, pair by pair,

    m = min(need, avail),   need = demand − its earlier pairs,   avail = supply − earlier demands' pairs,

written with one binary where the bounds leave the minimum open, and none where a supply
surely covers the demand. So the washed shares are exactly the law's, whichever lots the plan
sells and whatever it buys. A washed dollar raises the year's result at the loss's term; it
is lost for good when the replacement sits in a tax-advantaged account, otherwise deferred
into the replacement's basis and credited at ``carryforward_value`` (SPEC §2 tax cost).

A taxable replacement lot the plan also sells, in any part, gives the loss straight back
(1.1091-1(d)): the ledger sells the shares washed into it first, in the order of the losses
(sold through wash k = min(shares sold, washed through k), a binary each); each such parcel
carries the loss and its holding period (its own gain moves to the loss's term), and a parcel
left at a loss is a demand in turn, then the lot's own shares. A loss later in the order that
washes into such a lot takes its held shares that replace nothing yet first (deferred), then
its sold ones: the ledger moves the loss into that finished sale, at the loss's term (a binary
each). One case is excluded rather than priced: the washed parcel of a long-term loss washed
back into an earlier lot that sold at a short-term loss (the ledger would move part of that
sale's result to the long term).

Beyond ``MAX_PAIRS`` pairs the plan's buys are not priced against its own losses (it buys no
group it sells at a loss, a binary a group, as under "avoid"); beyond it even so, the
household is planned with "avoid", and the solver's note says which.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import cvxpy as cp
import numpy as np
import scipy.sparse as sp

from models.enums import Term
from models.household import per_household
from models.ledger import plan_washes
from models.wash_sale import WINDOW, lot_purchase

from .layout import stable_argsort

TOL = 1e-9
# Above this many (demand, supply) pairs the household is planned with wash_sale = "avoid"
# instead, and the plan says so: each pair may carry a binary, and a 263-lot synthetic
# household with 1,192 pairs found no plan in 60 s (scenario_d: 27 binaries, 0.3 s).
MAX_PAIRS = 250


class _Expr:
    """A linear expression over the program's blocks: {(block, index): coefficient} + constant."""
    __slots__ = ("terms", "const")

    def __init__(self, terms=None, const: float = 0.0) -> None:
        self.terms: dict[tuple[str, int], float] = dict(terms or {})
        self.const = const

    def add(self, other: "_Expr", scale: float = 1.0) -> "_Expr":
        out = _Expr(self.terms, self.const + scale * other.const)
        for key, value in other.terms.items():
            out.terms[key] = out.terms.get(key, 0.0) + scale * value
        return out

    def grow(self, other: "_Expr", scale: float = 1.0) -> None:
        """Add ``scale`` × ``other`` in place (the long sums: one pass per term, no copy)."""
        self.const += scale * other.const
        for key, value in other.terms.items():
            self.terms[key] = self.terms.get(key, 0.0) + scale * value

    @staticmethod
    def var(block: str, index: int, coef: float = 1.0) -> "_Expr":
        return _Expr({(block, index): coef})


@dataclass
class _Demand:
    quantity: _Expr
    most: float             # shares at most
    loss: float             # dollars per share
    long_term: bool
    in_year: bool
    own: str                # purchase the demand may not be replaced by ('' none)
    past_date: np.datetime64 | None = None   # a past loss: its sale date
    pairs: list[int] = field(default_factory=list)


@dataclass
class _Demanded:
    """Shares a group's demands so far may wash, at most (a running total: a group may have
    tens of thousands of loss lots)."""
    most: float = 0.0


@dataclass
class _Supply:
    quantity: _Expr
    most: float
    least: float
    taxable: bool
    purchase: str
    kind: str               # 'made' (by as_of), 'buy' (the plan's), 'scheduled'
    date: np.datetime64
    sell_column: int = -1   # the plan's sell column of this lot, if it may sell it
    gain_share: float = 0.0  # that lot's gain per share, dollars
    lot_quantity: float = 0.0  # its shares
    processed: bool = False  # its lot's place in the order of sales has passed
    used_most: float = 0.0  # shares earlier demands may take of it, at most
    pairs: list[int] = field(default_factory=list)
    # Once processed: shares washed into it before its sale, its held shares that are no
    # replacement yet, and the shares washed after the sale into its sold shares so far.
    before_sale: _Expr = field(default_factory=_Expr)
    held: _Expr = field(default_factory=_Expr)
    sold_after: _Expr = field(default_factory=_Expr)


@dataclass(frozen=True)
class Scope:
    """What the program prices, all by default. A book with more than MAX_PAIRS pairs narrows
    it (SCOPES, in order) before falling back to avoid: ``own_buys`` False, the plan buys no
    group it sells at a loss (a binary a group); ``chains`` False, a recent lot a loss washes
    into is not sold too (a binary a lot), so no washed parcel becomes a demand in turn."""
    own_buys: bool = True
    chains: bool = True

    def note(self) -> str:
        """What is left out, in words ('' for nothing)."""
        return "; ".join(text for on, text in (
            (self.own_buys, "it buys no group it sells at a loss"),
            (self.chains, "it sells no recent lot that a loss it takes washes into")) if not on)


SCOPES = (Scope(), Scope(own_buys=False), Scope(chains=False), Scope(own_buys=False, chains=False))


class _ColumnsByGroup:
    """The columns of each group (where ``mask`` holds, if given), in column order: what
    ``np.flatnonzero((group == g) & mask)`` gives, from one stable sort."""

    def __init__(self, group: np.ndarray, mask: np.ndarray | None) -> None:
        cols = np.flatnonzero(mask) if mask is not None else np.arange(len(group))
        self.cols = cols[stable_argsort(group[cols])]
        self.group = group[self.cols]

    def __getitem__(self, g: int) -> np.ndarray:
        lo, hi = np.searchsorted(self.group, [g, g + 1])
        return self.cols[lo:hi]


@per_household
def _supplied_lots(h) -> np.ndarray:
    """The lots a taxable supply of ``plan_washes(h)`` names, as a mask over the lots: looked
    up once per household, not once per scope trial (four lookups of ~19,000 ids in a million,
    0.05 s each, at 1e6 lots)."""
    named = np.zeros(len(h.lots), bool)
    wanted = h.lots.index.positions([a.lot_id for a in plan_washes(h).supply if a.taxable])
    named[wanted[wanted >= 0]] = True
    return named


@dataclass(frozen=True)
class _Book:
    """What the construction reads of a household's wash-sale state and columns, whatever the
    scope: computed once for all of :meth:`WashPricing.scope_for`'s trials (four at 1e6 lots)."""
    quantity_col: np.ndarray
    price_col: np.ndarray
    gain_share: np.ndarray
    column_of_lot: dict[str, int]
    supply_by_group: dict[int, list]
    later_by_group: dict[int, list]
    past_by_group: dict[int, list]
    groups: list[int]
    buy_price: np.ndarray
    buys_of: _ColumnsByGroup
    sells_of: _ColumnsByGroup

    @classmethod
    def of(cls, h, lay) -> "_Book":
        frame = plan_washes(h)
        n_s = lay.n_sell
        taxable_col = lay.sell_taxable if n_s else np.zeros(0, bool)
        price_col = h.lot_price[lay.sell_lot] if n_s else np.zeros(0)
        quantity_col = h.lots.quantity[lay.sell_lot] if n_s else np.zeros(0)
        gain_share = (price_col - h.lots.cost_basis[lay.sell_lot] / quantity_col) if n_s else np.zeros(0)
        # one list of ids, not two numpy lookups per sell column (3 s of the build at 1e6)
        # the sell column of each lot a taxable supply names (the last, as a dict over every
        # column would keep): only those are looked up, and a scope trial often stops at the
        # first group, so nothing here walks all sell columns (a dict of 1e6 lot ids: 0.6-0.75 s
        # a build, four builds)
        named = _supplied_lots(h)
        column_of_lot = {str(h.lots.id[lay.sell_lot[c]]): c
                         for c in np.flatnonzero(named[lay.sell_lot]).tolist()} if n_s else {}
        supply_by_group = defaultdict(list)
        for a in frame.supply:
            supply_by_group[a.group].append(a)
        later_by_group = defaultdict(list)
        for a in frame.scheduled:
            if a.date <= h.as_of + WINDOW:
                later_by_group[a.group].append(a)
        past_by_group = defaultdict(list)
        for loss in frame.past:
            past_by_group[loss.group].append(loss)
        loss_groups = set(np.unique(lay.sell_group[taxable_col & (gain_share < 0)]).tolist()) if n_s else set()
        buy_price = h.securities.price[lay.buy_security] if lay.n_buy else np.zeros(0)
        groups = (loss_groups | set(past_by_group)) & (
            set(supply_by_group) | set(later_by_group) | set(lay.buy_group.tolist() if lay.n_buy else []))
        # each group's columns by one sort, not a pass over every column per group (at 1e6
        # lots, 2000 groups x 1e6 sell columns, four builds: ~3 s)
        buys_of = _ColumnsByGroup(lay.buy_group if lay.n_buy else np.zeros(0, int), None)
        sells_of = _ColumnsByGroup(lay.sell_group if n_s else np.zeros(0, int), taxable_col)
        return cls(quantity_col, price_col, gain_share, column_of_lot, supply_by_group, later_by_group,
                   past_by_group, sorted(groups), buy_price, buys_of, sells_of)


class _TooManyPairs(Exception):
    """More pairs than the dry run allows (WashPricing.fits)."""


class WashPricing:
    """The exact wash-sale terms of one household's program; see the module docstring."""

    def __init__(self, program, scope: Scope = Scope()) -> None:
        self._terms(program.household, program.layout, scope, _Book.of(program.household, program.layout))
        self._compile(program)

    @classmethod
    def scope_for(cls, h, lay) -> Scope | None:
        """The widest scope whose program holds at most MAX_PAIRS pairs (None: none does), by
        a dry run of the construction stopped at the first pair over the limit."""
        book = _Book.of(h, lay)
        for scope in SCOPES:
            dry = cls.__new__(cls)
            try:
                dry._terms(h, lay, scope, book, MAX_PAIRS)
            except _TooManyPairs:
                continue
            return scope
        return None

    def _terms(self, h, lay, scope: Scope, book: _Book, limit: int | None = None) -> None:
        self.scope, self.limit = scope, limit
        frame = plan_washes(h)
        self.fixed_short_term = frame.fixed_short_term
        self.fixed_long_term = frame.fixed_long_term
        self.fixed_deferred = frame.fixed_deferred
        self.fixed_disallowed = frame.fixed_disallowed
        self.fixed_permanent = frame.fixed_permanent
        self._le: list[tuple[_Expr, float]] = []      # expr ≤ rhs
        self._eq: list[_Expr] = []                    # expr == 0
        self.pair_most: list[float] = []
        self.pair_demand: list[_Demand] = []
        self.cum_most: list[tuple[float, float]] = []  # bounds of the running totals v, u
        self.r_most: list[float] = []
        self.a_most: list[float] = []
        self.n_group = 0
        self.n_binary = 0
        self.short_term, self.long_term = _Expr(), _Expr()
        self.deferred, self.permanent, self.disallowed = _Expr(), _Expr(), _Expr()
        self._build(h, lay, book)

    # ---- the pairs ------------------------------------------------------------------------
    def _pair(self, d: _Demand, s: _Supply) -> int | None:
        """m = min(need, avail) for demand ``d`` against supply ``s`` (both earlier pairs known)."""
        most = min(d.most, s.most)
        if most <= TOL:
            return None
        k = len(self.pair_most)
        if self.limit is not None and k >= self.limit:
            raise _TooManyPairs
        self.pair_most.append(most)
        self.pair_demand.append(d)
        m = _Expr.var("m", k)
        # Running totals (a variable each, so every row stays a few nonzeros long): shares of
        # the demand matched so far, shares of the supply used so far.
        need = d.quantity if not d.pairs else d.quantity.add(_Expr.var("v", d.pairs[-1]), -1.0)
        avail = s.quantity if not s.pairs else s.quantity.add(_Expr.var("u", s.pairs[-1]), -1.0)
        self.cum_most.append((d.most, s.most))
        self._eq.append(_Expr.var("v", k).add(m, -1.0).add(
            _Expr.var("v", d.pairs[-1], -1.0) if d.pairs else _Expr()))
        self._eq.append(_Expr.var("u", k).add(m, -1.0).add(
            _Expr.var("u", s.pairs[-1], -1.0) if s.pairs else _Expr()))
        self._le.append((m.add(need, -1.0), 0.0))
        self._le.append((m.add(avail, -1.0), 0.0))
        if s.least - s.used_most >= d.most - TOL:
            self._le.append((need.add(m, -1.0), 0.0))          # surely covered: m = need
        else:
            b = self._binary()
            self._le.append((need.add(m, -1.0).add(_Expr.var("b", b, -d.most)), 0.0))
            self._le.append((avail.add(m, -1.0).add(_Expr.var("b", b, s.most)), s.most))
        d.pairs.append(k)
        s.pairs.append(k)
        s.used_most += most
        # What a washed share costs: the loss is disallowed at its term, then lost for good
        # (tax-advantaged replacement) or deferred into the replacement's basis.
        self.disallowed.grow(m, d.loss)
        if d.in_year:
            self._realize(d.long_term, m, d.loss)
        if s.taxable:
            self.deferred.grow(m, d.loss)
        else:
            self.permanent.grow(m, d.loss)
        if s.processed and s.sell_column >= 0:
            self._washed_after_sale(d, s, k, most)
        return k

    def _washed_after_sale(self, d: _Demand, s: _Supply, k: int, most: float) -> None:
        """A loss later in the order washed into a replacement lot the plan sells earlier in
        it: its held shares not yet replacements take the loss first (deferred), then its sold
        ones (the ledger moves the loss into that finished sale, at the loss's term: the sold
        shares realize their gain less the loss there, nothing is kept)."""
        washed = _Expr.var("u", k).add(s.before_sale, -1.0)      # washed after the sale, so far
        held = self._min(washed, s.held, s.lot_quantity)
        sold_so_far = washed.add(held, -1.0)
        sold = self._aux(most)
        self._eq.append(_Expr.var("a", sold).add(sold_so_far, -1.0).add(s.sold_after, 1.0))
        s.sold_after = sold_so_far
        sold = _Expr.var("a", sold)
        if s.gain_share < -TOL and d.long_term:
            # That sale was itself a short-term loss, perhaps washed: the ledger would move
            # its allowed part to the long term. Rare (a chain back into an earlier lot): excluded.
            self._le.append((sold, 0.0))
            return
        self._realize(d.long_term, sold, s.gain_share - d.loss)
        self._realize(False, sold, -s.gain_share)
        self.deferred.grow(sold, -d.loss)

    def _binary(self) -> int:
        self.n_binary += 1
        return self.n_binary - 1

    def _aux(self, most: float) -> int:
        """A continuous variable in [0, most] (block 'a')."""
        self.a_most.append(max(most, 0.0))
        return len(self.a_most) - 1

    def _min(self, x: _Expr, y: _Expr, most: float) -> _Expr:
        """A variable equal to min(x, y), for x and y in [0, most] (one binary)."""
        z = _Expr.var("a", self._aux(most))
        b = self._binary()
        self._le.append((z.add(x, -1.0), 0.0))
        self._le.append((z.add(y, -1.0), 0.0))
        self._le.append((x.add(z, -1.0).add(_Expr.var("b", b, -most)), 0.0))
        self._le.append((y.add(z, -1.0).add(_Expr.var("b", b, most)), most))
        return z

    def _realize(self, long_term: bool, expr: _Expr, scale: float) -> None:
        if long_term:
            self.long_term.grow(expr, scale)
        else:
            self.short_term.grow(expr, scale)

    def _demand(self, d: _Demand, supplies: list[_Supply], demanded: _Demanded) -> None:
        # Shares demanded so far, at most: once the supplies passed surely hold that many, the
        # greedy matching never reaches the next one (no pair).
        demanded.most += d.most
        passed = 0.0
        for s in supplies:
            if passed >= demanded.most - TOL:
                break
            if s.purchase and s.purchase == d.own:
                continue
            if d.past_date is None and s.kind == "buy" and not self.scope.own_buys:
                continue   # the plan buys no group it sells at a loss in (one binary a group)
            if d.past_date is not None:   # a past loss: only new purchases in its window
                if s.kind == "made" or s.date > d.past_date + WINDOW or \
                        (s.kind == "buy" and d.past_date + WINDOW < self.as_of):
                    continue
            passed += s.least
            self._pair(d, s)

    # ---- the groups -----------------------------------------------------------------------
    def _sell_losses_or_buy(self, lay, buys: np.ndarray, taxable_sells: np.ndarray,
                            gain_share: np.ndarray) -> None:
        """Without the plan's buys priced against its own losses (a book with too many pairs):
        sell the group's losses or buy it, not both (a binary). ``buys``, ``taxable_sells``:
        the group's buy columns and taxable sell columns, in column order."""
        losses = taxable_sells[gain_share[taxable_sells] < 0]
        if not (len(buys) and len(losses)):
            return
        y = self.n_group
        self.n_group += 1
        most_sold, most_bought = float(lay.sell_ub[losses].sum()), float(lay.buy_ub[buys].sum())
        sold = _Expr({("sell", int(c)): 1.0 for c in losses})
        bought = _Expr({("buy", int(c)): 1.0 for c in buys})
        self._le.append((sold.add(_Expr.var("y", y, most_sold)), most_sold))
        self._le.append((bought.add(_Expr.var("y", y, -most_bought)), 0.0))

    @staticmethod
    def _buy_runs(h, lay, cols: np.ndarray, buy_price: np.ndarray) -> list[_Supply]:
        """The plan's buys of group ``g`` as supplies: the trade list writes them in column
        order, and the law takes them in that order; a run of consecutive buys in accounts of
        one kind (taxable or not) washes alike, so each run is one supply (its shares summed);
        ``cols``: the group's buy columns in column order."""
        if not len(cols):
            return []
        taxable = h.accounts.taxable[lay.buy_account[cols]]
        starts = np.flatnonzero(np.r_[True, taxable[1:] != taxable[:-1]])
        most = lay.buy_ub[cols] / buy_price[cols]
        runs = []
        for lo, hi in zip(starts, np.r_[starts[1:], len(cols)]):
            shares = _Expr({("buy", int(c)): 1.0 / buy_price[c] for c in cols[lo:hi]})
            runs.append(_Supply(shares, float(most[lo:hi].sum()), 0.0, bool(taxable[lo]), "", "buy", h.as_of))
        return runs

    def _build(self, h, lay, book: _Book) -> None:
        self.as_of = h.as_of
        quantity_col, price_col, gain_share = book.quantity_col, book.price_col, book.gain_share
        column_of_lot, buy_price = book.column_of_lot, book.buy_price
        buys_of, sells_of = book.buys_of, book.sells_of
        supply_by_group, later_by_group, past_by_group = (
            book.supply_by_group, book.later_by_group, book.past_by_group)
        for g in book.groups:
            supplies: list[_Supply] = []
            for a in supply_by_group[g]:
                s = _Supply(_Expr(const=a.unused), a.unused, a.unused, a.taxable, a.purchase, "made", a.date)
                if a.taxable and a.lot_id in column_of_lot:
                    s.sell_column = column_of_lot[a.lot_id]
                    s.gain_share = float(gain_share[s.sell_column])
                    s.lot_quantity = float(quantity_col[s.sell_column])
                supplies.append(s)
            supplies += self._buy_runs(h, lay, buys_of[g], buy_price)
            for a in later_by_group[g]:
                supplies.append(_Supply(_Expr(const=a.quantity), a.quantity, a.quantity, a.taxable,
                                        a.purchase, "scheduled", a.date))
            if not self.scope.own_buys:
                self._sell_losses_or_buy(lay, buys_of[g], sells_of[g], gain_share)
            demands = _Demanded()
            for loss in past_by_group[g]:
                self._demand(_Demand(_Expr(const=loss.shares), loss.shares, loss.per_share,
                                     loss.term is Term.LONG, loss.in_year, "",
                                     past_date=loss.date), supplies, demands)
            by_lot = {s.purchase: s for s in supplies if s.kind == "made"}
            cols = sells_of[g]
            lots = lay.sell_lot[cols]
            order = cols[np.lexsort((lots, h.lots.acquired[lots]))]
            for c in order.tolist():
                lot = str(h.lots.id[lay.sell_lot[c]])
                own = lot_purchase(lot)
                item = by_lot.get(own)
                g_share, q_lot, lt = float(gain_share[c]), float(quantity_col[c]), bool(lay.sell_long_term[c])
                if item is not None and item.sell_column == c:
                    self._replacement_sold(c, item, float(price_col[c]), own, supplies, demands)
                elif g_share < 0:
                    self._demand(_Demand(_Expr.var("sell", c, 1.0 / price_col[c]), q_lot, -g_share, lt,
                                         True, own if item is not None else ""), supplies, demands)
                if item is not None:
                    item.processed = True

    def _replacement_sold(self, c: int, item: _Supply, price: float, own: str,
                          supplies: list[_Supply], demands: _Demanded) -> None:
        """A replacement lot the plan may sell, any part of it. The ledger sells the shares
        washed into it first, in the order of the losses (the north-west corner of the sale on
        the washes: sold through wash k = min(shares sold, washed through k), a binary each);
        each such parcel realizes the lot's gain less the washed loss at the loss's term and,
        if that is a loss, is a demand in turn; then the lot's own shares, a demand if at a
        loss. What stays held and no replacement yet takes later washes first."""
        sold = _Expr.var("sell", c, 1.0 / price)
        q_lot, g_share = item.lot_quantity, item.gain_share
        through = _Expr()                 # shares of the sale taken from washed parcels so far
        washed = _Expr()
        if not self.scope.chains and item.pairs:
            # Washed into or sold, not both (a binary): no parcel to follow.
            washed = _Expr.var("u", item.pairs[-1])
            b = _Expr.var("b", self._binary())
            self._le.append((sold.add(b, q_lot), q_lot))
            self._le.append((washed.add(b, -item.most), 0.0))
        for k in list(item.pairs) if self.scope.chains else []:
            d = self.pair_demand[k]
            washed = _Expr.var("u", k)
            now = self._min(sold, washed, q_lot)
            j = len(self.r_most)
            self.r_most.append(self.pair_most[k])
            r = _Expr.var("r", j)          # shares of this parcel sold
            self._eq.append(r.add(now, -1.0).add(through, 1.0))
            through = now
            self._realize(d.long_term, r, g_share - d.loss)   # the parcel's result at the loss's term
            self._realize(False, r, -g_share)                 # ... no longer the lot's own (short)
            self.deferred.grow(r, -d.loss)     # recovered, not kept
            if g_share - d.loss < -TOL:   # the parcel sells at a loss: washed in its turn
                self._demand(_Demand(r, self.pair_most[k], d.loss - g_share, d.long_term, True, own),
                             supplies, demands)
        own_sold = sold.add(through, -1.0)        # = max(0, sold − washed)
        item.before_sale = washed
        item.held = _Expr(const=q_lot).add(washed, -1.0).add(own_sold, -1.0)
        if g_share < -TOL:
            self._demand(_Demand(own_sold, q_lot, -g_share, False, True, own), supplies, demands)

    # ---- to cvxpy -------------------------------------------------------------------------
    def _compile(self, p) -> None:
        n_m, n_r = len(self.pair_most), len(self.r_most)
        self.m = cp.Variable(n_m, name="washed_shares", bounds=[np.zeros(n_m), np.array(self.pair_most)]) if n_m else None
        self.r = cp.Variable(n_r, name="recovered_shares", bounds=[np.zeros(n_r), np.array(self.r_most)]) if n_r else None
        self.y = cp.Variable(self.n_group, name="buys_group", boolean=True) if self.n_group else None
        n_a = len(self.a_most)
        self.a = cp.Variable(n_a, name="wash_running_totals", bounds=[np.zeros(n_a), np.array(self.a_most)]) if n_a else None
        self.b = cp.Variable(self.n_binary, name="wash_is_supply_bound", boolean=True) if self.n_binary else None
        cum = np.array(self.cum_most).reshape(-1, 2)
        self.v = cp.Variable(n_m, name="demand_matched", bounds=[np.zeros(n_m), cum[:, 0]]) if n_m else None
        self.u = cp.Variable(n_m, name="supply_used", bounds=[np.zeros(n_m), cum[:, 1]]) if n_m else None
        self.blocks = {"sell": p.sell, "buy": p.buy, "m": self.m, "r": self.r, "a": self.a, "b": self.b,
                       "y": self.y, "v": self.v, "u": self.u}
        self.binaries = [v for v in (self.y, self.b) if v is not None]
        self.constraints: list[cp.Constraint] = []
        if self._le:
            self.constraints.append(self._matrix([e for e, _ in self._le]) <= np.array([rhs for _, rhs in self._le])
                                    - np.array([e.const for e, _ in self._le]))
        if self._eq:
            self.constraints.append(self._matrix(self._eq) == -np.array([e.const for e in self._eq]))
        self.short_term_expr = self._scalar(self.short_term)
        self.long_term_expr = self._scalar(self.long_term)
        self.deferred_expr = self._scalar(self.deferred)
        self.permanent_expr = self._scalar(self.permanent)
        self.disallowed_expr = self._scalar(self.disallowed)
        self.short_term_range = self._range(self.short_term)
        self.long_term_range = self._range(self.long_term)

    def _matrix(self, exprs: list[_Expr]):
        out = 0
        for name, var in self.blocks.items():
            rows, cols, vals = [], [], []
            for i, e in enumerate(exprs):
                for (block, j), v in e.terms.items():
                    if block == name and v != 0.0:
                        rows.append(i), cols.append(j), vals.append(v)
            if vals:
                out = out + sp.csr_matrix((vals, (rows, cols)), shape=(len(exprs), var.shape[0])) @ var
        return out

    def _scalar(self, e: _Expr):
        linear = self._matrix([e])
        if isinstance(linear, int):
            return cp.Constant(e.const)
        return linear[0] + e.const if e.const else linear[0]

    def _range(self, e: _Expr) -> tuple[float, float]:
        """Bounds of the expression from its variables' bounds (for TaxCost's big-Ms)."""
        most = {"m": self.pair_most, "r": self.r_most, "a": self.a_most}
        lo = hi = e.const
        for (block, j), v in e.terms.items():
            top = most[block][j] if block in most else 1.0
            lo += min(0.0, v * top)
            hi += max(0.0, v * top)
        return lo, hi

    def value(self, e) -> float:
        v = e.value
        return float(np.sum(v)) if v is not None else float("nan")
