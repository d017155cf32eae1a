"""The synthetic household generator: valid folders, exact counts, determinism."""
from __future__ import annotations

import tomllib
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models import load_household
from models.synthetic import (SyntheticSpec, format_toml, generate_frames, generate_household,
                              write_household)

FILES = ("household.toml", "accounts.csv", "securities.csv", "lots.csv", "targets.csv",
         "transactions.csv", "cashflows.csv")


def read(folder, name):
    return pd.read_csv(folder / name, dtype={"lot_id": str, "symbol": str, "account_id": str,
                                             "term": str})


# Up to the largest book: 1e6 lots over 20 accounts (a spouse's too), 2,000
# securities, 8 classes (generated in about 3 s, loaded in under 1 s).
@pytest.fixture(scope="module", params=[100, 1_000, 10_000, 100_000, 1_000_000])
def generated(request, tmp_path_factory):
    n = request.param
    spec = SyntheticSpec(lots=n, seed=n % 7,
                         accounts=4 if n < 10_000 else (9 if n == 10_000 else 20),
                         securities=50 if n < 10_000 else (300 if n == 10_000 else 2000),
                         asset_classes=4 if n < 10_000 else 8)
    folder = generate_household(spec, tmp_path_factory.mktemp(f"syn{request.param}"))
    return spec, folder, load_household(folder)


def test_loads_with_exact_lot_count_and_ids(generated):
    spec, folder, h = generated
    assert len(h.lots) == spec.lots
    ids = list(h.lots.id)
    assert ids == [f"L{i:07d}" for i in range(1, spec.lots + 1)]
    assert len(h.accounts) == spec.accounts and len(h.securities) == spec.securities
    assert len(h.targets) == spec.asset_classes


def test_no_lot_after_as_of_and_recent_share_exact(generated):
    spec, _, h = generated
    age = (h.as_of - h.lots.acquired).astype(int)
    assert age.min() >= 0
    assert age.max() <= 8 * 366
    assert (age <= 30).sum() == round(spec.recent_fraction * spec.lots)


def test_loss_fraction(generated):
    spec, _, h = generated
    value = h.lots.quantity * h.lot_price
    losses = (h.lots.cost_basis > value).sum()
    assert losses == round(spec.loss_fraction * spec.lots)
    assert abs(losses / spec.lots - spec.loss_fraction) < 0.01
    assert (h.lots.cost_basis != value).all()          # every lot is at a gain or a loss


def test_wash_groups_lie_in_one_class_and_every_class_has_a_replacement(generated):
    spec, folder, h = generated
    sec = read(folder, "securities.csv")
    assert (sec.groupby("wash_group")["asset_class"].nunique() == 1).all()
    groups_per_class = sec.groupby("asset_class")["wash_group"].nunique()
    assert len(groups_per_class) == spec.asset_classes and (groups_per_class >= 2).all()
    sizes = sec.groupby("wash_group").size()
    assert sizes.max() <= 3
    assert all(s.startswith(g) for s, g in zip(sec["symbol"], sec["wash_group"]))
    assert (h.securities.price > 0).all()
    assert 30 < np.median(h.securities.price) < 400


def test_every_class_held_and_targets_sum_to_one(generated):
    _, folder, h = generated
    held = np.unique(h.security_class[h.lots.security])
    assert len(held) == len(h.classes) - 1          # every class but cash (a class always)
    text = (folder / "targets.csv").read_text().splitlines()[1:]
    total = sum(Decimal(line.split(",")[1]) for line in text)
    assert abs(total - 1) <= Decimal("1e-9")
    assert abs(h.targets.weight.sum() - 1.0) < 1e-9


def test_accounts_cycle_types_with_a_spouse(generated):
    spec, _, h = generated
    assert list(h.accounts.type[:4]) == ["taxable", "traditional", "roth", "hsa"][:spec.accounts]
    assert "spouse" in set(h.accounts.owner)
    assert h.tax.filing_status.value == "married_joint"
    assert (h.accounts.cash > 0).all()


def test_tax_advantaged_accounts_hold_one_lot_per_symbol(generated):
    _, _, h = generated
    sheltered = ~h.lot_taxable
    assert sheltered.any()
    pairs = pd.DataFrame({"a": h.lots.account[sheltered], "s": h.lots.security[sheltered]})
    assert not pairs.duplicated().any()
    assert set(np.flatnonzero(~h.accounts.taxable)) <= set(h.lots.account)   # each holds some


def test_history(generated):
    spec, folder, h = generated
    hist = h.history
    age = (h.as_of - hist.date).astype(int)
    assert len(hist) and age.min() >= 0 and age.max() <= 30
    lot_row = h.lots.index
    linked = np.flatnonzero(hist.lot_id != "")
    assert len(linked) > 0 or round(spec.recent_fraction * spec.lots) < 2
    for i in linked:
        assert hist.is_buy[i]
        lot = lot_row[hist.lot_id[i]]
        assert h.lots.acquired[lot] == hist.date[i]
        assert h.lots.account[lot] == hist.account[i]
        assert h.securities.symbol[h.lots.security[lot]] == hist.symbol[i]
        assert h.lots.quantity[lot] == hist.quantity[i]
    sells = ~hist.is_buy
    assert sells.any()
    assert (hist.realized_gain[sells] < 0).all()
    assert h.accounts.taxable[hist.account[sells]].all()
    assert set(hist.long_term[sells]) <= {0, 1}
    assert np.isnan(hist.realized_gain[hist.is_buy]).all()


