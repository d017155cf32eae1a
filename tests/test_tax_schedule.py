"""Schedule mode (SPEC §2b): the tax of a year as Form 1040 computes it, hand-worked.

Sources:
  QDCGT   Qualified Dividends and Capital Gain Tax Worksheet, Form 1040 instructions (line 16),
          lines 1-25; the regular tax by the Tax Rate Schedules' formula.
  RP24    Rev. Proc. 2024-40 §2.01 (rate tables) and §2.03 (0% / 15% maximums) for 2025;
          standard deduction 15,750 / 31,500 / 23,625 / 15,750 per P.L. 119-21 §70102.
  RP25    Rev. Proc. 2025-32 §4.01, §4.03, §4.14(1) for 2026: standard deduction 16,100 /
          32,200 / 24,150 / 16,100.
  8960    Form 8960: 3.8% × min(NII, MAGI − threshold); 200,000 / 250,000 / 125,000 (§1411(b)).
  Sch D   Schedule D lines 7, 15, 16, 21; Capital Loss Carryover Worksheet lines 1-13.

Each case: s and l are Schedule D lines 7 and 15 after carryover in; "tax(x)" is the year's
Tax Rate Schedule for the filing status at x. Amounts are exact (the planner does not round).
"""
from __future__ import annotations

import math
import tomllib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models import FilingStatus, InputError, TaxProfile
from models.loading import parse_toml
from models.schedule import Income, qdcgt_worksheet, year_lines
from models.tax import net_year
from models.tax_tables import shipped_tables

S, MFJ, MFS, HOH = (FilingStatus.SINGLE, FilingStatus.MARRIED_JOINT,
                    FilingStatus.MARRIED_SEPARATE, FilingStatus.HEAD_OF_HOUSEHOLD)


def approx(x):
    return pytest.approx(x, abs=0.005)


def profile(year, status, **income) -> TaxProfile:
    return TaxProfile(filing_status=status, schedule=year, **income)


def tables(year, status):
    return shipped_tables().get(year).status(status)


# =============================================================================================
# The tables themselves: the Revenue Procedures print each schedule twice, as edges and as the
# cumulative "$X plus Y% of the excess over Z"; the edges here must give the printed X's.
# =============================================================================================
PRINTED_CUMULATIVE = {
    (2025, S): [1192.50, 5578.50, 17651, 40199, 57231, 188769.75],        # RP24 Table 3
    (2025, MFJ): [2385, 11157, 35302, 80398, 114462, 202154.50],          # RP24 Table 1
    (2025, MFS): [1192.50, 5578.50, 17651, 40199, 57231, 101077.25],      # RP24 Table 4
    (2025, HOH): [1700, 7442, 15912, 38460, 55484, 187031.50],            # RP24 Table 2
    (2026, S): [1240, 5800, 17966, 41024, 58448, 192979.25],              # RP25 Table 3
    (2026, MFJ): [2480, 11600, 35932, 82048, 116896, 206583.50],          # RP25 Table 1
    (2026, MFS): [1240, 5800, 17966, 41024, 58448, 103291.75],            # RP25 Table 4
    (2026, HOH): [1770, 7740, 16155, 39207, 56631, 191171],               # RP25 Table 2
}


@pytest.mark.parametrize("year,status", list(PRINTED_CUMULATIVE))
def test_each_schedule_gives_the_printed_tax_at_every_edge(year, status):
    b = tables(year, status).brackets
    assert [b.tax(e) for e in b.edges[1:]] == [approx(x) for x in PRINTED_CUMULATIVE[(year, status)]]
    assert b.rates == (0.10, 0.12, 0.22, 0.24, 0.32, 0.35, 0.37)


@pytest.mark.parametrize("year,status,zero,fifteen,standard", [
    (2025, S, 48350, 533400, 15750), (2025, MFJ, 96700, 600050, 31500),
    (2025, MFS, 48350, 300000, 15750), (2025, HOH, 64750, 566700, 23625),
    (2026, S, 49450, 545500, 16100), (2026, MFJ, 98900, 613700, 32200),
    (2026, MFS, 49450, 306850, 16100), (2026, HOH, 66200, 579600, 24150)])
