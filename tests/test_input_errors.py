"""Bad input (SPEC §1): one clear line naming the file, the row and the column; exit status 2;
nothing written.

Rows are numbered as a spreadsheet shows them: the header is row 1, the first data row row 2.
Every case writes a good household folder and trade list to tmp_path, breaks one thing, runs
``planner evaluate`` and checks the message.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from planner import InputError
from planner.cli import main

from tests.helpers import household, write_household, write_trades

LOTS = [("L1", "T1", "X", 10, 100.0, "2026-01-05"), ("L2", "T1", "X", 5, 50.0, "2026-02-05")]
TRADES = [(None, "T1", "X", "sell", 1, 10.0, "L1")]
HISTORY = [("2026-11-02", "T1", "X", "buy", 1, 10.0, "")]
CASHFLOWS = [("2026-12-10", "T1", 100.0, "")]


@pytest.fixture
def case(tmp_path):
    """A good household folder and trade list; returns (folder, trades file)."""
    folder = write_household(tmp_path / "household", lots=LOTS, transactions=HISTORY, cashflows=CASHFLOWS)
    trades = write_trades(tmp_path / "trades.csv", TRADES)
    return folder, trades


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path.name}:\n{text}"
    path.write_text(text.replace(old, new, 1))


def expect_error(capsys, tmp_path, folder, trades, *, file: str, row: int | None = None,
                 column: str | None = None, says: tuple[str, ...] = ()) -> str:
    before = snapshot(tmp_path)
    status = main(["evaluate", str(folder), "--trades", str(trades)])
    out, err = capsys.readouterr()
    assert status == 2, err
    assert out == ""                                  # no JSON for bad input
    assert len(err.splitlines()) == 1, f"expected one line on stderr, got {err!r}"
    message = err.strip()
    assert file in message, message
    if row is not None:
        assert re.search(rf"\b(row|line) {row}\b", message), message
    if column is not None:
        assert f"column '{column}'" in message, message
    for word in says:
        assert word in message, message
    assert snapshot(tmp_path) == before                # nothing written
    return message


def expect_ok(capsys, folder, trades) -> None:
    status = main(["evaluate", str(folder), "--trades", str(trades)])
    out, err = capsys.readouterr()
    assert status == 0, err
    assert out.strip().startswith("{")


def test_the_good_case_loads(case, capsys):
    expect_ok(capsys, *case)


# ---- missing files and columns --------------------------------------------------------------
@pytest.mark.parametrize("name", ["household.toml", "accounts.csv", "securities.csv", "lots.csv", "targets.csv"])
def test_a_missing_required_file_is_named(case, capsys, tmp_path, name):
    folder, trades = case
    (folder / name).unlink()
    expect_error(capsys, tmp_path, folder, trades, file=name, says=("missing",))


def test_a_missing_trade_list_is_named(case, capsys, tmp_path):
    folder, trades = case
    trades.unlink()
    expect_error(capsys, tmp_path, folder, trades, file="trades.csv")


def test_a_missing_household_folder_is_named(case, capsys, tmp_path):
    _, trades = case
    expect_error(capsys, tmp_path, tmp_path / "nowhere", trades, file="nowhere")


@pytest.mark.parametrize("name, header, renamed", [
    ("lots.csv", "cost_basis", "basis"),
    ("accounts.csv", "type", "kind"),
    ("securities.csv", "asset_class", "class"),
    ("targets.csv", "weight", "weights"),
    ("transactions.csv", "action", "side"),
    ("cashflows.csv", "amount", "value"),
])
def test_a_missing_column_is_named(case, capsys, tmp_path, name, header, renamed):
    folder, trades = case
    edit(folder / name, header, renamed)
    expect_error(capsys, tmp_path, folder, trades, file=name, column=header, says=("missing",))


def test_a_missing_column_of_the_trade_list_is_named(case, capsys, tmp_path):
    folder, trades = case
    edit(trades, "quantity", "shares")
    expect_error(capsys, tmp_path, folder, trades, file="trades.csv", column="quantity")


# ---- references -----------------------------------------------------------------------------
def test_a_lot_in_an_unknown_account(case, capsys, tmp_path):
    folder, trades = case
    edit(folder / "lots.csv", "L2,T1,", "L2,T9,")
    expect_error(capsys, tmp_path, folder, trades, file="lots.csv", row=3, column="account_id", says=("T9",))


def test_a_lot_of_an_unknown_symbol(case, capsys, tmp_path):
    folder, trades = case
    edit(folder / "lots.csv", "L2,T1,X,", "L2,T1,ZZZ,")
    expect_error(capsys, tmp_path, folder, trades, file="lots.csv", row=3, column="symbol", says=("ZZZ",))


def test_a_transaction_in_an_unknown_account(case, capsys, tmp_path):
    folder, trades = case
    edit(folder / "transactions.csv", ",T1,", ",T7,")
    expect_error(capsys, tmp_path, folder, trades, file="transactions.csv", row=2, column="account_id",
                 says=("T7",))


# ---- numbers ----------------------------------------------------------------------------------
def test_a_negative_lot_quantity(case, capsys, tmp_path):
    folder, trades = case
    edit(folder / "lots.csv", "L2,T1,X,5,", "L2,T1,X,-5,")
    expect_error(capsys, tmp_path, folder, trades, file="lots.csv", row=3, column="quantity", says=("-5",))


def test_a_negative_trade_quantity(case, capsys, tmp_path):
    folder, trades = case
    edit(trades, "sell,1,", "sell,-1,")
    expect_error(capsys, tmp_path, folder, trades, file="trades.csv", row=2, column="quantity")


def test_a_negative_security_price(case, capsys, tmp_path):
    folder, trades = case
    edit(folder / "securities.csv", "X,10.0,", "X,-10.0,")
    expect_error(capsys, tmp_path, folder, trades, file="securities.csv", row=2, column="price", says=("-10",))


def test_a_negative_trade_price(case, capsys, tmp_path):
    folder, trades = case
    edit(trades, ",10.0,L1", ",-10.0,L1")
    expect_error(capsys, tmp_path, folder, trades, file="trades.csv", row=2, column="price")


def test_a_negative_cost_basis(case, capsys, tmp_path):
    folder, trades = case
    edit(folder / "lots.csv", ",5,50.0,", ",5,-50.0,")
    expect_error(capsys, tmp_path, folder, trades, file="lots.csv", row=3, column="cost_basis")


def test_a_quantity_that_is_not_a_number(case, capsys, tmp_path):
    folder, trades = case
    edit(folder / "lots.csv", "L2,T1,X,5,", "L2,T1,X,five,")
    expect_error(capsys, tmp_path, folder, trades, file="lots.csv", row=3, column="quantity", says=("five",))


# ---- dates ------------------------------------------------------------------------------------
@pytest.mark.parametrize("bad", ["2026-02-30", "02/05/2026", "soon"])
def test_a_lot_date_that_does_not_parse(case, capsys, tmp_path, bad):
    folder, trades = case
    edit(folder / "lots.csv", "2026-02-05", bad)
    expect_error(capsys, tmp_path, folder, trades, file="lots.csv", row=3, column="acquired", says=(bad,))


def test_a_transaction_date_that_does_not_parse(case, capsys, tmp_path):
    folder, trades = case
    edit(folder / "transactions.csv", "2026-11-02", "2026-11-31")
    expect_error(capsys, tmp_path, folder, trades, file="transactions.csv", row=2, column="date")


def test_a_cashflow_date_that_does_not_parse(case, capsys, tmp_path):
    folder, trades = case
    edit(folder / "cashflows.csv", "2026-12-10", "10 Dec 2026")
    expect_error(capsys, tmp_path, folder, trades, file="cashflows.csv", row=2, column="date")


def test_a_trade_date_that_does_not_parse(case, capsys, tmp_path):
    folder, trades = case
    edit(trades, "\n,T1,", "\n2026-13-01,T1,")
    expect_error(capsys, tmp_path, folder, trades, file="trades.csv", row=2, column="date", says=("2026-13-01",))


def test_an_as_of_that_does_not_parse(case, capsys, tmp_path):
    folder, trades = case
    edit(folder / "household.toml", "as_of = 2026-12-01", 'as_of = "12/01/2026"')
    expect_error(capsys, tmp_path, folder, trades, file="household.toml", row=1, column="as_of")


# ---- tables as a whole ----------------------------------------------------------------------------
def test_weights_that_do_not_sum_to_one(case, capsys, tmp_path):
    folder, trades = case
    (folder / "targets.csv").write_text("asset_class,weight\nus_equity,0.6\nbonds,0.3\n")
    expect_error(capsys, tmp_path, folder, trades, file="targets.csv", column="weight", says=("0.9",))


def test_a_wash_group_split_across_asset_classes(case, capsys, tmp_path):
    folder, trades = case
    (folder / "securities.csv").write_text("symbol,price,asset_class,wash_group\n"
                                           "X,10.0,us_equity,sp500\nY,20.0,bonds,sp500\n")
    expect_error(capsys, tmp_path, folder, trades, file="securities.csv", row=3, column="wash_group",
                 says=("sp500",))


def test_a_duplicated_lot_id(case, capsys, tmp_path):
    folder, trades = case
    edit(folder / "lots.csv", "L2,", "L1,")
    expect_error(capsys, tmp_path, folder, trades, file="lots.csv", row=3, column="lot_id", says=("L1",))


def test_a_duplicated_account_id(case, capsys, tmp_path):
    folder, trades = case
    (folder / "accounts.csv").write_text("account_id,type,cash\nT1,taxable,100\nIRA,traditional,0\nT1,roth,0\n")
    expect_error(capsys, tmp_path, folder, trades, file="accounts.csv", row=4, column="account_id", says=("T1",))


def test_a_duplicated_symbol(case, capsys, tmp_path):
    folder, trades = case
    (folder / "securities.csv").write_text("symbol,price,asset_class\nX,10.0,us_equity\nX,11.0,us_equity\n")
    expect_error(capsys, tmp_path, folder, trades, file="securities.csv", row=3, column="symbol", says=("X",))


def test_a_bad_account_type(case, capsys, tmp_path):
    folder, trades = case
    edit(folder / "accounts.csv", "taxable", "brokerage")
    expect_error(capsys, tmp_path, folder, trades, file="accounts.csv", row=2, column="type",
                 says=("brokerage", "taxable", "traditional", "roth", "hsa"))


def test_a_bad_trade_action(case, capsys, tmp_path):
    folder, trades = case
    edit(trades, ",sell,", ",short,")
    expect_error(capsys, tmp_path, folder, trades, file="trades.csv", row=2, column="action", says=("short",))


# ---- household.toml -------------------------------------------------------------------------------
# The helper writes: line 1 as_of, 2 filing_status, 4 [tax], 5 short_term_rate, ...,
# 10 [realized], 11 short_term, 12 long_term, 14 [carryforward], 15 short_term, 16 long_term.
@pytest.mark.parametrize("old, new, key, line", [
    ("short_term_rate = 0.37", "short_term_rate = 37", "short_term_rate", 5),
    ("short_term_rate = 0.37", 'short_term_rate = "high"', "short_term_rate", 5),
    ('filing_status = "single"', 'filing_status = "maried"', "filing_status", 2),
    ("[carryforward]\nshort_term = 0.0", "[carryforward]\nshort_term = -100.0", "short_term", None),
], ids=["rate-in-percent", "rate-not-a-number", "filing-status", "negative-carryforward"])
def test_a_bad_toml_value_names_the_key(case, capsys, tmp_path, old, new, key, line):
    folder, trades = case
    edit(folder / "household.toml", old, new)
    expect_error(capsys, tmp_path, folder, trades, file="household.toml", row=line, column=key)


def test_a_bad_plan_setting_names_the_key(case, capsys, tmp_path):
    folder, trades = case
    (folder / "household.toml").write_text((folder / "household.toml").read_text() + '\n[plan]\nband = "wide"\n')
    expect_error(capsys, tmp_path, folder, trades, file="household.toml", column="band", says=("wide",))


def test_toml_that_does_not_parse(case, capsys, tmp_path):
    folder, trades = case
    edit(folder / "household.toml", "short_term_rate = 0.37", "short_term_rate = ")
    expect_error(capsys, tmp_path, folder, trades, file="household.toml", says=("line 5",))


# ---- spreadsheet numbering and one line ---------------------------------------------------------------
def test_row_numbers_count_blank_lines_as_a_spreadsheet_does(case, capsys, tmp_path):
    # A spreadsheet opening lots.csv shows: 1 header, 2 L1, 3 (blank), 4 L2.
    folder, trades = case
    edit(folder / "lots.csv", "\nL2,T1,X,5,", "\n\nL2,T1,X,-5,")
    expect_error(capsys, tmp_path, folder, trades, file="lots.csv", row=4, column="quantity")


def test_a_malformed_csv_row_is_one_line_naming_the_file(case, capsys, tmp_path):
    folder, trades = case
    edit(folder / "lots.csv", "L2,T1,X,5,50.0,2026-02-05", "L2,T1,X,5,50.0,2026-02-05,extra,fields")
    expect_error(capsys, tmp_path, folder, trades, file="lots.csv", row=3)


def test_a_blank_optional_value_is_no_error(case, capsys):
    # SPEC §1: `band` is optional per class; a blank cell means the default band.
    folder, trades = case
    (folder / "targets.csv").write_text("asset_class,weight,band\nus_equity,1.0,\n")
    expect_ok(capsys, folder, trades)


# ---- the Python API locates errors the same way ---------------------------------------------------------
def test_from_frames_raises_a_located_input_error():
    with pytest.raises(InputError) as info:
        household(lots=[("L1", "T1", "X", 10, 100.0, "2026-01-05"), ("L2", "T1", "X", -5, 50.0, "2026-02-05")])
    error = info.value
    assert (error.file, error.row, error.column) == ("lots.csv", 3, "quantity")
    assert "lots.csv, row 3, column 'quantity'" in str(error)
