"""Hand-worked tax cases with exact numbers, each citing its source.

Sources:
  Pub 550   IRS Publication 550, "Investment Income and Expenses": "Holding Period" and
            "Wash Sales" (examples quoted in the comments).
  Reg       Treas. Reg. §1.1091-1 (order of losses and of replacement shares, partial
            replacement) and §1.1091-2 (basis of replacement shares, Examples 1 and 2).
  Sch D     Schedule D (Form 1040) instructions, lines 7, 15, 16, 21, and the Capital Loss
            Carryover Worksheet (lines 1-13); IRC §1211(b) for the 3,000/1,500 limit.
  RR 56-602 Rev. Rul. 56-602: shares from the same purchase as the sold shares don't replace them.
  RR 2008-5 Rev. Rul. 2008-5: replacement bought in an IRA/Roth: loss disallowed, IRA basis
            not increased, the loss is lost for good.
  SPEC      docs/household.md §2 and the project's documented conventions (holding period
            of a replacement, a lot split by a partial wash, history sales).

Rates everywhere are the TaxProfile defaults unless a case says otherwise: short-term 0.37,
long-term 0.238, deduction 0.37, carryforward_value 0.10.
"""
from __future__ import annotations

import json

import numpy as np
import pytest

from planner import TaxProfile
from planner import models
from planner.cli import main

from tests.helpers import (household, judged, lot_total, lots_of, sale_total, sales_of,
                           write_household, write_trades)

net_year = models.tax.net_year
is_long_term = models.dates.is_long_term
holding_start = models.dates.holding_start
FilingStatus = models.FilingStatus


def approx(x):
    return pytest.approx(x, abs=0.005)


def wash_violations(result):
    return [v for v in result["violations"] if v["rule"] == "wash_sale"]


# =============================================================================================
# Holding period to the day
# =============================================================================================
HOLDING_CASES = [
    # (acquired, sold, term, source)
    ("2023-02-05", "2024-02-05", "short", "Pub 550 Holding Period: bought Feb 5, sold Feb 5 next year: not more than 1 year"),
    ("2023-02-05", "2024-02-06", "long", "Pub 550 Holding Period: sold Feb 6 next year: more than 1 year"),
    ("2025-03-10", "2026-03-10", "short", "SPEC §2: acquired 2025-03-10, sold 2026-03-10 short-term"),
    ("2025-03-10", "2026-03-11", "long", "SPEC §2: sold 2026-03-11 long-term"),
    ("2024-02-29", "2025-02-28", "short", "SPEC §2: start Mar 1 2024, long-term only from 2025-03-01"),
    ("2024-02-29", "2025-03-01", "long", "SPEC §2: acquired 2024-02-29 is long-term from 2025-03-01"),
    ("2023-02-28", "2024-02-29", "short", "SPEC §2: 366 days, still short-term (counting days is wrong)"),
    ("2023-02-28", "2024-03-01", "long", "SPEC §2: anniversary of the start 2023-03-01"),
    ("2024-02-28", "2025-02-28", "short", "SPEC §2: start Feb 29 moves to Mar 1; 366 days, still short"),
    ("2024-02-28", "2025-03-01", "long", "SPEC §2: start Feb 29 -> long-term from Mar 1"),
    ("2024-12-31", "2025-12-31", "short", "Pub 550: counting starts the day after (Jan 1); Dec 31 is exactly 1 year"),
    ("2024-12-31", "2026-01-01", "long", "Pub 550: more than 1 year"),
]


@pytest.mark.parametrize("acquired, sold, term, source", HOLDING_CASES,
                         ids=[f"{a}->{s}" for a, s, _, _ in HOLDING_CASES])
def test_holding_period_decides_the_term_to_the_day(acquired, sold, term, source):
    # 10 shares, basis 50, sold at 10: gain 10*10 - 50 = 50, reported on the side of `term`.
    assert bool(is_long_term(holding_start(np.datetime64(acquired)), np.datetime64(sold))) == (term == "long")
    h = household(as_of=sold, lots=[("L", "T1", "X", 10, 50.0, acquired)])
    r = judged(h, [(sold, "T1", "X", "sell", 10, 10.0, "L")])
    (sale,) = r["sales"]
    assert sale["term"] == term, source
    assert sale["gain"] == approx(50.0)
    assert r["year"]["short_term" if term == "short" else "long_term"] == approx(50.0)
    assert r["year"]["long_term" if term == "short" else "short_term"] == approx(0.0)


def test_gain_of_a_partial_sale_is_proceeds_less_the_pro_rata_basis():
    # SPEC §2 Gain: lot of Q=30 shares, basis B=1,000; sell q=10 at p=50:
    # proceeds 500, basis 1,000*10/30 = 333.333, gain 166.667; the lot keeps 20 shares, 666.667.
    h = household(lots=[("L", "T1", "X", 30, 1000.0, "2026-01-02")])
    r = judged(h, [(None, "T1", "X", "sell", 10, 50.0, "L")])
    (sale,) = r["sales"]
    assert sale["proceeds"] == approx(500.0)
    assert sale["basis"] == approx(1000.0 / 3)
    assert sale["gain"] == approx(500.0 - 1000.0 / 3)
    assert r["year"]["short_term"] == approx(500.0 - 1000.0 / 3)
    assert lot_total(r, "L", "quantity") == approx(20.0)
    assert lot_total(r, "L", "cost_basis") == approx(2000.0 / 3)


def test_sales_in_tax_advantaged_accounts_realize_nothing():
    # SPEC §2: sales in traditional, roth and hsa accounts realize nothing, and a "loss" there
    # is no loss for the wash-sale rule (buying it back washes nothing).
    accounts = [("T1", "taxable", 1000.0), ("IRA", "traditional", 0.0), ("R", "roth", 0.0),
                ("H", "hsa", 0.0)]
    lots = [("I1", "IRA", "X", 100, 5000.0, "2026-11-20"), ("R1", "R", "X", 100, 100.0, "2010-01-01"),
            ("H1", "H", "X", 100, 2000.0, "2026-06-01")]
    h = household(accounts=accounts, lots=lots)
    r = judged(h, [(None, "IRA", "X", "sell", 100, 10.0, "I1"), (None, "R", "X", "sell", 100, 10.0, "R1"),
                (None, "H", "X", "sell", 100, 10.0, "H1"), (None, "T1", "X", "buy", 100, 10.0, "N")])
    assert all(s["gain"] == 0.0 and s["disallowed"] == 0.0 for s in r["sales"])
    assert r["year"]["short_term"] == approx(0.0) and r["year"]["long_term"] == approx(0.0)
    assert r["tax_cost"] == approx(0.0)
    assert lot_total(r, "N", "cost_basis") == approx(1000.0)