def test_thresholds_and_standard_deductions_are_the_revenue_procedures(year, status, zero, fifteen,
                                                                        standard):
    t = tables(year, status)
    assert (t.zero_rate_max, t.fifteen_rate_max, t.standard_deduction) == (zero, fifteen, standard)
    assert t.niit_threshold == {S: 200000, MFJ: 250000, MFS: 125000, HOH: 200000}[status]
    assert shipped_tables().get(year).source


# =============================================================================================
# Each filing status in both years, line by line
# =============================================================================================
def test_single_2025_gain_straddles_the_zero_rate_top():
    # ordinary 60,000, l = 20,000. AGI 80,000; D 15,750; TI 64,250.
    # QDCGT: 3 = 20,000; 4 = 20,000; 5 = 44,250; 6 = 48,350; 7 = 48,350; 8 = 44,250;
    # 9 = 4,100 (at 0%); 10 = 20,000; 12 = 15,900; 13 = 533,400; 14 = 64,250; 15 = 48,350;
    # 16 = 15,900; 17 = 15,900; 18 = 2,385; 20 = 0; 22 = tax(44,250) = 1,192.50 + 12% × 32,325
    # = 5,071.50; 23 = 7,456.50; 24 = tax(64,250) = 5,578.50 + 22% × 15,775 = 9,049; 25 = 7,456.50.
    y = year_lines(0, 20000, Income(S, ordinary_income=60000), tables(2025, S))
    w = y.worksheet
    assert (y.agi, y.taxable_income) == (80000, 64250)
    assert (w.line5, w.line9, w.line17, w.line20) == (44250, 4100, 15900, 0)
    assert (w.line18, w.line22, w.line23, w.line24) == (approx(2385), approx(5071.50),
                                                        approx(7456.50), approx(9049))
    assert y.federal_income_tax == approx(7456.50) and y.niit == 0 and y.tax == approx(7456.50)


def test_married_joint_2025_gain_straddles_the_zero_rate_top():
    # ordinary 120,000, l = 40,000. AGI 160,000; D 31,500; TI 128,500.
    # 5 = 88,500; 7 = 96,700; 8 = 88,500; 9 = 8,200; 12 = 31,800; 16 = 128,500 − 96,700 = 31,800;
    # 17 = 31,800; 18 = 4,770; 22 = tax(88,500) = 2,385 + 12% × 64,650 = 10,143; 23 = 14,913;
    # 24 = tax(128,500) = 11,157 + 22% × 31,550 = 18,098; 25 = 14,913.
    y = year_lines(0, 40000, Income(MFJ, ordinary_income=120000), tables(2025, MFJ))
    assert (y.worksheet.line9, y.worksheet.line17) == (8200, 31800)
    assert y.worksheet.line24 == approx(18098)
    assert y.federal_income_tax == approx(14913)


def test_married_separate_2025_crosses_the_fifteen_rate_top_and_pays_niit_on_all_nii():
    # ordinary 280,000, l = 50,000. AGI 330,000; D 15,750; TI 314,250.
    # 5 = 264,250; 7 = 8 = 48,350; 9 = 0; 10 = 12 = 50,000; 13 = 300,000 (MFS, not half of
    # 600,050); 14 = 300,000; 15 = 264,250; 16 = 35,750; 17 = 35,750; 18 = 5,362.50;
    # 19 = 35,750; 20 = 14,250; 21 = 2,850; 22 = tax(264,250) = 57,231 + 35% × 13,725
    # = 62,034.75; 23 = 70,247.25; 24 = 57,231 + 35% × 63,725 = 79,534.75; 25 = 70,247.25.
    # NIIT: MAGI excess 330,000 − 125,000 = 205,000 > NII 50,000: 3.8% × 50,000 = 1,900.
    y = year_lines(0, 50000, Income(MFS, ordinary_income=280000), tables(2025, MFS))
    w = y.worksheet
    assert (w.line16, w.line17, w.line20) == (35750, 35750, 14250)
    assert (w.line21, w.line22) == (approx(2850), approx(62034.75))
    assert y.federal_income_tax == approx(70247.25)
    assert y.niit == approx(1900)
    assert y.tax == approx(72147.25)


