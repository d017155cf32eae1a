"""wash_sale = "price": the program prices every wash exactly as the evaluator judges it.

Random households built to wash: recent purchases in every account type (taxable, a spouse's
taxable, IRA, Roth, HSA), several securities in one wash group, history buys and loss sales of
the last 30 days, scheduled purchases before and after as_of, replacement lots at a gain and at
a loss that the plan may sell too. For every one, the plan's tax cost, disallowed, permanently
disallowed and deferred dollars equal the evaluator's to the cent, the plan breaks no rule,
and it is never worse on the objective than the plan under ``avoid``.
"""
from __future__ import annotations

import os
import warnings
from unittest.mock import patch

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner import evaluate, models
from planner.optimizer import plan
from planner.washes import SCOPES, WashPricing

from tests.optimizer_cases import EMPTY_TRADES, make

WashSale = models.WashSale
TOL = 0.01
EXAMPLES = int(os.environ.get("PLANNER_PROPERTY_EXAMPLES", "10"))   # 10: ~15 s of the suite
DERANDOMIZE = "PLANNER_PROPERTY_EXAMPLES" not in os.environ
PROFILE = settings(max_examples=EXAMPLES, deadline=None, derandomize=DERANDOMIZE, print_blob=True,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

OLD = ["2015-03-10", "2021-07-01", "2025-06-15", "2026-03-02"]
RECENT = ["2026-11-01", "2026-11-05", "2026-11-20", "2026-11-28", "2026-12-01"]
RATIOS = [0.6, 0.9, 1.0, 1.1, 1.4, 2.0]      # basis / value


@st.composite
def washing_households(draw):
    securities = [("X1", 50.0, "us_equity", "sp500", 0.0), ("X2", 25.0, "us_equity", "sp500", 2.0),
                  ("Y", 40.0, "us_equity", "total", 1.0), ("B", 10.0, "bonds", "agg", 1.0)]
    if draw(st.booleans()):
        securities.append(("I", 30.0, "intl_equity", "intl", 2.0))
    classes = sorted({s[2] for s in securities})
    accounts = [("T1", "taxable", draw(st.sampled_from([0.0, 500.0, 5000.0])), 0.0)]
    for name, kind in (("T2", "taxable"), ("IRA", "traditional"), ("ROTH", "roth"), ("HSA", "hsa")):
        if draw(st.booleans()):
            accounts.append((name, kind, draw(st.sampled_from([0.0, 300.0, 3000.0])), 0.0))
    ids = [a[0] for a in accounts]
    symbols = [s[0] for s in securities]
    price = {s[0]: s[1] for s in securities}
    lots = []
    for k in range(draw(st.integers(2, 7))):          # older lots, mostly taxable
        sym = draw(st.sampled_from(symbols))
        qty = draw(st.sampled_from([10.0, 40.0, 100.0]))
        account = "T1" if k < 2 else draw(st.sampled_from(ids))
        lots.append((f"L{k}", account, sym, qty, round(qty * price[sym] * draw(st.sampled_from(RATIOS)), 2),
                     draw(st.sampled_from(OLD))))
    for k in range(draw(st.integers(1, 4))):          # recent purchases in any account
        sym = draw(st.sampled_from(["X1", "X2", "X1", "Y"]))
        qty = draw(st.sampled_from([3.0, 20.0, 60.0]))
        lots.append((f"R{k}", draw(st.sampled_from(ids)), sym, qty,
                     round(qty * price[sym] * draw(st.sampled_from([0.9, 1.0, 1.15])), 2),
                     draw(st.sampled_from(RECENT))))
    transactions = []
    if draw(st.booleans()):   # a loss sold recently, partly replaced perhaps
        transactions.append((draw(st.sampled_from(["2026-11-03", "2026-11-25"])), "T1",
                             draw(st.sampled_from(["X1", "X2", "Y"])), "sell",
                             draw(st.sampled_from([10.0, 50.0])), 40.0, "", -300.0))
    if draw(st.booleans()):   # a history buy that is no lot of lots.csv
        transactions.append(("2026-11-15", draw(st.sampled_from(ids)), draw(st.sampled_from(["X1", "X2"])),
                             "buy", draw(st.sampled_from([5.0, 30.0])), 50.0, ""))
    cashflows = []
    if draw(st.booleans()):   # scheduled purchases: on as_of, after it, or beyond the window
        cashflows.append((draw(st.sampled_from(["2026-12-01", "2026-12-10", "2026-12-28", "2027-01-05"])),
                          draw(st.sampled_from(ids)), draw(st.sampled_from([100.0, 1500.0])),
                          draw(st.sampled_from(["X1", "X2", "Y"]))))
    if draw(st.booleans()):
        cashflows.append(("2026-12-01", draw(st.sampled_from(ids)), 4000.0, ""))
    weights = draw(st.sampled_from([[0.5, 0.5], [0.7, 0.3]])) if len(classes) == 2 else [0.25, 0.2, 0.55]
    targets = [(c, w, None) for c, w in zip(classes, weights)]
    tax = dict(short_term_rate=0.37, long_term_rate=draw(st.sampled_from([0.238, 0.15])),
               deduction_rate=draw(st.sampled_from([0.37, 0.24])),
               carryforward_value=draw(st.sampled_from([0.0, 0.1, 0.3])),
               realized_short_term=draw(st.sampled_from([0.0, 6000.0, -2000.0])),
               realized_long_term=draw(st.sampled_from([0.0, 3000.0])),
               carryover_long_term=draw(st.sampled_from([0.0, 4000.0])))
    return make(accounts=accounts, securities=securities, lots=lots, targets=targets,
                transactions=transactions or None, cashflows=cashflows or None, tax=tax,
                band=draw(st.sampled_from([0.05, 0.2])), drift_penalty_bp=draw(st.sampled_from([1.0, 10.0, 60.0])),
                rebalance_inside_band=draw(st.booleans()), time_limit_s=20.0)


def _assert_exact(p, note=""):
    ev, model = p.evaluation, p.model
    assert ev.violations == [], note
    assert ev.tax_cost == pytest.approx(model["tax_cost"], abs=TOL), note
    assert ev.disallowed == pytest.approx(model["disallowed"], abs=TOL), note
    assert ev.permanently_disallowed == pytest.approx(model["permanently_disallowed"], abs=TOL), note
    assert ev.deferred == pytest.approx(model["deferred_kept"], abs=TOL), note
    assert ev.objective == pytest.approx(model["objective"], abs=TOL), note


@PROFILE
@given(h=washing_households())
def test_priced_washes_are_exact_and_never_worse_than_avoiding_them(h):
    note = repr(h.lots) + repr(h.history) + repr(h.cashflows) + repr(h.tax) + repr(h.settings)
    try:
        avoid = plan(h, wash_sale=WashSale.AVOID)
    except models.InfeasiblePlan:
        avoid = None
    try:
        priced = plan(h)
    except models.InfeasiblePlan:
        assert avoid is None, "price is infeasible where avoid is not\n" + note
        return
    assert priced.status is models.SolveStatus.OPTIMAL, note
    _assert_exact(priced, note)
    if avoid is not None:
        assert priced.objective <= avoid.objective + priced.gap + avoid.gap + TOL, note


@PROFILE
@given(h=washing_households())
def test_priced_washes_are_exact_when_the_plan_must_trade_hard(h):
    """A heavy drift penalty pushes the sales anywhere on the map, washed or not."""
    try:
        p = plan(h, drift_penalty_bp=400.0, rebalance_inside_band=True)
    except models.InfeasiblePlan:
        return
    _assert_exact(p, repr(h.lots) + repr(h.history) + repr(h.cashflows))


@settings(PROFILE, max_examples=max(EXAMPLES // 2, 1))   # two plans each: half the examples
@given(h=washing_households(), scope=st.sampled_from(SCOPES[1:]))
def test_narrowed_scopes_are_exact_and_never_worse_than_avoiding(h, scope):
    """A book with too many pairs prices less (washes.Scope) before it falls back to avoid:
    each narrower program is exact too, and still never worse than avoid."""
    note = repr(h.lots) + repr(h.history) + repr(h.cashflows) + repr(h.tax) + repr(h.settings)
    try:
        avoid = plan(h, wash_sale=WashSale.AVOID)
    except models.InfeasiblePlan:
        avoid = None
    with patch.object(WashPricing, "scope_for", classmethod(lambda cls, *_: scope)):
        try:
            p = plan(h)
        except models.InfeasiblePlan:
            assert avoid is None, "price is infeasible where avoid is not\n" + note
            return
    _assert_exact(p, note)
    assert scope.note() in p.summary()["solver"]["wash_sale"], note
    if avoid is not None:
        assert p.objective <= avoid.objective + p.gap + avoid.gap + TOL, note


# ---- worked cases -------------------------------------------------------------------------
def _issue_household(**settings):
    """Old loss lot A; a recent taxable buy R (at a loss) and a 3-share IRA dividend D in its
    wash group; bonds to rebalance into. Realized short-term gains of 20,000 this year."""
    return make(accounts=[("T1", "taxable", 0.0, 0.0), ("IRA", "traditional", 1000.0, 0.0)],
                securities=[("X", 10.0, "us_equity", "x", 0.0), ("Y", 10.0, "us_equity", "y", 0.0),
                            ("B", 10.0, "bonds", "b", 0.0)],
                lots=[("A", "T1", "X", 100, 1500.0, "2024-01-05"), ("R", "T1", "X", 50, 550.0, "2026-11-20"),
                      ("D", "IRA", "X", 3, 30.0, "2026-11-25"), ("C", "T1", "B", 100, 1000.0, "2020-01-01")],
                targets=[("us_equity", 0.6, None), ("bonds", 0.4, None)],
                tax=dict(realized_short_term=20000.0), **settings)


def test_a_small_recent_purchase_no_longer_blocks_the_harvest():
    # A: 100 sh basis 1,500 at 10 -> loss 500, long-term. Matched in acquisition order: R's 50
    # sh (11-20) wash 50 x 5 = 250 into R's basis, the IRA's 3 sh (11-25) wash 15 for good.
    # The plan sells R too: R's 50 sh now carry basis 550 + 250 = 800 and A's holding period,
    # so R's sale is a long-term loss of 300. Year: LT -500 + 265 - 300 = -535, ST +20,000:
    # the LT loss offsets ST gain at 37%: tax cost -0.37 x 535 = -197.95. Under avoid A and R
    # cannot be sold at all (tax cost 0).
    p = plan(_issue_household())
    _assert_exact(p)
    assert p.tax_cost == pytest.approx(-197.95, abs=TOL)
    assert set(p.trades.loc[p.trades["action"] == "sell", "lot_id"]) == {"A", "R"}
    washes = p.evaluation.washes_frame()
    assert sorted(zip(washes["replacement_lot"], washes["shares"], washes["disallowed"], washes["treatment"])) == [
        ("D", 3.0, pytest.approx(15.0), "permanent"), ("R", 50.0, pytest.approx(250.0), "deferred")]
    assert p.evaluation.permanently_disallowed == pytest.approx(15.0)
    avoid = plan(_issue_household(), wash_sale=WashSale.AVOID)
    assert avoid.tax_cost == pytest.approx(0.0, abs=TOL) and avoid.objective > p.objective


def test_a_chain_back_into_a_lot_sold_earlier_that_day_is_priced_exactly():
    """Found at 200 examples (a ledger slip, fixed). R2 (20 sh, basis 57.50, bought 11-01) and
    R0, R1 (3 sh each, basis 45, bought 11-05), all X1 at 50, sold on as_of in that order."""
    # R2: loss 7.50 a share; it washes into R0 and R1 (its own 20 sh never): 6 x 7.50 = 45
    # disallowed, R0 and R1 now basis 52.50 a share. R0 sold: 3 x -2.50 = -7.50, washed into
    # the earliest unused shares, R2's, already sold: the ledger moves it into that sale (3 of
    # R2's sold shares, basis +2.50). R1 likewise into 3 more (not into R0's shares again:
    # those already replaced R2's loss). Year, all short-term: R2 -150 + 45 - 7.50 - 7.50,
    # R0 -7.50 + 7.50, R1 the same: -120 = the economic result of the three lots, nothing
    # kept; disallowed 45 + 7.50 + 7.50 = 60.
    h = make(accounts=[("T1", "taxable", 0.0, 0.0), ("HSA", "hsa", 0.0, 0.0)],
             securities=[("X1", 50.0, "us_equity", "sp500", 0.0), ("Y", 40.0, "us_equity", "total", 1.0),
                         ("B", 10.0, "bonds", "agg", 1.0), ("I", 30.0, "intl_equity", "intl", 2.0)],
             lots=[("L0", "T1", "X1", 10.0, 300.0, "2015-03-10"), ("L1", "T1", "X1", 10.0, 300.0, "2015-03-10"),
                   ("R0", "T1", "X1", 3.0, 135.0, "2026-11-05"), ("R1", "T1", "X1", 3.0, 135.0, "2026-11-05"),
                   ("R2", "T1", "X1", 20.0, 1150.0, "2026-11-01")],
             targets=[("bonds", 0.25, None), ("intl_equity", 0.2, None), ("us_equity", 0.55, None)],
             tax=dict(short_term_rate=0.37, carryforward_value=0.0), band=0.05, drift_penalty_bp=400.0,
             rebalance_inside_band=True)
    trades = pd.DataFrame([("2026-12-01", "T1", "X1", "sell", q, 50.0, lot)
                           for lot, q in (("R2", 20.0), ("R0", 3.0), ("R1", 3.0))],
                          columns=["date", "account_id", "symbol", "action", "quantity", "price", "lot_id"])
    ev = evaluate(h, trades)
    assert ev.ledger.short_term == pytest.approx(-120.0) and ev.ledger.long_term == pytest.approx(0.0)
    assert ev.disallowed == pytest.approx(60.0) and ev.deferred == pytest.approx(0.0)
    p = plan(h)
    _assert_exact(p)
    assert {"R0", "R1", "R2"} <= set(p.trades["lot_id"])


def test_wash_sale_false_no_longer_lets_the_optimizer_ignore_the_law():
    # Regression (issue 11): --set wash_sale=false made the optimizer ignore the rule while the
    # evaluator applied it (the plan bought back what it harvested, 5 violations, $2,743 less
    # benefit than claimed). The old booleans now map to settings the evaluator shares:
    # false -> "price" (washes priced exactly), true -> "avoid".
    with pytest.warns(FutureWarning, match="deprecated"):
        h = _issue_household(wash_sale=False)
    assert h.settings.wash_sale is WashSale.PRICE
    p = plan(h)
    _assert_exact(p)
    with pytest.warns(FutureWarning):
        assert _issue_household(wash_sale=True).settings.wash_sale is WashSale.AVOID


def test_the_command_line_maps_the_old_boolean_and_rejects_nonsense():
    def fail(message):
        raise models.InputError("--set", message, column="wash_sale")
    assert models.loading.coerce_setting("wash_sale", "price", fail) is WashSale.PRICE
    assert models.loading.coerce_setting("wash_sale", "false", fail) is False   # mapped below
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        assert models.PlanSettings(wash_sale=False).wash_sale is WashSale.PRICE
    with pytest.raises(models.InputError, match="expected one of price, avoid"):
        models.loading.coerce_setting("wash_sale", "ignore", fail)


def test_under_avoid_every_wash_is_a_violation_and_under_price_none():
    h = _issue_household()
    trades = plan(h).trades
    priced = evaluate(h, trades)
    avoided = evaluate(h.with_settings(wash_sale=WashSale.AVOID), trades)
    assert priced.violations == [] and len(priced.washes_frame()) == 2
    assert [v["rule"] for v in avoided.violations] == ["wash_sale"]
    assert evaluate(h, EMPTY_TRADES).washes_frame().empty
    assert np.isclose(priced.tax_cost, avoided.tax_cost)


def test_a_wash_group_lists_its_purchases_once_and_each_lot_how_far_a_sale_reaches():
    # Group x (as_of 2026-12-01), purchases in the order a sale today is matched to them: P1 20 sh
    # taxable 11-10, P2 30 sh IRA 11-15, P3 40 sh taxable 11-28: free from 11-28 + 31 = 12-29.
    # A (100 sh, old): washes min(100, 90) = 90 sh, all three purchases, of them P2's 30 for good.
    # S (10 sh, old): 10 sh, all from P1 (taxable): none for good, one purchase reached.
    # P1 (its own purchase skipped): 20 sh from P2 (IRA): 20 for good; free 12-29 (P3).
    # P3: 40 of the 50 others: P1's 20 then 20 of P2's (for good): two purchases; its own is the
    # group's last, so it is free from P2's 11-15 + 31 = 12-16. G (a gain) is not listed.
    from planner.explain import blocked_groups
    h = make(accounts=[("T1", "taxable", 0.0, 0.0), ("IRA", "traditional", 1000.0, 0.0)],
             securities=[("X", 10.0, "us_equity", "x", 0.0), ("B", 10.0, "bonds", "b", 0.0)],
             lots=[("A", "T1", "X", 100, 1500.0, "2024-01-05"), ("S", "T1", "X", 10, 120.0, "2024-02-01"),
                   ("P1", "T1", "X", 20, 240.0, "2026-11-10"), ("P2", "IRA", "X", 30, 300.0, "2026-11-15"),
                   ("P3", "T1", "X", 40, 480.0, "2026-11-28"), ("G", "T1", "X", 10, 50.0, "2020-01-01"),
                   ("C", "T1", "B", 100, 1000.0, "2020-01-01")],
             targets=[("us_equity", 0.6, None), ("bonds", 0.4, None)])
    (group,) = blocked_groups(h).groups
    assert (group["wash_group"], group["free_to_harvest_from"]) == ("x", "2026-12-29")
    assert [(x["what"], x["account_id"], x["date"], x["shares"], x["tax_advantaged"])
            for x in group["blocked_by"]] == [("lot P1", "T1", "2026-11-10", 20.0, False),
                                              ("lot P2", "IRA", "2026-11-15", 30.0, True),
                                              ("lot P3", "T1", "2026-11-28", 40.0, False)]
    assert [(b["lot_id"], b["unrealized_loss"], b["shares_a_sale_today_washes"], b["of_them_lost_for_good"],
             b["purchases_reached"], b["free_to_harvest_from"]) for b in group["lots"]] == [
        ("A", 500.0, 90.0, 30.0, 3, "2026-12-29"), ("S", 20.0, 10.0, 0.0, 1, "2026-12-29"),
        ("P1", 40.0, 20.0, 20.0, 1, "2026-12-29"), ("P3", 80.0, 40.0, 20.0, 2, "2026-12-16")]


def test_the_report_prepared_while_the_root_solves_is_the_one_made_after_it():
    """plan() prepares the blocked-loss groups while HiGHS solves the root and hands them to its
    plan; judged with nothing prepared, the same solve gives the same summary.json (timings
    apart), and a second plan of the household gets lot records of its own."""
    import json
    import time

    from planner import explain, load_household
    from planner.judge import judge
    from planner.problem import PlanProblem
    from tests.helpers import EXAMPLES

    def without_timings(summary):
        return json.dumps({**summary, "solver": {**summary["solver"], "seconds": None}})

    h = load_household(EXAMPLES / "scenario_d")
    threaded = plan(h)
    prepared = explain._BLOCKED[h]      # prepared during the solve, taken by the summary
    assert threaded.summary()["blocked_losses"] is prepared.groups and h not in explain._BLOCKED
    problem = PlanProblem(h)
    sequential = judge(problem, problem.solve(), time.perf_counter())
    assert without_timings(sequential.summary()) == without_timings(threaded.summary())
    assert sequential.summary()["blocked_losses"][0]["lots"][0] is not \
        threaded.summary()["blocked_losses"][0]["lots"][0]


def test_blocked_losses_name_the_purchase_and_the_date_they_are_free():
    # Under avoid, A (old loss) is blocked by R (taxable, 11-20) and the IRA's D (11-25): free to
    # harvest from 11-25 + 31 days = 2026-12-26; R itself (its own purchase does not count) is
    # blocked by D only: 2026-12-26 too. A sale of A today would wash 53 shares, 3 for good,
    # reaching both purchases; one of R, D's 3 shares (for good), reaching one (R skipped).
    p = plan(_issue_household(), wash_sale=WashSale.AVOID)
    (group,) = p.summary()["blocked_losses"]
    assert (group["wash_group"], group["free_to_harvest_from"]) == ("x", "2026-12-26")
    assert [(x["account_id"], x["date"], x["shares"], x["tax_advantaged"], x["what"])
            for x in group["blocked_by"]] == [("T1", "2026-11-20", 50.0, False, "lot R"),
                                              ("IRA", "2026-11-25", 3.0, True, "lot D")]
    blocked = {b["lot_id"]: b for b in group["lots"]}
    assert list(blocked) == ["A", "R"]
    a, r = blocked["A"], blocked["R"]
    assert (a["free_to_harvest_from"], a["shares_a_sale_today_washes"], a["of_them_lost_for_good"],
            a["purchases_reached"], a["unrealized_loss"]) == ("2026-12-26", 53.0, 3.0, 2, 500.0)
    assert a["plan"].startswith("not sold: wash_sale = avoid")
    assert (r["free_to_harvest_from"], r["shares_a_sale_today_washes"], r["of_them_lost_for_good"],
            r["purchases_reached"]) == ("2026-12-26", 3.0, 3.0, 1)
    assert "until 2026-12-26" in p.summary()["classes"]["us_equity"]
    priced = plan(_issue_household()).summary()
    assert {b["lot_id"]: b["plan"] for g in priced["blocked_losses"] for b in g["lots"]}["A"].startswith(
        "sold anyway")
    (taken,) = priced["washes_taken"]
    assert taken["loss_lot"] == "A" and taken["lost_for_good"] == pytest.approx(15.0)
    assert taken["objective_gain_of_the_sale"] > 0 and "R, sold in the plan too" in taken["why"]
