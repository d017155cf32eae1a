"""summary.json of a big plan is written piecewise (planner.result._write_json): the bytes are
json.dumps' own, lists longer than a chunk, lists of records holding lists (blocked losses'
wash groups), NaN and non-ASCII text included."""
from __future__ import annotations

import io
import json

import pytest

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
