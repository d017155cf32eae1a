"""The guide's three scenarios (examples/scenario_{a,b,c}, see their README.md), planned by the
optimizer and judged by the evaluator; and ``planner plan`` on a household folder."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from planner import evaluate, load_household, models
from planner.cli import main
from planner.optimizer import plan

from tests.helpers import EXAMPLES
from tests.optimizer_cases import buys, inside_bands, sells, violations


@pytest.fixture(scope="module")
def scenario(example):
    cache = {}

    def get(name):
        if name not in cache:
            h = example(f"scenario_{name}")
            cache[name] = (h, plan(h))
        return cache[name]
    return get


def _taxable(h, p):
    taxable = dict(zip(h.accounts.id, h.accounts.taxable))
    return p.trades["account_id"].map(taxable).astype(bool)


def _taxable_lots(h):
    taxable = h.accounts.taxable[h.lots.account]
    gain = h.lot_value - h.lots.cost_basis
    ids = h.lots.id
    return set(ids[taxable & (gain < 0)]), set(ids[taxable & (gain > 0)])


def _common(h, p):
    """What every scenario's plan must satisfy."""
    assert p.status is models.SolveStatus.OPTIMAL
    assert p.evaluation.violations == []
    assert inside_bands(h, p.evaluation)
    assert p.evaluation.tax_cost == pytest.approx(p.model["tax_cost"], abs=0.01)
    assert p.evaluation.objective == pytest.approx(p.model["objective"], abs=0.01)
    # Every sell names its lot (specific identification).
    assert (sells(p)["lot_id"].astype(str) != "").all()


# ---- Scenario A: large realized gains, taxable overweight equities -----------------------------
def test_scenario_a_harvests_every_loss_lot_and_no_winner(scenario):
    h, p = scenario("a")
    _common(h, p)
    losers, winners = _taxable_lots(h)
    assert losers == {"A-TAX-VTI-250915", "A-TAX-VTI-260209", "A-TAX-VTI-260622", "A-TAX-VTI-260908",
                      "A-TAX-VXUS-251027", "A-TAX-VXUS-260713", "A-TAX-BND-210802",
                      "A-TAX-BND-220314"}                      # the README's table
    s = sells(p)
    taxable = s[_taxable(h, p)[s.index]]
    assert set(taxable["lot_id"]) == losers                   # every loser, no winner
    assert not set(taxable["lot_id"]) & winners
    for lot in losers:                                        # each sold in full
        held = h.lots.quantity[h.lots.index[lot]]
        assert taxable.loc[taxable["lot_id"] == lot, "quantity"].sum() == pytest.approx(held)
    assert (taxable["reason"] == "harvest").all()
    # Every harvested dollar offsets a taxed gain at its full rate: the README's figure.
    assert p.evaluation.tax_cost < 0
    assert p.evaluation.tax_cost == pytest.approx(-9544.77, abs=0.01)
    assert p.evaluation.year.tax == pytest.approx(11205.23, abs=0.01)
    sales = p.evaluation.sales_frame()
    assert sales["disallowed"].sum() == 0
    # Nothing bought in a harvested group anywhere (an IRA BND buy would wash the BND losses).
    assert not set(buys(p)["symbol"]) & {"VTI", "VXUS", "BND"}
    groups = {r["wash_group"]: r["no_buy_before"] for r in p.restriction_rows()}
    assert groups == {g: "2027-01-01" for g in
                      ("crsp_us_total_market", "ftse_global_all_cap_ex_us", "bbg_us_agg_float_adjusted")}


# ---- Scenario B: no gains to offset; use the deposit and the IRA first -------------------------
def test_scenario_b_uses_new_cash_and_the_ira_first(scenario):
    h, p = scenario("b")
    _common(h, p)
    assert not _taxable(h, p)[p.trades["action"] == "sell"].any()     # no taxable sell row
    assert p.evaluation.tax_cost == pytest.approx(0.0, abs=0.005)
    assert p.evaluation.realized_gain == pytest.approx(0.0, abs=0.005)
    # The $40,000 deposit (and JOINT's spare cash) is invested in bonds.
    joint = buys(p)[buys(p)["account_id"] == "JOINT"]
    bond_symbols = set(h.securities.symbol[h.securities.asset_class == "bonds"])
    assert set(joint["symbol"]) <= bond_symbols
    assert joint["amount"].sum() == pytest.approx(42150.0, abs=1.0)
    cash_after = dict(zip(h.accounts.id, p.evaluation.ledger.cash_after))
    assert cash_after["JOINT"] < 1.0
    # The rest of the rebalance happened inside the tax-advantaged accounts.
    adv = sells(p)
    assert len(adv) and set(adv["account_id"]) <= {"IRA_ALEX", "ROTH_JORDAN"}
    w = dict(zip(h.classes, p.evaluation.weights_after))
    assert 0.40 - 1e-6 <= w["us_equity"] <= 0.50 + 1e-6
    assert 0.35 - 1e-6 <= w["bonds"] <= 0.45 + 1e-6