def test_head_of_household_2025_short_term_gain_stacks_under_the_long_term_gain():
    # ordinary 70,000, s = 5,000, l = 20,000. c = 25,000; AGI 95,000; D 23,625; TI 71,375.
    # 3 = min(20,000, 25,000) = 20,000; 5 = 51,375 (the ST gain is ordinary income);
    # 6 = 64,750; 7 = 64,750; 8 = 51,375; 9 = 13,375; 12 = 6,625; 16 = 71,375 − 64,750 = 6,625;
    # 17 = 6,625; 18 = 993.75; 22 = tax(51,375) = 1,700 + 12% × 34,375 = 5,825; 23 = 6,818.75;
    # 24 = tax(71,375) = 7,442 + 22% × 6,525 = 8,877.50; 25 = 6,818.75.
    y = year_lines(5000, 20000, Income(HOH, ordinary_income=70000), tables(2025, HOH))
    assert (y.worksheet.line3, y.worksheet.line5, y.worksheet.line9) == (20000, 51375, 13375)
    assert y.worksheet.line24 == approx(8877.50)
    assert y.federal_income_tax == approx(6818.75)


def test_single_2026_gain_straddles_the_zero_rate_top():
    # ordinary 45,000, l = 30,000. AGI 75,000; D 16,100; TI 58,900.
    # 5 = 28,900; 7 = 49,450; 8 = 28,900; 9 = 20,550; 12 = 9,450; 16 = 9,450; 17 = 9,450;
    # 18 = 1,417.50; 22 = tax(28,900) = 1,240 + 12% × 16,500 = 3,220; 23 = 4,637.50;
    # 24 = tax(58,900) = 5,800 + 22% × 8,500 = 7,670; 25 = 4,637.50.
    y = year_lines(0, 30000, Income(S, ordinary_income=45000), tables(2026, S))
    assert (y.worksheet.line9, y.worksheet.line17) == (20550, 9450)
    assert y.federal_income_tax == approx(4637.50)


def test_married_joint_2026_qualified_dividends_stack_with_the_gain_and_niit_stays_below():
    # ordinary 150,000, qualified dividends 10,000, l = 50,000. AGI 210,000; D 32,200;
    # TI 177,800. 2 = 10,000; 3 = 50,000; 4 = 60,000; 5 = 117,800 (> 98,900: no 0% room);
    # 9 = 0; 10 = 12 = 60,000; 16 = 177,800 − 117,800 = 60,000; 17 = 60,000; 18 = 9,000;
    # 22 = tax(117,800) = 11,600 + 22% × 17,000 = 15,340; 23 = 24,340;
    # 24 = tax(177,800) = 11,600 + 22% × 77,000 = 28,540; 25 = 24,340.
    # NIIT: MAGI 210,000 ≤ 250,000: 0.
    y = year_lines(0, 50000, Income(MFJ, ordinary_income=150000, qualified_dividends=10000),
                   tables(2026, MFJ))
    assert (y.agi, y.worksheet.line4, y.worksheet.line5) == (210000, 60000, 117800)
    assert y.federal_income_tax == approx(24340)
    assert y.niit == 0


def test_married_separate_2026_niit_on_the_magi_excess_smaller_than_nii():
    # ordinary 100,000 (of it 5,000 interest), s = 20,000, l = 10,000. c = 30,000;
    # AGI 130,000; D 16,100; TI 113,900. 3 = min(10,000, 30,000) = 10,000; 5 = 103,900;
    # 9 = 0; 17 = 10,000; 18 = 1,500; 22 = tax(103,900) = 5,800 + 22% × 53,500 = 17,570;
    # 23 = 19,070; 24 = 17,966 + 24% × 8,200 = 19,934; 25 = 19,070.
    # NIIT: NII = 5,000 + 30,000 = 35,000; MAGI excess 130,000 − 125,000 = 5,000: 3.8% × 5,000 = 190.
    y = year_lines(20000, 10000, Income(MFS, ordinary_income=100000, other_investment_income=5000),
                   tables(2026, MFS))
    assert y.net_investment_income == 35000
    assert y.federal_income_tax == approx(19070)
    assert y.niit == approx(190)
    assert y.tax == approx(19260)


