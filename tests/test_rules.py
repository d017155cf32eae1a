"""Each planning rule of SPEC §3 on a household where it binds: the plan keeps it, and with the
rule switched off (by its setting or by removing the input that imposes it) the plan differs in
the way the rule forbids. Plans are judged by the evaluator; where a rule is off, the
evaluator, told the rule again, must find the breach in the unconstrained plan.
"""
from __future__ import annotations

import numpy as np
import pytest

from planner import evaluate, models
from planner.optimizer import plan

from tests.optimizer_cases import (bought_usd, buys, make, sells, sold_lots, sold_usd,
                                   taxable_gain_sells, trades, violations, weights)

US_BONDS = [("VTI", 100.0, "us_equity", "crsp", 1), ("ITOT", 50.0, "us_equity", "sp_tmi", 2),
            ("BND", 80.0, "bonds", "agg_fa", 1), ("AGG", 100.0, "bonds", "agg", 1)]
TARGET_60_40 = [("us_equity", 0.6), ("bonds", 0.4)]


def _rows(p):
    """A plan's trades as a plain trade list (for re-judging under other settings)."""
    return p.trades[["date", "account_id", "symbol", "action", "quantity", "price", "lot_id"]]


def _cash_after(p) -> dict[str, float]:
    h = p.household
    return dict(zip(h.accounts.id, p.evaluation.ledger.cash_after))


def _ok(p):
    assert p.evaluation.violations == []
    assert p.evaluation.tax_cost == pytest.approx(p.model["tax_cost"], abs=0.01)


# ---- wash sale -------------------------------------------------------------------------------
AVOID = models.WashSale.AVOID


def test_wash_sale_no_loss_sold_in_a_group_bought_within_30_days():
    """The IRA bought VTI 10 days ago. Under avoid the taxable VTI loss lot may not be
    harvested (that buy would wash part of it, for good); the ITOT loss lot may. Under price
    (the default) the VTI lot is sold: 50 of its 200 shares are washed (the IRA's 50), 50 x 30
    = 1,500 lost for good, the other 4,500 deducted against the short-term gains; the model
    prices it as the evaluator does, and avoid, told to judge the same trades, finds the wash."""
    h = make(accounts=[("T", "taxable", 0.0), ("IRA", "traditional", 0.0)], securities=US_BONDS,
             lots=[("VTI-loss", "T", "VTI", 200, 26000.0, "2025-06-01"),
                   ("ITOT-loss", "T", "ITOT", 300, 18000.0, "2025-06-01"),
                   ("IRA-VTI", "IRA", "VTI", 50, 5000.0, "2026-11-21"),
                   ("IRA-BND", "IRA", "BND", 380, 30000.0, "2019-01-01")],
             targets=TARGET_60_40, tax=dict(realized_short_term=20000.0))
    p = plan(h, wash_sale=AVOID)
    _ok(p)
    assert "VTI-loss" not in sold_lots(p)
    assert "ITOT-loss" in sold_lots(p)
    assert "ITOT" not in set(buys(p)["symbol"])            # nor buys back what it harvests

    priced = plan(h)
    _ok(priced)
    assert "VTI-loss" in sold_lots(priced)
    washed = evaluate(h.with_settings(wash_sale=AVOID), _rows(priced))
    assert violations(washed, "wash_sale")
    assert washed.sales_frame()["permanently_disallowed"].sum() == pytest.approx(1500.0)
    assert priced.model["tax_cost"] < p.model["tax_cost"]            # what avoiding gives up


