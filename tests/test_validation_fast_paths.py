"""The loader's fast paths read what the general ones read (models.validation): dates parsed by
Arrow's ISO cast where every cell is YYYY-MM-DD, keys factorized as the column holds them."""
from __future__ import annotations

import datetime as dt
import os

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.errors import InputError
from models.validation import Columns, _iso_days

EXAMPLES = int(os.environ.get("PLANNER_PROPERTY_EXAMPLES", "60"))

# A day, spelled as a person might: ISO, without zero padding, padded with spaces
spellings = st.sampled_from(["{:%Y-%m-%d}", "{d.year}-{d.month}-{d.day}", " {:%Y-%m-%d} "])
cells = st.builds(lambda day, form: form.format(day, d=day),
                  st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31)), spellings)


def general(values: list[str]) -> np.ndarray:
    text = pd.Series(values, dtype="str").astype(str).str.strip()
    return pd.to_datetime(text, format="%Y-%m-%d").to_numpy().astype("datetime64[D]")


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.lists(cells, min_size=1, max_size=30))
def test_a_date_column_reads_the_same_by_either_parse(values):
    frame = pd.DataFrame({"acquired": pd.Series(values, dtype="str")})
    assert (Columns(frame, "lots.csv").day("acquired") == general(values)).all()


def test_the_fast_parse_leaves_to_the_general_one_what_it_does_not_read_alike():
    for values in (["2021-2-3"], ["2021-02-30"], ["2023-02-29"], ["2021-02-03", ""], ["x"]):
        assert _iso_days(pd.Series(values, dtype="str")) is None, values
    assert (_iso_days(pd.Series(["2024-02-29", " 1999-12-31"], dtype="str"))
            == np.array(["2024-02-29", "1999-12-31"], dtype="datetime64[D]")).all()


@pytest.mark.parametrize("dtype", ["str", object])
def test_keys_are_looked_up_with_their_rows_and_the_unknown_one_located(dtype):
    frame = pd.DataFrame({"account_id": pd.Series([" B", "A", "B ", "C"], dtype=dtype)})
    t = Columns(frame, "lots.csv")
    with pytest.raises(InputError, match="unknown account 'C'") as error:
        t.key("account_id", {"A": 0, "B": 1}, "account", "accounts.csv")
    assert (error.value.row, error.value.column) == (5, "account_id")
    t = Columns(frame.iloc[:3], "lots.csv")
    assert t.key("account_id", {"A": 0, "B": 1}, "account", "accounts.csv").tolist() == [1, 0, 1]
