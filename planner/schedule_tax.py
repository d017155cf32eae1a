"""The tax of the year in schedule mode (SPEC §2b) as MILP rows, exact to the cent.

TaxCost's netting gives, for the year: a (net short-term gain taxed as ordinary income), b
(net long-term gain, QDCGT line 3), d (the capital-loss deduction) and ℓ (the net loss). With
O, Q, D the ordinary income, qualified dividends and Form 1040 line 12, write

    x = O − D + a − d          the ordinary part of taxable income (QDCGT line 5 is x⁺)
    y = x + Q + b              taxable income before its floor at 0 (line 1 is y⁺)
    k = a + b − d              the capital result on the return (c, or −d in a loss year)

Then the worksheet's line 23 is T(x⁺) − G(x) + G(y) and line 24 is T(y⁺), with T the Tax
Rate Schedule and G(v) = 15%·clip(v − z₀, 0, z₁₅ − z₀) + 20%·(v − z₁₅)⁺ the preferential
schedule (G(v⁺) = G(v): G is 0 below z₀ > 0). T and G are convex, so T(x⁺), G(y) and T(y⁺) are
epigraphs the objective pushes down; only −G(x) is concave: it is modelled exactly with one
binary per kink of G inside x's range (an incremental formulation). The federal tax is
min(line 23, line 24); where the bounds show one is never the smaller (the 15% rate can exceed
the ordinary rate only where the 0% top lies inside the 12% bracket) the other is dropped,
else one binary picks. NIIT is 3.8%·max(0, k + Q + min(OI, O − threshold)), convex in k; the
state tax is linear in k. Every big-M is a width between bounds computed from the lots.
"""
from __future__ import annotations

import math

import cvxpy as cp
import numpy as np

from models.schedule import NIIT_RATE, PREFERENTIAL_RATES


def _pieces(edges, rates, lo: float, hi: float) -> list[tuple[float, float]]:
    """(slope, intercept) of the convex schedule's lines that matter on [lo, hi], and y = 0."""
    out = [(0.0, 0.0)]
    base = 0.0
    tops = tuple(edges[1:]) + (math.inf,)
    for e, top, r in zip(edges, tops, rates):
        if top > max(lo, 0.0) and e < hi:
            out.append((r, base - r * e))
        base += r * (top - e) if math.isfinite(top) else 0.0
    return out


def _epigraph(v, lo: float, hi: float, edges, rates, name: str, cons: list):
    """A variable ≥ the convex schedule at v (0 below its first edge); exact when minimized."""
    pieces = _pieces(edges, rates, lo, hi)
    t = cp.Variable(name=name, nonneg=True)
    cons += [t >= slope * v + icpt for slope, icpt in pieces if slope > 0]
    return t


def _schedule_integral_positive(edges_a, rates_a, edges_b, rates_b, lo: float, hi: float) -> float:
    """∫ over [lo, hi] of max(0, rate_a − rate_b): how much schedule a can exceed b there."""
    points = sorted({lo, hi, *[e for e in (*edges_a, *edges_b) if lo < e < hi]})
    total = 0.0
    for u, w in zip(points, points[1:]):
        mid = 0.5 * (u + w)
        ra = rates_a[np.searchsorted(edges_a, mid, side="right") - 1] if mid >= edges_a[0] else 0.0
        rb = rates_b[np.searchsorted(edges_b, mid, side="right") - 1] if mid >= edges_b[0] else 0.0
        total += max(0.0, ra - rb) * (w - u)
    return total