def test_wash_sale_no_buy_in_a_group_sold_at_a_loss_in_the_last_30_days():
    """VTI was sold at a loss on 2026-11-21: buying VTI now would wash it. Under avoid the plan
    buys us equity as ITOT even though ITOT's spread is wider. Under price it still does: the
    wash would disallow 800 of short-term loss (0.37 x 800 less 0.10 x 800 deferred = 216) to
    save 4.5 bp of spread on about 10,000 (about 4.50)."""
    sec = [("VTI", 100.0, "us_equity", "crsp", 0), ("ITOT", 50.0, "us_equity", "sp_tmi", 10),
           ("BND", 80.0, "bonds", "agg_fa", 1)]
    h = make(accounts=[("T", "taxable", 20000.0)], securities=sec,
             lots=[("B", "T", "BND", 500, 40000.0, "2015-01-01"),
                   ("V", "T", "VTI", 200, 18000.0, "2015-01-01")],
             transactions=[("2026-11-21", "T", "VTI", "sell", 50, 100.0, "", -800.0)],
             targets=TARGET_60_40)
    p = plan(h, wash_sale=AVOID)
    _ok(p)
    assert bought_usd(p, "VTI") == 0 and bought_usd(p, "ITOT") > 0
    assert {r["wash_group"]: r["no_buy_before"] for r in p.restriction_rows()} == {"crsp": "2026-12-22"}

    priced = plan(h)
    _ok(priced)
    assert bought_usd(priced, "VTI") == 0 and priced.objective <= p.objective + 0.01
    # A list that buys VTI anyway is judged by the same law: priced, or a violation under avoid.
    rows = _rows(priced).copy()
    rows.loc[rows["symbol"] == "ITOT", ["symbol", "price"]] = ["VTI", 100.0]
    rows.loc[rows["symbol"] == "VTI", "quantity"] /= 2
    assert evaluate(h, rows).disallowed == pytest.approx(800.0)
    assert violations(evaluate(h.with_settings(wash_sale=AVOID), rows), "wash_sale")


def test_wash_sale_plan_never_buys_a_group_it_harvests():
    """Harvest the taxable VTI loss and rebalance the IRA's cash into us equity: the IRA must
    buy ITOT (another wash group), not VTI, though VTI is cheaper to trade: under avoid by
    rule, under price because an IRA buy would lose the loss for good."""
    sec = [("VTI", 100.0, "us_equity", "crsp", 0), ("ITOT", 50.0, "us_equity", "sp_tmi", 10),
           ("BND", 80.0, "bonds", "agg_fa", 1)]
    h = make(accounts=[("T", "taxable", 0.0), ("IRA", "traditional", 30000.0)], securities=sec,
             lots=[("L", "T", "VTI", 300, 36000.0, "2025-01-01"),
                   ("B", "T", "BND", 500, 40000.0, "2015-01-01")],
             targets=TARGET_60_40, tax=dict(realized_short_term=20000.0))
    for p in (plan(h, wash_sale=AVOID), plan(h)):
        _ok(p)
        assert "L" in sold_lots(p)
        assert bought_usd(p, "VTI") == 0
        assert bought_usd(p, "ITOT", "IRA") > 0
        assert {r["wash_group"]: r["no_buy_before"] for r in p.restriction_rows()} == {"crsp": "2027-01-01"}


def test_infeasible_when_the_only_sellers_are_wash_blocked():
    """us_equity must fall from 80% to 65%, but its only sizeable lot is a loss a 5-share buy
    10 days ago would wash: under avoid, InfeasiblePlan naming the class and the rule; under
    price the lot is sold and the 5 shares bought 10 days ago wash 5 x 25 = 125 of its loss,
    deferred into their basis. (Without spreads the plan may also buy VTI back: a loss past the
    deduction limit is worth carryforward_value carried over or deferred alike.)"""
    h = make(accounts=[("T", "taxable", 0.0)],
             securities=[("VTI", 100.0, "us_equity", "crsp"), ("BND", 100.0, "bonds", "agg")],
             lots=[("L-loss", "T", "VTI", 800, 100000.0, "2025-01-10"),
                   ("L-new", "T", "VTI", 5, 450.0, "2026-11-21"),
                   ("L-bnd", "T", "BND", 200, 20000.0, "2020-01-01")],
             targets=TARGET_60_40)
    with pytest.raises(models.InfeasiblePlan) as caught:
        plan(h, wash_sale=AVOID)
    assert "wash_sale" in str(caught.value) and "us_equity" in str(caught.value)
    assert caught.value.reasons
    priced = plan(h)
    _ok(priced)
    assert "L-loss" in sold_lots(priced)
    washes = priced.evaluation.washes_frame()
    recent = washes[washes["replacement_lot"] == "L-new"]
    assert recent[["shares", "disallowed"]].values.tolist() == [[5.0, pytest.approx(125.0)]]
    assert set(washes["treatment"]) == {"deferred"}