def test_scenario_b_readme_wrong_list_costs_tax_and_breaks_cash_first():
    """The README's wrong list: selling a JOINT winner while the deposit sits idle."""
    h = load_household(EXAMPLES / "scenario_b")
    rows = pd.DataFrame([
        ("2026-12-01", "JOINT", "VTI", "sell", 70, 312.40, "B-JT-VTI-210111"),
    ], columns=["date", "account_id", "symbol", "action", "quantity", "price", "lot_id"])
    ev = evaluate(h, rows)
    assert ev.tax_cost == pytest.approx(1930.89, abs=0.01)
    assert violations(ev, "cash_first")


# ---- Scenario C: harvest VTI, keep the exposure, leave the washed VXUS lot alone ---------------
def test_scenario_c_harvests_vti_keeps_exposure_and_washes_nothing(scenario):
    h, p = scenario("c")
    _common(h, p)
    s = sells(p)
    vti_losers = {"C-TAX-VTI-250728", "C-TAX-VTI-260302", "C-TAX-VTI-260518", "C-TAX-VTI-260824"}
    assert vti_losers <= set(s["lot_id"])
    assert "C-TAX-VXUS-260615" not in set(s["lot_id"])       # washed by the Roth's 11-21 buy
    assert not {"C-TAX-VTI-170821", "C-TAX-VXUS-180205"} & set(s["lot_id"])   # no winner
    assert not (s["realized_gain"] > 0.005).any()
    # Exposure kept through another wash group of us_equity, and no VTI bought anywhere.
    b = buys(p)
    replaced = b[b["symbol"].isin(["ITOT", "SCHB"]) & (b["account_id"] == "TAX_SAM")]["amount"].sum()
    harvested = s[s["lot_id"].isin(vti_losers)]["amount"].sum()
    assert replaced >= 0.95 * harvested
    assert "VTI" not in set(b["symbol"])
    assert not violations(p.evaluation, "wash_sale")
    sales = p.evaluation.sales_frame()
    assert sales["disallowed"].sum() == 0 and sales["permanently_disallowed"].sum() == 0
    assert p.evaluation.tax_cost == pytest.approx(-2843.86, abs=0.01)
    groups = {r["wash_group"]: r["no_buy_before"] for r in p.restriction_rows()}
    assert groups.get("crsp_us_total_market") == "2027-01-01"
    # The allocation stays where it was.
    assert p.evaluation.drift_after <= p.evaluation.drift_before + 0.002


def test_scenario_c_without_the_wash_rule_the_vxus_sale_would_be_lost_for_good():
    """The README's wrong list, judged: the VXUS loss is permanently disallowed (a Roth bought)."""
    h = load_household(EXAMPLES / "scenario_c")
    rows = pd.read_csv(EXAMPLES / "scenario_c" / "trades.csv")
    rows.loc[len(rows)] = ["2026-12-01", "TAX_SAM", "VXUS", "sell", 250, 68.90, "C-TAX-VXUS-260615"]
    ev = evaluate(h.with_settings(wash_sale=models.WashSale.AVOID), rows)
    sales = ev.sales_frame()
    vxus = sales[sales["lot_id"] == "C-TAX-VXUS-260615"]
    assert vxus["permanently_disallowed"].sum() == pytest.approx(1825.0, abs=0.01)
    assert violations(ev, "wash_sale")


# ---- planner plan -------------------------------------------------------------------------------
SUMMARY_KEYS = {"year", "tax_cost", "drift", "violations", "status", "gap", "objective",
                "objective_parts", "restrictions", "settings", "solver"}


