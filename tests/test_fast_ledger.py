"""The vectorized ledger (models/fast_ledger.py) is the walk (models/ledger.py) to the last bit.

Random households (the synthetic generator: losses, recent lots, loss sales in the last 30
days, scheduled purchases) and random trade lists (whole, partial and slightly-over sells at
gains and losses, sells of one lot twice, buys that wash, sells of bought lots, rows that
break a rule, dates across the year's end): every field of the ledger is equal, and the
evaluation's JSON is equal, whichever path applied the trades.
"""
from __future__ import annotations

import dataclasses
import json
import os
import tempfile

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import importlib
from planner import evaluate, load_household
from models import fast_ledger
from models.ledger import apply_trades as walk
from models.synthetic import SyntheticSpec, generate_household
from models.trades import TradeList

EXAMPLES = int(os.environ.get("PLANNER_PROPERTY_EXAMPLES", "15"))
PROFILE = settings(max_examples=EXAMPLES, deadline=None,
                   derandomize="PLANNER_PROPERTY_EXAMPLES" not in os.environ,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
_HOUSEHOLDS: dict[tuple, object] = {}


def household(seed: int, accounts: int, recent: float):
    key = (seed, accounts, recent)
    if key not in _HOUSEHOLDS:
        with tempfile.TemporaryDirectory() as folder:
            generate_household(SyntheticSpec(lots=150, accounts=accounts, securities=24,
                                             asset_classes=3, seed=seed, recent_fraction=recent),
                               folder)
            _HOUSEHOLDS[key] = load_household(folder)
    return _HOUSEHOLDS[key]


def trade_list(h, rng: np.random.Generator, sells: int, buys: int, spread_days: int,
               bad: bool) -> TradeList:
    lots, secs = h.lots, h.securities
    picked = rng.choice(len(lots), size=sells, replace=True)      # a lot may be sold twice
    share = rng.choice([1.0, 0.5, 0.25, 1.0 + 1e-11, 0.999999], size=sells)
    price = secs.price[lots.security[picked]] * rng.uniform(0.6, 1.4, size=sells)
    rows = [{"date": str(h.as_of + rng.integers(0, spread_days + 1)),
             "account_id": h.accounts.id[lots.account[i]], "symbol": secs.symbol[lots.security[i]],
             "action": "sell", "quantity": float(lots.quantity[i] * s), "price": float(p),
             "lot_id": lots.id[i]} for i, s, p in zip(picked, share, price)]
    for k in range(buys):
        sec = int(rng.integers(len(secs)))
        account = int(rng.integers(len(h.accounts)))
        day = str(h.as_of + rng.integers(0, spread_days + 1))
        lot = f"buy{k}" if rng.random() < 0.5 else ""
        rows.append({"date": day, "account_id": h.accounts.id[account], "symbol": secs.symbol[sec],
                     "action": "buy", "quantity": 10.0, "price": float(secs.price[sec]), "lot_id": lot})
        if lot and rng.random() < 0.5:   # then sell the bought lot
            rows.append({**rows[-1], "action": "sell", "quantity": 4.0, "date": day,
                         "price": float(secs.price[sec]) * 0.8})
    if bad and rows:
        rows.append({**rows[0], "lot_id": "no-such-lot"})
    order = rng.permutation(len(rows))
    return TradeList.from_frame(pd.DataFrame([rows[i] for i in order],
                                            columns=["date", "account_id", "symbol", "action",
                                                     "quantity", "price", "lot_id"]), h.as_of)


def assert_same_ledger(a, b) -> None:
    assert a.sales == b.sales
    assert (a.short_term, a.long_term) == (b.short_term, b.long_term)
    assert np.array_equal(a.cash_after, b.cash_after)
    assert np.array_equal(a.shares_after, b.shares_after)
    assert np.array_equal(a.trade_amount, b.trade_amount)
    assert np.array_equal(a.trade_security, b.trade_security)
    assert a.violations == b.violations and a.whole_lot == b.whole_lot
    assert a.history_washes == b.history_washes
    if a.lots is None:
        assert b.lots is None
    else:
        pd.testing.assert_frame_equal(a.lots, b.lots)


@PROFILE
@given(seed=st.integers(0, 3), accounts=st.sampled_from([1, 4, 7]),
       recent=st.sampled_from([0.0, 0.02, 0.3]), draw=st.integers(0, 2**32 - 1),
       sells=st.integers(0, 60), buys=st.integers(0, 4), spread=st.sampled_from([0, 45]),
       bad=st.booleans())
def test_fast_ledger_is_the_walk(monkeypatch_module, seed, accounts, recent, draw, sells, buys,
                                 spread, bad):
    h = household(seed, accounts, recent)
    t = trade_list(h, np.random.default_rng(draw), sells, buys, spread, bad)
    assert_same_ledger(walk(h, t), fast_ledger.apply_trades(h, t))
    assert_same_ledger(walk(h, t, holdings=False), fast_ledger.apply_trades(h, t, holdings=False))
    fast = evaluate(h, t).to_dict()
    with monkeypatch_module.context() as m:
        m.setattr(importlib.import_module("planner.evaluate"), "apply_trade_list", walk)
        # as JSON text: a history wash's loss_row is NaN, and NaN != NaN in a dict compare
        assert json.dumps(evaluate(h, t).to_dict(), default=str) == json.dumps(fast, default=str)


def test_fast_path_is_taken_on_a_plain_list(monkeypatch_module):
    """Gains, tax-advantaged sales and quiet groups go the vectorized way: the walk sees only
    the loss sales that a purchase could wash (none here: no recent lots, no buys)."""
    h = household(0, 4, 0.0)
    t = trade_list(h, np.random.default_rng(1), 60, 0, 0, False)
    # at the quote: a price off it is a violation only the walk judges
    quote = h.securities.price[[h.securities.index[s] for s in t.symbol]]
    t = dataclasses.replace(t, price=quote)
    walked = []
    original = fast_ledger._Walker.run

    def spy(self, holdings=True):
        walked.append(len(self.t))
        return original(self, holdings)

    with monkeypatch_module.context() as m:
        m.setattr(fast_ledger._Walker, "run", spy)
        ledger = fast_ledger.apply_trades(h, t)
    assert_same_ledger(walk(h, t), ledger)
    assert walked and walked[0] < len(t) // 2, walked


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as m:
        m.setattr(fast_ledger, "MIN_FAST_ROWS", 0)   # the fast path on small lists too
        yield m
