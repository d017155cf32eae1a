"""Asset-class weights, drift and its penalty: one formula for the optimizer and the evaluator.

Weights are fractions of the value the targets share out (:attr:`Household.allocation_value`:
the household after its cash flows, less the accounts' reserves), which trades do not change,
so they are linear in trades. Drift counts every class of :attr:`Household.classes`, cash
included: the cash class is the cash above the reserves, target 0 unless targets.csv gives
one, so idle cash is drift and the weights add to 1.
"""
from __future__ import annotations

import numpy as np

from .enums import DriftShape
from .household import Household
from .tolerances import WEIGHT_TOL



def class_values(h: Household, shares: np.ndarray, cash: np.ndarray) -> np.ndarray:
    """Dollars per class from household shares per security and cash per account; the cash
    class holds the cash above the reserves (negative while a withdrawal is unfunded)."""
    values = np.bincount(h.security_class, shares * h.securities.price, minlength=len(h.classes))
    values[h.cash_class] += np.sum(cash) - h.reserve_total
    return values


def weights(h: Household, values: np.ndarray) -> np.ndarray:
    """Class weights from class values (dollars)."""
    return values / h.allocation_value


def weights_before(h: Household) -> np.ndarray:
    shares = np.bincount(h.lots.security, h.lots.quantity, minlength=len(h.securities))
    return weights(h, class_values(h, shares, h.accounts.cash + h.account_flows))


def inside_bands(h: Household, weights: np.ndarray) -> np.ndarray:
    return np.abs(weights - h.class_target) <= h.class_band + WEIGHT_TOL


def penalty_per_unit_gap(h: Household) -> float:
    """Dollars per unit of weight gap: drift_penalty_bp of household value per percentage point."""
    return h.settings.drift_penalty_bp * 1e-4 * h.total_value * 100.0


def rebalance_owed(h: Household) -> bool:
    """True when some class starts outside its band, or the settings ask to rebalance anyway."""
    return bool(h.settings.rebalance_inside_band or not inside_bands(h, weights_before(h)).all())


# The squared shape as the maximum of its tangents: every 0.05 pp up to 2 pp, every pp beyond
# (where a gap of 0.05 pp costs 1/1600 of a pp², and a gap beyond 2 pp errs by under 1/16 pp²).
# An LP, and the evaluator uses the very same function, so both report one figure.
_HALF = np.unique(np.concatenate([np.linspace(0.0, 0.02, 41), np.linspace(0.02, 1.0, 99)]))
TANGENT_POINTS = np.concatenate([-_HALF[:0:-1], _HALF])


def squared_gap(gap: np.ndarray) -> np.ndarray:
    """gap², as the maximum of its tangent lines at ``TANGENT_POINTS`` (weight units)."""
    gap = np.asarray(gap, dtype=float)
    return np.max(2 * TANGENT_POINTS[:, None] * gap[None, :] - TANGENT_POINTS[:, None] ** 2, axis=0)


def drift_measure(h: Household, gap: np.ndarray) -> np.ndarray:
    """Per class: |gap| (absolute shape) or gap² in pp²/100 (squared shape), weight units."""
    if h.settings.drift_shape == DriftShape.SQUARED:
        return 100.0 * squared_gap(gap)   # (100·gap)² pp² at the per-pp price → ×100 per weight
    return np.abs(gap)


def drift_penalty(h: Household, weights_after: np.ndarray) -> float:
    """The drift penalty of a plan, dollars.

    When every class starts inside its band and ``rebalance_inside_band`` is off, the plan owes
    no rebalancing, so only drift it adds is charged: sum of max(0, measure after − before).
    """
    after = drift_measure(h, weights_after - h.class_target)
    if rebalance_owed(h):
        charged = after
    else:
        charged = np.maximum(0.0, after - drift_measure(h, weights_before(h) - h.class_target))
    return float(penalty_per_unit_gap(h) * charged.sum())


def trading_cost(h: Household, amount: np.ndarray, security: np.ndarray) -> float:
    """Half the bid-ask spread on every dollar traded, plus the commission per trade."""
    traded = amount > 0
    spread = h.securities.spread_bps[security[traded]] / 2e4
    return float((amount[traded] * spread).sum() + h.settings.commission_usd * traded.sum())
