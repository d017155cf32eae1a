"""Zero silent wrong answers (issue 15): each input that once gave exit 0 with a plausible wrong
answer, or a traceback, is now rejected (exit 2, one line naming the file, row or line, and
column or key, nothing written) or judged correctly. One test per item; every one fails
without its fix.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest

from models import inputs, load_household, schema
from models.loading import OPTIONAL
from planner import InputError
from planner.cli import main
from planner.evaluate import evaluate

from tests.helpers import household, trades, write_household, write_trades
from tests.test_input_errors import (  # noqa: F401  (case: the same good folder, a fixture)
    LOTS, case, edit, expect_error, expect_ok, snapshot)


def evaluate_json(capsys, folder, trades_file, *extra) -> dict:
    status = main(["evaluate", str(folder), "--trades", str(trades_file), *extra])
    out, err = capsys.readouterr()
    assert status == 0, err
    return json.loads(out)


def rules(result: dict) -> list[str]:
    return [v["rule"] for v in result["violations"]]


def washes_a_loss(result: dict) -> bool:
    """Under wash_sale = "price" (the default) a wash is listed in ``washes``, not a violation."""
    return bool(result["washes"])


# ---- settings: NaN, inf, booleans and out-of-range values name household.toml, line and key ---------
# toml_text writes: 5 short_term_rate, 6 long_term_rate, 7 deduction_rate, 8 carryforward_value,
# 11/12 [realized] short_term/long_term, 15/16 [carryforward] short_term/long_term, 18 [plan], 19 ...
@pytest.mark.parametrize("old, new, key, line", [
    ("[carryforward]\nshort_term = 0.0", "[carryforward]\nshort_term = nan", "short_term", 15),
    ("[carryforward]\nshort_term = 0.0\nlong_term = 0.0", "[carryforward]\nshort_term = 0.0\nlong_term = inf",
     "long_term", 16),
    ("[realized]\nshort_term = 0.0", "[realized]\nshort_term = nan", "short_term", 11),
    ("[realized]\nshort_term = 0.0\nlong_term = 0.0", "[realized]\nshort_term = 0.0\nlong_term = -inf",
     "long_term", 12),
    ("short_term_rate = 0.37", "short_term_rate = nan", "short_term_rate", 5),
    ("carryforward_value = 0.1", "carryforward_value = inf", "carryforward_value", 8),
    ("long_term_rate = 0.238", "long_term_rate = true", "long_term_rate", 6),
], ids=["carryforward-nan", "carryforward-inf", "realized-nan", "realized-minus-inf", "rate-nan",
        "value-inf", "rate-true"])
def test_a_non_finite_tax_value_names_its_line_and_key(case, capsys, tmp_path, old, new, key, line):
    folder, trades_file = case
    edit(folder / "household.toml", old, new)
    message = expect_error(capsys, tmp_path, folder, trades_file, file="household.toml", row=line, column=key)
    assert "finite number" in message or "number" in message


@pytest.mark.parametrize("setting, says", [
    ("band = true", "got True"), ("band = inf", "finite"), ("band = 3", "at most 1"),
    ("band = nan", "finite"), ("min_trade_usd = nan", "finite"), ("time_limit_s = nan", "finite"),
    ("time_limit_s = 0", "above 0"), ("commission_usd = nan", "finite"),
    ("max_weight = -0.1", "above 0"), ("partial = 1.5", "at most 1"),
    ("wash_sale = 1", "price, avoid"), ("drift_shape = \"cubic\"", "absolute"),
    ("whole_share_gap = 3", "true or false"), ("whole_share_gap = nan", "true or false"),
    ("whole_share_gap = \"yes\"", "true or false"),
])
def test_a_bad_plan_setting_names_household_toml_its_line_and_key(case, capsys, tmp_path, setting, says):
    folder, trades_file = case
    path = folder / "household.toml"
    path.write_text(path.read_text() + "\n[plan]\nband = 0.05\n" .replace("band = 0.05", setting))
    line = path.read_text().splitlines().index(setting) + 1
    expect_error(capsys, tmp_path, folder, trades_file, file="household.toml", row=line,
                 column=setting.split(" =")[0], says=(says,))


def test_a_plan_setting_after_others_names_its_own_line(case, capsys, tmp_path):
    folder, trades_file = case
    path = folder / "household.toml"
    path.write_text(path.read_text() + "\n[plan]\nband = 0.05\npartial = 0.5\ncommission_usd = nan\n")
    line = len(path.read_text().splitlines())
    expect_error(capsys, tmp_path, folder, trades_file, file="household.toml", row=line,
                 column="commission_usd")


def test_an_unknown_table_is_named_not_ignored(case, capsys, tmp_path):
    folder, trades_file = case
    path = folder / "household.toml"
    path.write_text(path.read_text() + "\n[plann]\nband = 0.5\n")
    line = path.read_text().splitlines().index("[plann]") + 1
    expect_error(capsys, tmp_path, folder, trades_file, file="household.toml", row=line, column="plann")


@pytest.mark.parametrize("value", ["nan", "inf", "true", "3", "1,5"])
def test_set_values_are_checked_like_the_file(case, capsys, tmp_path, value):
    folder, _ = case
    before = snapshot(tmp_path)
    status = main(["plan", str(folder), "--out", str(tmp_path / "out"), "--set", f"band={value}"])
    _, err = capsys.readouterr()
    assert status == 2 and len(err.splitlines()) == 1
    assert "--set" in err and "'band'" in err, err
    assert snapshot(tmp_path) == before and not (tmp_path / "out").exists()


def test_the_python_api_rejects_nan_settings_too():
    h = household(lots=LOTS)
    with pytest.raises(InputError, match="band"):
        h.with_settings(band=float("nan"))
    with pytest.raises(InputError, match="short_term"):
        h.with_tax(carryover_short_term=float("nan"))


def test_every_setting_has_a_line_in_the_validator():
    # A setting added to PlanSettings or TaxProfile without its line in models.schema.KEYS
    # would be read unchecked; this keeps the validator complete.
    assert schema.uncovered() == set()


# ---- numbers: only well-formed thousands groups ------------------------------------------------------
@pytest.mark.parametrize("bad", ["380,5", "5,26,30.00", "1,2345", ",5", "1.000,5", "nan", "inf", "-inf", "1e400",
                                 "0x10", "1_000", "$5"])
def test_a_malformed_number_is_an_error_not_a_guess(case, capsys, tmp_path, bad):
    # "380,5" once read as 3805 shares, "5,26,30.00" as 52630: commas were stripped anywhere.
    folder, trades_file = case
    edit(folder / "lots.csv", "L2,T1,X,5,", f'L2,T1,X,"{bad}",')
    expect_error(capsys, tmp_path, folder, trades_file, file="lots.csv", row=3, column="quantity")


def test_well_formed_thousands_are_numbers(case, capsys):
    folder, trades_file = case
    plain = evaluate_json(capsys, folder, trades_file)
    edit(folder / "accounts.csv", "100000.0", '"100,000.0"')
    assert evaluate_json(capsys, folder, trades_file) == plain


def test_parse_numbers_vectorized():
    numbers, blank, bad = inputs.parse_numbers(pd.Series(["1,234.5", "380,5", "", "12", " -3e2 ", "1,234,567"]))
    assert list(bad) == [False, True, False, False, False, False]
    assert list(blank) == [False, False, True, False, False, False]
    assert numbers[0] == 1234.5 and numbers[4] == -300.0 and numbers[5] == 1234567.0


def test_a_malformed_trade_number_is_an_error(case, capsys, tmp_path):
    folder, trades_file = case
    edit(trades_file, "sell,1,", 'sell,"1,0",')
    expect_error(capsys, tmp_path, folder, trades_file, file="trades.csv", row=2, column="quantity")


# ---- files: absent means absent ----------------------------------------------------------------------
def _transactions_with_an_ira_buy(folder: Path) -> None:
    """An IRA buy of X on 2026-11-20 that washes the loss of selling L1 (basis 20 a share) at 10."""
    edit(folder / "lots.csv", "L1,T1,X,10,100.0,", "L1,T1,X,10,200.0,")
    (folder / "accounts.csv").write_text("account_id,type,cash\nT1,taxable,100000.0\nIRA,traditional,0\n")
    (folder / "transactions.csv").write_text(
        "date,account_id,symbol,action,quantity,price,lot_id\n2026-11-20,IRA,X,buy,1,10.0,\n")


@pytest.mark.parametrize("how", ["dangling-symlink", "folder", "symlink-loop", "fifo"])
def test_an_optional_file_that_cannot_be_read_is_an_error_not_absent(case, capsys, tmp_path, how):
    # transactions.csv holds a recent IRA buy that washes the plan's loss: treating an
    # unreadable file as absent missed that wash sale.
    folder, trades_file = case
    _transactions_with_an_ira_buy(folder)
    washed = evaluate_json(capsys, folder, trades_file)
    assert washes_a_loss(washed)
    path = folder / "transactions.csv"
    path.unlink()
    if how == "dangling-symlink":
        path.symlink_to(folder / "gone.csv")
    elif how == "folder":
        path.mkdir()
    elif how == "symlink-loop":
        path.symlink_to(path)
    else:
        os.mkfifo(path)
    expect_error(capsys, tmp_path, folder, trades_file, file="transactions.csv")


@pytest.mark.parametrize("name", OPTIONAL)
def test_an_absent_optional_file_is_absent(case, capsys, name):
    folder, trades_file = case
    (folder / name).unlink(missing_ok=True)
    expect_ok(capsys, folder, trades_file)


def expect_one_line(capsys, folder, trades_file, name: str, says: str) -> None:
    status = main(["evaluate", str(folder), "--trades", str(trades_file)])
    out, err = capsys.readouterr()
    assert status == 2 and out == "" and len(err.splitlines()) == 1, err
    assert name in err and says in err, err


def test_a_permission_error_names_the_file(case, capsys, monkeypatch):
    # The tests run as root, who reads any file: the error is injected where the opener reads.
    folder, trades_file = case
    real = Path.read_bytes

    def denied(self):
        if self.name == "lots.csv":
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", denied)
    expect_one_line(capsys, folder, trades_file, "lots.csv", "Permission denied")


def test_an_unreadable_folder_names_the_file(case, capsys, monkeypatch):
    folder, trades_file = case
    real = Path.stat

    def denied(self, *args, **kwargs):
        if self.parent == folder:
            raise PermissionError(13, "Permission denied", str(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "stat", denied)
    expect_one_line(capsys, folder, trades_file, "household.toml", "Permission denied")


@pytest.mark.parametrize("name", ["lots.csv", "transactions.csv", "trades.csv", "household.toml"])
def test_non_utf8_bytes_name_the_file_and_line(case, capsys, tmp_path, name):
    folder, trades_file = case
    path = trades_file if name == "trades.csv" else folder / name
    data = path.read_bytes()
    if name == "household.toml":
        data = data.replace(b'filing_status = "single"', b'filing_status = "single"  # caf\xe9')
    else:
        lines = data.split(b"\n")
        lines[1] = lines[1] + b"\xff"
        data = b"\n".join(lines)
    path.write_bytes(data)
    expect_error(capsys, tmp_path, folder, trades_file, file=name, row=2, says=("UTF-8",))


# ---- ids are text; only an empty cell is missing --------------------------------------------------------
def test_tickers_na_null_none_are_real_symbols(tmp_path, capsys):
    folder = write_household(
        tmp_path / "h", securities=[("NA", 10.0, "us_equity"), ("NULL", 20.0, "us_equity"),
                                    ("None", 30.0, "bonds")],
        lots=[("L1", "T1", "NA", 10, 100.0, "2026-01-05"), ("L2", "T1", "NULL", 5, 50.0, "2026-01-05"),
              ("L3", "T1", "None", 5, 50.0, "2026-01-05")])
    h = load_household(folder)
    assert list(h.securities.symbol) == ["NA", "NULL", "None"]
    trades_file = write_trades(tmp_path / "t.csv", [(None, "T1", "NULL", "sell", 1, 20.0, "L2")])
    result = evaluate_json(capsys, folder, trades_file)
    assert result["sales"][0]["symbol"] == "NULL"
    assert not {"lot", "allowed", "account"} & set(rules(result)), result["violations"]


def test_a_wash_group_named_na_is_a_group(tmp_path, capsys):
    # Selling X at a loss while buying Y of the same wash group "NA" washes the loss; with "NA"
    # read as missing, each symbol was its own group and the wash sale went unseen.
    folder = write_household(
        tmp_path / "h", securities=[("X", 10.0, "us_equity", "NA"), ("Y", 10.0, "us_equity", "NA")],
        lots=[("L1", "T1", "X", 10, 200.0, "2026-01-05")])
    trades_file = write_trades(tmp_path / "t.csv", [(None, "T1", "X", "sell", 10, 10.0, "L1"),
                                                    (None, "T1", "Y", "buy", 10, 10.0, "B1")])
    assert washes_a_loss(evaluate_json(capsys, folder, trades_file))


def test_generate_writes_a_household_it_can_load(tmp_path, capsys):
    # `planner generate ... --asset-classes 100 --seed 5` writes the ticker NULL.
    assert main(["generate", str(tmp_path / "g"), "--lots", "200", "--asset-classes", "100",
                 "--securities", "400", "--seed", "5"]) == 0
    capsys.readouterr()
    h = load_household(tmp_path / "g")
    assert len(h.lots) == 200


def test_ids_that_look_like_numbers_keep_their_zeros(tmp_path):
    folder = write_household(tmp_path / "h", accounts=[("007", "taxable", 1000.0)],
                             lots=[("0001", "007", "X", 1, 5.0, "2026-01-05")])
    h = load_household(folder)
    assert list(h.accounts.id) == ["007"] and list(h.lots.id) == ["0001"]


# ---- trade lists ----------------------------------------------------------------------------------
def test_two_buys_naming_the_same_new_lot_is_a_violation(case, capsys):
    # Both buys were paid and the first one's shares vanished from the holdings, with no violation.
    folder, _ = case
    trades_file = write_trades(folder.parent / "t.csv", [(None, "T1", "X", "buy", 3, 10.0, "B1"),
                                                          (None, "T1", "X", "buy", 4, 10.0, "B1")])
    result = evaluate_json(capsys, folder, trades_file)
    assert any(v["rule"] == "lot" and "row 3" in v["detail"] and "B1" in v["detail"]
               for v in result["violations"]), result["violations"]
    assert [lot["quantity"] for lot in result["lots"] if lot["lot_id"] == "B1"] == [3]
    assert result["cash_after"]["T1"] == pytest.approx(100_000.0 + 100.0 - 30.0)


def test_a_sell_dated_before_its_lot_was_acquired_is_a_violation_and_not_counted(case, capsys):
    # L2 was acquired 2026-02-05 at basis 50 for 5 shares; a sale on 2026-01-10 at 1.0 would
    # "realize" a loss of 45 that never happened.
    folder, _ = case
    trades_file = write_trades(folder.parent / "t.csv", [("2026-01-10", "T1", "X", "sell", 5, 1.0, "L2")])
    result = evaluate_json(capsys, folder, trades_file)
    assert any(v["rule"] == "lot" and "before it was acquired" in v["detail"] for v in result["violations"])
    assert result["sales"] == [] and result["year"]["short_term"] == 0.0


def test_an_extra_field_in_a_later_trade_row_names_that_row(case, capsys, tmp_path):
    folder, trades_file = case
    trades_file.write_text(trades_file.read_text() + ",T1,X,sell,1,10.0,L2,extra\n")
    expect_error(capsys, tmp_path, folder, trades_file, file="trades.csv", row=3, says=("fields",))


def test_an_extra_field_on_the_first_data_row_names_that_row(case, capsys, tmp_path):
    # pandas took the first field as an index and shifted every column: the error named the
    # wrong column for the wrong reason.
    folder, trades_file = case
    edit(trades_file, ",T1,X,sell,1,10.0,L1", ",T1,X,sell,1,10.0,L1,extra")
    expect_error(capsys, tmp_path, folder, trades_file, file="trades.csv", row=2,
                 says=("expected 7 fields", "found 8"))


def test_an_extra_field_on_the_first_row_of_a_household_file(case, capsys, tmp_path):
    folder, trades_file = case
    edit(folder / "lots.csv", "L1,T1,X,10,100.0,2026-01-05", "L1,T1,X,10,100.0,2026-01-05,oops")
    expect_error(capsys, tmp_path, folder, trades_file, file="lots.csv", row=2, says=("fields",))


def test_trade_rows_count_blank_lines_like_the_household_files(case, capsys, tmp_path):
    folder, trades_file = case
    trades_file.write_text(trades_file.read_text() + "\n\n,T1,X,sell,-1,10.0,L2\n")
    expect_error(capsys, tmp_path, folder, trades_file, file="trades.csv", row=5, column="quantity")


def test_violation_rows_count_blank_lines(case, capsys):
    folder, trades_file = case
    trades_file.write_text(trades_file.read_text() + "\n,T1,X,sell,1,10.0,NOPE\n")
    result = evaluate_json(capsys, folder, trades_file)
    assert any("trades row 4" in v["detail"] and "NOPE" in v["detail"] for v in result["violations"])


def test_a_duplicated_header_column_is_named(case, capsys, tmp_path):
    folder, trades_file = case
    text = (folder / "securities.csv").read_text().splitlines()
    (folder / "securities.csv").write_text("\n".join([text[0] + ",price"] + [r + ",11" for r in text[1:]]) + "\n")
    expect_error(capsys, tmp_path, folder, trades_file, file="securities.csv", row=1, column="price")


# ---- cash flows outside the plan's window ------------------------------------------------------------
@pytest.mark.parametrize("day", ["2030-06-01", "2020-06-01", "2026-11-30", "2027-01-01"])
def test_a_cash_flow_outside_as_of_to_30_days_is_not_cash_on_as_of(case, capsys, day):
    # as_of 2026-12-01: a flow dated before it is already in accounts.csv's cash; one dated after
    # 2026-12-31 is not this plan's. Either way the result is that of the file without it.
    folder, trades_file = case
    plain = evaluate_json(capsys, folder, trades_file)
    (folder / "cashflows.csv").write_text((folder / "cashflows.csv").read_text() + f"{day},T1,-50000.0,\n")
    assert evaluate_json(capsys, folder, trades_file) == plain


def test_a_cash_flow_inside_the_window_is_cash(case, capsys):
    folder, trades_file = case
    plain = evaluate_json(capsys, folder, trades_file)
    (folder / "cashflows.csv").write_text((folder / "cashflows.csv").read_text() + "2026-12-31,T1,-500.0,\n")
    assert evaluate_json(capsys, folder, trades_file)["cash_after"]["T1"] == plain["cash_after"]["T1"] - 500.0


# ---- a household worth nothing ------------------------------------------------------------------
@pytest.mark.parametrize("command", ["evaluate", "plan"])
def test_a_household_worth_nothing_is_a_clear_error(tmp_path, capsys, command):
    # No lots, no cash: NaN weights in evaluate, ZeroDivisionError in plan.
    folder = write_household(tmp_path / "h", accounts=[("T1", "taxable", 0.0)], lots=[])
    trades_file = write_trades(tmp_path / "t.csv", [])
    before = snapshot(tmp_path)
    args = ["--trades", str(trades_file)] if command == "evaluate" else ["--out", str(tmp_path / "out")]
    status = main([command, str(folder), *args])
    out, err = capsys.readouterr()
    assert status == 2 and out == "" and len(err.splitlines()) == 1, err
    assert "worth nothing" in err and "accounts.csv" in err
    assert snapshot(tmp_path) == before


# ---- the evaluator judges prices and dates -----------------------------------------------------------
@pytest.mark.parametrize("price, off", [(10.0, False), (10.09, False), (9.5, True), (5.0, True)])
def test_a_price_off_the_quote_is_a_violation(price, off):
    # X is quoted 10.00 with no spread: 1% either way is a fill; 9.50 or 5.00 is not a price the
    # market offered, and scored as given it would move the tax and the objective.
    h = household(lots=LOTS)
    ev = evaluate(h, trades([(None, "T1", "X", "sell", 1, price, "L1")]))
    assert any(v["rule"] == "price" for v in ev.violations) is off


def test_the_spread_widens_the_accepted_price():
    # 200 bp spread: 10 × (2% + 1%) = 0.30 either side of the quote.
    wide = household(securities=[{"symbol": "X", "price": 10.0, "asset_class": "us_equity",
                                  "spread_bps": 200.0}], lots=LOTS)
    for price, off in ((9.75, False), (10.29, False), (9.65, True)):
        ev = evaluate(wide, trades([(None, "T1", "X", "sell", 1, price, "L1")]))
        assert any(v["rule"] == "price" for v in ev.violations) is off, price


@pytest.mark.parametrize("day, flagged", [(None, False), ("2026-12-31", False), ("2026-11-30", True),
                                          ("2027-01-04", True)])
def test_a_sale_dated_outside_the_plan_is_a_violation(day, flagged):
    # Gain sales re-dated into the next tax year silently dropped their tax from the year.
    h = household(lots=LOTS)
    ev = evaluate(h, trades([(day, "T1", "X", "sell", 1, 10.0, "L1")]))
    assert any(v["rule"] == "date" for v in ev.violations) is flagged


def test_a_buy_may_wait_out_the_wash_window_into_january():
    # A loss sold on as_of 2026-12-01 is washed by a buy through 2026-12-31 (30 days after);
    # the buy-back on 2027-01-01 is the plan's, a day later is not.
    h = household(lots=LOTS)
    ev = evaluate(h, trades([("2027-01-01", "T1", "X", "buy", 1, 10.0, "B1")]))
    assert not [v for v in ev.violations if v["rule"] == "date"]
    ev = evaluate(h, trades([("2027-01-02", "T1", "X", "buy", 1, 10.0, "B1")]))
    assert [v for v in ev.violations if v["rule"] == "date"]


@pytest.mark.parametrize("band", ["3", "1.5", "inf", "nan", "-0.1"])
def test_a_class_band_in_targets_csv_is_a_weight(case, capsys, tmp_path, band):
    folder, trades_file = case
    (folder / "targets.csv").write_text(f"asset_class,weight,band\nus_equity,1.0,{band}\n")
    expect_error(capsys, tmp_path, folder, trades_file, file="targets.csv", row=2, column="band")


def test_an_unreadable_grid_file_is_named(tmp_path, capsys):
    grid = tmp_path / "grid.toml"
    grid.write_bytes(b'households = ["h"]  # caf\xe9\n')
    assert main(["batch", str(grid), "--out", str(tmp_path / "out"), "--workers", "1", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "grid.toml" in err and "UTF-8" in err and len(err.splitlines()) == 1
    grid.unlink()
    grid.mkdir()
    assert main(["batch", str(grid), "--out", str(tmp_path / "out"), "--workers", "1", "--quiet"]) == 2
    assert "grid.toml" in capsys.readouterr().err and not (tmp_path / "out").exists()
