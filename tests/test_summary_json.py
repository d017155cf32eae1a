"""summary.json of a big plan is written piecewise (planner.result._write_json): the bytes are
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
from planner.result import _write_json


@pytest.mark.parametrize("indent", [None, 2])
def test_piecewise_summary_is_json_dumps(indent):
    summary = {"sales": [{"row": k, "gain": float("nan") if k % 7 == 0 else k / 3, "lot": "é"}
                         for k in range(25)],
               "empty": [], "exact": list(range(10)), "nested": {"a": [1, 2]}, "text": "x",
               "groups": [{"group": "g", "by": [{"d": 1}], "lots": [{"lot": k, "x": k / 7} for k in range(n)]}
                          for n in (0, 3, 25)]}
    out = io.BytesIO()
    _write_json(out, summary, indent, chunk=10)
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
