"""The heuristic planners do what they claim, their lists are ones the evaluator accepts, the
optimizer never loses to a rule-compliant heuristic plan, and ``planner compare`` works."""
from __future__ import annotations


import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner import Household, PlanSettings, TaxProfile, evaluate, load_household, models
from planner.cli import main
from planner.compare import COLUMNS, compare
from planner.heuristics import (BandRebalanceHIFO, FullRebalanceFIFO, GuideRules, HarvestOnly,
                                TaxMinLots, all_heuristics)
from planner.optimizer import plan

from models.loading import parse_toml
from models.synthetic import SyntheticSpec, generate_frames
from models.trades import PLAN_TRADE_COLUMNS
from tests.helpers import AS_OF, EXAMPLES

REASONS = {r.value for r in models.Reason}


# ---- households ---------------------------------------------------------------------------------

def synthetic(spec: SyntheticSpec, **plan_settings) -> Household:
    """A synthetic household built in memory (no folder)."""
    frames = generate_frames(spec)
    as_of, tax, plan_set = parse_toml(frames["toml"])
    if plan_settings:
        plan_set = PlanSettings(**{**plan_set.__dict__, **plan_settings})
    optional = {k: frames[k] if len(frames[k]) else None for k in ("transactions", "cashflows")}
    return Household.from_frames(as_of=as_of, accounts=frames["accounts"],
                                 securities=frames["securities"], lots=frames["lots"],
                                 targets=frames["targets"], tax=tax, settings=plan_set,
                                 name=f"seed{spec.seed}", **optional)


def population(count: int, start: int = 0) -> list[Household]:
    out = []
    for seed in range(start, start + count):
        rng = np.random.default_rng(seed)
        out.append(synthetic(SyntheticSpec(
            lots=int(rng.integers(20, 120)), accounts=int(rng.integers(1, 6)),
            securities=int(rng.integers(10, 24)), asset_classes=int(rng.integers(2, 5)),
            seed=seed, drift=float(rng.uniform(0.0, 0.2)),
            loss_fraction=float(rng.uniform(0.05, 0.6)),
            recent_fraction=float(rng.uniform(0.0, 0.1)))))
    return out


@pytest.fixture(scope="module")
def households() -> list[Household]:
    return population(24)


def frame(rows, columns):
    return pd.DataFrame([dict(zip(columns, r)) for r in rows], columns=columns)


def hand_built(lots, *, accounts=(("T", "taxable", 0.0),), cashflows=None,
               securities=None, targets=None, **tax) -> Household:
    """Two classes (eq, bd), two wash groups each, one taxable account by default."""
    securities = securities or [("EQ1", 100.0, "eq", "g_eq1"), ("EQ2", 50.0, "eq", "g_eq2"),
                                ("BD1", 100.0, "bd", "g_bd1"), ("BD2", 20.0, "bd", "g_bd2")]
    targets = targets or [("eq", 0.5), ("bd", 0.5)]
    return Household.from_frames(
        as_of=AS_OF,
        accounts=frame(accounts, ["account_id", "type", "cash"]),
        securities=frame(securities, ["symbol", "price", "asset_class", "wash_group"]),
        lots=frame(lots, ["lot_id", "account_id", "symbol", "quantity", "cost_basis", "acquired"]),
        targets=frame(targets, ["asset_class", "weight"]),
        cashflows=frame(cashflows, ["date", "account_id", "amount"]) if cashflows else None,
        tax=TaxProfile(**tax))


def sold(trades: pd.DataFrame) -> dict[str, float]:
    sells = trades[trades["action"] == "sell"]
    return sells.groupby("lot_id", sort=False)["quantity"].sum().to_dict()


def sells_form_prefix(h, trades, key: np.ndarray, within: np.ndarray) -> bool:
    """Within each group of lots (``within``), sorted by ``key`` (ties: file order), the lots
    sold are a prefix: whole lots, then at most one in part, then none."""
    q = np.zeros(len(h.lots))
    for lot, quantity in sold(trades).items():
        q[h.lots.index[lot]] += quantity
    for g in np.unique(within):
        rows = np.flatnonzero(within == g)
        rows = rows[np.lexsort((rows, key[rows]))]
        fraction = q[rows] / h.lots.quantity[rows]
        state = 0                       # 0: whole lots so far, 1: past the partial lot
        for f in fraction:
            if state == 0 and f < 1 - 1e-9:
                state = 1
                continue
            if state == 1 and f > 1e-12:
                return False
    return True


# ---- every list is one the evaluator accepts ------------------------------------------------------

def test_every_heuristic_gives_the_optimizers_columns_and_a_reason(households):
    for h in households[:6]:
        for heuristic in all_heuristics():
            trades = heuristic.plan(h)
            assert list(trades.columns) == PLAN_TRADE_COLUMNS, heuristic.name
            assert set(trades["reason"]) <= REASONS, heuristic.name
            assert (trades["quantity"] > 0).all()


