"""The planning rules of SPEC §3 as the optimizer meets them: bounds and constraints.

A rule may zero some columns (``caps``: applied as variable bounds, the cheapest form) and add
constraints once the program exists. When a rule is on, how a trade list breaks it and how to
explain it live in :mod:`models.rulebook`; each class here names its :class:`Rule` and
registers itself under it (:data:`CONSTRAINTS`).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import cvxpy as cp
import numpy as np
import scipy.sparse as sp

from models.enums import Rule
from models.household import Household
from models.ledger import WashRestrictions, wash_restrictions
from models.rulebook import cash_first_tolerance, enabled_rules, investable_accounts
from models.tolerances import WEIGHT_TOL

from .layout import Layout
from .program import Program
from .terms import TaxCost

BAND_MARGIN = 1e-7   # stay a hair inside each limit so rounded share counts still satisfy it
CONSTRAINTS: dict[Rule, type[PlanRule]] = {}   # filled as the classes below are defined


class PlanRule:
    rule: Rule

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        CONSTRAINTS[cls.rule] = cls

    def caps(self, layout: Layout) -> tuple[np.ndarray | None, np.ndarray | None]:
        """Masks of sell and buy columns this rule forces to zero."""
        return None, None

    def constraints(self, program: Program, terms: TaxCost) -> list[cp.Constraint]:
        return []



class Band(PlanRule):
    """Every class ends within target ± band; with ``partial = a``, a class that starts outside
    its band closes at least the fraction a of its gap instead."""
    rule = Rule.BAND

    def constraints(self, p: Program, terms: TaxCost) -> list[cp.Constraint]:
        h = p.household
        V = h.allocation_value
        gap = p.class_value - h.class_target * V
        start_gap = np.abs(p.class_start - h.class_target * V)
        limit = h.class_band * V
        if h.settings.partial is not None:
            outside = start_gap > limit + WEIGHT_TOL * V
            limit = np.where(outside, (1 - h.settings.partial) * start_gap, limit)
        limit = np.maximum(limit - BAND_MARGIN * V, 0.0)
        return [gap <= limit, -gap <= limit]



class CashReserve(PlanRule):
    """No account ends below its reserve (and so below zero); withdrawals are funded."""
    rule = Rule.CASH

    def constraints(self, p: Program, terms: TaxCost) -> list[cp.Constraint]:
        return [p.cash_end >= p.household.accounts.reserve]



class CashFirst(PlanRule):
    """No taxable lot is sold at a gain while investable cash stays idle anywhere.

    A binary y: gain sales ≤ (their value)·y, and idle cash ≤ allowance + M·(1 − y), with M
    the most cash the accounts could end with.
    """
    rule = Rule.CASH_FIRST

    def constraints(self, p: Program, terms: TaxCost) -> list[cp.Constraint]:
        h, lay = p.household, p.layout
        gain = p.mask(lay.is_gain, lay.n_sell)
        if not gain.any():
            return []
        investable = investable_accounts(h)
        idle = cp.sum((p.cash_end - h.accounts.reserve)[np.flatnonzero(investable)]) \
            if investable.any() else 0
        allowance = h.class_target[h.cash_class] * h.allocation_value
        allowance += 0.5 * cash_first_tolerance(h)
        most = float(np.maximum(p.cash_start, 0).sum() + p.sell_ub.sum())
        y = cp.Variable(name="sells_gains", boolean=True)
        self.priority = [y]
        return [cp.sum(p.sell[np.flatnonzero(gain)]) <= p.sell_ub[gain].sum() * y,
                idle <= allowance + most * (1 - y)]



@dataclass
class NoWashSale(PlanRule):
    """The plan washes no loss (IRC §1091), in every account of the household.

    No loss lot is sold whose wash group was bought in the last 30 days or is scheduled within
    30 days (beyond the lot's own purchase); nothing is bought in a group sold at a loss in the
    last 30 days; and within the plan, a binary per wash group chooses between selling its loss
    lots and buying it. Binaries only for groups where both are open.
    """
    rule = Rule.WASH_SALE
    restrictions: WashRestrictions | None = None
    group_binaries: int = field(default=0, init=False)

    def _restrictions(self, h: Household) -> WashRestrictions:
        if self.restrictions is None:
            self.restrictions = wash_restrictions(h)
        return self.restrictions

    def caps(self, lay: Layout) -> tuple[np.ndarray, np.ndarray]:
        h = lay.household
        r = self._restrictions(h)
        sell_zero = lay.is_loss & r.blocked_lot[lay.sell_lot]
        banned = np.zeros(len(h.wash_groups), dtype=bool)
        banned[list(r.no_buy_until)] = True
        return sell_zero, banned[lay.buy_group]

    def constraints(self, p: Program, terms: TaxCost) -> list[cp.Constraint]:
        lay, h = p.layout, p.household
        if not (lay.n_sell and lay.n_buy):
            return []
        loss = lay.is_loss & (p.sell_ub[: lay.n_sell] > 0)
        loss_value = np.bincount(lay.sell_group[loss], p.sell_ub[loss], minlength=len(h.wash_groups))
        buy_open = p.buy_ub[: lay.n_buy] > 0
        buy_value = np.bincount(lay.buy_group[buy_open], p.buy_ub[buy_open], minlength=len(h.wash_groups))
        both = np.flatnonzero((loss_value > 0) & (buy_value > 0))
        self.group_binaries = len(both)
        if not len(both):
            return []
        index = -np.ones(len(h.wash_groups), dtype=np.int64)
        index[both] = np.arange(len(both))
        z = cp.Variable(len(both), name="buys_group", boolean=True)
        s_rows, b_rows = index[lay.sell_group], index[lay.buy_group]
        s_cols = np.flatnonzero(loss & (s_rows >= 0))
        b_cols = np.flatnonzero(b_rows >= 0)
        import scipy.sparse as sp
        S = sp.csr_matrix((np.ones(len(s_cols)), (s_rows[s_cols], s_cols)), shape=(len(both), len(p.sell_ub)))
        B = sp.csr_matrix((np.ones(len(b_cols)), (b_rows[b_cols], b_cols)), shape=(len(both), len(p.buy_ub)))
        return [S @ p.sell <= cp.multiply(loss_value[both], 1 - z),
                B @ p.buy <= cp.multiply(buy_value[both], z)]



@dataclass
class MinTradeSize(PlanRule):
    """No trade smaller than ``min_trade_usd``: x ∈ {0} ∪ [m, ub] through the program's trade
    indicators (x ≤ ub·on there, x ≥ m·on here). Columns that cannot reach m are dropped."""
    rule = Rule.MIN_TRADE

    def caps(self, lay: Layout) -> tuple[np.ndarray, np.ndarray]:
        h = lay.household
        m = h.settings.min_trade_usd
        buy_zero = lay.buy_ub < m
        if shapes_buys(h):
            buy_zero = buy_zero | funds_held_at_a_loss(lay)
        return lay.sell_ub < m, buy_zero

    def constraints(self, p: Program, terms: TaxCost) -> list[cp.Constraint]:
        m = p.household.settings.min_trade_usd
        out = []
        for x, ub, on in ((p.sell, p.sell_ub, p.sell_on), (p.buy, p.buy_ub, p.buy_on)):
            open_ = np.flatnonzero(ub >= m)
            if len(open_):
                out.append(x[open_] >= m * on[open_])
        return out + (one_fund_per_class(p) + no_round_trips(p) if shapes_buys(p.household) else [])



class WholeShares(PlanRule):
    """Whole shares only: dollars traded = price × an integer (a whole lot may be fractional).
    Without a minimum trade, it also shapes the buys (:func:`shapes_buys`)."""
    rule = Rule.WHOLE_SHARES

    def _shapes(self, h: Household) -> bool:
        return shapes_buys(h) and h.settings.min_trade_usd <= 0

    def caps(self, lay: Layout) -> tuple[np.ndarray | None, np.ndarray | None]:
        return None, funds_held_at_a_loss(lay) if self._shapes(lay.household) else None

    def constraints(self, p: Program, terms: TaxCost) -> list[cp.Constraint]:
        h, lay = p.household, p.layout
        out = []
        self.links: list[tuple[int, cp.Variable]] = []   # (0: sell, 1: buy; its share counts)
        if lay.n_sell:
            price = h.lot_price[lay.sell_lot]
            held = h.lots.quantity[lay.sell_lot]
            n = cp.Variable(lay.n_sell, integer=True, bounds=[np.zeros(lay.n_sell), np.floor(held)])
            whole = cp.Variable(lay.n_sell, boolean=True)   # or the entire (fractional) lot
            self.links += [(0, n), (0, whole)]
            frac = held - np.floor(held)
            out += [p.sell == cp.multiply(price, n) + cp.multiply(price * frac, whole),
                    n >= cp.multiply(np.floor(held), whole)]   # the fraction only with the rest
        if lay.n_buy:
            price = h.securities.price[lay.buy_security]
            n = cp.Variable(lay.n_buy, integer=True, bounds=[np.zeros(lay.n_buy), np.floor(lay.buy_ub / price)])
            out.append(p.buy == cp.multiply(price, n))
            self.links.append((1, n))
        return out + (one_fund_per_class(p) + no_round_trips(p) if self._shapes(h) else [])



def shapes_buys(h: Household) -> bool:
    """With integer trade sizes (whole shares, a minimum trade), each account buys at most one
    fund of each class, and not a fund it holds at a loss when another fund of the class will do.

    Why: with sizes in whole shares, a second fund of the same class lets the plan spend the
    last dollars of an account to the cent (a subset sum over share prices: two bond funds side
    by side) for a few dollars of drift, which no advisor would sign and which makes the MILP
    hard to prove. One fund per class can always carry a class's whole buy (a buy column's
    bound is all the account could spend), so the only rule that can need two is the
    concentration cap: with ``max_weight`` this is off. A fund of a wash group the (taxable)
    account holds at a loss would wash that loss were it harvested in the next 30 days; where
    the account can buy another group of the class, that buy column is dropped. Part of the
    minimum-trade rule (of whole shares when there is no minimum).
    """
    s = h.settings
    return (s.whole_shares or s.min_trade_usd > 0) and s.max_weight is None


def _buy_key(lay: Layout) -> np.ndarray:
    h = lay.household
    return lay.buy_account * len(h.classes) + h.security_class[lay.buy_security]


def funds_held_at_a_loss(lay: Layout) -> np.ndarray:
    """Buy columns of a wash group the account holds at a loss, where the account may buy
    another group of the class."""
    h = lay.household
    loss = h.lot_taxable & (h.lot_gain_per_dollar < 0)
    held = np.zeros((len(h.accounts), len(h.wash_groups)), dtype=bool)
    held[h.lots.account[loss], h.security_group[h.lots.security[loss]]] = True
    at_loss = held[lay.buy_account, lay.buy_group]
    key = _buy_key(lay)
    clean = np.bincount(key[~at_loss], minlength=len(h.accounts) * len(h.classes))
    return at_loss & (clean[key] > 0)


def one_fund_per_class(p: Program) -> list[cp.Constraint]:
    """Σ buy indicators ≤ 1 over the funds of one class in one account (where several)."""
    lay = p.layout
    if not lay.n_buy or p.buy_on is None:
        return []
    _, rows = np.unique(_buy_key(lay), return_inverse=True)
    several = np.flatnonzero(np.bincount(rows)[rows] > 1)
    if not len(several):
        return []
    _, rows = np.unique(rows[several], return_inverse=True)
    S = sp.csr_matrix((np.ones(len(several)), (rows, several)), shape=(rows.max() + 1, len(p.buy_ub)))
    return [S @ p.buy_on <= 1]


def no_round_trips(p: Program) -> list[cp.Constraint]:
    """An account that buys a security sells none of it, and a tax-advantaged account that buys
    into a class sells none of that class: Σ those sales ≤ (their bounds)·(1 − on).

    Why: whole shares and a minimum trade were dodged by round trips (issue 11's married
    household, a $500 minimum: IRA_B sold 87 SCHZ for $2,001 and bought 81 back for $1,863, a
    $138 change paying the spread on $3,864; blocked, three IRAs sold 2 VTI ($500) to buy more
    ITOT and spend their last dollars to the cent). Netted, such a trade is one order or none:
    no rule needs both sides (the concentration cap might: this is off with it, like
    :func:`one_fund_per_class`), and in a tax-advantaged account a swap within a class buys
    nothing but spread. A taxable account may still sell a class and buy it (a harvest and its
    replacement), never the same security (which would wash the loss)."""
    lay, h = p.layout, p.household
    if not (lay.n_sell and lay.n_buy) or p.buy_on is None:
        return []
    n_sec = len(h.securities)
    taxable = h.accounts.taxable
    # Taxable accounts by security; the others by class (keys n_sec + class apart).
    sell_item = np.where(taxable[lay.sell_account], lay.sell_security,
                         n_sec + h.security_class[lay.sell_security])
    buy_item = np.where(taxable[lay.buy_account], lay.buy_security,
                        n_sec + h.security_class[lay.buy_security])
    width = n_sec + len(h.classes)
    sell_key, buy_key = lay.sell_account * width + sell_item, lay.buy_account * width + buy_item
    both = np.flatnonzero(np.isin(buy_key, sell_key))
    if not len(both):
        return []
    keys, row = np.unique(buy_key[both], return_inverse=True)     # one row of sales per key
    cols = np.flatnonzero(np.isin(sell_key, keys))
    sales = sp.csr_matrix((np.ones(len(cols)), (np.searchsorted(keys, sell_key[cols]), cols)),
                          shape=(len(keys), len(p.sell_ub)))[row]   # a row per buy column
    return [sales @ p.sell <= cp.multiply(sales @ p.sell_ub, 1 - p.buy_on[both])]


class MaxConcentration(PlanRule):
    """No security ends above ``max_weight`` of the household."""
    rule = Rule.CONCENTRATION

    def constraints(self, p: Program, terms: TaxCost) -> list[cp.Constraint]:
        h = p.household
        return [p.security_value <= h.settings.max_weight * h.total_value * (1 - BAND_MARGIN)]



class TaxBudget(PlanRule):
    """The plan's tax cost stays under ``tax_budget_usd``."""
    rule = Rule.TAX_BUDGET

    def constraints(self, p: Program, terms: TaxCost) -> list[cp.Constraint]:
        return [terms.expression <= p.household.settings.tax_budget_usd]



class GainBudget(PlanRule):
    """The plan's net realized gains stay under ``gain_budget_usd``."""
    rule = Rule.GAIN_BUDGET

    def constraints(self, p: Program, terms: TaxCost) -> list[cp.Constraint]:
        return [terms.realized <= p.household.settings.gain_budget_usd]



def rules_for(h: Household) -> list[PlanRule]:
    """The rules the settings switch on, in the rulebook's order (the order of diagnosis)."""
    return [CONSTRAINTS[spec.rule]() for spec in enabled_rules(h.settings)]