@pytest.mark.parametrize("name", ["a", "c"])
def test_cli_plan_writes_trades_and_summary(name, tmp_path, capsys):
    folder = EXAMPLES / f"scenario_{name}"
    assert main(["plan", str(folder), "--out", str(tmp_path)]) == 0
    capsys.readouterr()
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert SUMMARY_KEYS <= set(summary)
    assert summary["status"] == "optimal"
    assert summary["violations"] == []
    assert set(summary["objective_parts"]) == {"tax_cost", "trading_cost", "drift_penalty"}
    assert summary["objective"] == pytest.approx(sum(summary["objective_parts"].values()), abs=1e-4)
    assert {"before", "after"} <= set(summary["drift"])
    assert {"short_term", "long_term", "net_short_term", "net_long_term", "deduction",
            "carryover_short_term", "carryover_long_term", "tax"} <= set(summary["year"])
    assert {"name", "status", "gap", "seconds"} <= set(summary["solver"])
    assert summary["settings"]["band"] == 0.05
    assert all({"wash_group", "no_buy_before"} <= set(r) for r in summary["restrictions"])
    # trades.csv has the SPEC §4 columns and the evaluator judges it exactly as the summary says.
    trades = pd.read_csv(tmp_path / "trades.csv", keep_default_na=False)
    assert list(trades.columns) == ["date", "account_id", "symbol", "action", "quantity", "price",
                                    "lot_id", "amount", "cost_basis", "realized_gain", "term", "reason"]
    assert len(trades) == summary["trades"] > 0
    assert set(trades["reason"]) <= {"rebalance", "harvest", "replacement", "cash", "withdrawal",
                                     "concentration"}
    h = load_household(folder)
    ev = evaluate(h, trades)
    assert ev.violations == []
    assert ev.tax_cost == pytest.approx(summary["tax_cost"], abs=0.01)
    assert ev.year.tax == pytest.approx(summary["year"]["tax"], abs=0.01)
    assert np.isclose(ev.objective, summary["objective"], atol=0.05)