# =============================================================================================
# Schedule D netting and the Capital Loss Carryover Worksheet
# =============================================================================================
# Each: (short_term, long_term, carryover_st_in, carryover_lt_in, status,
#        net_st, net_lt, deduction, carry_st, carry_lt, source/arithmetic)
NETTING_CASES = [
    (5000, -2000, 0, 0, "single", 3000, 0, 0, 0, 0,
     "Sch D line 16: LT loss offsets ST gain: 5,000 - 2,000 = 3,000 ST taxed"),
    (-2000, 5000, 0, 0, "single", 0, 3000, 0, 0, 0,
     "Sch D line 16: ST loss offsets LT gain: 5,000 - 2,000 = 3,000 LT taxed"),
    (1000, 2000, 0, 0, "single", 1000, 2000, 0, 0, 0, "Sch D: gains on both sides, nothing to net"),
    (-3000, 0, 0, 0, "single", 0, 0, 3000, 0, 0, "Sch D line 21: a loss of exactly the limit, no carryover"),
    (-4000, -3000, 0, 0, "single", 0, 0, 3000, 1000, 3000,
     "Worksheet: line 4 = 3,000; line 8 = 4,000 - (3,000 + 0) = 1,000 ST; "
     "line 13 = 3,000 - (0 + max(0, 3,000 - 4,000)) = 3,000 LT"),
    (-1000, -5000, 0, 0, "single", 0, 0, 3000, 0, 3000,
     "Worksheet: line 8 = max(0, 1,000 - 3,000) = 0; line 13 = 5,000 - (0 + (3,000 - 1,000)) = 3,000"),
    (1000, -6000, 0, 0, "single", 0, 0, 3000, 0, 2000,
     "Worksheet: net loss 5,000; deduction 3,000; line 13 = 6,000 - (1,000 + 3,000) = 2,000 LT"),
    (-7000, 2000, 0, 0, "single", 0, 0, 3000, 2000, 0,
     "Worksheet: line 8 = 7,000 - (3,000 + 2,000) = 2,000 ST; line 13: no LT loss"),
    (-4000, 0, 0, 0, "married_separate", 0, 0, 1500, 2500, 0,
     "IRC §1211(b), Sch D line 21: 1,500 for married filing separately; 4,000 - 1,500 = 2,500 ST"),
    (-1000, -2000, 0, 0, "married_separate", 0, 0, 1500, 0, 1500,
     "Worksheet at 1,500: line 8 = max(0, 1,000 - 1,500) = 0; line 13 = 2,000 - (1,500 - 1,000) = 1,500"),
    (-5000, 0, 0, 0, "married_joint", 0, 0, 3000, 2000, 0, "Sch D line 21: 3,000 married filing jointly"),
    (-5000, 0, 0, 0, "head_of_household", 0, 0, 3000, 2000, 0, "Sch D line 21: 3,000 head of household"),
    (2000, 500, 5000, 1000, "single", 0, 0, 3000, 0, 500,
     "carryover in keeps its character (Sch D lines 6, 14): s = 2,000 - 5,000 = -3,000, "
     "l = 500 - 1,000 = -500; deduction 3,000 (ST first); line 8 = 3,000 - (3,000 + 0) = 0; "
     "line 13 = 500 - (0 + max(0, 3,000 - 3,000)) = 500"),
    (10000, 0, 0, 4000, "single", 6000, 0, 0, 0, 0,
     "LT carryover in (Sch D line 14) offsets ST gain: 10,000 - 4,000 = 6,000 ST"),
]


@pytest.mark.parametrize("st, lt, cst, clt, status, net_st, net_lt, ded, carry_st, carry_lt, source",
                         NETTING_CASES, ids=[c[-1][:40] for c in NETTING_CASES])
def test_schedule_d_netting_and_carryover_worksheet(st, lt, cst, clt, status, net_st, net_lt, ded,
                                                    carry_st, carry_lt, source):
    profile = TaxProfile(filing_status=FilingStatus(status), carryover_short_term=cst,
                         carryover_long_term=clt)
    y = net_year(st, lt, profile)
    got = (y.net_short_term, y.net_long_term, y.deduction, y.carryover_short_term, y.carryover_long_term)
    assert got == approx((net_st, net_lt, ded, carry_st, carry_lt)), source
    # Tax of the year = 0.37 * net ST + 0.238 * net LT - 0.37 * deduction (SPEC §2).
    assert y.tax == approx(0.37 * net_st + 0.238 * net_lt - 0.37 * ded), source
    # The same numbers through the evaluator: realized amounts so far, no trades.
    h = household(filing_status=status, realized_short_term=st, realized_long_term=lt,
                  carryover_short_term=cst, carryover_long_term=clt)
    year = judged(h)["year"]
    assert year["short_term"] == approx(st) and year["long_term"] == approx(lt)   # carryover not included
    assert (year["net_short_term"], year["net_long_term"], year["deduction"],
            year["carryover_short_term"], year["carryover_long_term"]) == approx(
        (net_st, net_lt, ded, carry_st, carry_lt)), source


def test_netting_of_a_plan_short_loss_against_long_gain():
    # Sch D line 16 through trades: lot A (LT) 100 sh basis 200 sold at 10: +800 LT;
    # lot B (ST) 100 sh basis 3,000 sold at 10: -2,000 ST. Net: 800 - 2,000 = -1,200,
    # deducted in full (< 3,000); tax = -0.37 * 1,200 = -444; no carryover.
    h = household(lots=[("A", "T1", "X", 100, 200.0, "2020-01-02"), ("B", "T1", "X", 100, 3000.0, "2026-05-01")])
    r = judged(h, [(None, "T1", "X", "sell", 100, 10.0, "A"), (None, "T1", "X", "sell", 100, 10.0, "B")])
    y = r["year"]
    assert (y["short_term"], y["long_term"]) == approx((-2000.0, 800.0))
    assert (y["net_short_term"], y["net_long_term"], y["deduction"]) == approx((0.0, 0.0, 1200.0))
    assert y["tax"] == approx(-444.0)
    assert r["tax_cost"] == approx(-444.0)


# =============================================================================================
# Tax cost of a plan (SPEC §2) with carryforward_value
# =============================================================================================
def test_tax_cost_counts_the_value_of_loss_carried_forward():
    # Harvest a 10,000 LT loss (1,000 sh, basis 20,000, price 10, held since 2015).
    # With: l = -10,000 -> deduction 3,000, LT carryover 7,000, tax = -0.37*3,000 = -1,110.
    # Without: 0. Tax cost = -1,110 - 0 - 0.10 * (7,000 - 0) = -1,810.
    h = household(lots=[("L", "T1", "X", 1000, 20000.0, "2015-04-01")])
    r = judged(h, [(None, "T1", "X", "sell", 1000, 10.0, "L")])
    assert r["year"]["carryover_long_term"] == approx(7000.0)
    assert r["year"]["tax"] == approx(-1110.0)
    assert r["tax_cost"] == approx(-1810.0)
    # carryforward_value 0.25: -1,110 - 0.25 * 7,000 = -2,860.
    r = judged(household(lots=[("L", "T1", "X", 1000, 20000.0, "2015-04-01")], carryforward_value=0.25),
            [(None, "T1", "X", "sell", 1000, 10.0, "L")])
    assert r["tax_cost"] == approx(-2860.0)


def test_tax_cost_against_gains_realized_earlier_in_the_year():
    # Realized ST so far +2,000; the plan harvests a 6,000 ST loss (600 sh basis 12,000 at 10).
    # With: s = -4,000 -> deduction 3,000, ST carryover 1,000, tax -1,110.
    # Without: tax 0.37 * 2,000 = 740. Tax cost = -1,110 - 740 - 0.10 * 1,000 = -1,950.
    h = household(realized_short_term=2000.0, lots=[("L", "T1", "X", 600, 12000.0, "2026-06-01")])
    r = judged(h, [(None, "T1", "X", "sell", 600, 10.0, "L")])
    assert r["year_without_trades"]["tax"] == approx(740.0)
    assert r["year"]["carryover_short_term"] == approx(1000.0)
    assert r["tax_cost"] == approx(-1950.0)