def test_head_of_household_2026_gain_crosses_the_fifteen_rate_top():
    # ordinary 600,000, l = 100,000. AGI 700,000; D 24,150; TI 675,850. 5 = 575,850;
    # 9 = 0; 13 = 579,600; 14 = 579,600; 15 = 575,850; 16 = 3,750; 17 = 3,750; 18 = 562.50;
    # 19 = 3,750; 20 = 96,250; 21 = 19,250; 22 = tax(575,850) = 56,631 + 35% × 319,650
    # = 168,508.50; 23 = 188,321; 24 = 191,171 + 37% × 35,250 = 204,213.50; 25 = 188,321.
    # NIIT: excess 500,000 > NII 100,000: 3,800.
    y = year_lines(0, 100000, Income(HOH, ordinary_income=600000), tables(2026, HOH))
    assert (y.worksheet.line17, y.worksheet.line20) == (3750, 96250)
    assert y.federal_income_tax == approx(188321)
    assert y.niit == approx(3800)


# =============================================================================================
# The stack, the worksheet's min, the deduction, NIIT, state, carryover
# =============================================================================================
def test_a_short_term_gain_pushes_long_term_gain_out_of_the_zero_bracket():
    # Single 2026, ordinary 30,000, l = 20,000.
    # s = 0: AGI 50,000; TI 33,900; 5 = 13,900; 7 = 33,900; 9 = 20,000 (all at 0%);
    #   tax = tax(13,900) = 1,240 + 12% × 1,500 = 1,420.
    # s = 20,000: AGI 70,000; TI 53,900; 3 = min(20,000, 40,000); 5 = 33,900; 7 = 49,450;
    #   9 = 15,550; 17 = 53,900 − 49,450 = 4,450 at 15% = 667.50; 22 = tax(33,900) = 1,240
    #   + 12% × 21,500 = 3,820; tax 4,487.50. The ST gain costs 12% × 20,000 + 15% × 4,450.
    t = tables(2026, S)
    before = year_lines(0, 20000, Income(S, ordinary_income=30000), t)
    after = year_lines(20000, 20000, Income(S, ordinary_income=30000), t)
    assert before.federal_income_tax == approx(1420) and before.worksheet.line9 == 20000
    assert (after.worksheet.line9, after.worksheet.line17) == (15550, 4450)
    assert after.federal_income_tax == approx(4487.50)
    assert after.federal_income_tax - before.federal_income_tax == approx(0.12 * 20000 + 0.15 * 4450)


def test_the_regular_tax_wins_where_fifteen_percent_exceeds_the_twelve_percent_bracket():
    # Single 2026: the 0% top 49,450 lies inside the 12% bracket (to 50,400). ordinary 65,550
    # gives TI 49,450 with no gain; l = 950: TI 50,400, 5 = 49,450, 9 = 0, 17 = 950, 18 = 142.50,
    # 22 = tax(49,450) = 1,240 + 12% × 37,050 = 5,686, 23 = 5,828.50; 24 = tax(50,400) = 5,800.
    # Line 25 takes the smaller: 5,800.
    w = year_lines(0, 950, Income(S, ordinary_income=65550), tables(2026, S)).worksheet
    assert (w.line23, w.line24, w.line25) == (approx(5828.50), approx(5800), approx(5800))


def test_net_loss_over_the_limit_with_qualified_dividends_and_a_state_rate():
    # Single 2026, ordinary 40,000, qualified dividends 5,000, s = −10,000, l = 0, state 5%.
    # c = −10,000; d = 3,000; AGI 42,000; TI 25,900; 3 = 0 (line 15 not positive); 4 = 5,000;
    # 5 = 20,900; 9 = 5,000 (the dividends at 0%); 22 = tax(20,900) = 1,240 + 12% × 8,500
    # = 2,260 = 25. State 5% × −3,000 = −150. Carryover ST 10,000 − 3,000 = 7,000.
    p = profile(2026, S, ordinary_income=40000, qualified_dividends=5000, state_rate=0.05)
    y = net_year(-10000, 0, p)
    assert y.deduction == 3000 and y.carryover_short_term == approx(7000)
    assert y.lines.worksheet.line9 == 5000
    assert y.lines.federal_income_tax == approx(2260)
    assert y.lines.state_tax == approx(-150)
    assert y.tax == approx(2110)
    assert y.as_dict()["agi"] == 42000 and y.as_dict()["state_tax"] == -150


