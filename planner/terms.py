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
from .schedule_tax import ScheduleTax


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
        self.without, washed_st, washed_lt, deferred_without = year_without_trades(h)
        washes = p.washes
        if washes is not None:   # the program prices every new wash; only the fixed part here
            washed_st, washed_lt = washes.fixed_short_term, washes.fixed_long_term
        s0 = tax.realized_short_term + washed_st - tax.carryover_short_term
        l0 = tax.realized_long_term + washed_lt - tax.carryover_long_term
        st_coef, lt_coef = p.gain_st_coef * p.sell_ub, p.gain_lt_coef * p.sell_ub
        s_min, s_max = s0 + np.minimum(st_coef, 0).sum(), s0 + np.maximum(st_coef, 0).sum()
        l_min, l_max = l0 + np.minimum(lt_coef, 0).sum(), l0 + np.maximum(lt_coef, 0).sum()
        if washes is not None:
            s_min, s_max = s_min + washes.short_term_range[0], s_max + washes.short_term_range[1]
            l_min, l_max = l_min + washes.long_term_range[0], l_max + washes.long_term_range[1]
        t_min, t_max = s_min + l_min, s_max + l_max
        limit = tax.loss_limit
        # A year that is surely a net loss (t_max ≤ 0) taxes no gain at either rate.
        a_max = max(s_max, 0.0) if t_max > 0 else 0.0
        b_max = max(l_max, 0.0) if t_max > 0 else 0.0
        d_max = min(limit, max(-t_min, 0.0))
        self.a = cp.Variable(name="net_short_term", bounds=[0, a_max])
        self.b = cp.Variable(name="net_long_term", bounds=[0, b_max])
        schedule = tax.schedule is not None
        self.d = cp.Variable(name="deduction", bounds=[0, d_max])
        # c: the loss beyond the deduction. Schedule mode needs d = min(limit, loss) exactly
        # (the deduction is not a choice there), so c is 0 when no loss can exceed the limit.
        c_max = max(-t_min, 0.0) if not schedule or -t_min > limit else 0.0
        self.c = cp.Variable(name="carryover", bounds=[0, c_max])
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
        self._c_max, self._d_max = c_max, d_max
        if self.deduction_binary(tax):
            # The carryover may be worth more than the deduction: force d = min(limit, loss).
            w = self._binary("carryover_is_positive")
            cons += [self.c <= -t_min * w, self.d >= limit * w]
        par = p.parameters
        if schedule:
            bounds = {"a_max": a_max, "b_max": b_max, "d_max": d_max,
                      "gain_max": max(t_max, 0.0), "loss_max": max(-t_min, 0.0)}
            self.schedule = ScheduleTax(tax, self.a, self.b, self.d, self.d + self.c, bounds,
                                        self._binary)
            cons += self.schedule.constraints
            year_tax, carryover = self.schedule.tax, self.schedule.carryover
        else:
            year_tax = (par.short_term_rate * self.a + par.long_term_rate * self.b
                        - par.deduction_rate * self.d)
            carryover = self.c
        p.constraints += cons
        self.constant = cp.Parameter(name="tax_without")
        self.set_constant()
        self.expression = year_tax - par.carryforward_value * carryover - self.constant
        if washes is not None:   # SPEC §2: deferred losses kept are worth carryforward_value
            self.deferred = washes.deferred_expr + (washes.fixed_deferred - deferred_without)
            self.expression = self.expression - par.carryforward_value * self.deferred
            self.binaries += washes.binaries
        self.realized = p.realized_st + p.realized_lt + (washed_st + washed_lt)

    def deduction_binary(self, tax) -> bool:
        """Whether d = min(limit, loss) needs forcing: where the objective might prefer a
        smaller deduction, because a dollar carried over (carryforward_value) can be worth
        more than the dollar deducted. Flat mode: deduction_rate. Schedule mode: the lowest
        marginal rate the deduction can save, when taxable income stays positive however
        large the deduction (x ≥ 0 in planner.schedule_tax): the bracket rate there plus the
        state rate (NIIT only adds); otherwise the deduction may save nothing."""
        if self._c_max <= 0:
            return False
        if tax.schedule is None:
            return tax.carryforward_value > tax.deduction_rate
        t = tax.status_tables
        x_lo = tax.ordinary_income - max(t.standard_deduction, tax.itemized_deductions) - self._d_max
        if x_lo < 0:
            return True
        rate = t.brackets.rates[int(np.searchsorted(t.brackets.edges, x_lo, side="right")) - 1]
        return not rate + tax.state_rate > tax.carryforward_value

    def _binary(self, name: str) -> cp.Variable:
        z = cp.Variable(name=name, boolean=True)
        self.binaries.append(z)
        return z

    def set_constant(self) -> None:
        """The tax of the year without the plan, less the value of its carryover."""
        tax = self.program.household.tax
        self.constant.value = self.without.tax - tax.carryforward_value * self.without.carryover


class DeferredGain:
    """``deferred_gain_rate`` × the change in unrealized gain in taxable lots: each dollar of
    gain a sale realizes (and a re-buy at the same price does not restore) is a dollar less of
    gain taxed later. Realizing long-term gains inside the 0% bracket shows its worth here."""

    def __init__(self, program: Program) -> None:
        rate = program.household.tax.deferred_gain_rate
        # The gain the sales take out of the book, before any wash-sale disallowance (the lots
        # sold are gone either way); tax-advantaged lots have none. A loss deferred into the
        # basis of a replacement the plan keeps lowers the gain left by as much.
        gain = program.gain_st_coef + program.gain_lt_coef
        washes = program.washes
        if not rate:
            self.expression = cp.Constant(0.0)
        elif washes is None:
            self.expression = -rate * (gain @ program.sell)
        else:
            self.expression = -rate * (gain @ program.sell + washes.deferred_expr + washes.fixed_deferred)


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