def test_tax_cost_of_a_gain_absorbed_by_carryover_is_the_carryover_used():
    # LT carryover in 10,000; the plan realizes a 4,000 LT gain (1,000 sh basis 6,000 at 10).
    # Without: l = -10,000 -> deduction 3,000, carryover 7,000, tax -1,110.
    # With: l = -6,000 -> deduction 3,000, carryover 3,000, tax -1,110.
    # Tax cost = 0 - 0.10 * (3,000 - 7,000) = +400.
    h = household(carryover_long_term=10000.0, lots=[("L", "T1", "X", 1000, 6000.0, "2015-04-01")])
    r = judged(h, [(None, "T1", "X", "sell", 1000, 10.0, "L")])
    assert r["year"]["tax"] == approx(-1110.0) and r["year_without_trades"]["tax"] == approx(-1110.0)
    assert r["year"]["carryover_long_term"] == approx(3000.0)
    assert r["tax_cost"] == approx(400.0)


# =============================================================================================
# Wash sales: Pub 550 and the regulations
# =============================================================================================
def test_pub550_example_1_loss_added_to_the_basis_of_the_new_stock():
    # Pub 550 Wash Sales, Example 1: "You buy 100 shares of X stock for $1,000. You sell these
    # shares for $750 and within 30 days from the sale you buy 100 shares of the same stock for
    # $800 ... you can't deduct your loss of $250 ... your basis in the new stock ... $1,050."
    # Holding period (Pub 550: includes the old one; convention: start = sold start + days
    # from sale to purchase): 2026-01-06 + 14 days = 2026-01-20.
    h = household(lots=[("L1", "T1", "X", 100, 1000.0, "2026-01-05")])
    r = judged(h, [("2026-12-01", "T1", "X", "sell", 100, 7.50, "L1"),
                ("2026-12-15", "T1", "X", "buy", 100, 8.00, "N1")])
    (sale,) = r["sales"]
    assert (sale["proceeds"], sale["basis"], sale["gain"]) == approx((750.0, 1000.0, -250.0))
    assert sale["disallowed"] == approx(250.0) and sale["permanently_disallowed"] == approx(0.0)
    (new,) = lots_of(r, "N1")
    assert new["cost_basis"] == approx(1050.0)
    assert new["holding_period_start"] == "2026-01-20"
    assert r["year"]["short_term"] == approx(0.0)
    assert r["tax_cost"] == approx(0.0)
    assert wash_violations(r)


def test_pub550_example_3_bought_within_30_days_before_the_sale_partial():
    # Pub 550 Wash Sales, Example 3: "You bought 100 shares of M stock on September 24 ... for
    # $5,000. On December 18, you bought 50 shares of substantially identical stock for $2,750.
    # On December 28, you bought 25 shares ... for $1,125. On January 7 (next year), you sold
    # for $4,000 the 100 shares you bought in September. You have a $1,000 loss ... you can't
    # deduct the loss ($750) on 75 shares. You can deduct the loss ($250) on the other 25 shares.
    # ... The new basis of those [50] shares is $3,250 ($2,750 + $500). ... The new basis of
    # those [25] shares is $1,375 ($1,125 + $250)."
    # Holding periods: bought before the sale -> the earlier of their own start and the sold
    # shares' start (convention): 2025-09-25.
    lots = [("SEP", "T1", "M", 100, 5000.0, "2025-09-24"), ("DEC18", "T1", "M", 50, 2750.0, "2025-12-18"),
            ("DEC28", "T1", "M", 25, 1125.0, "2025-12-28")]
    h = household(as_of="2026-01-07", securities=[("M", 40.0, "us_equity")], lots=lots)
    r = judged(h, [(None, "T1", "M", "sell", 100, 40.0, "SEP")])
    assert sale_total(r, "SEP", "gain") == approx(-1000.0)
    assert sale_total(r, "SEP", "disallowed") == approx(750.0)
    assert r["year"]["short_term"] == approx(-250.0)
    assert lot_total(r, "DEC18", "cost_basis") == approx(3250.0)
    assert lot_total(r, "DEC28", "cost_basis") == approx(1375.0)
    assert {lot["holding_period_start"] for lot in lots_of(r, "DEC18") + lots_of(r, "DEC28")} == {"2025-09-25"}
    # Deduction 250 -> tax -0.37 * 250 = -92.50, the whole tax cost.
    assert r["tax_cost"] == approx(-92.5)


@pytest.mark.parametrize("new_price, new_basis", [(90.0, 110.0), (70.0, 90.0)],
                         ids=["reg-1.1091-2-example-1", "reg-1.1091-2-example-2"])
def test_reg_1_1091_2_basis_is_old_basis_adjusted_by_price_difference(new_price, new_basis):
    # Treas. Reg. §1.1091-2 Example 1: share bought for $100, sold Jan 15 for $80, a new share
    # bought Feb 1 for $90: basis $110 (= 100 + (90 - 80)). Example 2: new share for $70:
    # basis $90 (= 100 - (80 - 70)). Either way: new price + disallowed 20.
    # Old share held since 2015 -> long-term sale; the new share's start = 2015-03-02 + 17 days.
    h = household(as_of="2026-01-15", securities=[("X", 80.0, "us_equity")],
                  lots=[("OLD", "T1", "X", 1, 100.0, "2015-03-01")])
    r = judged(h, [(None, "T1", "X", "sell", 1, 80.0, "OLD"), ("2026-02-01", "T1", "X", "buy", 1, new_price, "NEW")])
    (sale,) = r["sales"]
    assert sale["term"] == "long" and sale["disallowed"] == approx(20.0)
    (new,) = lots_of(r, "NEW")
    assert new["cost_basis"] == approx(new_basis)
    assert new["holding_period_start"] == "2015-03-19"
    assert r["year"]["long_term"] == approx(0.0)


def test_partial_replacement_washes_only_the_replaced_shares():
    # Reg. §1.1091-1(c) / Pub 550: fewer shares bought than sold -> only that many washed.
    # Lot 100 sh basis 1,500 (ST) sold at 10: loss 500, 5/share. 60 sh bought at 10:
    # disallowed 60*5 = 300, deductible 200; new basis 600 + 300 = 900.
    h = household(lots=[("L", "T1", "X", 100, 1500.0, "2026-06-01")])
    r = judged(h, [(None, "T1", "X", "sell", 100, 10.0, "L"), ("2026-12-05", "T1", "X", "buy", 60, 10.0, "N")])
    assert sale_total(r, "L", "gain") == approx(-500.0)
    assert sale_total(r, "L", "disallowed") == approx(300.0)
    assert r["year"]["short_term"] == approx(-200.0)
    assert lot_total(r, "N", "cost_basis") == approx(900.0)


def test_partial_wash_splits_the_replacement_lot_adjusted_part_first():
    # SPEC §2 "a lot may split"; convention: both parts keep the lot_id, the adjusted part first.
    # Sell 40 sh (basis 600, acquired 2026-03-01) at 10: loss 200. Buy 100 sh at 10 the same day:
    # 40 replacement shares get basis 400 + 200 = 600 and start = sold start 2026-03-02 + 0 days;
    # the other 60 keep basis 600 and their own start 2026-12-02.
    h = household(lots=[("L", "T1", "X", 40, 600.0, "2026-03-01")])
    r = judged(h, [(None, "T1", "X", "sell", 40, 10.0, "L"), (None, "T1", "X", "buy", 100, 10.0, "N")])
    parts = lots_of(r, "N")
    assert [(p["quantity"], p["cost_basis"], p["holding_period_start"]) for p in parts] == [
        (approx(40.0), approx(600.0), "2026-03-02"), (approx(60.0), approx(600.0), "2026-12-02")]
    assert [p["wash_adjusted"] for p in parts] == [True, False]
    assert r["year"]["short_term"] == approx(0.0)