def test_sells_name_their_lot_hold_enough_and_cash_never_goes_below_reserve(households):
    structural = {models.Rule.LOT.value, models.Rule.CASH.value, models.Rule.ACCOUNT.value,
                  models.Rule.ALLOWED.value}
    for h in households:
        held = dict(zip(h.lots.id, h.lots.quantity))
        for heuristic in all_heuristics():
            trades = heuristic.plan(h)
            sells = trades[trades["action"] == "sell"]
            assert (sells["lot_id"] != "").all()
            assert (sells.groupby("lot_id")["quantity"].sum()
                    <= sells.groupby("lot_id")["lot_id"].first().map(held) * (1 + 1e-12)).all()
            ev = evaluate(h, trades)
            broken = [v for v in ev.violations if v["rule"] in structural]
            assert not broken, (h.name, heuristic.name, broken)


def test_heuristics_handle_a_household_without_lots():
    h = hand_built([], accounts=(("T", "taxable", 1000.0),))
    for heuristic in all_heuristics():
        trades = heuristic.plan(h)
        assert not evaluate(h, trades).violations or heuristic.name == "harvest_only"


# ---- each heuristic does what it claims --------------------------------------------------------------

def test_fifo_sells_the_oldest_lot_first():
    lots = [("new", "T", "EQ1", 100, 12000.0, "2026-06-01"), ("old", "T", "EQ1", 100, 3000.0, "2015-01-05"),
            ("mid", "T", "EQ1", 100, 8000.0, "2020-03-01"), ("bd", "T", "BD1", 100, 10000.0, "2020-01-01")]
    h = hand_built(lots)          # eq 30,000 against bd 10,000: sell 10,000 of eq
    got = sold(FullRebalanceFIFO().plan(h))
    assert got == {"old": 100.0}


def test_fifo_prefix_holds_on_synthetic_households(households):
    for h in households:
        within = h.lots.account * 10_000 + h.security_class[h.lots.security]
        assert sells_form_prefix(h, FullRebalanceFIFO().plan(h), h.lots.acquired.astype(np.int64), within)


def test_hifo_sells_the_highest_cost_lot_first():
    lots = [("low", "T", "EQ1", 100, 3000.0, "2015-01-05"), ("high", "T", "EQ1", 100, 14000.0, "2024-01-01"),
            ("mid", "T", "EQ1", 100, 8000.0, "2020-03-01"), ("bd", "T", "BD1", 100, 10000.0, "2020-01-01")]
    h = hand_built(lots)
    assert sold(BandRebalanceHIFO().plan(h)) == {"high": 100.0}


def test_hifo_prefix_holds_per_security_on_synthetic_households(households):
    for h in households:
        per_share = h.lots.cost_basis / h.lots.quantity
        within = h.lots.account * 100_000 + h.lots.security
        assert sells_form_prefix(h, BandRebalanceHIFO().plan(h), -per_share, within)


def test_band_rebalance_leaves_a_household_inside_its_bands_alone():
    lots = [("a", "T", "EQ1", 100, 3000.0, "2015-01-05"), ("b", "T", "BD1", 96, 9000.0, "2020-01-01")]
    h = hand_built(lots)          # 51% / 49%: inside ±5 pp
    assert len(BandRebalanceHIFO().plan(h)) == 0
    assert len(TaxMinLots().plan(h)) == 0
    assert len(FullRebalanceFIFO().plan(h)) > 0


def test_taxmin_sells_losses_then_long_term_gains_then_short_term_gains():
    lots = [("st_gain", "T", "EQ1", 100, 9000.0, "2026-09-01"),
            ("lt_gain", "T", "EQ1", 100, 7000.0, "2018-01-02"),
            ("lt_loss", "T", "EQ1", 50, 5500.0, "2021-01-02"),
            ("st_loss", "T", "EQ1", 50, 5200.0, "2026-08-03"),
            ("bd", "T", "BD1", 50, 5000.0, "2020-01-01")]
    h = hand_built(lots)          # eq 30,000 against bd 5,000: sell 12,500 of eq
    got = sold(TaxMinLots().plan(h))
    assert got["st_loss"] == 50 and got["lt_loss"] == 50 and 0 < got["lt_gain"] < 100
    assert "st_gain" not in got


