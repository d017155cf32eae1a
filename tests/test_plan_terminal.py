"""What `planner plan` prints and how it runs: long lists cut to what a person reads (the files
hold everything), and the chart made beside the plan, in a worker thread or a process of its own
(the same files and text as in line; an error in it reaches the user as it would in line)."""
from __future__ import annotations

import signal
import subprocess
import sys
from concurrent.futures import Future

import pandas as pd
import pytest

from planner import report
from planner.cli import main
from planner.cli import drawing
from tests.helpers import EXAMPLES

SCENARIO_D = EXAMPLES / "scenario_d"     # 21 trades, 8 blocked losses in 2 groups, 4 restrictions


def _plan(tmp_path, capsys, folder=SCENARIO_D) -> str:
    assert main(["plan", str(folder), "--out", str(tmp_path)]) == 0
    return capsys.readouterr().out


def _section(text: str, title: str) -> list[str]:
    """The lines of one section's body (between its underline and the next blank line)."""
    lines = text.splitlines()
    start = lines.index(title) + 2
    end = lines.index("", start)
    return lines[start:end]


def test_a_small_plan_prints_every_trade_blocked_loss_and_restriction(tmp_path, capsys):
    out = _plan(tmp_path, capsys)
    trades = pd.read_csv(tmp_path / "trades.csv")
    assert len(trades) == 21 <= report.TRADES_SHOWN
    assert len(_section(out, "Trades")) == 1 + 21           # header and every row
    assert len(_section(out, "Losses the wash-sale rule blocks or makes costly")) == 2 + 8
    assert len(_section(out, "Restrictions (wash sale)")) == 4
    assert "… and" not in out


def test_a_long_plan_prints_the_largest_trades_and_says_where_the_rest_are(tmp_path, capsys,
                                                                          monkeypatch):
    monkeypatch.setattr(report, "TRADES_SHOWN", 5)
    monkeypatch.setattr(report, "LINES_SHOWN", 3)
    out = _plan(tmp_path, capsys)
    trades = pd.read_csv(tmp_path / "trades.csv")
    rows = _section(out, "Trades")
    assert rows[0] == "the 5 largest of 21 trades by amount"
    table = rows[2:-1]
    assert len(table) == 5
    # the five largest amounts, largest first, as the full table prints them
    largest = trades["amount"].nlargest(5).tolist()
    end = rows[1].index("amount") + len("amount")      # the column is right-aligned
    assert [float(r[:end].split()[-1].replace(",", "")) for r in table] == pytest.approx(largest, abs=0.005)
    left = trades["amount"].sum() - sum(largest)
    assert rows[-1] == (f"… and 16 smaller trades ({left:,.2f} of the turnover): every trade is in "
                        f"{tmp_path / 'trades.csv'}")
    blocked = _section(out, "Losses the wash-sale rule blocks or makes costly")
    assert len(blocked) == 3 + 1
    assert blocked[-1] == f"… and 7 more in {tmp_path / 'summary.json'} (blocked_losses)"
    restrictions = _section(out, "Restrictions (wash sale)")
    assert restrictions[-1] == f"… and 1 more in {tmp_path / 'summary.json'} (restrictions)"
    assert len(restrictions) == 3 + 1


class _InLine:
    """An executor that runs the task at submit: the plan command without its worker thread."""

    def __init__(self, **_):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def submit(self, fn, *args):
        future = Future()
        try:
            future.set_result(fn(*args))
        except BaseException as error:   # noqa: BLE001 - handed to result(), as a thread would
            future.set_exception(error)
        return future

    def shutdown(self, **_):
        pass


def test_the_worker_thread_changes_nothing_in_the_files_or_the_text(tmp_path, capsys, monkeypatch):
    threaded = _plan(tmp_path / "threaded", capsys).replace(str(tmp_path / "threaded"), "OUT")
    monkeypatch.setattr(drawing, "ThreadPoolExecutor", _InLine)
    in_line = _plan(tmp_path / "in_line", capsys).replace(str(tmp_path / "in_line"), "OUT")
    solver = [k for k, line in enumerate(threaded.splitlines()) if line.startswith("HiGHS via")]
    drop = set(solver)     # the solver's seconds differ from run to run
    assert [x for k, x in enumerate(threaded.splitlines()) if k not in drop] == \
        [x for k, x in enumerate(in_line.splitlines()) if k not in drop]
    for name in ("trades.csv", "orders.csv", "allocation.png"):
        assert (tmp_path / "threaded" / name).read_bytes() == (tmp_path / "in_line" / name).read_bytes()


def test_an_error_in_the_worker_reaches_the_user_and_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.delitem(sys.modules, "planner.charts", raising=False)
    monkeypatch.setitem(sys.modules, "planner.charts", None)   # its import fails, as without matplotlib
    with pytest.raises(ImportError, match="planner.charts"):
        main(["plan", str(SCENARIO_D), "--out", str(tmp_path / "out")])
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_a_plan_run_in_the_callers_process_leaves_its_collector_as_it_was(tmp_path, capsys):
    """The command freezes the imports' objects and pauses the collector while it runs; called
    as a function (argv given), the caller's process gets both back as they were."""
    import gc
    frozen, enabled = gc.get_freeze_count(), gc.isenabled()
    _plan(tmp_path, capsys)
    assert (gc.get_freeze_count(), gc.isenabled()) == (frozen, enabled)


def test_a_plan_owning_its_process_draws_beside_it_and_writes_the_same_files(tmp_path, capsys):
    """`planner plan` as a command (own process: the chart drawn in a side process) against the
    same command called as a function (the chart drawn here): every file the same."""
    _plan(tmp_path / "here", capsys)
    run = subprocess.run([sys.executable, "-m", "planner", "plan", str(SCENARIO_D), "--out",
                          str(tmp_path / "beside")], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    for name in ("trades.csv", "orders.csv", "allocation.png"):
        assert (tmp_path / "beside" / name).read_bytes() == (tmp_path / "here" / name).read_bytes()


DRIFT = {"target": {"stocks": 0.6, "bonds": 0.4}, "band": {"stocks": 0.05, "bonds": 0.05},
         "before": {"stocks": 0.7, "bonds": 0.3}, "after": {"stocks": 0.61, "bonds": 0.39}}


@pytest.mark.parametrize("command", [["/no/such/python"], [sys.executable, "-c", "pass"]],
                         ids=["cannot start", "dies without answering"])
def test_a_side_process_that_fails_leaves_the_chart_to_this_process(tmp_path, command):
    side = drawing.SideProcess(command)
    try:
        with open(tmp_path / "chart.png", "wb") as f:
            side.allocation(DRIFT, "Allocation")(f)
    finally:
        side.close()
    assert (tmp_path / "chart.png").read_bytes() == drawing.allocation_png(DRIFT, "Allocation")


def test_a_side_process_never_asked_is_stopped_not_waited_for():
    """The plan failed: the process, still importing or waiting for its request, is killed."""
    side = drawing.SideProcess()
    side.close()
    assert side._process.returncode == -signal.SIGKILL


def test_an_error_in_the_side_process_drawing_is_raised_here(tmp_path):
    side = drawing.SideProcess()
    try:
        writer = side.allocation({**DRIFT, "after": {}}, "Allocation")   # no weight after
        with open(tmp_path / "chart.png", "wb") as f, pytest.raises(KeyError, match="stocks"):
            writer(f)
    finally:
        side.close()