def test_replacement_shares_are_matched_in_order_of_acquisition():
    # Reg. §1.1091-1(c)/(d): replacement shares are matched in the order acquired.
    # Sell 100 sh (basis 1,500) at 10: loss 500 (5/share). Buys: 60 sh on 12-03 (P), 100 sh on
    # 12-10 (Q). P takes 60 sh: +300 -> 900; Q takes 40 sh: +200, split 40 sh at 600 + 60 sh at 600.
    h = household(lots=[("L", "T1", "X", 100, 1500.0, "2026-06-01")])
    r = judged(h, [(None, "T1", "X", "sell", 100, 10.0, "L"), ("2026-12-10", "T1", "X", "buy", 100, 10.0, "Q"),
                ("2026-12-03", "T1", "X", "buy", 60, 10.0, "P")])
    assert sale_total(r, "L", "disallowed") == approx(500.0)
    assert lot_total(r, "P", "cost_basis") == approx(900.0)
    assert [(q["quantity"], q["cost_basis"]) for q in lots_of(r, "Q")] == [
        (approx(40.0), approx(600.0)), (approx(60.0), approx(600.0))]


def test_losses_are_washed_in_the_order_of_the_sales():
    # Reg. §1.1091-1(b): with several losses, the rule applies to them in the order sold.
    # L1 (100 sh, basis 1,100) sold 12-01 at 10: loss 100; L2 (100 sh, basis 1,300) sold 12-03:
    # loss 300; one replacement of 100 sh on 12-05 washes the first: disallowed 100 on L1,
    # L2's 300 stays deductible. New basis 1,000 + 100 = 1,100.
    h = household(lots=[("L1", "T1", "X", 100, 1100.0, "2026-05-01"), ("L2", "T1", "X", 100, 1300.0, "2026-05-02")])
    r = judged(h, [("2026-12-03", "T1", "X", "sell", 100, 10.0, "L2"), ("2026-12-01", "T1", "X", "sell", 100, 10.0, "L1"),
                ("2026-12-05", "T1", "X", "buy", 100, 10.0, "N")])
    assert sale_total(r, "L1", "disallowed") == approx(100.0)
    assert sale_total(r, "L2", "disallowed") == approx(0.0)
    assert r["year"]["short_term"] == approx(-300.0)
    assert lot_total(r, "N", "cost_basis") == approx(1100.0)


def test_a_gain_is_never_washed():
    # Pub 550: the wash-sale rule disallows losses only. 100 sh basis 500 sold at 10: +500,
    # bought back the same day: nothing disallowed, new basis 1,000.
    h = household(lots=[("L", "T1", "X", 100, 500.0, "2026-06-01")])
    r = judged(h, [(None, "T1", "X", "sell", 100, 10.0, "L"), (None, "T1", "X", "buy", 100, 10.0, "N")])
    assert sale_total(r, "L", "disallowed") == 0.0
    assert r["year"]["short_term"] == approx(500.0)
    assert lot_total(r, "N", "cost_basis") == approx(1000.0)


def test_rev_rul_56_602_shares_of_the_same_purchase_do_not_replace_each_other():
    # Rev. Rul. 56-602: 200 shares bought in one purchase on 2026-11-10 (basis 2,400); 100 of
    # them sold 12-01 at 10 -> loss 1,200 - 1,000 = 200, deductible: the other 100 shares of
    # the same purchase are not replacement shares. A history buy naming that lot is the same
    # purchase, counted once (SPEC §2). The remaining 100 sh keep basis 1,200.
    h = household(lots=[("L", "T1", "X", 200, 2400.0, "2026-11-10")],
                  transactions=[("2026-11-10", "T1", "X", "buy", 200, 12.0, "L")])
    r = judged(h, [(None, "T1", "X", "sell", 100, 10.0, "L")])
    assert sale_total(r, "L", "gain") == approx(-200.0)
    assert sale_total(r, "L", "disallowed") == approx(0.0)
    assert r["year"]["short_term"] == approx(-200.0)
    assert lot_total(r, "L", "cost_basis") == approx(1200.0)
    assert not wash_violations(r)


def test_another_purchase_within_30_days_before_does_replace():
    # Contrast with Rev. Rul. 56-602: a separate purchase (L2, 2026-11-12) replaces.
    # L1 100 sh basis 1,200 sold at 10: loss 200, all washed by L2 (100 sh, basis 1,200 -> 1,400);
    # L2 bought before the sale keeps the earlier start: min(2026-11-13, 2026-11-11) = 2026-11-11.
    h = household(lots=[("L1", "T1", "X", 100, 1200.0, "2026-11-10"), ("L2", "T1", "X", 100, 1200.0, "2026-11-12")])
    r = judged(h, [(None, "T1", "X", "sell", 100, 10.0, "L1")])
    assert sale_total(r, "L1", "disallowed") == approx(200.0)
    (l2,) = lots_of(r, "L2")
    assert l2["cost_basis"] == approx(1400.0)
    assert l2["holding_period_start"] == "2026-11-11"


def test_rev_rul_56_602_within_the_plan():
    # Rev. Rul. 56-602 on a trade list: one buy of 200 sh at 12 on 12-01 (lot N), 100 of them
    # sold 12-10 at 10: loss 200, not washed by the other 100 shares of the same purchase.
    h = household()
    r = judged(h, [(None, "T1", "X", "buy", 200, 12.0, "N"), ("2026-12-10", "T1", "X", "sell", 100, 10.0, "N")])
    assert sale_total(r, "N", "gain") == approx(-200.0)
    assert sale_total(r, "N", "disallowed") == approx(0.0)
    assert (lot_total(r, "N", "quantity"), lot_total(r, "N", "cost_basis")) == approx((100.0, 1200.0))
    assert r["year"]["short_term"] == approx(-200.0)


@pytest.mark.parametrize("kind", ["traditional", "roth", "hsa"])
def test_rev_rul_2008_5_replacement_in_a_tax_advantaged_account_loses_the_loss(kind):
    # Rev. Rul. 2008-5: loss sale in the taxable account, the IRA (SPEC: also Roth, HSA) buys
    # substantially identical stock within 30 days: loss disallowed and IRA basis NOT increased.
    # Lot 100 sh basis 1,500 since 2025-06-01 (LT on 2026-12-01) sold at 10: LT loss 500,
    # disallowed 500, permanently 500. IRA lot basis 1,000. Year LT 0 -> tax cost 0
    # (versus -0.37 * 500 = -185 had the loss been deductible).
    h = household(accounts=[("T1", "taxable", 0.0), ("IRA", kind, 1000.0)],
                  lots=[("L", "T1", "X", 100, 1500.0, "2025-06-01")])
    r = judged(h, [(None, "T1", "X", "sell", 100, 10.0, "L"), ("2026-12-05", "IRA", "X", "buy", 100, 10.0, "I")])
    (sale,) = r["sales"]
    assert sale["term"] == "long"
    assert sale["disallowed"] == approx(500.0)
    assert sale["permanently_disallowed"] == approx(500.0)
    assert lot_total(r, "I", "cost_basis") == approx(1000.0)
    assert r["year"]["long_term"] == approx(0.0)
    assert r["tax_cost"] == approx(0.0)


