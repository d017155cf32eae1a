"""Numbers a person reads: money to the cent, shares to three places, weights as percentages;
progress on a long solve on stderr; compare's trade lists and its rule-breakers."""
import io
import re
import time
from pathlib import Path

import pandas as pd

from planner.cli import main
from planner.numbers import dollars, money, percent, points, shares
from planner.progress import progress

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_money_shares_and_weights_read_as_a_person_expects():
    assert money(-120.0) == "-120.00" and money(999.68) == "999.68" and money(73435.8251) == "73,435.83"
    assert money(-0.001) == "0.00" and money(1234.5, sign=True) == "+1,234.50"
    assert dollars(-9544.772000000003) == "-$9,544.77" and dollars(0.0) == "$0.00"
    assert shares(1404.406627) == "1,404.407" and shares(10) == "10.000"
    assert percent(0.4512) == "45.12%" and points(0.0125) == "1.25 pp"


def test_progress_speaks_on_stderr_only_past_its_threshold():
    quiet = io.StringIO()
    with progress("fast", after_s=1.0, stream=quiet):
        pass
    assert quiet.getvalue() == ""
    loud = io.StringIO()
    with progress("slow solve", after_s=0.05, every_s=0.05, stream=loud):
        time.sleep(0.3)
    lines = loud.getvalue().splitlines()
    assert lines[0].startswith("planner: slow solve: still working")
    assert re.fullmatch(r"planner: slow solve: done in \d+\.\d s", lines[-1])


def test_plan_prints_money_to_the_cent_and_writes_it_so(tmp_path, capsys):
    assert main(["plan", str(EXAMPLES / "scenario_a"), "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    table = out.split("Trades\n------\n")[1].split("\n\n")[0].splitlines()
    written = pd.read_csv(tmp_path / "trades.csv")
    for q, amount in zip(written["quantity"], written["amount"]):   # not 1,404.41 / 380.0000
        assert f"{q:,.3f}" in out and f"{amount:,.2f}" in out
    assert "380.00" in out
    assert not re.search(r"\d\.\d{4}\b", "\n".join(table[1:]))
    assert "45.00%" in out
    trades = pd.read_csv(tmp_path / "trades.csv", dtype=str, keep_default_na=False)
    for column in ("amount", "cost_basis", "realized_gain"):
        assert trades[column].str.fullmatch(r"-?\d+\.\d{2}").all(), column
    assert (tmp_path / "orders.csv").is_file()


def test_compare_writes_each_strategy_trade_list_and_names_the_rules_a_strategy_breaks(tmp_path, capsys):
    assert main(["compare", str(EXAMPLES / "scenario_b"), "--out", str(tmp_path),
                 "--penalties", "0,10"]) == 0
    table = pd.read_csv(tmp_path / "compare.csv", keep_default_na=False).set_index("strategy")
    for strategy, row in table.iterrows():
        trades = pd.read_csv(tmp_path / f"{strategy}_trades.csv")
        assert len(trades) == row["trades"]
    assert table.loc["harvest_only", "rules_broken"] == "band"      # scenario B drifted 28 pp
    assert table.loc["optimizer", "rules_broken"] == ""
    out = capsys.readouterr().out
    assert f"{100 * table.loc['harvest_only', 'drift_before']:.2f}%" in out
    assert f"{table.loc['optimizer', 'turnover']:,.2f}" in out
