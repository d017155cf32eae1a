"""Asset-class weights, drift and its penalty: one formula for the optimizer and the evaluator.

Weights are fractions of the household's value after its cash flows
(:attr:`Household.total_value`), which trades do not change, so they are linear in trades.
Drift counts every class of :attr:`Household.classes` (cash only when it has a target).
"""
from __future__ import annotations

import numpy as np

from .household import Household

WEIGHT_TOL = 1e-6   # a weight within a millionth of a band edge is inside (rounding of shares)


def class_values(h: Household, shares: np.ndarray, cash: np.ndarray) -> np.ndarray:
    """Dollars per class from household shares per security and cash per account."""
    values = np.bincount(h.security_class, shares * h.securities.price, minlength=len(h.classes))
    if h.cash_class is not None:
        values[h.cash_class] += cash.sum()
    return values


def weights_before(h: Household) -> np.ndarray:
    shares = np.bincount(h.lots.security, h.lots.quantity, minlength=len(h.securities))
    return class_values(h, shares, h.accounts.cash + h.account_flows) / h.total_value


def inside_bands(h: Household, weights: np.ndarray) -> np.ndarray:
    return np.abs(weights - h.class_target) <= h.class_band + WEIGHT_TOL


def penalty_per_unit_gap(h: Household) -> float:
    """Dollars per unit of weight gap: drift_penalty_bp of household value per percentage point."""
    return h.settings.drift_penalty_bp * 1e-4 * h.total_value * 100.0


def rebalance_owed(h: Household) -> bool:
    """True when some class starts outside its band, or the settings ask to rebalance anyway."""
    return bool(h.settings.rebalance_inside_band or not inside_bands(h, weights_before(h)).all())


def drift_penalty(h: Household, weights_after: np.ndarray) -> float:
    """The drift penalty of a plan, dollars (absolute shape).

    When every class starts inside its band and ``rebalance_inside_band`` is off, the plan owes
    no rebalancing, so only drift it adds is charged: sum of max(0, |gap after| − |gap before|).
    """
    gap_after = np.abs(weights_after - h.class_target)
    if rebalance_owed(h):
        charged = gap_after
    else:
        charged = np.maximum(0.0, gap_after - np.abs(weights_before(h) - h.class_target))
    return float(penalty_per_unit_gap(h) * charged.sum())


def trading_cost(h: Household, amount: np.ndarray, security: np.ndarray) -> float:
    """Half the bid-ask spread on every dollar traded, plus the commission per trade."""
    traded = amount > 0
    spread = h.securities.spread_bps[security[traded]] / 2e4
    return float((amount[traded] * spread).sum() + h.settings.commission_usd * traded.sum())