# ---- cash flows first ---------------------------------------------------------------------------
def test_cash_first_no_winner_sold_while_cash_idles():
    """us_equity is over its band and can only come down by selling the VTI winner. With no drift
    penalty, leaving the $14,000 idle is cheapest; cash_first forbids that once a winner is
    sold, so the plan invests it."""
    sec = [("VTI", 100.0, "us_equity", "crsp", 1), ("VXUS", 50.0, "intl_equity", "ftse", 2)]
    h = make(accounts=[("T", "taxable", 10000.0)], securities=sec,
             lots=[("W", "T", "VTI", 700, 35000.0, "2015-01-01"),
                   ("X", "T", "VXUS", 600, 30000.0, "2015-01-01")],
             targets=[("us_equity", 0.55, 0.05), ("intl_equity", 0.45, 0.2)], drift_penalty_bp=0.0)
    p = plan(h)
    _ok(p)
    assert len(taxable_gain_sells(h, p))
    assert _cash_after(p)["T"] <= 1.0
    assert not violations(p.evaluation, "cash_first")

    off = plan(h, cash_first=False)
    # Without cash_first the cash stays idle up to the cash class's band (cash is an asset
    # class, target 0): 5% of 110,000 = 5,500.
    assert len(taxable_gain_sells(h, off)) and _cash_after(off)["T"] > 5000.0
    assert off.evaluation.violations == []                     # fine without the rule ...
    assert violations(evaluate(h, _rows(off)), "cash_first")   # ... a breach with it


# ---- band, relative band, partial rebalance -------------------------------------------------------
def _overweight_winner(**settings):
    sec = [("VTI", 100.0, "us_equity", "crsp", 1), ("BND", 80.0, "bonds", "agg_fa", 1),
           ("AGG", 100.0, "bonds", "agg", 1)]
    return make(accounts=[("T", "taxable", 0.0)], securities=sec,
                lots=[("W", "T", "VTI", 800, 40000.0, "2015-01-01"),
                      ("B", "T", "BND", 250, 20000.0, "2015-01-01")],
                targets=TARGET_60_40, **settings)


def test_band_full_and_partial_rebalance():
    """us_equity at 80% against 60% ± 5: without partial it ends at the band edge (65%); with
    partial = 0.5 it closes half its gap (70%), realizing less gain. Judged without partial,
    the partial plan breaks the band."""
    h = _overweight_winner(drift_penalty_bp=1.0)
    full = plan(h)
    _ok(full)
    assert weights(h, full.evaluation)["us_equity"] == pytest.approx(0.65, abs=1e-4)
    half = plan(h, partial=0.5)
    _ok(half)
    assert weights(h, half.evaluation)["us_equity"] == pytest.approx(0.70, abs=1e-4)
    assert half.evaluation.tax_cost < full.evaluation.tax_cost
    assert violations(evaluate(h, _rows(half)), "band")
    strict = plan(h, partial=0.9)
    assert weights(h, strict.evaluation)["us_equity"] <= 0.62 + 1e-6


def test_relative_band_is_the_tighter_one():
    """intl_equity targets 10%: ±5 pp absolute allows 6%, ±25% of the target (±2.5 pp) does not.
    us_equity starts outside its band so the plan rebalances; with relative_band intl must end
    at 7.5% or more; without it the cheaper bonds take the money and intl stays below."""
    sec = [("VTI", 100.0, "us_equity", "crsp", 1), ("VXUS", 50.0, "intl_equity", "ftse", 20),
           ("BND", 80.0, "bonds", "agg_fa", 1)]
    h = make(accounts=[("IRA", "traditional", 0.0)], securities=sec,
             lots=[("I1", "IRA", "VTI", 560, 0.0, "2015-01-01"), ("I2", "IRA", "VXUS", 120, 0.0, "2015-01-01"),
                   ("I3", "IRA", "BND", 475, 0.0, "2015-01-01")],
             targets=[("us_equity", 0.5), ("intl_equity", 0.1), ("bonds", 0.4)], drift_penalty_bp=0.01)
    off = plan(h)
    _ok(off)
    assert weights(h, off.evaluation)["intl_equity"] < 0.075
    on = plan(h, relative_band=0.25)
    _ok(on)
    assert weights(h, on.evaluation)["intl_equity"] >= 0.075 - 1e-6
    assert violations(evaluate(h.with_settings(relative_band=0.25), _rows(off)), "band")


# ---- budgets -------------------------------------------------------------------------------------
def test_tax_budget_caps_the_tax_cost():
    """A heavy drift penalty would rebalance to the target (tax 2,380); a 2,000 budget stops
    short of it; a 1,000 budget cannot even reach the band (1,785): InfeasiblePlan."""
    h = _overweight_winner(drift_penalty_bp=100.0)
    free = plan(h)
    assert free.evaluation.tax_cost == pytest.approx(2380.0, abs=0.01)
    capped = plan(h, tax_budget_usd=2000.0)
    _ok(capped)
    assert capped.evaluation.tax_cost <= 2000.0 + 0.01
    assert capped.evaluation.tax_cost == pytest.approx(2000.0, abs=0.01)
    assert violations(evaluate(h.with_settings(tax_budget_usd=2000.0), _rows(free)), "tax_budget")
    with pytest.raises(models.InfeasiblePlan) as caught:
        plan(h, tax_budget_usd=1000.0)
    assert "tax_budget" in str(caught.value) and "us_equity" in str(caught.value)