def test_state_rate_on_a_gain_and_a_short_term_gain_taxed_as_ordinary_income():
    # Single 2026, ordinary 100,000, s = 10,000, state 9.3%. AGI 110,000; TI 93,900; 3 = 0
    # (line 15 is 0); 5 = 93,900; 25 = tax(93,900) = 5,800 + 22% × 43,500 = 15,370.
    # State 9.3% × 10,000 = 930. Tax 16,300.
    y = net_year(10000, 0, profile(2026, S, ordinary_income=100000, state_rate=0.093))
    assert y.lines.federal_income_tax == approx(15370)
    assert y.lines.state_tax == approx(930)
    assert y.tax == approx(16300)


def test_married_separate_loss_limit_is_1500():
    # MFS 2026, ordinary 80,000, s = −4,000: d = 1,500; AGI 78,500; TI 62,400;
    # tax(62,400) = 5,800 + 22% × 12,000 = 8,440; carryover 2,500.
    y = net_year(-4000, 0, profile(2026, MFS, ordinary_income=80000))
    assert y.deduction == 1500 and y.carryover_short_term == approx(2500)
    assert y.lines.agi == 78500 and y.lines.federal_income_tax == approx(8440)


def test_itemized_deductions_replace_the_standard_deduction_only_when_larger():
    # MFJ 2025, ordinary 100,000, l = 10,000. Itemized 40,000: TI 70,000; 5 = 60,000;
    # 9 = 10,000 (all at 0%); tax(60,000) = 2,385 + 12% × 36,150 = 6,723.
    # Itemized 20,000 < 31,500: the standard deduction: TI 78,500; 5 = 68,500;
    # tax(68,500) = 2,385 + 12% × 44,650 = 7,743.
    big = net_year(0, 10000, profile(2025, MFJ, ordinary_income=100000, itemized_deductions=40000))
    small = net_year(0, 10000, profile(2025, MFJ, ordinary_income=100000, itemized_deductions=20000))
    assert big.lines.deduction_taken == 40000 and big.lines.taxable_income == 70000
    assert big.lines.federal_income_tax == approx(6723)
    assert small.lines.deduction_taken == 31500 and small.lines.taxable_income == 78500
    assert small.lines.federal_income_tax == approx(7743)


def test_taxable_income_under_the_standard_deduction_owes_no_federal_tax():
    # Single 2025, ordinary 10,000, l = 3,000: AGI 13,000 < 15,750: TI 0, federal 0;
    # state 5% × 3,000 = 150 still applies (the state rate is on the capital result).
    y = net_year(0, 3000, profile(2025, S, ordinary_income=10000, state_rate=0.05))
    assert y.lines.taxable_income == 0 and y.lines.federal_income_tax == 0
    assert y.tax == approx(150)


def test_negative_taxable_income_keeps_the_unused_deduction_in_the_carryover():
    # Single 2026, ordinary 17,100, s = −5,000: d = 3,000; AGI 14,100; Form 1040 line 15
    # = 14,100 − 16,100 = −2,000. Carryover Worksheet: 1 = −2,000; 2 = 3,000; 3 = max(0, 1,000)
    # = 1,000; 4 = min(3,000, 1,000) = 1,000; 8 = 5,000 − (1,000 + 0) = 4,000.
    # (Flat mode assumes the full deduction was used: 2,000.)
    y = net_year(-5000, 0, profile(2026, S, ordinary_income=17100))
    assert y.deduction == 3000 and y.lines.carryover_deduction == 1000
    assert y.carryover_short_term == approx(4000)
    assert y.lines.taxable_income == 0 and y.lines.federal_income_tax == 0
    flat = net_year(-5000, 0, TaxProfile(filing_status=S))
    assert flat.carryover_short_term == approx(2000)
    # Long-term: 13 = 5,000 − (0 + max(0, 1,000 − 0)) = 4,000.
    assert net_year(0, -5000, profile(2026, S, ordinary_income=17100)).carryover_long_term == approx(4000)
    # Both: s = −2,000, l = −3,000: 8 = max(0, 2,000 − 1,000) = 1,000;
    # 13 = 3,000 − (0 + max(0, 1,000 − 2,000)) = 3,000.
    both = net_year(-2000, -3000, profile(2026, S, ordinary_income=17100))
    assert (both.carryover_short_term, both.carryover_long_term) == (approx(1000), approx(3000))
    # No other income at all: 3 = max(0, 3,000 − 16,100 − 3,000 + 3,000)... = 0: all carried.
    assert net_year(-5000, 0, profile(2026, S)).carryover_short_term == approx(5000)