def test_rev_rul_2008_5_ira_lot_bought_before_the_sale():
    # As above with the IRA purchase 11 days before the sale (a lot in lots.csv, 2026-11-20):
    # within the 30 days before, so the loss of 500 is lost for good; the IRA lot is unchanged.
    h = household(accounts=[("T1", "taxable", 0.0), ("IRA", "traditional", 0.0)],
                  lots=[("L", "T1", "X", 100, 1500.0, "2025-06-01"), ("I", "IRA", "X", 100, 1000.0, "2026-11-20")])
    r = judged(h, [(None, "T1", "X", "sell", 100, 10.0, "L")])
    assert sale_total(r, "L", "permanently_disallowed") == approx(500.0)
    (ira,) = lots_of(r, "I")
    assert (ira["quantity"], ira["cost_basis"], ira["holding_period_start"]) == (approx(100.0), approx(1000.0), "2026-11-21")


# ---- 30 vs 31 days ---------------------------------------------------------------------------
@pytest.mark.parametrize("buy_date, washed", [("2026-12-15", True), ("2026-12-16", False)],
                         ids=["30-days-after", "31-days-after"])
def test_window_ends_30_days_after_the_sale(buy_date, washed):
    # IRC §1091(a) / Pub 550: within 30 days after. Sale 2026-11-15: +30 days = 12-15 washes,
    # 12-16 (31 days) doesn't. Lot 100 sh basis 1,500 (LT), sold at 10: loss 500.
    h = household(as_of="2026-11-15", lots=[("L", "T1", "X", 100, 1500.0, "2025-01-10")])
    r = judged(h, [(None, "T1", "X", "sell", 100, 10.0, "L"), (buy_date, "T1", "X", "buy", 100, 10.0, "N")])
    assert sale_total(r, "L", "disallowed") == approx(500.0 if washed else 0.0)
    assert r["year"]["long_term"] == approx(0.0 if washed else -500.0)
    assert lot_total(r, "N", "cost_basis") == approx(1500.0 if washed else 1000.0)


@pytest.mark.parametrize("acquired, washed", [("2026-10-16", True), ("2026-10-15", False)],
                         ids=["30-days-before", "31-days-before"])
def test_window_starts_30_days_before_the_sale(acquired, washed):
    # IRC §1091(a) / Pub 550: within 30 days before. Sale 2026-11-15: a lot bought 10-16
    # (30 days before) replaces, one bought 10-15 (31 days) doesn't.
    h = household(as_of="2026-11-15", lots=[("L", "T1", "X", 100, 1500.0, "2025-01-10"),
                                             ("R", "T1", "X", 100, 1100.0, acquired)])
    r = judged(h, [(None, "T1", "X", "sell", 100, 10.0, "L")])
    assert sale_total(r, "L", "disallowed") == approx(500.0 if washed else 0.0)
    assert lot_total(r, "R", "cost_basis") == approx(1600.0 if washed else 1100.0)


def test_the_window_runs_across_the_year_end():
    # IRC §1091(a): the 61-day window is not cut at Dec 31. Loss sale 2026-12-20 (100 sh,
    # basis 1,500, ST) at 10: loss 500; bought back 2027-01-10 (21 days later): washed, so the
    # 2026 year shows no loss; the new lot's basis is 1,000 + 500.
    h = household(as_of="2026-12-20", lots=[("L", "T1", "X", 100, 1500.0, "2026-06-01")])
    r = judged(h, [(None, "T1", "X", "sell", 100, 10.0, "L"), ("2027-01-10", "T1", "X", "buy", 100, 10.0, "N")])
    assert sale_total(r, "L", "disallowed") == approx(500.0)
    assert r["year"]["short_term"] == approx(0.0)
    assert lot_total(r, "N", "cost_basis") == approx(1500.0)


def test_a_sale_dated_in_the_next_year_is_not_in_the_year_of_as_of():
    # SPEC §4: `year` is the whole tax year of as_of. A sale dated 2027-01-04 (trade date) is
    # realized in 2027 (Pub 550: gain or loss is reported in the year of the trade date), so it
    # is not part of 2026: as_of 2026-12-20, lot 100 sh basis 500 (LT) sold 2027-01-04 at 10
    # (+500): the 2026 year and its tax stay as without the trades.
    h = household(as_of="2026-12-20", lots=[("L", "T1", "X", 100, 500.0, "2020-01-01")])
    r = judged(h, [("2027-01-04", "T1", "X", "sell", 100, 10.0, "L")])
    assert r["year"]["long_term"] == approx(0.0)
    assert r["year"] == r["year_without_trades"]


# ---- substantially identical = same wash group -------------------------------------------------
def test_wash_group_decides_what_is_substantially_identical():
    # SPEC §1/§2: VOO and IVV share the wash group "sp500" (substantially identical), ITOT is its
    # own group. Each lot 100 sh basis 1,500 (ST) sold at 10: loss 500.
    # VOO sold, IVV bought: washed (500). VTI sold, ITOT bought: not washed.
    securities = [("VOO", 10.0, "us_equity", "sp500"), ("IVV", 10.0, "us_equity", "sp500"),
                  ("VTI", 10.0, "us_equity", "total"), ("ITOT", 10.0, "us_equity", "total_sp")]
    lots = [("A", "T1", "VOO", 100, 1500.0, "2026-06-01"), ("B", "T1", "VTI", 100, 1500.0, "2026-06-01")]
    h = household(securities=securities, lots=lots)
    r = judged(h, [(None, "T1", "VOO", "sell", 100, 10.0, "A"), (None, "T1", "VTI", "sell", 100, 10.0, "B"),
                (None, "T1", "IVV", "buy", 100, 10.0, "NI"), (None, "T1", "ITOT", "buy", 100, 10.0, "NT")])
    assert sale_total(r, "A", "disallowed") == approx(500.0)
    assert sale_total(r, "B", "disallowed") == approx(0.0)
    assert lot_total(r, "NI", "cost_basis") == approx(1500.0)
    assert lot_total(r, "NT", "cost_basis") == approx(1000.0)
    assert r["year"]["short_term"] == approx(-500.0)


def test_a_purchase_in_the_spouses_account_washes():
    # Pub 550 Wash Sales: "If you sell stock and your spouse ... buys substantially identical
    # stock, you also have a wash sale." Alex sells 100 sh (basis 1,500) at 10: loss 500;
    # Jordan's taxable account buys 100 at 10 the same week: Jordan's basis 1,000 + 500.
    h = household(accounts=[("ALEX", "taxable", 0.0, "alex"), ("JORDAN", "taxable", 5000.0, "jordan")],
                  lots=[("L", "ALEX", "X", 100, 1500.0, "2026-06-01")])
    r = judged(h, [(None, "ALEX", "X", "sell", 100, 10.0, "L"), ("2026-12-04", "JORDAN", "X", "buy", 100, 10.0, "J")])
    assert sale_total(r, "L", "disallowed") == approx(500.0)
    assert sale_total(r, "L", "permanently_disallowed") == approx(0.0)
    (j,) = lots_of(r, "J")
    assert (j["account_id"], j["cost_basis"]) == ("JORDAN", approx(1500.0))
    # Start: sold start 2026-06-02 + 3 days = 2026-06-05.
    assert j["holding_period_start"] == "2026-06-05"