def test_gain_budget_caps_realized_gains():
    h = _overweight_winner(drift_penalty_bp=100.0)
    free = plan(h)
    assert free.evaluation.realized_gain == pytest.approx(10000.0, abs=0.01)
    capped = plan(h, gain_budget_usd=8000.0)
    _ok(capped)
    assert capped.evaluation.realized_gain <= 8000.0 + 0.01
    assert violations(evaluate(h.with_settings(gain_budget_usd=8000.0), _rows(free)), "gain_budget")
    with pytest.raises(models.InfeasiblePlan) as caught:
        plan(h, gain_budget_usd=5000.0)          # the band needs 7,500 of gain
    assert "gain_budget" in str(caught.value)


# ---- sizes -----------------------------------------------------------------------------------------
def _small_cash(**settings):
    return make(accounts=[("T", "taxable", 0.0), ("IRA", "traditional", 300.0)],
                securities=[("VTI", 100.0, "us_equity", "crsp", 1), ("AGG", 100.0, "bonds", "agg", 1)],
                lots=[("W", "T", "VTI", 600, 40000.0, "2015-01-01"),
                      ("I", "IRA", "AGG", 400, 40000.0, "2015-01-01")],
                targets=TARGET_60_40, rebalance_inside_band=True, **settings)


def test_min_trade_size():
    """The IRA's $300 of cash is invested in pieces below $500 without the rule; with
    min_trade_usd = 500 no trade is smaller."""
    h = _small_cash()
    off = plan(h)
    _ok(off)
    assert (off.trades["amount"] < 500).any()
    on = plan(h, min_trade_usd=500.0)
    _ok(on)
    assert (on.trades["amount"] >= 500 - 0.005).all()
    assert violations(evaluate(h.with_settings(min_trade_usd=500.0), _rows(off)), "min_trade")


def test_whole_shares():
    h = _small_cash()
    off = plan(h)
    assert (np.abs(off.trades["quantity"] - off.trades["quantity"].round()) > 1e-9).any()
    on = plan(h, whole_shares=True)
    _ok(on)
    assert len(on.trades)
    assert np.allclose(on.trades["quantity"], on.trades["quantity"].round())
    assert violations(evaluate(h.with_settings(whole_shares=True), _rows(off)), "whole_shares")


# ---- concentration -----------------------------------------------------------------------------------
def test_max_weight_caps_a_single_security():
    """VTI is 40% of the household; with max_weight 0.3 the IRA moves the excess to ITOT."""
    sec = [("VTI", 100.0, "us_equity", "crsp", 0), ("ITOT", 50.0, "us_equity", "sp_tmi", 10),
           ("BND", 80.0, "bonds", "agg_fa", 1), ("AGG", 100.0, "bonds", "agg", 1)]
    h = make(accounts=[("IRA", "traditional", 0.0)], securities=sec,
             lots=[("I1", "IRA", "VTI", 400, 0.0, "2015-01-01"), ("I2", "IRA", "ITOT", 400, 0.0, "2015-01-01"),
                   ("I3", "IRA", "BND", 250, 0.0, "2015-01-01"), ("I4", "IRA", "AGG", 195, 0.0, "2015-01-01")],
             targets=TARGET_60_40, rebalance_inside_band=True)
    V = h.total_value

    def vti_weight(p):
        shares = p.evaluation.ledger.shares_after[h.securities.index["VTI"]]
        return shares * 100.0 / V

    off = plan(h)
    _ok(off)
    assert vti_weight(off) > 0.35
    on = plan(h, max_weight=0.3)
    _ok(on)
    assert vti_weight(on) <= 0.3 + 1e-6
    assert set(sells(on)["reason"]) == {"concentration"}
    assert violations(evaluate(h.with_settings(max_weight=0.3), _rows(off)), "concentration")