def test_carryover_in_counts_in_schedule_d_lines_7_and_15():
    # MFJ 2026, ordinary 100,000, realized l = 30,000 with a long-term carryover of 10,000:
    # line 15 = 20,000. AGI 120,000; TI 87,800; 5 = 67,800; 9 = 20,000 (at 0%);
    # tax(67,800) = 2,480 + 12% × 43,000 = 7,640.
    p = TaxProfile(filing_status=MFJ, schedule=2026, ordinary_income=100000, carryover_long_term=10000)
    y = net_year(0, 30000, p)
    assert y.lines.agi == 120000 and y.lines.federal_income_tax == approx(7640)


# =============================================================================================
# household.toml and the tables file
# =============================================================================================
def toml(tax: str, status: str = "single") -> dict:
    return tomllib.loads(f'as_of = 2026-12-01\nfiling_status = "{status}"\n[tax]\n{tax}\n')


def error_of(tax: str, folder=None) -> InputError:
    with pytest.raises(InputError) as info:
        parse_toml(toml(tax), "[tax]\n" + tax, folder)
    return info.value


def test_schedule_keys_are_read_into_the_profile():
    _, p, _ = parse_toml(toml("schedule = 2025\nordinary_income = 90000\nqualified_dividends = 1000\n"
                              "other_investment_income = 500\nitemized_deductions = 20000\n"
                              "state_rate = 0.05\ndeferred_gain_rate = 0.1\ncarryforward_value = 0.2",
                              "married_joint"))
    assert (p.schedule, p.ordinary_income, p.qualified_dividends, p.other_investment_income,
            p.itemized_deductions, p.state_rate, p.deferred_gain_rate, p.carryforward_value) == \
        (2025, 90000, 1000, 500, 20000, 0.05, 0.1, 0.2)
    assert p.status_tables.standard_deduction == 31500


@pytest.mark.parametrize("key", ["short_term_rate", "long_term_rate", "deduction_rate"])
def test_a_flat_rate_beside_a_schedule_is_an_input_error_naming_the_key(key):
    e = error_of(f"schedule = 2026\n{key} = 0.2")
    assert (e.file, e.column) == ("household.toml", key)


def test_a_year_without_tables_is_an_input_error_naming_the_file_and_key():
    e = error_of("schedule = 2031")
    assert (e.file, e.column) == ("household.toml", "schedule")
    assert "2031" in str(e) and "2025, 2026" in str(e)


@pytest.mark.parametrize("tax,key", [
    ("ordinary_income = 50000", "ordinary_income"),           # needs schedule = YEAR
    ("schedule = 2026\nordinary_income = nan", "ordinary_income"),
    ("schedule = 2026\nqualified_dividends = inf", "qualified_dividends"),
    ("schedule = 2026\nstate_rate = 9.3", "state_rate"),
    ("schedule = 2026\nitemized_deductions = -1", "itemized_deductions"),
    ("schedule = 2026.0", "schedule"),
    ("schedule = true", "schedule"),
    ("schedule = 2026\ndeferred_gain_rate = nan", "deferred_gain_rate"),
    ("long_term_rate = nan", "long_term_rate"),
    ("schedule = 2026\nsurtax = 1", "surtax"),
])
def test_bad_tax_keys_are_input_errors_naming_the_key(tax, key):
    assert error_of(tax).column == key


