"""What a plan trading on as_of must avoid so that it washes no loss (models.ledger.wash_restrictions)."""
import pandas as pd
import pytest

from planner import Household, InfeasiblePlan, evaluate, plan
from planner import models


def _household(cashflows=None, transactions=None, lots=None):
    return Household.from_frames(
        as_of="2026-12-01",
        accounts=pd.DataFrame({"account_id": ["T"], "type": ["taxable"], "cash": [10000.0]}),
        securities=pd.DataFrame({"symbol": ["X", "B"], "price": [90.0, 100.0],
                                 "asset_class": ["eq", "bd"], "spread_bps": [2, 2]}),
        lots=lots if lots is not None else pd.DataFrame(
            {"lot_id": ["L"], "account_id": ["T"], "symbol": ["B"], "quantity": [100.0],
             "cost_basis": [9000.0], "acquired": ["2020-01-02"]}),
        targets=pd.DataFrame({"asset_class": ["eq", "bd"], "weight": [0.5, 0.5]}),
        transactions=transactions, cashflows=cashflows)


SOLD_X_AT_A_LOSS = pd.DataFrame({"date": ["2026-11-15"], "account_id": ["T"], "symbol": ["X"],
                                 "action": ["sell"], "quantity": [10.0], "price": [90.0],
                                 "realized_gain": [-100.0], "term": ["short"]})


def test_a_loss_sold_16_days_ago_bans_buying_its_group_until_the_sale_plus_31_days():
    r = models.ledger.wash_restrictions(_household(transactions=SOLD_X_AT_A_LOSS))
    h = _household(transactions=SOLD_X_AT_A_LOSS)
    assert {h.wash_groups[g]: str(d) for g, d in r.no_buy_until.items()} == {"X": "2026-12-16"}


def test_a_purchase_scheduled_after_as_of_does_not_lift_the_ban():
    # The plan's buy on 12-01 would be matched before the purchase scheduled on 12-10
    # (acquisition order), so it is the plan's buy that would wash the loss of 11-15.
    flows = pd.DataFrame({"date": ["2026-12-10"], "account_id": ["T"], "amount": [1800.0], "symbol": ["X"]})
    h = _household(transactions=SOLD_X_AT_A_LOSS, cashflows=flows)
    assert list(models.ledger.wash_restrictions(h).no_buy_until) == [h.group_index["X"]]
    with pytest.raises(InfeasiblePlan) as caught:
        plan(h, wash_sale=models.WashSale.AVOID)   # eq can only be reached by buying X
    assert "wash_sale" in str(caught.value) and "eq" in str(caught.value)
    # Priced, the plan buys X and the past loss is washed by that buy, as the evaluator says.
    priced = plan(h)
    assert priced.evaluation.violations == []
    assert priced.evaluation.tax_cost == pytest.approx(priced.model["tax_cost"], abs=0.01)
    assert [w["replacement"] for w in priced.summary()["washes"]] == ["trade"]


def test_a_purchase_already_made_that_replaced_the_loss_lifts_the_ban():
    # 10 X bought on 11-20 already replaced the 10 loss shares (its effect is in the input), so
    # a buy now washes nothing; the plan buys X and the evaluator finds no wash sale.
    lots = pd.DataFrame({"lot_id": ["L", "N"], "account_id": ["T", "T"], "symbol": ["B", "X"],
                         "quantity": [100.0, 10.0], "cost_basis": [9000.0, 1000.0],
                         "acquired": ["2020-01-02", "2026-11-20"]})
    h = _household(transactions=SOLD_X_AT_A_LOSS, lots=lots)
    assert models.ledger.wash_restrictions(h).no_buy_until == {}
    p = plan(h)
    assert (p.trades["symbol"] == "X").any()
    assert not [v for v in evaluate(h, p.trades).violations if v["rule"] == "wash_sale"]


def test_the_household_matches_its_past_losses_once_for_every_reader():
    # 10 X sold at a loss of $100 on 11-15 ($10 a share, short-term). 4 X bought on 11-20 (lot
    # N, in the input already) replace 4 of them; 20 X scheduled on 12-10 ($1,800 at $90),
    # within 30 days of the sale, wash the other 6 anew: 6 × $10 = $60 disallowed, deferred
    # into a purchase no lot tracks, so the year without trades has $60 more short-term.
    lots = pd.DataFrame({"lot_id": ["L", "N"], "account_id": ["T", "T"], "symbol": ["B", "X"],
                         "quantity": [100.0, 4.0], "cost_basis": [9000.0, 400.0],
                         "acquired": ["2020-01-02", "2026-11-20"]})
    flows = pd.DataFrame({"date": ["2026-12-10"], "account_id": ["T"], "amount": [1800.0], "symbol": ["X"]})
    h = _household(transactions=SOLD_X_AT_A_LOSS, cashflows=flows, lots=lots)
    ledger = models.ledger.apply_trades(h, models.trades.TradeList.empty())
    assert (ledger.short_term, ledger.long_term, ledger.deferred_kept) == (60.0, 0.0, 60.0)
    assert [(w.replacement, w.shares, w.disallowed) for w in ledger.washes] == [("scheduled", 6.0, 60.0)]
    # The same as a walk that matches them anew (a list whose only row breaks a rule).
    bad = models.trades.TradeList.from_frame(pd.DataFrame(
        {"date": ["2026-12-01"], "account_id": ["nobody"], "symbol": ["X"], "action": ["buy"],
         "quantity": [1.0], "price": [90.0], "lot_id": [""]}), h.as_of)
    anew = models.ledger.apply_trades(h, bad)
    assert anew.violations and (anew.short_term, anew.deferred_kept, anew.washes) == \
        (ledger.short_term, ledger.deferred_kept, ledger.washes)
    # What a plan on 12-01 meets: 6 loss shares still open to its buy, the scheduled purchase
    # whole (the program prices its match), lot N used up; buying X washes until 12-16.
    frame = models.ledger.plan_washes(h)
    assert [(p.shares, p.per_share) for p in frame.past] == [(6.0, 10.0)]
    assert [(a.source, a.unused) for a in frame.scheduled] == [("scheduled", 20.0)]
    assert frame.supply == [] and frame.fixed_short_term == 0.0
    assert {h.wash_groups[g]: str(d) for g, d in models.ledger.wash_restrictions(h).no_buy_until.items()} \
        == {"X": "2026-12-16"}