# ---- where and what may be traded ---------------------------------------------------------------------
def _menu_household(allowed=None):
    sec = [("VTI", 100.0, "us_equity", "crsp", 1), ("VXUS", 50.0, "intl_equity", "ftse", 1),
           ("BND", 80.0, "bonds", "agg_fa", 1)]
    return make(accounts=[("K401", "traditional", 30000.0), ("R", "roth", 0.0)], securities=sec,
                lots=[("K1", "K401", "VTI", 300, 0.0, "2015-01-01"), ("R1", "R", "BND", 500, 0.0, "2015-01-01")],
                targets=[("us_equity", 0.4), ("intl_equity", 0.3), ("bonds", 0.3)], allowed=allowed)


def test_allowed_menu_limits_what_an_account_buys():
    """Without a menu the 401(k) invests its cash in VXUS (the underweight class); with
    allowed.csv listing only VTI and BND for it, it buys from the menu and the Roth buys VXUS."""
    off = plan(_menu_household())
    _ok(off)
    assert bought_usd(off, "VXUS", "K401") > 0
    h = _menu_household(allowed=[("K401", "VTI"), ("K401", "BND")])
    on = plan(h)
    _ok(on)
    assert set(buys(on)[buys(on)["account_id"] == "K401"]["symbol"]) <= {"VTI", "BND"}
    assert bought_usd(on, "VXUS", "R") > 0
    assert violations(evaluate(h, _rows(off)), "allowed")


def test_security_buy_and_sell_flags():
    """sell=false keeps a loss lot that would otherwise be harvested; buy=false keeps the
    cheaper AGG out of every account, so bonds are bought as BND."""
    def household(vti_sell: bool, agg_buy: bool):
        sec = [("VTI", 100.0, "us_equity", "crsp", 1, True, vti_sell),
               ("ITOT", 50.0, "us_equity", "sp_tmi", 1, True, True),
               ("BND", 80.0, "bonds", "agg_fa", 8, True, True),
               ("AGG", 100.0, "bonds", "agg", 1, agg_buy, True)]
        return make(accounts=[("T", "taxable", 0.0), ("IRA", "traditional", 20000.0)], securities=sec,
                    lots=[("L", "T", "VTI", 300, 36000.0, "2025-01-01"),
                          ("I", "IRA", "ITOT", 800, 30000.0, "2015-01-01")],
                    targets=TARGET_60_40, tax=dict(realized_short_term=20000.0))
    off = plan(household(True, True))
    _ok(off)
    assert "L" in sold_lots(off) and bought_usd(off, "AGG") > 0
    h = household(False, False)
    on = plan(h)
    _ok(on)
    assert "L" not in sold_lots(on)
    assert bought_usd(on, "AGG") == 0 and bought_usd(on, "BND") > 0
    assert violations(evaluate(h, _rows(off)), "allowed")


# ---- cash: reserve and withdrawals ----------------------------------------------------------------------
def test_reserve_is_left_in_the_account():
    def household(reserve):
        return make(accounts=[("T", "taxable", 10000.0, reserve), ("IRA", "traditional", 0.0)],
                    securities=US_BONDS,
                    lots=[("W", "T", "VTI", 600, 30000.0, "2015-01-01"),
                          ("I", "IRA", "BND", 250, 20000.0, "2015-01-01")],
                    targets=TARGET_60_40)
    off = plan(household(0.0))
    _ok(off)
    assert _cash_after(off)["T"] < 4000.0
    h = household(4000.0)
    on = plan(h)
    _ok(on)
    assert _cash_after(on)["T"] >= 4000.0 - 0.005
    assert violations(evaluate(h, _rows(off)), "cash")


def test_withdrawal_is_funded_at_the_least_tax():
    """A $20,000 withdrawal from the taxable account on the trade date: it is funded, from the
    lot with the least tax per dollar (C: short-term, $500 of gain on $30,000), not from the
    big winner B nor the long-term A ($1,000 on $30,000). Without the withdrawal, no taxable
    lot is sold."""
    def household(flows):
        sec = [("VTI", 100.0, "us_equity", "crsp", 1), ("ITOT", 50.0, "us_equity", "sp_tmi", 1),
               ("BND", 80.0, "bonds", "agg_fa", 1)]
        return make(accounts=[("T", "taxable", 0.0), ("IRA", "traditional", 0.0)], securities=sec,
                    lots=[("A", "T", "VTI", 300, 29000.0, "2020-01-01"),
                          ("B", "T", "VTI", 300, 10000.0, "2015-01-01"),
                          ("C", "T", "VTI", 300, 29500.0, "2026-06-01"),
                          ("I", "IRA", "BND", 500, 40000.0, "2015-01-01")],
                    targets=[("us_equity", 0.7), ("bonds", 0.3)], cashflows=flows,
                    rebalance_inside_band=True)
    h = household([("2026-12-01", "T", -20000.0, "")])
    on = plan(h)
    _ok(on)
    assert _cash_after(on)["T"] >= -0.005
    taxable = sells(on)[sells(on)["account_id"] == "T"]
    assert set(taxable["lot_id"]) == {"C"}
    assert taxable["amount"].sum() == pytest.approx(20000.0, abs=1.0)
    assert set(taxable["reason"]) == {"withdrawal"}
    off = plan(household(None))
    _ok(off)
    assert not (sells(off)["account_id"] == "T").any()
    assert violations(evaluate(h, _rows(off)), "cash")