def test_cli_plan_accepts_setting_overrides(tmp_path, capsys):
    folder = EXAMPLES / "scenario_b"
    assert main(["plan", str(folder), "--out", str(tmp_path), "--set", "band=0.08",
                 "--format", "json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["settings"]["band"] == 0.08
    assert json.loads((tmp_path / "summary.json").read_text())["settings"]["band"] == 0.08


def test_cli_plan_bad_setting_is_a_clear_error(tmp_path, capsys):
    folder = EXAMPLES / "scenario_b"
    assert main(["plan", str(folder), "--out", str(tmp_path), "--set", "bandd=0.08"]) == 2
    assert "bandd" in capsys.readouterr().err
    assert not (tmp_path / "summary.json").exists()


# ---- Scenario E: retired, schedule mode, harvest gains at 0% up to the top ----------------------
def test_scenario_e_harvests_long_term_gain_exactly_up_to_the_zero_rate_top(scenario, tmp_path,
                                                                           capsys):
    # README arithmetic (Form 1040, 2026, married filing jointly): without trades taxable income
    # is 64,000 − 32,200 = 31,800; the 0% rate ends at 98,900: room 67,100. Each dollar of gain
    # below the top costs 0 now and saves deferred_gain_rate 0.10 later; above it costs 15%.
    h, p = scenario("e")
    _common(h, p)
    sold = sells(p)
    assert list(sold["lot_id"]) == ["E-VTI-120514"]          # the highest gain per dollar
    # With cash an asset class (issue 11) the proceeds beyond the replacement go to the
    # underweight bonds (a rebalance buy) rather than staying idle.
    assert set(sold["reason"]) == {"harvest"} and set(buys(p)["reason"]) <= {"replacement", "rebalance"}
    assert sold["realized_gain"].sum() == pytest.approx(67100, abs=0.01)
    year = p.evaluation.year.as_dict()
    assert year["taxable_income"] == pytest.approx(98900, abs=0.01)
    assert year["federal_income_tax"] == pytest.approx(2840, abs=0.01)   # tax(27,800): unchanged
    assert p.evaluation.tax_cost == pytest.approx(0, abs=0.01)
    assert p.evaluation.deferred_gain == pytest.approx(-6710, abs=0.01)
    # And says so.
    assert main(["plan", str(EXAMPLES / "scenario_e"), "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "the plan realizes 67,100.00 of gain at 0% (gain harvesting" in out
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["tax_schedule"]["plan_gain_at_0"] == pytest.approx(67100, abs=0.01)
    assert summary["tax_schedule"]["zero_rate_room_left"] == pytest.approx(0, abs=0.01)
    assert summary["objective"] == pytest.approx(sum(summary["objective_parts"].values()), abs=1e-4)


def test_scenario_e_without_the_deferred_gain_value_the_plan_does_nothing(scenario):
    h, _ = scenario("e")
    assert len(plan(h.with_tax(deferred_gain_rate=0.0)).trades) == 0


# ---- Scenario D: losses in wash groups small recent purchases touch -------------------------
def test_scenario_d_priced_washes_capture_more_than_avoid_and_every_heuristic(scenario):
    """Three recent purchases sit in the loss lots' wash groups: 3 VTI reinvested in Alex's IRA
    (11-15), Jordan's 100 VTI (11-24), 40 VXUS in the joint account (11-18). Under avoid every
    VTI and VXUS loss lot is blocked; priced, the plan sells them, only the replaced shares are
    washed (the IRA's 3 for good: 3 x 30 = 90), and Jordan's lot, sold too, gives its share
    straight back. The losses beyond the year's $3,000 deduction are washed into the plan's own
    buys of the same funds (deferred, worth carryforward_value as a carryover is). By the
    evaluator: tax cost -6,658.00 priced (-5,250 of tax, 0.10 x 14,080 deferred), -2,915.50
    under avoid and for the best heuristic (guide)."""
    from planner.heuristics import all_heuristics
    h, p = scenario("d")
    _common(h, p)
    ev = p.evaluation
    assert ev.violations == [] and ev.tax_cost == pytest.approx(p.model["tax_cost"], abs=0.01)
    assert ev.tax_cost == pytest.approx(-6658.0, abs=0.01)
    avoid = plan(h, wash_sale=models.WashSale.AVOID)
    assert avoid.evaluation.tax_cost == pytest.approx(-2915.5, abs=0.01)
    assert ev.tax_cost < avoid.evaluation.tax_cost - 3000 and p.objective < avoid.objective
    for heuristic in all_heuristics():
        other = evaluate(h, heuristic.plan(h))
        assert ev.tax_cost < other.tax_cost - 3000, heuristic.name
    washes = ev.washes_frame()
    ira = washes[washes["replacement_lot"] == "D-IA-VTI-261115"]
    assert ira[["shares", "disallowed", "treatment"]].values.tolist() == [[3.0, pytest.approx(90.0), "permanent"]]
    assert ev.permanently_disallowed == pytest.approx(90.0)
    assert {"D-TJD-VTI-261124", "D-TJ-VXUS-261118"} <= set(sells(p)["lot_id"])
    # Explanations: every wash taken says why it pays; the blocked losses name their purchase.
    summary = p.summary()
    assert summary["washes"] and all(w["objective_gain_of_the_sale"] > 0 for w in summary["washes_taken"])
    groups = {g["wash_group"]: g for g in summary["blocked_losses"]}
    blocked = {b["lot_id"]: b for g in groups.values() for b in g["lots"]}
    assert blocked["D-TJ-VTI-250210"]["free_to_harvest_from"] == "2026-12-25"   # 11-24 + 31 days
    vti = groups[h.securities.wash_group[list(h.securities.symbol).index("VTI")]]
    assert {x["account_id"] for x in vti["blocked_by"]} == {"IRA_ALEX", "TAX_JORDAN"}
    assert set(summary["classes"]) == {"us_equity", "intl_equity", "bonds", "cash"}


def test_buys_are_labelled_replacement_only_where_a_harvest_sold_that_class():
    """Regression (issue 11): IRA, Roth and HSA buys were labelled 'replacement' though
    nothing is harvested there."""
    h = load_household(EXAMPLES / "scenario_d")
    p = plan(h)
    t = p.trades
    taxable = dict(zip(h.accounts.id, h.accounts.taxable))
    replacement = t[t["reason"] == "replacement"]
    assert replacement["account_id"].map(taxable).all()
    harvested = set(zip(t.loc[t["reason"] == "harvest", "account_id"],
                        t.loc[t["reason"] == "harvest", "symbol"].map(dict(zip(h.securities.symbol,
                                                                               h.securities.asset_class)))))
    cls = replacement["symbol"].map(dict(zip(h.securities.symbol, h.securities.asset_class)))
    assert all(pair in harvested for pair in zip(replacement["account_id"], cls))
