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
from models.household import Household

from .layout import Layout


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
        self.drift_per_dollar.value = penalty_per_unit_gap(h) / h.total_value


class Program:
    """Variables (dollars sold per lot, bought per account and security) and shared expressions."""

    def __init__(self, layout: Layout) -> None:
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
        # Cash, class values and realized results are variables defined by one equality row
        # each: every other row then refers to a handful of them instead of to every lot,
        # which keeps the matrix at about four nonzeros per lot column.
        self.cash_start = h.accounts.cash + h.account_flows
        self.cash_end = cp.Variable(len(h.accounts), name="cash_end_usd")
        self.constraints.append(self.cash_end == self.cash_start + s(layout.sell_to_account) @ self.sell
                                - b(layout.buy_to_account) @ self.buy)
        shares = np.bincount(h.lots.security, h.lots.quantity, minlength=len(h.securities))
        self.class_start = class_values(h, shares, self.cash_start)
        self.class_value = cp.Variable(len(h.classes), name="class_value_usd")
        flows = self.class_start - s(layout.sell_to_class) @ self.sell + b(layout.buy_to_class) @ self.buy
        if h.cash_class is not None:   # cash is a class: its value is the household's cash
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
        self.constraints += [self.realized_st == self.gain_st_coef @ self.sell,
                             self.realized_lt == self.gain_lt_coef @ self.sell]

    def mask(self, values: np.ndarray, n: int) -> np.ndarray:
        """A per-column boolean mask padded like the variables."""
        return values if n else np.zeros(1, dtype=bool)


def _unit(n: int, k: int) -> sp.csr_matrix:
    return sp.csr_matrix((np.ones(1), ([k], [0])), shape=(n, 1))