# ---- tax-advantaged first -------------------------------------------------------------------------------
@pytest.mark.parametrize("winner_shares, ira_vti, taxable_sale", [(400, 400, 0.0), (600, 200, 5000.0)])
def test_tax_advantaged_accounts_rebalance_first(winner_shares, ira_vti, taxable_sale):
    """us_equity is 80% of $100,000 against 50% ± 5 and must shed $25,000. With $40,000 of VTI
    in the IRA no taxable winner is sold; with $20,000 there the taxable account sells only the
    $5,000 the IRA cannot carry, after the IRA has sold all its VTI."""
    h = make(accounts=[("T", "taxable", 0.0), ("IRA", "traditional", 0.0)], securities=US_BONDS,
             lots=[("W", "T", "VTI", winner_shares, 50.0 * winner_shares, "2015-01-01"),
                   ("IV", "IRA", "VTI", ira_vti, 0.0, "2015-01-01"),
                   ("IB", "IRA", "BND", 250, 0.0, "2015-01-01")],
             targets=[("us_equity", 0.5), ("bonds", 0.5)], drift_penalty_bp=1.0)
    assert h.total_value == pytest.approx(100000.0)
    p = plan(h)
    _ok(p)
    if taxable_sale == 0:
        assert sold_usd(p, "W") == 0
        assert p.evaluation.tax_cost == 0
    else:
        assert sold_usd(p, "W") == pytest.approx(taxable_sale, rel=1e-3)
        assert sold_usd(p, "IV") == pytest.approx(ira_vti * 100.0, rel=1e-6)


# ---- time limit ---------------------------------------------------------------------------------------------
def test_time_limit_returns_the_best_plan_found_or_says_none_was():
    """With a time limit too short to prove optimality, plan() returns a rule-compliant plan with
    status time_limit and its gap, or raises PlanError; never a plan that breaks a rule."""
    import tempfile

    from models.synthetic import SyntheticSpec, generate_household
    from planner import load_household
    with tempfile.TemporaryDirectory() as folder:
        generate_household(SyntheticSpec(lots=300, accounts=4, securities=20, asset_classes=4, seed=1), folder)
        h = load_household(folder)
    try:
        p = plan(h, min_trade_usd=500.0, time_limit_s=0.02)
    except models.PlanError as error:
        assert not isinstance(error, models.InfeasiblePlan)
        return
    assert p.status in (models.SolveStatus.TIME_LIMIT, models.SolveStatus.OPTIMAL)
    assert p.evaluation.violations == []
    if p.status is models.SolveStatus.TIME_LIMIT:
        assert np.isfinite(p.gap) and p.gap >= 0
        assert p.summary()["solver"]["status"] == "time_limit"


def test_one_rulebook_for_the_evaluator_the_optimizer_and_the_diagnosis(example):
    """Every rule of models/rulebook.py has its constraint in planner/rules.py, and the
    optimizer switches on exactly the rules the rulebook says the settings enable, in its order."""
    from models.rulebook import RULEBOOK, RULES, enabled_rules
    from planner.rules import CONSTRAINTS, rules_for
    assert set(CONSTRAINTS) == set(RULES) == {spec.rule for spec in RULEBOOK}
    h = example("scenario_a")
    for settings in ({}, {"min_trade_usd": 100.0, "whole_shares": True, "max_weight": 0.5,
                          "tax_budget_usd": 1e6, "gain_budget_usd": 1e6, "wash_sale": AVOID},
                     {"wash_sale": models.WashSale.PRICE, "cash_first": False}):
        variant = h.with_settings(**settings)
        assert [r.rule for r in rules_for(variant)] == [s.rule for s in enabled_rules(variant.settings)]
        for spec in enabled_rules(variant.settings):
            assert spec.explain(variant)        # words a person can act on, for every rule