def test_taxmin_order_holds_on_synthetic_households(households):
    for h in households:
        gain_per_dollar = 1 - h.lots.cost_basis / h.lot_value
        start = models.dates.holding_start(h.lots.acquired)
        long_term = models.dates.is_long_term(start, h.as_of)
        loss = gain_per_dollar < 0
        category = np.select([loss & ~long_term, loss, long_term], [0, 1, 2], 3)
        key = 10.0 * category + gain_per_dollar        # |gain per dollar| < 5 here
        # Tax-advantaged lots realize nothing: each is its own group (no order claimed).
        within = np.where(h.lot_taxable, h.lots.account * 10_000 + h.security_class[h.lots.security],
                          -1 - np.arange(len(h.lots)))
        assert sells_form_prefix(h, TaxMinLots().plan(h), key, within), h.name


def test_guide_sells_no_taxable_winner_when_a_deposit_fixes_the_drift():
    lots = [("w1", "T", "EQ1", 100, 2000.0, "2015-01-05"), ("w2", "T", "EQ1", 100, 4000.0, "2019-01-05"),
            ("b", "T", "BD1", 50, 4000.0, "2020-01-01")]
    h = hand_built(lots, cashflows=[(AS_OF, "T", 15000.0)])      # eq 20,000, bd 5,000, +15,000
    trades = GuideRules().plan(h)
    ev = evaluate(h, trades)
    assert not (trades["action"] == "sell").any()
    assert set(trades.loc[trades["action"] == "buy", "symbol"]) <= {"BD1", "BD2"}
    assert not ev.violations and ev.drift_after < 0.01


def test_guide_rebalances_inside_the_ira_before_any_taxable_sale():
    lots = [("w1", "T", "EQ1", 100, 2000.0, "2015-01-05"), ("i", "I", "EQ1", 100, 0.0, "2015-01-05"),
            ("ib", "I", "BD1", 20, 0.0, "2015-01-05")]
    h = hand_built(lots, accounts=(("T", "taxable", 0.0), ("I", "traditional", 0.0)))
    trades = GuideRules().plan(h)
    assert set(trades.loc[trades["action"] == "sell", "account_id"]) == {"I"}
    assert not evaluate(h, trades).violations


def test_guide_never_sells_a_winner_beside_idle_cash_and_keeps_the_wash_sale_rule(households):
    for h in households:
        ev = evaluate(h, GuideRules().plan(h))
        rules = {v["rule"] for v in ev.violations}
        assert models.Rule.CASH_FIRST.value not in rules, h.name
        assert models.Rule.WASH_SALE.value not in rules, h.name


def test_the_wash_aware_heuristics_buy_no_group_a_later_scheduled_purchase_would_leave_washed():
    """A loss sold 16 days ago that only a purchase scheduled for later replaces: a buy today
    comes first in acquisition order, so it would wash the loss."""
    h = Household.from_frames(
        as_of=AS_OF,
        accounts=frame([("T", "taxable", 10_000.0)], ["account_id", "type", "cash"]),
        securities=frame([("X", 90.0, "eq"), ("Y", 50.0, "eq"), ("B", 100.0, "bd")],
                         ["symbol", "price", "asset_class"]),
        lots=frame([("b", "T", "B", 100.0, 9000.0, "2020-01-02")],
                   ["lot_id", "account_id", "symbol", "quantity", "cost_basis", "acquired"]),
        targets=frame([("eq", 0.5), ("bd", 0.5)], ["asset_class", "weight"]),
        transactions=frame([("2026-11-15", "T", "X", "sell", 10.0, 90.0, -100.0)],
                           ["date", "account_id", "symbol", "action", "quantity", "price",
                            "realized_gain"]),
        cashflows=frame([("2026-12-10", "T", 1800.0, "X")], ["date", "account_id", "amount", "symbol"]))
    trades = GuideRules().plan(h)
    assert set(trades.loc[trades["action"] == "buy", "symbol"]) == {"Y"}
    assert not evaluate(h, trades).violations


def test_guide_harvests_against_realized_gains_short_term_losses_first():
    lots = [("lt_loss", "T", "EQ1", 100, 15000.0, "2020-01-02"),
            ("st_loss", "T", "EQ1", 100, 15000.0, "2026-06-01"),
            ("bd", "T", "BD1", 190, 19000.0, "2020-01-01")]
    h = hand_built(lots, realized_short_term=1000.0)          # budget: 1,000 + the 3,000 deduction
    assert not BandRebalanceHIFO().plan(h).shape[0]          # inside the bands: harvest only
    trades = GuideRules().plan(h)
    harvest = trades[trades["reason"] == "harvest"]
    assert list(harvest["lot_id"]) == ["st_loss"]
    assert harvest["realized_gain"].sum() == pytest.approx(-4000.0)
    replacement = trades[trades["reason"] == "replacement"]
    assert list(replacement["symbol"]) == ["EQ2"]               # another wash group, same class
    assert not evaluate(h, trades).violations


