"""The one way input enters the project: one file opener, one CSV reader, one number parser.

Every file of a household folder, every trade list and every setting passes through here, so
the rules hold everywhere at once:

* absent means absent: only a path that does not exist is a missing file. A dangling symlink,
  a symlink loop, a folder, a device, a file that cannot be read, bytes that are not UTF-8:
  each is an :class:`InputError` naming the file;
* ids are text: only an empty cell is missing (the tickers ``NA``, ``NULL`` and ``None`` are
  real symbols, as are ids like ``007``);
* a number is a finite decimal with, optionally, well-formed thousands groups (``1,234.5``);
  ``380,5``, ``5,26,30.00``, ``nan`` and ``inf`` are not numbers;
* a row with more fields than the header is an error naming that row, the first data row
  included (pandas would otherwise take its first field as an index and shift every column).
"""
from __future__ import annotations

import csv
import io
import math
import numbers
import os
import re
import stat
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import InputError

# Columns that hold ids or words, never numbers (a symbol "1" or an account "007" is text).
TEXT_COLUMNS = ("account_id", "type", "owner", "symbol", "asset_class", "wash_group", "lot_id",
                "action", "buy", "sell", "term", "reason", "date", "acquired")

# A decimal number: digits with optional well-formed thousands groups, a fraction, an exponent.
NUMBER = re.compile(r"[+-]?(?:(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


# ---- files ------------------------------------------------------------------------------------
def read_bytes(path: str | Path, *, required: bool, what: str = "file") -> bytes | None:
    """The bytes of ``path``; None when it does not exist and is not ``required``.

    Anything that exists but is not a readable regular file is an error, never "absent": an
    optional ``transactions.csv`` that cannot be read could hide a wash sale.
    """
    path = Path(path)
    name = path.name or str(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        if os.path.lexists(path):
            raise InputError(name, f"is a symbolic link to a file that does not exist "
                             f"({os.readlink(path)})") from None
        if required:
            raise InputError(name, f"required {what} missing from {path.parent}") from None
        return None
    except NotADirectoryError:
        raise InputError(name, f"cannot be read: a part of {path} is a file, not a folder") from None
    except OSError as error:   # a symlink loop, permission denied on the folder, a name too long
        raise InputError(name, f"cannot be read: {error.strerror or error}") from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError(name, f"is a folder; expected a {what}")
    if not stat.S_ISREG(info.st_mode):
        raise InputError(name, f"is not a regular file; expected a {what}")
    try:
        return path.read_bytes()
    except OSError as error:
        raise InputError(name, f"cannot be read: {error.strerror or error}") from None


def decode(data: bytes, name: str) -> str:
    """UTF-8 text (a byte-order mark is dropped); anything else names the line of the bad byte."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[:error.start].count(b"\n") + 1
        raise InputError(name, f"is not UTF-8 text: byte 0x{data[error.start]:02x} on line {line} "
                         "(save the file as UTF-8)", line) from None


def read_text(path: str | Path, *, required: bool = True, what: str = "file") -> str | None:
    data = read_bytes(path, required=required, what=what)
    return None if data is None else decode(data, Path(path).name)


def read_csv(path: str | Path, *, required: bool = True, what: str = "file") -> pd.DataFrame | None:
    """A CSV file as a frame (None when absent and optional), every bad row located.

    Blank lines are dropped but counted: where there are any, ``frame.attrs["file_lines"]``
    holds each row's line in the file as a spreadsheet numbers it (header = 1).
    """
    path = Path(path)
    data = read_bytes(path, required=required, what=what)
    if data is None:
        return None
    return parse_csv(data, path.name)


def parse_csv(data: bytes, name: str) -> pd.DataFrame:
    text = decode(data, name)
    _check_first_row(text, name)
    options = dict(encoding="utf-8-sig", skipinitialspace=True, skip_blank_lines=False,
                   keep_default_na=False, na_values=[""], index_col=False)
    try:
        frame = pd.read_csv(io.BytesIO(data), **options)
        numeric_ids = [c for c in frame.columns if str(c).strip() in TEXT_COLUMNS and
                       pd.api.types.is_numeric_dtype(frame[c]) and frame[c].notna().any()]
        if numeric_ids:   # ids that look like numbers are read again as text (keep 007); a
            # dtype for every text column up front would cost 2 s on a million lots
            frame = pd.read_csv(io.BytesIO(data), dtype=dict.fromkeys(numeric_ids, str), **options)
    except pd.errors.EmptyDataError:
        raise InputError(name, "the file is empty; expected a header row") from None
    except (pd.errors.ParserError, ValueError) as error:
        message = " ".join(str(error).split())
        found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", message)
        if found:
            raise InputError(name, f"expected {found[1]} fields as in the header, found {found[3]}",
                             int(found[2])) from None
        raise InputError(name, f"not a readable CSV file: {message}") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    blank = frame.isna().all(axis=1).to_numpy() if len(frame.columns) else np.zeros(len(frame), bool)
    if blank.any():   # only then: pandas deep-copies attrs on every operation
        frame = frame.loc[~blank].reset_index(drop=True)
        frame.attrs["file_lines"] = np.flatnonzero(~blank) + 2
    return frame


def _lines(text: str):
    """The lines of ``text`` as ``io.StringIO(text)`` yields them (ending at each newline,
    which they keep), one at a time: the first rows are read without copying the whole text
    (a million lots: 0.1 s and four bytes a character)."""
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end + 1
        yield text[start:end]
        start = end


def _check_first_row(text: str, name: str) -> None:
    """The header and the first data row must have as many fields (pandas would shift them)."""
    reader = csv.reader(_lines(text), skipinitialspace=True)
    try:
        header = next(reader, None)
        if header is None:
            return
        names = [h.strip() for h in header]
        twice = [h for i, h in enumerate(names) if h and h in names[:i]]
        if twice:   # pandas would rename the second 'price' to 'price.1' and read the first
            raise InputError(name, "the column appears twice in the header", 1, twice[0])
        for row in reader:
            if not row or not any(field.strip() for field in row):
                continue   # a blank line
            if len(row) > len(header):
                raise InputError(name, f"expected {len(header)} fields as in the header, found "
                                 f"{len(row)}", reader.line_num)
            return
    except csv.Error as error:
        raise InputError(name, f"not a readable CSV file: {error}", reader.line_num) from None


# ---- numbers ----------------------------------------------------------------------------------
def parse_numbers(values: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Floats of a column, vectorized: (numbers, blank, bad).

    ``blank`` marks missing cells (NaN there); ``bad`` marks cells that are not a finite number
    as :data:`NUMBER` spells it (NaN there too).
    """
    if pd.api.types.is_bool_dtype(values):
        bad = np.ones(len(values), bool)
        return np.full(len(values), np.nan), np.zeros(len(values), bool), bad
    if pd.api.types.is_numeric_dtype(values):
        numbers = values.to_numpy(dtype=float, na_value=np.nan)
        blank = np.isnan(numbers)
        return numbers, blank, np.isinf(numbers)
    missing = values.isna().to_numpy(dtype=bool)
    text = values.astype(object).where(~missing, "").astype(str).str.strip()
    blank = missing | (text == "").to_numpy(dtype=bool)
    good = text.str.fullmatch(NUMBER.pattern).to_numpy(dtype=bool, na_value=False)
    numbers = np.full(len(values), np.nan)
    if good.any():
        numbers[good] = pd.to_numeric(text[good].str.replace(",", "", regex=False)).to_numpy(dtype=float)
    bad = ~blank & ~(good & np.isfinite(numbers))
    numbers[bad] = np.nan
    return numbers, blank, bad


def parse_number(value: Any) -> float | None:
    """One finite number from a TOML value or a command-line word; None if it is not one.

    ``True`` is not 1 and ``nan`` is not a number.
    """
    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, numbers.Real):      # int, float and numpy's scalars
        try:
            number = float(value)
        except OverflowError:                # an int beyond any float
            return None
    elif isinstance(value, str) and NUMBER.fullmatch(value.strip()):
        number = float(value.strip().replace(",", ""))
    else:
        return None
    return number if math.isfinite(number) else None
