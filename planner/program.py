"""The program's variables and the expressions every term and rule shares.

Built once per household structure; the numbers a what-if changes (tax rates, the drift
penalty) are scalar :class:`cvxpy.Parameter` objects, so a re-solve only updates them.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import cvxpy as cp
import numpy as np
import scipy.sparse as sp

from models.allocation import class_values, penalty_per_unit_gap
from models.enums import WashSale
from models.household import Household

from .layout import MIN_TRADE_DOLLARS, Layout


def _columns(matrix: sp.spmatrix, n: int) -> sp.csr_matrix:
    """A zero column stands in for an empty side (cvxpy has no zero-length variables)."""
    return sp.csr_matrix(matrix) if n > 0 else sp.csr_matrix((matrix.shape[0], 1))


@dataclass
class Parameters:
    """Scalar parameters a batch of what-ifs changes without rebuilding."""
    short_term_rate: cp.Parameter = field(default_factory=lambda: cp.Parameter(nonneg=True))
    long_term_rate: cp.Parameter = field(default_factory=lambda: cp.Parameter(nonneg=True))
    deduction_rate: cp.Parameter = field(default_factory=lambda: cp.Parameter(nonneg=True))
    carryforward_value: cp.Parameter = field(default_factory=lambda: cp.Parameter(nonneg=True))
    drift_per_dollar: cp.Parameter = field(default_factory=lambda: cp.Parameter(nonneg=True))

    def set(self, h: Household) -> None:
        tax = h.tax
        self.short_term_rate.value = tax.short_term_rate
        self.long_term_rate.value = tax.long_term_rate
        self.deduction_rate.value = tax.deduction_rate
        self.carryforward_value.value = tax.carryforward_value
        self.drift_per_dollar.value = penalty_per_unit_gap(h) / h.allocation_value


class Program:
    """Variables (dollars sold per lot, bought per account and security) and shared expressions."""

    def __init__(self, layout: Layout, wash_scope=None) -> None:
        """``wash_scope``: the washes priced with wash_sale = "price" (planner.washes.Scope);
        None: none priced (the plan avoids them, a rule says so)."""
        self.layout = layout
        h = self.household = layout.household
        self.parameters = Parameters()
        self.parameters.set(h)
        self.constraints: list[cp.Constraint] = []
        n_s, n_b = layout.n_sell, layout.n_buy
        sell_ub = layout.sell_ub if n_s else np.zeros(1)
        buy_ub = layout.buy_ub if n_b else np.zeros(1)
        self.sell = cp.Variable(len(sell_ub), name="sell_usd", bounds=[np.zeros(len(sell_ub)), sell_ub])
        self.buy = cp.Variable(len(buy_ub), name="buy_usd", bounds=[np.zeros(len(buy_ub)), buy_ub])
        self.sell_ub, self.buy_ub = sell_ub, buy_ub

        def s(matrix):
            return _columns(matrix, n_s)

        def b(matrix):
            return _columns(matrix, n_b)

        self.s, self.b = s, b
        # Trade indicators: 1 where a column trades. Needed when a trade has a fixed part (a
        # commission) or a minimum size; a binary each, so only then.
        # With whole shares, buys get one too (one fund per class and account, planner.rules).
        self.sell_on = self.buy_on = None
        s_ = h.settings
        commission = s_.commission_usd
        # x ≤ ub·on: the column's own bound is the big-M, the tightest that is valid (no trade
        # can exceed it), so the relaxation stays as close to the MILP as it can.
        # And an indicator at 1 is a real trade, one the trade list keeps (≥ 2 cents; a minimum
        # trade size asks more, planner.rules): else a commission could be paid for nothing,
        # which the model would do to spend cash above its band.
        least = 2 * MIN_TRADE_DOLLARS
        if commission > 0 or s_.min_trade_usd > 0:
            self.sell_on = cp.Variable(len(sell_ub), name="sells_lot", boolean=True)
            self.constraints += [self.sell <= cp.multiply(sell_ub, self.sell_on),
                                 self.sell >= least * self.sell_on]
        if commission > 0 or s_.min_trade_usd > 0 or s_.whole_shares:
            self.buy_on = cp.Variable(len(buy_ub), name="buys_security", boolean=True)
            self.constraints += [self.buy <= cp.multiply(buy_ub, self.buy_on),
                                 self.buy >= least * self.buy_on]
        # Cash, class values and realized results are variables defined by one equality row
        # each: every other row then refers to a handful of them instead of to every lot,
        # which keeps the matrix at about four nonzeros per lot column.
        self.cash_start = h.accounts.cash + h.account_flows
        self.cash_end = cp.Variable(len(h.accounts), name="cash_end_usd")
        flow = self.cash_start + s(layout.sell_to_account) @ self.sell - b(layout.buy_to_account) @ self.buy
        if commission > 0:   # every trade pays its commission from its account's cash
            flow = flow - commission * (s(layout.sell_to_account) @ self.sell_on
                                        + b(layout.buy_to_account) @ self.buy_on)
        self.constraints.append(self.cash_end == flow)
        shares = np.bincount(h.lots.security, h.lots.quantity, minlength=len(h.securities))
        self.class_start = class_values(h, shares, self.cash_start)
        self.class_value = cp.Variable(len(h.classes), name="class_value_usd")
        flows = self.class_start - s(layout.sell_to_class) @ self.sell + b(layout.buy_to_class) @ self.buy
        # Cash is a class: its value is the household's cash above the reserves.
        flows = flows + _unit(len(h.classes), h.cash_class) @ \
            cp.reshape(cp.sum(self.cash_end - self.cash_start), (1,), order="C")
        self.constraints.append(self.class_value == flows)
        self.security_start = shares * h.securities.price
        self.security_value = self.security_start - s(layout.sell_to_security) @ self.sell + \
            b(layout.buy_to_security) @ self.buy
        gain = layout.gain_per_dollar
        lt = layout.sell_long_term
        self.gain_st_coef = np.where(lt, 0.0, gain) if n_s else np.zeros(1)
        self.gain_lt_coef = np.where(lt, gain, 0.0) if n_s else np.zeros(1)
        self.realized_st = cp.Variable(name="realized_short_term_usd")
        self.realized_lt = cp.Variable(name="realized_long_term_usd")
        # wash_sale = "price": the washes the trades cause, exactly (planner.washes); the
        # realized results then equal the evaluator's ledger.short_term / long_term.
        self.washes = None
        wash_st = wash_lt = 0
        if h.settings.wash_sale is WashSale.PRICE and wash_scope is not None:
            from .washes import WashPricing
            self.washes = WashPricing(self, wash_scope)
            self.constraints += self.washes.constraints
            wash_st, wash_lt = self.washes.short_term_expr, self.washes.long_term_expr
        # One two-row constraint holding only each lot's nonzero (its term's gain): two rows
        # of a dense vector @ sell each carried every lot, the other term's zeros included,
        # through cvxpy's compile (the same matrix for HiGHS, 0.2 s less CPU at 1e6 lots).
        term = sp.csr_matrix(np.vstack([self.gain_st_coef, self.gain_lt_coef]))
        self.constraints.append(cp.hstack([self.realized_st, self.realized_lt])
                                == term @ self.sell + cp.hstack([wash_st, wash_lt]))

    @property
    def trades_made(self):
        """The number of trade rows (an expression), or None without trade indicators."""
        if self.sell_on is None or self.buy_on is None:
            return None
        return cp.sum(self.sell_on) + cp.sum(self.buy_on)

    def mask(self, values: np.ndarray, n: int) -> np.ndarray:
        """A per-column boolean mask padded like the variables."""
        return values if n else np.zeros(1, dtype=bool)


def _unit(n: int, k: int) -> sp.csr_matrix:
    return sp.csr_matrix((np.ones(1), ([k], [0])), shape=(n, 1))
