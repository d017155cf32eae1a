"""summary.json of a big plan is written piecewise (planner.summary_json.write_json): the bytes are
json.dumps' own, lists longer than a chunk, lists of records holding lists (blocked losses'
wash groups), NaN and non-ASCII text included."""
from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest

from planner.explain import _rounded
from planner.io import csv_text
from planner.summary_json import Spool, write_json


@pytest.mark.parametrize("indent", [None, 2])
def test_piecewise_summary_is_json_dumps(indent):
    summary = {"sales": [{"row": k, "gain": float("nan") if k % 7 == 0 else k / 3, "lot": "é"}
                         for k in range(25)],
               "empty": [], "exact": list(range(10)), "nested": {"a": [1, 2]}, "text": "x",
               "groups": [{"group": "g", "by": [{"d": 1}], "lots": [{"lot": k, "x": k / 7} for k in range(n)]}
                          for n in (0, 3, 25)]}
    out = io.BytesIO()
    write_json(out, summary, indent, chunk=10)
    assert out.getvalue() == (json.dumps(summary, indent=indent, default=str) + "\n").encode()


def test_trades_csv_text_is_pandas_to_csv():
    """trades.csv is written by the csv module (planner.io.csv_text): the same text as pandas'
    to_csv with the same float format, missing values, quoting and all."""
    frame = pd.DataFrame({
        "text": pd.Series(["a", "b,c", 'say "hi"', "two\nlines", None, "", " pad", "é"], dtype="str"),
        "mixed": pd.Series(["x", 1.5, None, 2, "y,z", float("nan"), True, "0.1"], dtype=object),
        "float": [1 / 3, -0.0, float("nan"), float("inf"), 1e-12, 123456789012.5, 0.1, -2.0],
        "int": [0, 1, -2, 3, 4, 5, 6, 7],
        "flag": [True, False] * 4})
    assert csv_text(frame, "%.10g") == frame.to_csv(index=False, float_format="%.10g")
    assert csv_text(frame, "%.10g", chunk=3) == frame.to_csv(index=False, float_format="%.10g")
    assert csv_text(frame.iloc[:0], "%.10g") == frame.iloc[:0].to_csv(index=False, float_format="%.10g")


def test_blocked_loss_figures_are_pythons_round():
    """planner.explain._rounded is round(v, digits) value by value: ties (0.125, 2.5e-6), the
    decimals binary floats only approach (2.675, 1.005), their neighbours an ulp away, signs and
    zeros, figures too large to scale, NaN and infinities, and many random money and share
    amounts."""
    rng = np.random.default_rng(7)
    tricky = [0.125, 0.375, 2.675, 1.005, 0.285, 1.115, 2.5e-6, 1.0000005, 0.0000125, -0.125, -2.675,
              0.0, -0.0, -0.001, 1e15, -3.3e20, 4503599627370.4956, float("nan"), float("inf"), -float("inf")]
    tricky += [np.nextafter(v, d) for v in tricky[:12] for d in (-np.inf, np.inf)]
    halves = (np.arange(-5000, 5000) + 0.5) / 100
    values = np.concatenate([tricky, halves, halves / 1e4, rng.lognormal(5, 3, 20000) * rng.choice([-1, 1], 20000),
                             np.round(rng.uniform(-1e4, 1e4, 20000), 3), rng.uniform(0, 1e-5, 5000)])
    for digits in (2, 6):
        got = _rounded(values, digits)
        want = [round(float(v), digits) for v in values]
        assert [repr(g) for g in got.tolist()] == [repr(w) for w in want]


