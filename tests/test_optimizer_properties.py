"""Properties of the optimizer on random small households (hypothesis).

For every household the optimizer's plan, judged by the evaluator:
  * costs the tax the MILP thinks it costs, to the cent, through every Schedule D cross-offset,
    the deduction limit and the carryover;
  * breaks no rule (no violation), and every band (or partial-rebalance bound) holds;
  * is never worse than doing nothing, when doing nothing breaks no rule;
  * is called infeasible only when doing nothing breaks a rule too;
and on tiny households it is never worse than a brute force over which taxable lots to sell
(none, half, all of each), the best buys and tax-free sells for each choice found by an LP,
and every rule-compliant candidate judged by the same evaluator.
"""
from __future__ import annotations

import itertools
import os

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from planner import evaluate, models
from planner.optimizer import plan

from tests.optimizer_cases import EMPTY_TRADES, make

CLASSES = ["us_equity", "intl_equity", "bonds"]
PRICES = [10.0, 24.45, 50.0, 68.9, 100.0, 137.15, 312.4]
# Acquired dates around as_of 2026-12-01: long-term, short-term, both sides of the one-year
# date (2025-11-30 is long-term on 2026-12-01, 2025-12-01 is not), and within the wash window.
DATES = ["2015-03-10", "2021-07-01", "2024-02-29", "2025-06-15", "2025-11-30", "2025-12-01",
         "2026-03-02", "2026-08-24", "2026-11-05", "2026-11-25"]
CASH = [0.0, 0.0, 750.0, 5000.0, 20000.0]
TOL = 0.01      # a cent
# mip_gap_abs_fraction for the brute-force comparison (continuous sizes: proven fast). With
# whole shares a gap this small can take HiGHS minutes to close, so the random households keep
# the default gap and the comparisons allow the plan's own reported gap.
STRICT_GAP = 1e-9
# Whole shares under a heavy drift penalty are a knapsack: a 7-lot household can take HiGHS
# over a minute to prove the default gap (1e-6 of the household). Such plans may stop at the
# time limit; they must still break no rule and their reported gap bounds the comparisons.
WHOLE_SHARES_TIME_LIMIT_S = 5.0