USER_TABLES = """
[federal.2024]
source = "Rev. Proc. 2023-34"
[federal.2024.single]
brackets = [[0, 0.10], [11600, 0.12], [47150, 0.22], [100525, 0.24], [191950, 0.32], [243725, 0.35], [609350, 0.37]]
zero_rate_max = 47025
fifteen_rate_max = 518900
standard_deduction = 14600
[federal.2024.married_joint]
brackets = [[0, 0.10], [23200, 0.12]]
zero_rate_max = 94050
fifteen_rate_max = 583750
standard_deduction = 29200
[federal.2024.married_separate]
brackets = [[0, 0.10]]
zero_rate_max = 47025
fifteen_rate_max = 291850
standard_deduction = 14600
niit_threshold = 125000
[federal.2024.head_of_household]
brackets = [[0, 0.10]]
zero_rate_max = 63000
fifteen_rate_max = 551350
standard_deduction = 21900
[state.2024]
name = "CA"
source = "FTB 2024 rate schedule"
[state.2024.single]
brackets = [[0, 0.01], [10756, 0.02]]
standard_deduction = 5540
"""


def test_a_users_tables_file_adds_a_year_and_a_state_schedule(tmp_path):
    (tmp_path / "my_tables.toml").write_text(USER_TABLES)
    _, p, _ = parse_toml(toml('schedule = 2024\ntables = "my_tables.toml"\nordinary_income = 60000'),
                         "", tmp_path)
    # 2024 single: AGI 60,000; TI 45,400; tax(45,400) = 1,160 + 12% × 33,800 = 5,216.
    assert net_year(0, 0, p).tax == approx(5216)
    assert p.tables.get(2024).state.name == "CA"
    assert p.tables.get(2026) is not None            # the shipped years stay available


@pytest.mark.parametrize("edit,key", [
    (("[federal.2024.head_of_household]\nbrackets = [[0, 0.10]]\nzero_rate_max = 63000\n"
      "fifteen_rate_max = 551350\nstandard_deduction = 21900\n", ""), "federal.2024.head_of_household"),
    (("zero_rate_max = 47025\nfifteen_rate_max = 518900", "fifteen_rate_max = 518900"),
     "federal.2024.single.zero_rate_max"),
    (("[0, 0.10], [11600, 0.12]", "[0, 0.10], [11600, 12]"), "federal.2024.single.brackets"),
    (("[0, 0.10], [23200, 0.12]", "[0, 0.12], [23200, 0.10]"), "federal.2024.married_joint.brackets"),
    (("[0, 0.10], [23200, 0.12]", "[100, 0.10], [23200, 0.12]"), "federal.2024.married_joint.brackets"),
    (('source = "Rev. Proc. 2023-34"', ""), "federal.2024.source"),
    (("standard_deduction = 21900", "standard_deduction = nan"),
     "federal.2024.head_of_household.standard_deduction"),
    (("[federal.2024]", "[federal.twenty]"), "federal.twenty"),
])
def test_a_bad_tables_file_is_an_input_error_naming_that_file_and_key(tmp_path, edit, key):
    old, new = edit
    (tmp_path / "t.toml").write_text(USER_TABLES.replace(old, new))
    e = error_of('schedule = 2026\ntables = "t.toml"', tmp_path)
    assert (e.file, e.column) == ("t.toml", key)


def test_a_missing_tables_file_is_an_input_error(tmp_path):
    assert error_of('schedule = 2026\ntables = "none.toml"', tmp_path).file == "none.toml"


# =============================================================================================
# Properties
# =============================================================================================
money = st.floats(min_value=0, max_value=900_000, allow_nan=False).map(lambda x: round(x, 2))
result = st.floats(min_value=-60_000, max_value=700_000, allow_nan=False).map(lambda x: round(x, 2))
statuses = st.sampled_from(list(FilingStatus))
years = st.sampled_from([2025, 2026])


def reference_federal_tax(ti: float, preferential: float, t) -> float:
    """Independently of the worksheet: ordinary income fills the brackets first; the
    preferential part (capped at TI) sits on top, 0% to the 0% top, 15% to the 15% top, 20%
    above; the result is never more than the regular tax on all of TI."""
    pref = min(preferential, ti)
    base = ti - pref
    at0 = max(0.0, min(ti, t.zero_rate_max) - base)
    at15 = max(0.0, min(ti, t.fifteen_rate_max) - max(base, t.zero_rate_max))
    at20 = pref - at0 - at15
    return min(t.brackets.tax(base) + 0.15 * at15 + 0.20 * at20, t.brackets.tax(ti))