def test_harvest_only_sells_only_losses_beyond_the_threshold_and_replaces_them(households):
    for h in households + [load_household(EXAMPLES / f"scenario_{s}") for s in "abc"]:
        heuristic = HarvestOnly()
        trades = heuristic.plan(h)
        ev = evaluate(h, trades)
        assert not [v for v in ev.violations if v["rule"] == models.Rule.WASH_SALE.value], h.name
        harvest = trades[trades["reason"] == "harvest"]
        rows = np.array([h.lots.index[lot] for lot in harvest["lot_id"]], dtype=np.int64)
        value = h.lot_value[rows]
        loss = h.lots.cost_basis[rows] - value
        assert h.lot_taxable[rows].all()
        assert (loss >= heuristic.min_loss_usd).all()
        assert (loss >= heuristic.min_loss_fraction * value - 1e-9).all()
        groups = dict(zip(h.securities.symbol, h.securities.wash_group))
        classes = dict(zip(h.securities.symbol, h.securities.asset_class))
        buys = trades[trades["action"] == "buy"]
        assert set(buys["reason"]) <= {"replacement"}
        harvested_groups = {groups[s] for s in harvest["symbol"]}
        assert not {groups[s] for s in buys["symbol"]} & harvested_groups
        for (account, cls), chunk in harvest.groupby([harvest["account_id"], harvest["symbol"].map(classes)]):
            bought = buys[(buys["account_id"] == account) & (buys["symbol"].map(classes) == cls)]
            assert bought["amount"].sum() == pytest.approx(chunk["amount"].sum(), rel=1e-9)
        sells = trades[trades["action"] == "sell"]
        assert set(sells["reason"]) <= {"harvest", "withdrawal"}


def test_harvest_only_skips_the_loss_a_spouses_roth_purchase_would_wash():
    h = load_household(EXAMPLES / "scenario_c")
    lots = set(HarvestOnly().plan(h)["lot_id"])
    assert "C-TAX-VXUS-260615" not in lots
    assert {"C-TAX-VTI-250728", "C-TAX-VTI-260302", "C-TAX-VTI-260518", "C-TAX-VTI-260824"} <= lots


# ---- the optimizer never loses to a plan its rules allow ----------------------------------------

@st.composite
def small_households(draw):
    spec = SyntheticSpec(
        lots=draw(st.integers(0, 40)), accounts=draw(st.integers(1, 4)),
        securities=draw(st.integers(6, 14)), asset_classes=draw(st.integers(1, 3)),
        seed=draw(st.integers(0, 10_000)), drift=draw(st.floats(0.0, 0.25)),
        loss_fraction=draw(st.floats(0.0, 0.8)), recent_fraction=draw(st.floats(0.0, 0.2)),
        history=draw(st.booleans()), scheduled=draw(st.booleans()),
        carryover=draw(st.booleans()))
    return synthetic(spec, band=draw(st.sampled_from([0.02, 0.05, 0.1])),
                     drift_penalty_bp=draw(st.sampled_from([0.0, 1.0, 10.0, 50.0])),
                     partial=draw(st.sampled_from([None, None, 0.5])),
                     mip_gap_abs_fraction=1e-12)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(h=small_households())
def test_the_optimizer_is_never_worse_than_a_rule_compliant_heuristic_plan(h):
    plans = {x.name: x.plan(h) for x in all_heuristics()}
    compliant = {name: evaluate(h, t) for name, t in plans.items()}
    compliant = {name: ev for name, ev in compliant.items() if not ev.violations}
    if not compliant:
        return
    best = plan(h).evaluation         # infeasible here would be a bug: a heuristic met every rule
    for name, ev in compliant.items():
        assert best.objective <= ev.objective + 0.01, (name, best.objective, ev.objective)


# ---- planner compare ----------------------------------------------------------------------------

@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.iterdir() if p.is_dir()))
def test_planner_compare_works_on_every_example(example, tmp_path, capsys):
    assert main(["compare", str(EXAMPLES / example), "--out", str(tmp_path)]) == 0
    table = pd.read_csv(tmp_path / "compare.csv")
    assert list(table.columns) == COLUMNS
    assert list(table["strategy"]) == [x.name for x in all_heuristics()] + ["optimizer"]
    assert (tmp_path / "compare.png").stat().st_size > 0
    assert "optimizer" in capsys.readouterr().out
    optimizer = table.set_index("strategy").loc["optimizer"]
    assert optimizer["wash_sale_violations"] == 0 and optimizer["band_violations"] == 0


def test_compare_gives_one_row_per_strategy_with_the_evaluators_figures():
    h = load_household(EXAMPLES / "scenario_a")
    table = compare(h)
    assert list(table.columns) == COLUMNS
    guide = table.set_index("strategy").loc["guide"]
    ev = evaluate(h, GuideRules().plan(h))
    assert guide["tax_cost"] == pytest.approx(ev.tax_cost)
    assert guide["drift_after"] == pytest.approx(ev.drift_after)
