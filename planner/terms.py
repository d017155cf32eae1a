"""The objective's terms, each a small object: tax cost, trading cost, drift penalty.

Each gives its cvxpy expression and, after a solve, the model's value of it, which the plan
reports beside the evaluator's figure for the same trades (they must agree to the cent).
"""
from __future__ import annotations

import cvxpy as cp
import numpy as np

from models.allocation import TANGENT_POINTS, drift_measure, rebalance_owed
from models.enums import DriftShape

from .evaluate import year_without_trades
from .program import Program


class TaxCost:
    """Exact tax cost of the plan: Schedule D netting with a few binaries.

    With s and l the year's net short- and long-term results (realized so far, the plan's,
    less carryover in), write s = s⁺ − s⁻ and l = l⁺ − l⁻ with a sign binary each where the
    sign is open. Then the gain taxed short-term is a ≥ s⁺ − l⁻, long-term b ≥ l⁺ − s⁻, and
    a + b − d − c = s + l, where d is the deduction (≤ limit) and c the carryover out; a third
    binary on the sign of s + l keeps d, c at zero under a net gain and a, b under a net loss.
    Every big-M is a bound computed from the lots, not a guess. The cross-offset (a long-term
    loss absorbing short-term gain at the higher rate) makes this non-convex: no convex
    stand-in would be exact.
    """

    def __init__(self, program: Program) -> None:
        p, h = program, program.household
        tax = h.tax
        self.program = p
        self.without, washed_st, washed_lt = year_without_trades(h)
        s0 = tax.realized_short_term + washed_st - tax.carryover_short_term
        l0 = tax.realized_long_term + washed_lt - tax.carryover_long_term
        st_coef, lt_coef = p.gain_st_coef * p.sell_ub, p.gain_lt_coef * p.sell_ub
        s_min, s_max = s0 + np.minimum(st_coef, 0).sum(), s0 + np.maximum(st_coef, 0).sum()
        l_min, l_max = l0 + np.minimum(lt_coef, 0).sum(), l0 + np.maximum(lt_coef, 0).sum()
        t_min, t_max = s_min + l_min, s_max + l_max
        limit = tax.loss_limit
        # A year that is surely a net loss (t_max ≤ 0) taxes no gain at either rate.
        self.a = cp.Variable(name="net_short_term", bounds=[0, max(s_max, 0.0) if t_max > 0 else 0.0])
        self.b = cp.Variable(name="net_long_term", bounds=[0, max(l_max, 0.0) if t_max > 0 else 0.0])
        self.d = cp.Variable(name="deduction", bounds=[0, limit if t_min < 0 else 0.0])
        self.c = cp.Variable(name="carryover", bounds=[0, max(-t_min, 0.0)])
        sp_, sn = cp.Variable(bounds=[0, max(s_max, 0.0)]), cp.Variable(bounds=[0, max(-s_min, 0.0)])
        lp, ln = cp.Variable(bounds=[0, max(l_max, 0.0)]), cp.Variable(bounds=[0, max(-l_min, 0.0)])
        s, l = s0 + p.realized_st, l0 + p.realized_lt
        cons = [sp_ - sn == s, lp - ln == l, self.a >= sp_ - ln, self.b >= lp - sn,
                self.a + self.b - self.d - self.c == s + l]
        self.binaries = []
        if s_min < 0 < s_max:
            z = self._binary("short_term_is_gain")
            cons += [sp_ <= s_max * z, sn <= -s_min * (1 - z)]
        if l_min < 0 < l_max:
            z = self._binary("long_term_is_gain")
            cons += [lp <= l_max * z, ln <= -l_min * (1 - z)]
        if t_min < 0 < t_max:
            z = self._binary("year_is_net_gain")
            cons += [self.a <= max(s_max, 0.0) * z, self.b <= max(l_max, 0.0) * z,
                     self.d <= limit * (1 - z), self.c <= -t_min * (1 - z)]
        if tax.carryforward_value > tax.deduction_rate and t_min < 0:
            # A carryover worth more than the deduction: force d = min(limit, loss) explicitly.
            w = self._binary("carryover_is_positive")
            cons += [self.c <= -t_min * w, self.d >= limit * w]
        p.constraints += cons
        par = p.parameters
        self.constant = cp.Parameter(name="tax_without")
        self.set_constant()
        self.expression = (par.short_term_rate * self.a + par.long_term_rate * self.b
                           - par.deduction_rate * self.d - par.carryforward_value * self.c
                           - self.constant)
        self.realized = p.realized_st + p.realized_lt

    def _binary(self, name: str) -> cp.Variable:
        z = cp.Variable(name=name, boolean=True)
        self.binaries.append(z)
        return z

    def set_constant(self) -> None:
        """The tax of the year without the plan, less the value of its carryover."""
        tax = self.program.household.tax
        self.constant.value = self.without.tax - tax.carryforward_value * self.without.carryover


class TradingCost:
    """Half the bid-ask spread on every dollar traded, plus the commission per trade (a fixed
    cost: through the trade indicators, which exist when ``commission_usd`` > 0)."""

    def __init__(self, program: Program) -> None:
        lay = program.layout
        sell_spread = lay.sell_spread if lay.n_sell else np.zeros(1)
        buy_spread = lay.buy_spread if lay.n_buy else np.zeros(1)
        self.expression = sell_spread @ program.sell + buy_spread @ program.buy
        commission = program.household.settings.commission_usd
        if commission > 0:
            self.expression = self.expression + commission * program.trades_made


class DriftPenalty:
    """drift_penalty_bp of household value per percentage point of |class weight − target|.

    An explicit deviation variable per class (never ``cp.abs`` of an expression: far slower to
    compile). When the plan owes no rebalancing (every class inside its band), only the drift it
    adds is charged, as :func:`models.allocation.drift_penalty` computes.
    """

    def __init__(self, program: Program) -> None:
        h = program.household
        V = h.allocation_value      # class weights are fractions of it (cash: above reserves)
        gap = program.class_value - h.class_target * V
        self.deviation = cp.Variable(len(h.classes), name="drift_usd", nonneg=True)
        start_gap = (program.class_start - h.class_target * V) / V
        free = np.zeros(len(h.classes))
        if not rebalance_owed(h):
            free = drift_measure(h, start_gap) * V
        if h.settings.drift_shape == DriftShape.SQUARED:
            # deviation ≥ 100·V·(2·g_j·gap/V − g_j²) for every tangent point g_j, per class
            g = TANGENT_POINTS
            lines = [self.deviation >= 100 * (2 * gj * gap - gj ** 2 * V) - free for gj in g]
            program.constraints += lines
        else:
            program.constraints += [self.deviation >= gap - free, self.deviation >= -gap - free]
        self.expression = program.parameters.drift_per_dollar * cp.sum(self.deviation)

