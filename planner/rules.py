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
        V = h.total_value
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
        allowance = (h.class_target[h.cash_class] * h.total_value if h.cash_class is not None else 0.0)
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
    """No trade smaller than ``min_trade_usd``: a binary per candidate trade, x ∈ {0} ∪ [m, ub]."""
    rule = Rule.MIN_TRADE

    def caps(self, lay: Layout) -> tuple[np.ndarray, np.ndarray]:
        m = lay.household.settings.min_trade_usd
        return lay.sell_ub < m, lay.buy_ub < m

    def constraints(self, p: Program, terms: TaxCost) -> list[cp.Constraint]:
        m = p.household.settings.min_trade_usd
        out = []
        for x, ub in ((p.sell, p.sell_ub), (p.buy, p.buy_ub)):
            open_ = np.flatnonzero(ub >= m)
            if len(open_):
                on = cp.Variable(len(open_), boolean=True)
                out += [x[open_] >= m * on, x[open_] <= cp.multiply(ub[open_], on)]
        return out



class WholeShares(PlanRule):
    """Whole shares only: dollars traded = price × an integer (a whole lot may be fractional)."""
    rule = Rule.WHOLE_SHARES

    def constraints(self, p: Program, terms: TaxCost) -> list[cp.Constraint]:
        h, lay = p.household, p.layout
        out = []
        if lay.n_sell:
            price = h.lot_price[lay.sell_lot]
            held = h.lots.quantity[lay.sell_lot]
            n = cp.Variable(lay.n_sell, integer=True, bounds=[np.zeros(lay.n_sell), np.floor(held)])
            whole = cp.Variable(lay.n_sell, boolean=True)   # or the entire (fractional) lot
            frac = held - np.floor(held)
            out += [p.sell == cp.multiply(price, n) + cp.multiply(price * frac, whole),
                    n >= cp.multiply(np.floor(held), whole)]   # the fraction only with the rest
        if lay.n_buy:
            price = h.securities.price[lay.buy_security]
            n = cp.Variable(lay.n_buy, integer=True, bounds=[np.zeros(lay.n_buy), np.floor(lay.buy_ub / price)])
            out.append(p.buy == cp.multiply(price, n))
        return out



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