# PLANNER_PROPERTY_EXAMPLES=500 explores further (the default keeps the file under ~90 s).
EXAMPLES = int(os.environ.get("PLANNER_PROPERTY_EXAMPLES", "30"))
DERANDOMIZE = "PLANNER_PROPERTY_EXAMPLES" not in os.environ   # fixed examples by default
PROFILE = settings(max_examples=EXAMPLES, deadline=None, derandomize=DERANDOMIZE, print_blob=True,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# ---- random households --------------------------------------------------------------------------
@st.composite
def securities_st(draw, n_classes: int, max_securities: int = 6):
    classes = CLASSES[:n_classes]
    n = draw(st.integers(min_value=max(3, n_classes), max_value=max_securities))
    rows = []
    for k in range(n):
        cls = classes[k] if k < n_classes else draw(st.sampled_from(classes))
        group = f"{cls}_g{draw(st.integers(0, 1))}"
        rows.append((f"S{k}", draw(st.sampled_from(PRICES)), cls, group,
                     draw(st.sampled_from([0.0, 1.0, 2.0, 5.0]))))
    return rows


def _targets(draw, classes, band_choices=(None, 0.03, 0.08)):
    cuts = sorted(draw(st.lists(st.integers(1, 19), min_size=len(classes) - 1,
                                max_size=len(classes) - 1, unique=True)))
    edges = [0] + cuts + [20]
    weights = [(b - a) / 20 for a, b in zip(edges, edges[1:])]
    return [(c, w, draw(st.sampled_from(band_choices))) for c, w in zip(classes, weights)]


def _lot(draw, k, account, securities):
    sec = draw(st.sampled_from(securities))
    quantity = draw(st.sampled_from([3.0, 10.0, 25.5, 40.0, 120.0, 300.0]))
    ratio = draw(st.sampled_from([0.4, 0.7, 0.95, 1.0, 1.05, 1.3, 1.8]))   # basis / value
    basis = round(quantity * sec[1] * ratio, 2)
    return (f"L{k}", account, sec[0], quantity, basis, draw(st.sampled_from(DATES)))


def _tax(draw):
    status = draw(st.sampled_from(["single", "married_joint", "married_separate"]))
    amount = st.sampled_from([0.0, 0.0, 800.0, 2500.0, 9000.0, -1200.0, -4000.0, -15000.0])
    carry = st.sampled_from([0.0, 0.0, 500.0, 3500.0, 12000.0])
    deduction = draw(st.sampled_from([0.37, 0.24]))
    return dict(filing_status=status, short_term_rate=draw(st.sampled_from([0.37, 0.32])),
                long_term_rate=draw(st.sampled_from([0.238, 0.15])), deduction_rate=deduction,
                carryforward_value=draw(st.sampled_from([0.0, 0.1, 0.3, 0.45])),
                realized_short_term=draw(amount), realized_long_term=draw(amount),
                carryover_short_term=draw(carry), carryover_long_term=draw(carry))


@st.composite
def households(draw):
    n_classes = draw(st.integers(2, 3))
    securities = draw(securities_st(n_classes))
    classes = sorted({s[2] for s in securities}, key=CLASSES.index)
    advantaged = draw(st.sampled_from(["traditional", "roth"]))
    accounts = [("T1", "taxable", draw(st.sampled_from(CASH)), 0.0),
                ("A1", advantaged, draw(st.sampled_from(CASH)), 0.0)]
    for k in range(draw(st.integers(0, 2))):
        accounts.append((f"X{k}", draw(st.sampled_from(["taxable", "traditional", "roth", "hsa"])),
                         draw(st.sampled_from(CASH)), draw(st.sampled_from([0.0, 0.0, 500.0]))))
    ids = [a[0] for a in accounts]
    n_lots = draw(st.integers(2, 12))
    lots = [_lot(draw, k, "T1" if k < 2 else draw(st.sampled_from(ids)), securities)
            for k in range(n_lots)]
    transactions = []
    if draw(st.booleans()):    # a loss sold in the last 30 days: no buying that group for now
        sec = draw(st.sampled_from(securities))
        transactions.append((draw(st.sampled_from(["2026-11-10", "2026-11-28"])), "T1", sec[0],
                             "sell", 10.0, sec[1], "", -250.0))
    cashflows = []
    flow = draw(st.sampled_from([None, None, "deposit", "withdrawal", "scheduled"]))
    if flow == "deposit":
        cashflows.append(("2026-12-01", "T1", 8000.0, ""))
    elif flow == "withdrawal":
        cashflows.append(("2026-12-01", draw(st.sampled_from(ids)), -3000.0, ""))
    elif flow == "scheduled":
        cashflows.append(("2026-12-10", draw(st.sampled_from(ids)), 200.0,
                          draw(st.sampled_from(securities))[0]))
    plan_settings = dict(
        band=draw(st.sampled_from([0.05, 0.1])),
        drift_penalty_bp=draw(st.sampled_from([1.0, 10.0, 60.0])),
        rebalance_inside_band=draw(st.booleans()),
        partial=draw(st.sampled_from([None, None, 0.5])),
        min_trade_usd=draw(st.sampled_from([0.0, 0.0, 100.0])),
        whole_shares=draw(st.sampled_from([False, False, True])),
        max_weight=draw(st.sampled_from([None, None, 0.6])),
        commission_usd=draw(st.sampled_from([0.0, 0.0, 0.0, 5.0])),
        time_limit_s=WHOLE_SHARES_TIME_LIMIT_S)
    # Cash is a class either way; sometimes targets.csv gives it a weight (and a band).
    target_classes = classes + (["cash"] if draw(st.booleans()) else [])
    try:
        return make(accounts=accounts, securities=securities, lots=lots,
                    targets=_targets(draw, target_classes), transactions=transactions or None,
                    cashflows=cashflows or None, tax=_tax(draw), **plan_settings)
    except models.InputError:   # worth nothing above its reserves: the loader rejects it
        reject()


def _describe(h) -> str:
    """Enough of a household to rebuild it as a test case."""
    def rows(frame):
        return frame.to_dict(orient="records")
    lots = pd.DataFrame({"lot": h.lots.id, "account": h.accounts.id[h.lots.account],
                         "symbol": h.securities.symbol[h.lots.security], "qty": h.lots.quantity,
                         "basis": h.lots.cost_basis, "acquired": h.lots.acquired.astype(str)})
    return (f"accounts={list(zip(h.accounts.id, h.accounts.type, h.accounts.cash, h.accounts.reserve))}\n"
            f"securities={list(zip(h.securities.symbol, h.securities.price, h.securities.asset_class, h.securities.wash_group, h.securities.spread_bps))}\n"
            f"lots={rows(lots)}\ntargets={list(zip(h.classes, h.class_target, h.class_band))}\n"
            f"history={list(zip(h.history.date.astype(str), h.history.symbol, h.history.realized_gain))}\n"
            f"flows={list(zip(h.cashflows.date.astype(str), h.cashflows.account, h.cashflows.amount, h.cashflows.symbol))}\n"
            f"tax={h.tax}\nsettings={h.settings}")


def _bounds_hold(h, ev) -> bool:
    """Every class in its band, or (partial) closed by the required fraction of its gap."""
    before = np.abs(ev.weights_before - h.class_target)
    after = np.abs(ev.weights_after - h.class_target)
    limit = h.class_band.copy()
    if h.settings.partial is not None:
        outside = before > h.class_band + models.tolerances.WEIGHT_TOL
        limit = np.where(outside, (1 - h.settings.partial) * before, limit)
    return bool((after <= limit + models.tolerances.WEIGHT_TOL).all())


# ---- the properties ---------------------------------------------------------------------------
def checked_plan(h):
    """Plan ``h`` and assert what every plan owes, in any tax mode: infeasible only where doing
    nothing breaks a rule; optimal within its declared tolerance (or stopped by the clock with
    whole shares); the model's tax, trading cost and drift equal to the evaluator's to the cent;
    no rule broken; never worse than doing nothing. None for a rightly infeasible household."""
    note = _describe(h)
    nothing = evaluate(h, EMPTY_TRADES)
    try:
        p = plan(h)
    except models.InfeasiblePlan as error:
        assert nothing.violations, f"called infeasible ({error}) but doing nothing is feasible\n{note}"
        return None
    ev = p.evaluation
    if p.status is models.SolveStatus.TIME_LIMIT:
        assert h.settings.whole_shares, f"continuous sizes should solve in time\n{note}"
        assert np.isfinite(p.gap), note
    else:
        assert p.status is models.SolveStatus.OPTIMAL, note
        # Within the declared tolerance (whole shares: the drift penalty of one share per account).
        assert 0 <= p.gap <= p.solver["gap_tolerance"] + TOL, note
        assert p.solver["gap_tolerance"] >= h.settings.mip_gap_abs_fraction * h.total_value - TOL, note
    # The model's tax equals the evaluator's to the cent, cross-offsets and the limit included.
    assert ev.tax_cost == pytest.approx(p.model["tax_cost"], abs=TOL), note
    assert ev.trading_cost == pytest.approx(p.model["trading_cost"], abs=TOL), note
    assert ev.drift_penalty == pytest.approx(p.model["drift_penalty"], abs=TOL), note
    assert ev.violations == [], note
    assert _bounds_hold(h, ev), note
    if not nothing.violations:
        assert ev.objective <= nothing.objective + TOL + p.gap, note
    return p


# ---- the properties ---------------------------------------------------------------------------
@PROFILE
@given(h=households())
def test_plan_is_exact_compliant_and_no_worse_than_doing_nothing(h):
    p = checked_plan(h)
    if p is None:
        return
    note, ev = _describe(h), p.evaluation
    # Cash is a class: the weights (cash above the reserves included) add to 1, before and after,
    # and the model's drift is the evaluator's (its charged deviation, dollars, per class).
    assert h.classes[h.cash_class] == "cash", note
    assert ev.weights_before.sum() == pytest.approx(1.0, abs=1e-9), note
    # Commissions leave the household: the weights after add to 1 less what they took.
    paid = h.settings.commission_usd * len(p.trades) / h.allocation_value
    assert ev.weights_after.sum() == pytest.approx(1.0 - paid, abs=1e-9), note
    idle = ev.ledger.cash_after.sum() - h.accounts.reserve.sum()
    assert ev.weights_after[h.cash_class] * h.allocation_value == pytest.approx(idle, abs=TOL), note


@PROFILE
@given(h=households())
def test_plan_is_never_worse_than_a_heuristic_on_its_own_objective(h):
    """Every heuristic's list that breaks no rule, judged by the same evaluator (idle cash is
    drift for both), scores no better than the plan, within the plan's reported gap."""
    from planner.heuristics import all_heuristics
    note = _describe(h)
    try:
        p = plan(h)
    except models.InfeasiblePlan:
        return
    for heuristic in all_heuristics():
        ev = evaluate(h, heuristic.plan(h))
        if ev.violations:
            continue
        assert p.evaluation.objective <= ev.objective + p.gap + TOL, f"{heuristic.name}\n{note}"


def test_plan_is_not_worse_than_a_heuristic_selling_two_recent_lots_of_one_group():
    """Found by the property above at 200 examples: the optimizer stopped at the band's edge
    (us_equity 15%) where band_rebalance_hifo, breaking no rule, reaches the target by selling
    both lots bought on 2026-11-05 in one wash group (17.08 against 16.54). L5's loss (3 × 7.33)
    washes into L4, sold just before it (same day, lots.csv order): the ledger moves it into
    L4's finished sale, both short-term, so the year's result is unchanged, $21.99 disallowed
    and none kept. The priced model forbade that wash; it now prices it."""
    from planner.heuristics import all_heuristics
    securities = [("S0", 10.0, "us_equity", "g0", 0.0), ("S1", 10.0, "intl_equity", "i0", 0.0),
                  ("S2", 10.0, "us_equity", "g0", 0.0), ("S3", 24.45, "us_equity", "g0", 0.0),
                  ("S4", 10.0, "us_equity", "g0", 0.0), ("S5", 10.0, "us_equity", "g0", 0.0)]
    lots = [(f"L{k}", "T1", "S0", 3.0, 12.0, "2015-03-10") for k in range(4)] + [
        ("L4", "T1", "S0", 3.0, 12.0, "2026-11-05"), ("L5", "T1", "S3", 3.0, 95.35, "2026-11-05")]
    h = make(accounts=[("T1", "taxable", 0.0, 0.0), ("A1", "traditional", 0.0, 0.0)],
             securities=securities, lots=lots,
             targets=[("us_equity", 0.05, 0.1), ("intl_equity", 0.95, 0.1), ("cash", 0.0, 0.1)],
             tax=dict(carryforward_value=0.0), band=0.1, drift_penalty_bp=1.0, time_limit_s=5.0)
    p = plan(h)
    heuristic = next(x for x in all_heuristics() if x.name == "band_rebalance_hifo")
    ev = evaluate(h, heuristic.plan(h))
    assert not ev.violations
    assert p.evaluation.objective <= ev.objective + p.gap + TOL


def test_price_is_never_infeasible_where_avoid_finds_a_plan():
    """Found by test_never_worse_than_brute_force at 200 examples: us_equity is 89.6% against
    30% ± 10; the band needs part of L2 (bought 2026-11-05 at a loss) sold, and the priced
    model sold a replacement lot (L2 is one for L1's loss) whole or not at all, so it found no
    plan. It now sells any part of it: the shares L1's loss washed into go first and carry it
    back (Treas. Reg. 1.1091-1(d)), priced in the program itself, no fallback to avoid."""
    h = make(accounts=[("T1", "taxable", 0.0, 0.0), ("A1", "traditional", 0.0, 0.0)],
             securities=[("S0", 10.0, "us_equity", "g0", 0.0), ("S1", 10.0, "intl_equity", "i0", 0.0),
                         ("S2", 10.0, "us_equity", "g0", 0.0)],
             lots=[("L0", "T1", "S0", 3.0, 12.0, "2015-03-10"), ("L1", "T1", "S0", 40.0, 420.0, "2015-03-10"),
                   ("L2", "T1", "S0", 300.0, 3150.0, "2026-11-05"), ("L3", "T1", "S1", 40.0, 160.0, "2015-03-10")],
             targets=[("us_equity", 0.3, 0.1), ("intl_equity", 0.7, 0.1), ("cash", 0.0, 0.1)],
             tax=dict(carryforward_value=0.0), band=0.1, drift_penalty_bp=1.0,
             mip_gap_abs_fraction=1e-9)
    p = plan(h)
    avoid = plan(h, wash_sale=models.WashSale.AVOID)
    assert p.evaluation.violations == [] and p.evaluation.objective <= avoid.evaluation.objective + TOL
    assert p.summary()["solver"]["wash_sale"].startswith("price:")
    assert p.evaluation.tax_cost == pytest.approx(p.model["tax_cost"], abs=TOL)


@PROFILE
@given(h=households())
def test_tax_cost_is_exact_under_cross_offsets_for_any_sales(h):
    """The MILP's tax term equals the evaluator's tax cost of the plan's trades, to the cent.

    Here the optimizer is asked to rebalance to the targets at almost any tax (a huge drift
    penalty), so its sales land anywhere on the Schedule D map, not only where the tax is lowest.
    """
    try:
        p = plan(h, drift_penalty_bp=500.0, rebalance_inside_band=True, whole_shares=False,
                 min_trade_usd=0.0)
    except models.InfeasiblePlan:
        return
    assert p.evaluation.tax_cost == pytest.approx(p.model["tax_cost"], abs=TOL), _describe(h)
    assert p.evaluation.violations == [], _describe(h)


# ---- brute force on tiny households -------------------------------------------------------------
@st.composite
def tiny_households(draw):
    n_classes = 2
    securities = draw(securities_st(n_classes, max_securities=4))
    classes = sorted({s[2] for s in securities}, key=CLASSES.index)
    accounts = [("T1", "taxable", draw(st.sampled_from(CASH)), 0.0)]
    if draw(st.booleans()):
        accounts.append(("A1", draw(st.sampled_from(["traditional", "roth"])),
                         draw(st.sampled_from(CASH)), 0.0))
    n_taxable = draw(st.integers(1, 4))
    lots = [_lot(draw, k, "T1", securities) for k in range(n_taxable)]
    if len(accounts) > 1:
        lots += [_lot(draw, n_taxable + k, "A1", securities) for k in range(draw(st.integers(0, 2)))]
    transactions = None
    if draw(st.booleans()):
        sec = draw(st.sampled_from(securities))
        transactions = [("2026-11-20", "T1", sec[0], "sell", 10.0, sec[1], "", -250.0)]
    return make(accounts=accounts, securities=securities, lots=lots,
                targets=_targets(draw, classes, band_choices=(None,)), transactions=transactions,
                tax=_tax(draw), band=draw(st.sampled_from([0.05, 0.1])),
                drift_penalty_bp=draw(st.sampled_from([1.0, 10.0, 60.0])),
                rebalance_inside_band=draw(st.booleans()), mip_gap_abs_fraction=STRICT_GAP)


def best_completion(h, taxable_sell: dict[int, float]):
    """Given dollars sold of each taxable lot, the best rule-abiding rest of the plan (an LP).

    Variables: dollars sold of each lot in a tax-advantaged account, dollars bought per
    (account, buyable security) outside banned wash groups, and the charged drift per class.
    Minimizes spread + drift penalty (the tax is fixed by ``taxable_sell``). Returns a trade
    list, or None when no completion keeps the bands and the cash.
    """
    V = h.allocation_value      # class weights are fractions of it (cash above the reserves)
    n_classes = len(h.classes)
    value = h.lot_value
    gain = value - h.lots.cost_basis
    restrictions = models.ledger.wash_restrictions(h)
    banned = set(restrictions.no_buy_until)
    banned |= {int(h.security_group[h.lots.security[i]]) for i, usd in taxable_sell.items()
               if usd > 0 and gain[i] < 0}
    adv = [i for i in range(len(h.lots)) if not h.lot_taxable[i]]
    buy_cols = [(a, j) for a, j in zip(*np.nonzero(h.can_buy)) if h.security_group[j] not in banned]
    n_adv, n_buy = len(adv), len(buy_cols)
    n = n_adv + n_buy + n_classes
    spread = h.securities.spread_bps / 2e4
    c = np.zeros(n)
    c[:n_adv] = spread[h.lots.security[adv]] if n_adv else []
    c[n_adv:n_adv + n_buy] = [spread[j] for _, j in buy_cols]
    c[n_adv + n_buy:] = models.allocation.penalty_per_unit_gap(h) / V
    bounds = [(0, value[i]) for i in adv] + [(0, None)] * n_buy + [(0, None)] * n_classes
    # Fixed parts: the taxable sales.
    cash0 = h.accounts.cash + h.account_flows
    cls0 = models.allocation.class_values(
        h, np.bincount(h.lots.security, h.lots.quantity, minlength=len(h.securities)), cash0)
    cash_fixed, cls_fixed = cash0.copy(), cls0.copy()
    for i, usd in taxable_sell.items():
        cash_fixed[h.lots.account[i]] += usd
        cls_fixed[h.security_class[h.lots.security[i]]] -= usd
    # Linear maps of the variables onto account cash and class values.
    n_acc = len(h.accounts)
    to_cash = np.zeros((n_acc, n))
    to_cls = np.zeros((n_classes, n))
    for k, i in enumerate(adv):
        to_cash[h.lots.account[i], k] += 1
        to_cls[h.security_class[h.lots.security[i]], k] -= 1
    for k, (a, j) in enumerate(buy_cols):
        to_cash[a, n_adv + k] -= 1
        to_cls[h.security_class[j], n_adv + k] += 1
    A, b = [], []
    # cash_end >= reserve  →  -to_cash x <= cash_fixed - reserve
    A += list(-to_cash)
    b += list(cash_fixed - h.accounts.reserve)
    target = h.class_target * V
    start_gap = np.abs(cls0 - target)
    free = np.zeros(n_classes) if models.allocation.rebalance_owed(h) else start_gap
    limit = h.class_band * V - 1e-7 * V
    for k in range(n_classes):
        dev = np.zeros(n)
        dev[n_adv + n_buy + k] = 1
        g_const = cls_fixed[k] - target[k]
        # band: |g| <= limit
        A.append(to_cls[k]); b.append(limit[k] - g_const)
        A.append(-to_cls[k]); b.append(limit[k] + g_const)
        # drift charged: dev >= g - free, dev >= -g - free
        A.append(to_cls[k] - dev); b.append(free[k] - g_const)
        A.append(-to_cls[k] - dev); b.append(free[k] + g_const)
    sells_gain = any(usd > 0 and gain[i] > 0 for i, usd in taxable_sell.items())
    if h.settings.cash_first and sells_gain:
        from models.rulebook import cash_first_tolerance, investable_accounts
        inv = investable_accounts(h)
        A.append(to_cash[inv].sum(axis=0))
        b.append(0.5 * cash_first_tolerance(h) - (cash_fixed - h.accounts.reserve)[inv].sum())
    result = linprog(c, A_ub=np.array(A), b_ub=np.array(b), bounds=bounds, method="highs")
    if result.status != 0:
        return None
    x = result.x
    rows = []
    for i, usd in taxable_sell.items():
        if usd > 0:
            q = h.lots.quantity[i] * usd / value[i]
            rows.append(_row(h, h.lots.account[i], h.lots.security[i], "sell", q, h.lots.id[i]))
    for k, i in enumerate(adv):
        if x[k] >= 0.01:
            q = min(h.lots.quantity[i], x[k] / h.lot_price[i])
            rows.append(_row(h, h.lots.account[i], h.lots.security[i], "sell", q, h.lots.id[i]))
    for k, (a, j) in enumerate(buy_cols):
        if x[n_adv + k] >= 0.01:
            rows.append(_row(h, a, j, "buy", x[n_adv + k] / h.securities.price[j], ""))
    return pd.DataFrame(rows, columns=["date", "account_id", "symbol", "action", "quantity",
                                       "price", "lot_id"])


def _row(h, a, j, action, quantity, lot_id):
    return ("2026-12-01", h.accounts.id[a], h.securities.symbol[j], action, float(quantity),
            float(h.securities.price[j]), lot_id)


@settings(max_examples=max(EXAMPLES - 5, 1), deadline=None, derandomize=DERANDOMIZE, print_blob=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(h=tiny_households())
def test_never_worse_than_brute_force(h):
    checked_against_brute_force(h)


def checked_against_brute_force(h):
    """Every combination of none / half / all of each taxable lot, the rest of the plan by an
    LP, each judged by the evaluator: the plan breaks no rule and is no worse than the best of
    them (infeasible only where none complies). The plan, or None when rightly infeasible."""
    note = _describe(h)
    taxable = [i for i in range(len(h.lots)) if h.lot_taxable[i]]
    candidates = []
    for fractions in itertools.product((0.0, 0.5, 1.0), repeat=len(taxable)):
        sell = {i: f * h.lot_value[i] for i, f in zip(taxable, fractions)}
        trades = best_completion(h, sell)
        if trades is None:
            continue
        ev = evaluate(h, trades)
        if not ev.violations:
            candidates.append((ev.objective, fractions))
    try:
        p = plan(h)
    except models.InfeasiblePlan as error:
        assert not candidates, f"infeasible ({error}) but {candidates[0]} complies\n{note}"
        return None
    assert p.evaluation.violations == [], note
    if candidates:
        best = min(candidates)
        assert p.evaluation.objective <= best[0] + TOL, \
            f"optimizer {p.evaluation.objective:.4f} > brute force {best[0]:.4f} {best[1]}\n{note}"
    return p