def test_chain_replacement_sold_at_a_loss_washes_again():
    # Pub 550: the disallowed loss is postponed until the replacement is disposed of; sold at a
    # loss and replaced again, it is washed again with the carried basis and holding period.
    # A: 100 sh basis 10,000 since 2025-01-10 (start 01-11) sold 12-01 at 80: loss 2,000 (LT).
    # B: 100 bought 12-06 at 85: basis 8,500 + 2,000 = 10,500, start 01-11 + 5 days = 2025-01-16.
    # B sold 12-21 at 75: loss 10,500 - 7,500 = 3,000, long-term through the tacked start.
    # C: 100 bought 12-26 at 78: basis 7,800 + 3,000 = 10,800, start 2025-01-16 + 5 = 2025-01-21.
    h = household(securities=[("X", 80.0, "us_equity")], lots=[("A", "T1", "X", 100, 10000.0, "2025-01-10")])
    r = judged(h, [("2026-12-01", "T1", "X", "sell", 100, 80.0, "A"), ("2026-12-06", "T1", "X", "buy", 100, 85.0, "B"),
                ("2026-12-21", "T1", "X", "sell", 100, 75.0, "B"), ("2026-12-26", "T1", "X", "buy", 100, 78.0, "C")])
    assert sale_total(r, "A", "disallowed") == approx(2000.0)
    (b,) = sales_of(r, "B")
    assert (b["basis"], b["gain"], b["term"], b["disallowed"]) == (approx(10500.0), approx(-3000.0), "long", approx(3000.0))
    (c,) = lots_of(r, "C")
    assert (c["cost_basis"], c["holding_period_start"]) == (approx(10800.0), "2025-01-21")
    assert r["year"]["short_term"] == approx(0.0) and r["year"]["long_term"] == approx(0.0)


# ---- the replacement was disposed of before the loss sale ---------------------------------------
def test_a_washed_loss_never_vanishes_when_the_replacement_was_sold_first():
    # IRC §1091(d) / Pub 550: a disallowed loss is added to the replacement's basis; it is lost
    # only when the replacement sits in an IRA (Rev. Rul. 2008-5). Here every share is in the
    # taxable account: A (100 sh, basis 10,000, since 2020) and B, bought 12-01 at 90 and sold
    # 12-05 at 95, then A sold 12-10 at 90.
    # Either reading gives the same year total: (i) B, already sold, is no replacement:
    # B +500, A -1,000 -> -500; (ii) B replaces A: B's basis 9,000 + 1,000 -> B's sale -500,
    # A's -1,000 disallowed -> -500. The year's short + long must be -500, never +500.
    h = household(securities=[("X", 90.0, "us_equity")], lots=[("A", "T1", "X", 100, 10000.0, "2020-01-05")])
    r = judged(h, [("2026-12-01", "T1", "X", "buy", 100, 90.0, "B"), ("2026-12-05", "T1", "X", "sell", 100, 95.0, "B"),
                ("2026-12-10", "T1", "X", "sell", 100, 90.0, "A")])
    assert r["lots"] == []
    assert r["year"]["short_term"] + r["year"]["long_term"] == approx(-500.0)


def test_an_already_sold_replacement_takes_the_holding_period_too():
    # The same list. Reading (ii) (the engine's: A's disallowed 1,000 raises the basis of B's
    # sale) must also give B the holding period of A (Pub 550: "Your holding period for the new
    # stock ... includes the holding period of the stock ... sold"; convention for a replacement
    # bought before the sale: the earlier start, 2020-01-06). B's sale is then long-term:
    # year ST 0, LT -500. (Reading (i) gives ST +500, LT -1,000; in neither is any of A's
    # long-term loss short-term.)
    h = household(securities=[("X", 90.0, "us_equity")], lots=[("A", "T1", "X", 100, 10000.0, "2020-01-05")])
    r = judged(h, [("2026-12-01", "T1", "X", "buy", 100, 90.0, "B"), ("2026-12-05", "T1", "X", "sell", 100, 95.0, "B"),
                ("2026-12-10", "T1", "X", "sell", 100, 90.0, "A")])
    assert sale_total(r, "B", "gain") == approx(-500.0)
    assert (r["year"]["short_term"], r["year"]["long_term"]) == approx((0.0, -500.0))


@pytest.mark.parametrize("order", [["B", "A"], ["A", "B"]], ids=["recent-lot-first", "old-lot-first"])
def test_harvesting_every_lot_of_a_position_deducts_the_whole_loss(order):
    # Selling every lot of a position at a loss on one day, including one bought 11 days ago
    # (B), leaves no replacement shares: whichever way §1091 is read, the total loss
    # (A: 10,000 - 9,000 = 1,000 LT; B: 9,500 - 9,000 = 500 ST) stays deductible in total:
    # -1,500, whatever the order of the rows. (SPEC §4: rows apply in file order, but the
    # tax of selling both lots cannot depend on it.)
    h = household(securities=[("X", 90.0, "us_equity")],
                  lots=[("A", "T1", "X", 100, 10000.0, "2020-01-05"), ("B", "T1", "X", 100, 9500.0, "2026-11-20")])
    r = judged(h, [(None, "T1", "X", "sell", 100, 90.0, lot) for lot in order])
    assert r["lots"] == []
    assert r["year"]["short_term"] + r["year"]["long_term"] == approx(-1500.0)


@pytest.mark.parametrize("order", [["B", "A"], ["A", "B"]], ids=["recent-lot-first", "old-lot-first"])
def test_harvesting_every_lot_keeps_the_character_whatever_the_row_order(order):
    # The same sales. Old lot first, the engine washes A's 1,000 into B (still held), B takes A's
    # holding period (Pub 550) and B's sale is a long-term loss of 1,500: ST 0, LT -1,500.
    # Recent lot first must give the same year: A's disallowed loss raises the basis of B's sale
    # and B's holding period includes A's, so again ST 0, LT -1,500 (not a 1,500 ST loss).
    h = household(securities=[("X", 90.0, "us_equity")],
                  lots=[("A", "T1", "X", 100, 10000.0, "2020-01-05"), ("B", "T1", "X", 100, 9500.0, "2026-11-20")])
    r = judged(h, [(None, "T1", "X", "sell", 100, 90.0, lot) for lot in order])
    assert (r["year"]["short_term"], r["year"]["long_term"]) == approx((0.0, -1500.0))


# ---- history (transactions.csv) and scheduled purchases (cashflows.csv) -------------------------
def test_a_buy_in_the_plan_washes_a_loss_sold_in_the_last_30_days():
    # SPEC §2: a buy in the plan washes a history loss. History: 100 sh of lot H (bought
    # 2025-05-01) sold 2026-11-20 with realized_gain -500, term long; [realized] long_term -500.
    # The plan buys 100 sh on 12-01 (11 days later): disallowed 500, year LT -500 + 500 = 0.
    # Without the plan: LT -500 -> deduction 500 -> tax -185; with: 0 -> tax cost +185.
    # New lot: basis 1,000 + 500 = 1,500, start = H's start 2025-05-02 + 11 days = 2025-05-13.
    history = [("2025-05-01", "T1", "X", "buy", 100, 15.0, "H"),
               ("2026-11-20", "T1", "X", "sell", 100, 10.0, "H", -500.0, "long")]
    h = household(transactions=history, realized_long_term=-500.0)
    r = judged(h, [(None, "T1", "X", "buy", 100, 10.0, "N")])
    (wash,) = r["history_washes"]
    assert (wash["date"], wash["disallowed"], wash["permanently_disallowed"], wash["term"], wash["by_trade"]) == (
        "2026-11-20", approx(500.0), approx(0.0), "long", True)
    assert r["year"]["long_term"] == approx(0.0)
    assert r["year_without_trades"]["long_term"] == approx(-500.0)
    assert r["tax_cost"] == approx(185.0)
    (new,) = lots_of(r, "N")
    assert (new["cost_basis"], new["holding_period_start"]) == (approx(1500.0), "2025-05-13")
    assert wash_violations(r)