class ScheduleTax:
    """The year's federal + NIIT + state tax of :mod:`models.schedule` on TaxCost's netting.

    ``tax`` is the expression; ``carryover`` the carryover out (the Capital Loss Carryover
    Worksheet with line 4 = min(d, max(0, O + Q − D)) in a loss year); ``constraints`` go into
    the program; ``binary(name)`` makes (and registers) each binary.
    """

    def __init__(self, profile, a, b, d, loss, bounds: dict[str, float], binary) -> None:
        t = profile.status_tables
        O, Q, D = profile.ordinary_income, profile.qualified_dividends, \
            max(t.standard_deduction, profile.itemized_deductions)
        edges, rates = t.brackets.edges, t.brackets.rates
        g_edges = (0.0, t.zero_rate_max, t.fifteen_rate_max)
        g_rates = PREFERENTIAL_RATES
        self.constraints: list = []
        cons = self.constraints
        a_max, d_max = bounds["a_max"], bounds["d_max"]
        gain_max = bounds["gain_max"]       # the largest a + b can be (a net gain year)
        x_lo, x_hi = O - D - d_max, O - D + min(a_max, gain_max)
        y_lo, y_hi = x_lo + Q, O - D + Q + gain_max
        x = O - D + a - d
        y = x + Q + b
        # Line 23 = T(x⁺) − G(x) + G(y); line 24 = T(y⁺). Which can be the smaller over the
        # range? line 23 − line 24 = ∫ from x⁺ to y⁺ of (g − t).
        stack_lo, stack_hi = max(x_lo, 0.0), max(y_hi, 0.0)
        a_over_b = _schedule_integral_positive(g_edges, g_rates, edges, rates, stack_lo, stack_hi)
        b_over_a = _schedule_integral_positive(edges, rates, g_edges, g_rates, stack_lo, stack_hi)
        if b_over_a > 0 or a_over_b == 0:
            line23 = (_epigraph(x, x_lo, x_hi, edges, rates, "ordinary_tax", cons)
                      - self._preferential_exact(x, x_lo, x_hi, t, binary)
                      + _epigraph(y, y_lo, y_hi, g_edges, g_rates, "preferential_tax_top", cons))
        if a_over_b > 0:
            line24 = _epigraph(y, y_lo, y_hi, edges, rates, "regular_tax", cons)
        if a_over_b > 0 and b_over_a > 0:
            # Line 25 = min(23, 24): w = 1 takes line 24. The big-Ms are the most either line
            # can exceed the other over the range (∫ of the rate difference's positive part).
            w = binary("regular_tax_is_smaller")
            fed = cp.Variable(name="federal_income_tax")
            cons += [fed >= line23 - a_over_b * w, fed >= line24 - b_over_a * (1 - w)]
        elif a_over_b > 0:
            fed = line24
        else:
            fed = line23
        k = a + b - d
        k_hi = gain_max
        shift = Q + min(profile.other_investment_income, O - t.niit_threshold)
        if k_hi + shift > 0:
            niit = cp.Variable(name="niit", nonneg=True)
            cons.append(niit >= NIIT_RATE * (k + shift))
        else:
            niit = 0.0
        self.tax = fed + niit + profile.state_rate * k
        self.carryover = self._carryover(d, loss, bounds, profile.loss_limit,
                                         max(0.0, O + Q - D), binary)

    def _preferential_exact(self, x, lo: float, hi: float, t, binary):
        """G(x), concave where it enters, exactly: x = lo + Σ δ_k over the segments between G's
        kinks inside (lo, hi); segment k+1 starts only once k is full (binary y_k)."""
        kinks = [z for z in (t.zero_rate_max, t.fifteen_rate_max) if lo < z < hi]
        points = [lo, *kinks, hi]
        slopes = [0.0 if (u + w) / 2 <= t.zero_rate_max else
                  0.15 if (u + w) / 2 <= t.fifteen_rate_max else 0.20
                  for u, w in zip(points, points[1:])]
        g_lo = 0.15 * min(max(lo - t.zero_rate_max, 0.0), t.fifteen_rate_max - t.zero_rate_max) \
            + 0.20 * max(0.0, lo - t.fifteen_rate_max)
        if not kinks:
            return g_lo + slopes[0] * (x - lo)
        widths = [w - u for u, w in zip(points, points[1:])]
        delta = cp.Variable(len(widths), name="stack_segments", nonneg=True)
        cons = self.constraints
        cons += [delta <= np.array(widths), x == lo + cp.sum(delta)]
        for k in range(len(kinks)):
            full = binary(f"ordinary_income_above_{int(kinks[k])}")
            # Segment k is full before k+1 takes anything: big-Ms are the segments' widths.
            cons += [delta[k] >= widths[k] * full, delta[k + 1] <= widths[k + 1] * full]
        return g_lo + np.array(slopes) @ delta

    def _carryover(self, d, loss, bounds, limit: float, room: float, binary):
        """Carryover out = loss − line 4, line 4 = min(d, room) = min(loss, min(limit, room))."""
        used_max = min(limit, room)
        loss_max = bounds["loss_max"]
        if used_max >= limit or loss_max <= 0:
            return loss - d
        if used_max <= 0:
            return loss
        used = cp.Variable(name="deduction_used", bounds=[0.0, used_max])
        self.constraints += [used <= loss]
        if loss_max > used_max:
            w = binary("loss_exceeds_used_deduction")
            # Big-M: the largest loss. w = 0 forces used = loss; w = 1 forces used = used_max.
            self.constraints += [used >= used_max * w, loss - used <= loss_max * w]
        else:
            self.constraints += [used >= loss]
        return loss - used