def test_a_spooled_value_is_copied_as_encoded_and_a_forgotten_one_encoded_anew():
    """planner.summary_json.Spool: what it copies is json.dumps' text of the value when spooled;
    a value forgotten after a change, or an equal value that is another object, is encoded at
    the write, and no temporary file means no spool (the summary is then encoded whole)."""
    groups = [{"group": g, "by": [{"d": 1}], "lots": [{"lot": k, "x": k / 7, "plan": "kept"} for k in range(n)]}
              for g, n in (("a", 3), ("b", 25), ("c", 0))]
    spool = Spool(groups, chunk=10)
    summary = {"head": 1, "blocked_losses": groups, "tail": [1.5, float("nan")]}
    groups[0]["lots"][1]["plan"] = "sold"          # changed after it was spooled ...
    spool.forget(groups[0])                        # ... and forgotten
    groups[1]["lots"][2]["plan"] = "changed, not forgotten"
    other = {**summary, "blocked_losses": [dict(g) for g in groups]}   # equal groups, other objects
    copied, fresh = io.BytesIO(), io.BytesIO()
    write_json(copied, summary, None, spool, chunk=10)
    write_json(fresh, other, None, spool, chunk=10)
    spooled_b = json.dumps({**groups[1], "lots": [{**lot, "plan": "kept"} for lot in groups[1]["lots"]]})
    assert copied.getvalue() == (json.dumps(summary).replace(json.dumps(groups[1]), spooled_b) + "\n").encode()
    assert "sold" in copied.getvalue().decode() and spooled_b in copied.getvalue().decode()
    assert fresh.getvalue() == (json.dumps(other) + "\n").encode()


def test_no_temporary_file_no_spool(monkeypatch):
    import tempfile

    def refuse():
        raise PermissionError(13, "Permission denied", "/tmp")
    monkeypatch.setattr(tempfile, "TemporaryFile", refuse)
    assert Spool.of([{"a": [1]}]) is None


@pytest.mark.parametrize("example", ["scenario_d", "issue"])
def test_blocked_losses_encoded_while_the_root_solves_are_written_as_the_plan_says(
        monkeypatch, tmp_path, example):
    """With every summary compact, plan() spools the blocked losses while HiGHS solves the root
    (planner.explain.prepare_blocked_groups); a group whose lot the plan sells anyway is encoded
    again with what the plan did: summary.json is json.dumps of the plan's summary."""
    from planner import explain, load_household, plan, summary_json
    from tests.helpers import EXAMPLES
    from tests.test_wash_pricing import _issue_household
    monkeypatch.setattr(summary_json, "COMPACT_FROM_RECORDS", 0)
    h = load_household(EXAMPLES / "scenario_d") if example == "scenario_d" else _issue_household()
    p = plan(h)
    assert p.blocked.encoded is not None and h not in explain._BLOCKED
    p.write(tmp_path)
    text = (tmp_path / "summary.json").read_text()
    assert text == json.dumps(p.summary(), default=str) + "\n"
    plans = {b["lot_id"]: b["plan"] for g in json.loads(text)["blocked_losses"] for b in g["lots"]}
    assert plans and all(v.startswith(("not sold", "sold")) for v in plans.values())
    if example == "issue":
        assert plans["A"].startswith("sold anyway")


def test_a_summary_is_compact_beyond_so_many_records_sales_and_blocked_losses_together(monkeypatch, tmp_path):
    """scenario_d: 21 trades and 8 blocked losses. Indented up to 29 records, compact from 30
    (json's indenting encoder is Python: 2.5 s for a 1e6-lot book's blocked losses alone)."""
    from planner import load_household, plan, summary_json
    from tests.helpers import EXAMPLES
    p = plan(load_household(EXAMPLES / "scenario_d"))
    assert (len(p.trades), len(p.blocked.lot_ids)) == (21, 8)
    for limit, indent in ((29, 2), (28, None)):
        monkeypatch.setattr(summary_json, "COMPACT_FROM_RECORDS", limit)
        p.write(tmp_path)
        assert (tmp_path / "summary.json").read_text() == json.dumps(p.summary(), indent=indent, default=str) + "\n"


def test_a_spool_closes_its_file_when_it_goes():
    spool = Spool([{"a": [1]}])
    f = spool._file
    del spool
    assert f.closed