def test_cashflows(generated):
    _, _, h = generated
    flows = h.cashflows
    ahead = (flows.date - h.as_of).astype(int)
    assert ahead.min() >= 0 and ahead.max() <= 30
    plain = ~flows.is_purchase
    deposits = plain & (flows.amount > 0)
    withdrawals = plain & (flows.amount < 0)
    assert 1 <= deposits.sum() <= 2 and withdrawals.sum() == 1
    w = np.flatnonzero(withdrawals)[0]
    account = flows.account[w]
    holdings = h.lot_value[h.lots.account == account].sum()
    assert -flows.amount[w] < h.accounts.cash[account] + holdings
    assert flows.is_purchase.any() and (flows.amount[flows.is_purchase] > 0).all()
    assert set(flows.symbol[flows.is_purchase]) <= set(h.securities.symbol)


def test_toml_round_trips(generated):
    spec, folder, h = generated
    doc = tomllib.loads((folder / "household.toml").read_text())
    assert str(doc["as_of"]) == spec.as_of
    assert set(doc) == {"as_of", "filing_status", "tax", "realized", "carryforward", "plan"}
    assert doc == tomllib.loads(format_toml(generate_frames(spec)["toml"]))
    assert h.tax.carryover_short_term > 0 and h.tax.carryover_long_term > 0


def test_same_seed_same_bytes_other_seed_differs(tmp_path):
    spec = SyntheticSpec(lots=2000, seed=11)
    a = generate_household(spec, tmp_path / "a")
    b = generate_household(spec, tmp_path / "b")
    c = generate_household(SyntheticSpec(lots=2000, seed=12), tmp_path / "c")
    for name in FILES:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    assert (a / "lots.csv").read_bytes() != (c / "lots.csv").read_bytes()
    assert (a / "securities.csv").read_bytes() != (c / "securities.csv").read_bytes()


def test_options_switch_files_and_amounts(tmp_path):
    folder = generate_household(SyntheticSpec(lots=300), tmp_path / "h")
    assert (folder / "transactions.csv").exists() and (folder / "cashflows.csv").exists()
    spec = SyntheticSpec(lots=300, history=False, scheduled=False, carryover=False,
                         realized_short_term=-1234.5, realized_long_term=0.0)
    generate_household(spec, folder)                      # same folder: stale files go
    assert not (folder / "transactions.csv").exists()
    assert not (folder / "cashflows.csv").exists()
    h = load_household(folder)
    assert h.tax.realized_short_term == -1234.5 and h.tax.realized_long_term == 0.0
    assert h.tax.carryover_short_term == 0.0 and h.tax.carryover_long_term == 0.0
    assert len(h.history) == 0 and len(h.cashflows) == 0


def test_drift_zero_starts_on_target(tmp_path):
    h = load_household(generate_household(SyntheticSpec(lots=2000, drift=0.0), tmp_path / "h"))
    holdings = np.bincount(h.security_class[h.lots.security], h.lot_value, minlength=len(h.classes))
    assert np.abs(holdings / holdings.sum() - h.class_target).max() < 1e-6
    h = load_household(generate_household(SyntheticSpec(lots=2000, drift=0.2), tmp_path / "d"))
    holdings = np.bincount(h.security_class[h.lots.security], h.lot_value, minlength=len(h.classes))
    assert 0.1 < np.abs(holdings / holdings.sum() - h.class_target).max() <= 0.2 + 1e-6


def test_edge_sizes(tmp_path):
    empty = load_household(generate_household(SyntheticSpec(lots=0), tmp_path / "empty"))
    assert len(empty.lots) == 0
    single = load_household(generate_household(SyntheticSpec(lots=10, accounts=1), tmp_path / "one"))
    assert list(single.accounts.type) == ["taxable"] and single.tax.filing_status.value == "single"
    wide = load_household(generate_household(
        SyntheticSpec(lots=500, accounts=20, securities=40, asset_classes=20), tmp_path / "wide"))
    assert len(wide.accounts) == 20 and len(wide.targets) == 20
    assert set(wide.accounts.type) == {"taxable", "traditional", "roth", "hsa"}


@pytest.mark.parametrize("bad", [dict(lots=-1), dict(accounts=0), dict(accounts=21),
                                 dict(securities=7, asset_classes=4), dict(loss_fraction=1.5),
                                 dict(as_of="2026-13-01")])
def test_bad_spec_is_refused(bad):
    with pytest.raises(ValueError):
        generate_frames(SyntheticSpec(**bad))


def test_write_household_round_trips_frames(tmp_path):
    frames = generate_frames(SyntheticSpec(lots=200, seed=5))
    folder = write_household(frames, tmp_path / "h")
    lots = read(folder, "lots.csv")
    pd.testing.assert_frame_equal(lots.reset_index(drop=True),
                                  frames["lots"].astype({"lot_id": str}).reset_index(drop=True),
                                  check_dtype=False)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lots=st.integers(0, 400), accounts=st.integers(1, 20), classes=st.integers(1, 10),
       extra=st.integers(0, 30), seed=st.integers(0, 2**31), loss=st.floats(0, 1),
       recent=st.floats(0, 1), drift=st.floats(0, 0.5))
def test_any_small_spec_loads(tmp_path, lots, accounts, classes, extra, seed, loss, recent, drift):
    spec = SyntheticSpec(lots=lots, accounts=accounts, securities=2 * classes + extra,
                         asset_classes=classes, seed=seed, loss_fraction=loss,
                         recent_fraction=recent, drift=drift)
    h = load_household(generate_household(spec, tmp_path / f"h{seed}"))
    assert len(h.lots) == lots
    value = h.lots.quantity * h.lot_price
    assert (h.lots.cost_basis > value).sum() == round(loss * lots)
    assert ((h.as_of - h.lots.acquired).astype(int) <= 30).sum() == round(recent * lots)
    assert (h.lots.acquired <= h.as_of).all()
