"""The fast paths of the 1e6-lot pipeline give what the plain ones give (issue 16): the basis
statuses read from HiGHS's basis file, the kept hash table of lot ids, the day-span holding
periods and the line-by-line header check."""
from __future__ import annotations

import io

import cvxpy as cp
import numpy as np
import pandas as pd

from models.dates import is_long_term, long_term_from
from models.inputs import _lines
from models.tables import IdIndex
from planner.solve import SolverOptions
from planner.solve.highs import HighsLp


def test_column_status_from_the_basis_file_is_highspys():
    # an LP whose optimum has basic columns and nonbasic ones at their bounds (x1, x5 at 1;
    # the budget 2.5 leaves one column fractional, basic)
    x = cp.Variable(6, bounds=[np.zeros(6), np.ones(6)])
    problem = cp.Problem(cp.Minimize(-np.array([1.0, 2.0, 1.0, 0.5, 0.0, 3.0]) @ x),
                         [np.array([1.0, 1.0, 1.0, 1.0, 1.0, 0.0]) @ x <= 2.5, x[5] + x[4] <= 1.5])
    model = HighsLp(problem, SolverOptions())
    model.root(time_left=10.0)
    slow = np.fromiter(map(int, model.get_basis().col_status), np.int8, model.n)
    assert np.array_equal(model.column_status(), slow)
    assert len(set(slow.tolist())) >= 2     # not a trivial basis


def test_id_index_positions_are_pandas_get_indexer():
    ids = np.array([f"L{i:05d}" for i in range(5000)], dtype=object)[::-1]
    keys = np.array(["L00003", "nope", "", "L04999", "L00003"], dtype=object)
    index = IdIndex(ids)
    want = pd.Index(ids, dtype=object).get_indexer(pd.Index(keys, dtype=object))
    assert index.is_unique and np.array_equal(index.positions(keys), want)
    assert index.get("nope") is None and index["L00000"] == 4999
    assert not IdIndex(np.array(["a", "b", "a"], dtype=object)).is_unique


def test_long_term_over_the_span_of_days_is_the_elementwise_rule():
    rng = np.random.default_rng(3)
    # 2,000 days around Feb 29, 2024 (a start of Feb 29 is long-term from Mar 1 next year)
    start = np.datetime64("2023-06-01") + rng.integers(0, 2000, 10_000)
    sold = start + rng.integers(300, 400, len(start))
    assert np.array_equal(is_long_term(start, sold), sold >= long_term_from(start))
    assert is_long_term(np.array(["2024-02-29"] * 5000, dtype="datetime64[D]") + 0,
                        np.datetime64("2025-03-01")).all()


def test_header_check_reads_lines_as_stringio_does():
    for text in ["", "a,b\n1,2", "a,b\r\n1,2\r\n", '"x\ny",z\n1,2\n', "\n\n"]:
        assert list(_lines(text)) == list(io.StringIO(text))