@settings(max_examples=300, deadline=None)
@given(years, statuses, money, money, money, money, result, result, st.floats(0, 0.13))
def test_federal_tax_and_niit_never_negative_and_match_an_independent_stack(
        year, status, ordinary, qd, other, itemized, s, l, state_rate):
    t = tables(year, status)
    y = year_lines(s, l, Income(status, ordinary, qd, other, itemized, state_rate), t)
    assert y.federal_income_tax >= 0 and y.niit >= 0
    c = s + l
    pref = qd + (min(l, c) if l > 0 and c > 0 else 0.0)
    assert y.federal_income_tax == pytest.approx(reference_federal_tax(y.taxable_income, pref, t),
                                                 abs=1e-6)
    assert 0 <= y.carryover_deduction <= y.deduction <= status.loss_deduction_limit


@settings(max_examples=300, deadline=None)
@given(years, statuses, money, st.floats(0, 50_000), money, money, money, result, result,
       st.floats(0, 0.13))
def test_the_years_tax_never_falls_as_ordinary_income_rises(year, status, ordinary, more, qd, other,
                                                            itemized, s, l, state_rate):
    t = tables(year, status)

    def tax(o):
        return year_lines(s, l, Income(status, o, qd, other, itemized, state_rate), t).tax

    assert tax(ordinary + more) >= tax(ordinary) - 1e-6


@settings(max_examples=200, deadline=None)
@given(years, statuses, money, result, result, st.floats(0, 30_000), st.floats(0, 30_000))
def test_schedule_mode_never_carries_less_than_flat_mode(year, status, ordinary, s, l, cst, clt):
    # The worksheet's line 4 ≤ d: a loss that saved no tax keeps carrying over.
    flat = net_year(s, l, TaxProfile(filing_status=status, carryover_short_term=cst,
                                      carryover_long_term=clt))
    sched = net_year(s, l, TaxProfile(filing_status=status, carryover_short_term=cst,
                                      carryover_long_term=clt, schedule=year,
                                      ordinary_income=ordinary))
    assert sched.deduction == flat.deduction
    assert sched.carryover >= flat.carryover - 1e-9
    assert math.isclose(sched.carryover - flat.carryover,
                        flat.deduction - sched.lines.carryover_deduction, abs_tol=1e-6)


def test_qdcgt_worksheet_with_dividends_larger_than_taxable_income():
    # TI 1,000 but qualified dividends 5,000 (other deductions absorbed the rest): 4 = 5,000;
    # 5 = 0; 7 = 1,000; 8 = 0; 9 = 1,000; 10 = min(1,000, 5,000) = 1,000; 12 = 0; 25 = 0.
    w = qdcgt_worksheet(1000, 5000, 0, 0, tables(2026, S))
    assert (w.line5, w.line9, w.line10, w.line12, w.line25) == (0, 1000, 1000, 0, 0)


# =============================================================================================
# Packaging: the tables travel with the package
# =============================================================================================
def test_the_tables_ship_as_package_data():
    import fnmatch
    from pathlib import Path
    root = Path(__file__).resolve().parent.parent
    pyproject = tomllib.loads((root / "pyproject.toml").read_text())
    patterns = pyproject["tool"]["setuptools"]["package-data"]["models"]
    assert any(fnmatch.fnmatch("data/tax_tables.toml", p) for p in patterns)
    assert (root / "models" / "data" / "tax_tables.toml").is_file()


def test_schedule_mode_works_where_a_users_models_py_shadows_the_package(tmp_path):
    import subprocess
    import sys
    from pathlib import Path
    (tmp_path / "models.py").write_text("MINE = True\n")
    folder = Path(__file__).resolve().parent.parent / "examples" / "scenario_e"
    script = ("import planner, models\nassert models.MINE\n"
              f"h = planner.load_household({str(folder)!r})\n"
              "print(planner.evaluate(h).year.as_dict()['taxable_income'])")
    run = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert float(run.stdout) == 31800.0