def test_history_sale_term_comes_from_its_lot_when_no_term_column():
    # SPEC convention: a history sale's term from `term`, else its lot, else short-term.
    # H bought 2025-05-01 (history buy) -> long-term on 2026-11-20; no term column.
    # Realized LT -500; the plan's buy washes it: year LT 0, ST 0.
    history = [("2025-05-01", "T1", "X", "buy", 100, 15.0, "H"), ("2026-11-20", "T1", "X", "sell", 100, 10.0, "H", -500.0)]
    h = household(transactions=history, realized_long_term=-500.0)
    r = judged(h, [(None, "T1", "X", "buy", 100, 10.0, "N")])
    (wash,) = r["history_washes"]
    assert wash["term"] == "long"
    assert (r["year"]["short_term"], r["year"]["long_term"]) == approx((0.0, 0.0))


def test_history_sale_of_part_of_a_held_lot_is_not_replaced_by_the_rest_of_it():
    # Rev. Rul. 56-602 with history: lot L, 100 sh bought 2026-11-10 at 12; 50 sh sold 11-20
    # at 10 (realized_gain -100, no term column -> from the lot: short); lots.csv still holds
    # the other 50 sh of L (basis 600). Those don't replace; the plan's 50-share buy on 12-01
    # does: 100 disallowed, year ST -100 + 100 = 0, tax cost 0 - (-0.37*100) = +37.
    # New lot: basis 500 + 100 = 600, start = L's start 2026-11-11 + 11 days = 2026-11-22.
    history = [("2026-11-10", "T1", "X", "buy", 100, 12.0, "L"), ("2026-11-20", "T1", "X", "sell", 50, 10.0, "L", -100.0)]
    h = household(transactions=history, realized_short_term=-100.0, lots=[("L", "T1", "X", 50, 600.0, "2026-11-10")])
    r = judged(h, [(None, "T1", "X", "buy", 50, 10.0, "N")])
    (wash,) = r["history_washes"]
    assert (wash["disallowed"], wash["term"]) == (approx(100.0), "short")
    assert r["year"]["short_term"] == approx(0.0)
    assert r["tax_cost"] == approx(37.0)
    (new,) = lots_of(r, "N")
    assert (new["cost_basis"], new["holding_period_start"]) == (approx(600.0), "2026-11-22")
    assert lot_total(r, "L", "cost_basis") == approx(600.0)


def test_history_loss_already_replaced_is_not_washed_again():
    # SPEC convention: earlier purchases use up replacement shares. History: 100 sh sold
    # 11-20 at a 500 loss (ST by default); lot R of 100 sh bought 11-25 (already the
    # replacement, its basis already adjusted in the input). The plan's buy of 100 on 12-01
    # finds no loss shares left: no history wash, tax cost 0.
    history = [("2026-11-20", "T1", "X", "sell", 100, 10.0, "", -500.0),
               ("2026-11-25", "T1", "X", "buy", 100, 10.0, "R")]
    h = household(transactions=history, realized_short_term=-500.0, lots=[("R", "T1", "X", 100, 1500.0, "2026-11-25")])
    r = judged(h, [(None, "T1", "X", "buy", 100, 10.0, "N")])
    assert r["history_washes"] == []
    assert r["tax_cost"] == approx(0.0)
    assert lot_total(r, "N", "cost_basis") == approx(1000.0)


def test_history_loss_partly_replaced_before_is_washed_for_the_rest():
    # As above but R holds 40 sh: the plan's 100-share buy washes the remaining 60 loss shares:
    # 60 * 5 = 300 disallowed; year ST = -500 + 300 = -200.
    # Tax: without -0.37*500 = -185; with -0.37*200 = -74 -> tax cost +111.
    history = [("2026-11-20", "T1", "X", "sell", 100, 10.0, "", -500.0),
               ("2026-11-25", "T1", "X", "buy", 40, 10.0, "R")]
    h = household(transactions=history, realized_short_term=-500.0, lots=[("R", "T1", "X", 40, 600.0, "2026-11-25")])
    r = judged(h, [(None, "T1", "X", "buy", 100, 10.0, "N")])
    (wash,) = r["history_washes"]
    assert wash["disallowed"] == approx(300.0) and wash["term"] == "short"
    assert r["year"]["short_term"] == approx(-200.0)
    assert r["tax_cost"] == approx(111.0)
    assert lot_total(r, "N", "cost_basis") == approx(1300.0)


def test_a_history_loss_is_washed_before_a_later_loss_of_the_plan():
    # Reg. §1.1091-1(b): losses are matched in the order sold. History: 100 sh sold 11-20 at a
    # loss of 500 (ST). The plan sells lot L (100 sh, basis 1,300, ST) at 10 on 12-01: loss 300,
    # and buys 100 sh on 12-05. The buy replaces the earlier (history) loss: 500 disallowed
    # there, L's 300 stays deductible. Year ST = -500 + 500 - 300 = -300.
    # Tax cost: without -0.37*500 = -185; with -0.37*300 = -111 -> +74. New basis 1,000 + 500.
    h = household(lots=[("L", "T1", "X", 100, 1300.0, "2026-06-01")], realized_short_term=-500.0,
                  transactions=[("2026-11-20", "T1", "X", "sell", 100, 10.0, "", -500.0)])
    r = judged(h, [(None, "T1", "X", "sell", 100, 10.0, "L"), ("2026-12-05", "T1", "X", "buy", 100, 10.0, "N")])
    (wash,) = r["history_washes"]
    assert wash["disallowed"] == approx(500.0)
    assert sale_total(r, "L", "disallowed") == approx(0.0)
    assert r["year"]["short_term"] == approx(-300.0)
    assert r["tax_cost"] == approx(74.0)
    assert lot_total(r, "N", "cost_basis") == approx(1500.0)


def test_a_scheduled_purchase_washes_a_loss_sale_of_the_plan():
    # SPEC §2: scheduled purchases in cashflows.csv count. $500 of X at $10 on 12-10 = 50 sh.
    # The plan sells 100 sh (basis 1,500, ST) at 10: loss 500 (5/share); 50 sh washed: 250.
    # Year ST -250 -> tax -92.50 = tax cost.
    h = household(lots=[("L", "T1", "X", 100, 1500.0, "2026-06-01")],
                  cashflows=[("2026-12-10", "T1", 500.0, "X")])
    r = judged(h, [(None, "T1", "X", "sell", 100, 10.0, "L")])
    assert sale_total(r, "L", "disallowed") == approx(250.0)
    assert sale_total(r, "L", "permanently_disallowed") == approx(0.0)
    assert r["year"]["short_term"] == approx(-250.0)
    assert r["tax_cost"] == approx(-92.5)


def test_a_scheduled_401k_purchase_loses_the_loss_for_good():
    # Rev. Rul. 2008-5 with a scheduled purchase in a 401(k) (traditional): $500 at $10 = 50 sh
    # -> 250 of the 500 loss disallowed and permanently lost.
    h = household(accounts=[("T1", "taxable", 0.0), ("K", "traditional", 0.0)],
                  lots=[("L", "T1", "X", 100, 1500.0, "2026-06-01")], cashflows=[("2026-12-15", "K", 500.0, "X")])
    r = judged(h, [(None, "T1", "X", "sell", 100, 10.0, "L")])
    assert sale_total(r, "L", "disallowed") == approx(250.0)
    assert sale_total(r, "L", "permanently_disallowed") == approx(250.0)
    assert r["year"]["short_term"] == approx(-250.0)


def test_a_scheduled_purchase_washes_a_history_loss_with_or_without_the_plan():
    # SPEC convention: scheduled purchases on/after as_of wash history losses anew. History loss
    # -500 (100 sh, 11-20, ST); $1,000 of X at $10 scheduled 12-10 = 100 sh: all 500 disallowed
    # in both years (with and without the trades): year ST -500 + 500 = 0, tax cost 0, and the
    # plan (no trades) is not blamed for it.
    h = household(transactions=[("2026-11-20", "T1", "X", "sell", 100, 10.0, "", -500.0)],
                  realized_short_term=-500.0, cashflows=[("2026-12-10", "T1", 1000.0, "X")])
    r = judged(h)
    (wash,) = r["history_washes"]
    assert (wash["disallowed"], wash["by_trade"]) == (approx(500.0), False)
    assert r["year"]["short_term"] == approx(0.0) and r["year_without_trades"]["short_term"] == approx(0.0)
    assert r["tax_cost"] == approx(0.0)
    assert not wash_violations(r)


# =============================================================================================
# Through the command line, on folders
# =============================================================================================
def cli_evaluate(capsys, folder, trades_file):
    status = main(["evaluate", str(folder), "--trades", str(trades_file)])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    return json.loads(captured.out)


def test_cli_pub550_example_1(tmp_path, capsys):
    # Pub 550 Example 1 as a folder: loss 250 disallowed, new basis 1,050 (see above).
    folder = write_household(tmp_path / "hh", lots=[("L1", "T1", "X", 100, 1000.0, "2026-01-05")])
    trades = write_trades(tmp_path / "trades.csv", [("2026-12-01", "T1", "X", "sell", 100, 7.5, "L1"),
                                                     ("2026-12-15", "T1", "X", "buy", 100, 8.0, "N1")])
    r = cli_evaluate(capsys, folder, trades)
    assert r["sales"][0]["disallowed"] == approx(250.0)
    assert lot_total(r, "N1", "cost_basis") == approx(1050.0)
    assert r["tax_cost"] == approx(0.0)


def test_cli_rev_rul_2008_5_ira_replacement(tmp_path, capsys):
    # Rev. Rul. 2008-5 as a folder: loss 500 lost for good, IRA basis stays 1,000.
    folder = write_household(tmp_path / "hh", accounts=[("T1", "taxable", 0.0), ("IRA", "traditional", 1000.0)],
                             lots=[("L", "T1", "X", 100, 1500.0, "2025-06-01")])
    trades = write_trades(tmp_path / "trades.csv", [(None, "T1", "X", "sell", 100, 10.0, "L"),
                                                     (None, "IRA", "X", "buy", 100, 10.0, "I")])
    r = cli_evaluate(capsys, folder, trades)
    assert r["sales"][0]["permanently_disallowed"] == approx(500.0)
    assert lot_total(r, "I", "cost_basis") == approx(1000.0)
    assert r["year"]["long_term"] == approx(0.0)


def test_cli_history_loss_washed_by_a_plan_buy(tmp_path, capsys):
    # transactions.csv: 100 sh sold 11-20 with realized_gain -500, term long; the plan buys
    # 100 on 12-01: 500 disallowed, tax cost +185 (see the Python case above).
    folder = write_household(tmp_path / "hh", realized_long_term=-500.0,
                             transactions=[("2026-11-20", "T1", "X", "sell", 100, 10.0, "H", -500.0, "long")])
    trades = write_trades(tmp_path / "trades.csv", [(None, "T1", "X", "buy", 100, 10.0, "N")])
    r = cli_evaluate(capsys, folder, trades)
    assert r["history_washes"][0]["disallowed"] == approx(500.0)
    assert r["tax_cost"] == approx(185.0)
    assert lot_total(r, "N", "cost_basis") == approx(1500.0)


def test_cli_married_separate_carryover_from_the_toml(tmp_path, capsys):
    # household.toml: married_separate, [realized] short_term = -1,000, [carryforward]
    # long_term = 1,500; the plan realizes an LT gain of +500 (100 sh basis 500 at 10).
    # s = -1,000; l = 500 - 1,500 = -1,000; net loss 2,000, deduction 1,500 (MFS).
    # Worksheet: line 8 = max(0, 1,000 - (1,500 + 0)) = 0; line 13 = 1,000 - (0 + 500) = 500.
    # Tax with = -0.37 * 1,500 = -555. Without: l = -1,500 -> net loss 2,500, deduction 1,500,
    # carryover LT = 1,500 - 500 = 1,000, tax -555. Tax cost = 0 - 0.10 * (500 - 1,000) = +50.
    folder = write_household(tmp_path / "hh", filing_status="married_separate", realized_short_term=-1000.0,
                             carryover_long_term=1500.0, lots=[("L", "T1", "X", 100, 500.0, "2015-01-01")])
    trades = write_trades(tmp_path / "trades.csv", [(None, "T1", "X", "sell", 100, 10.0, "L")])
    r = cli_evaluate(capsys, folder, trades)
    y = r["year"]
    assert (y["short_term"], y["long_term"], y["deduction"]) == approx((-1000.0, 500.0, 1500.0))
    assert (y["carryover_short_term"], y["carryover_long_term"]) == approx((0.0, 500.0))
    assert r["year_without_trades"]["carryover_long_term"] == approx(1000.0)
    assert y["tax"] == approx(-555.0)
    assert r["tax_cost"] == approx(50.0)


def test_cli_scheduled_purchase_and_spouse(tmp_path, capsys):
    # cashflows.csv schedules $300 of X at $10 (30 sh) into Jordan's taxable account on 12-20;
    # Alex's plan sells 100 sh (basis 1,500, ST) at 10: loss 500; 30 sh washed: 150;
    # year ST -350 -> tax cost -0.37 * 350 = -129.50.
    folder = write_household(tmp_path / "hh", accounts=[("ALEX", "taxable", 0.0, "alex"), ("JORDAN", "taxable", 0.0, "jordan")],
                             lots=[("L", "ALEX", "X", 100, 1500.0, "2026-06-01")],
                             cashflows=[("2026-12-20", "JORDAN", 300.0, "X")])
    trades = write_trades(tmp_path / "trades.csv", [(None, "ALEX", "X", "sell", 100, 10.0, "L")])
    r = cli_evaluate(capsys, folder, trades)
    assert sale_total(r, "L", "disallowed") == approx(150.0)
    assert r["year"]["short_term"] == approx(-350.0)
    assert r["tax_cost"] == approx(-129.5)
