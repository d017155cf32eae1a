"""Turn pandas frames into checked household tables, locating every error.

Each check raises :class:`InputError` naming the file, the row (as a spreadsheet numbers it:
header row 1, first data row 2), the column and what was expected. The same checks run
whether the frames were read from a folder or built in a notebook.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from .enums import AccountType
from .errors import InputError
from .inputs import parse_numbers

_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f"}


class Columns:
    """Typed access to one frame's columns, with located errors."""

    def __init__(self, frame: pd.DataFrame, file: str) -> None:
        if not isinstance(frame, pd.DataFrame):
            raise InputError(file, f"expected a table (pandas DataFrame), got {type(frame).__name__}")
        lines = frame.attrs.get("file_lines")
        self.frame = frame.reset_index(drop=True)
        self.frame.columns = [str(c).strip() for c in self.frame.columns]
        self.file = file
        # Rows as a spreadsheet numbers them (header = 1); a file read from disk knows its lines.
        self.lines = np.asarray(lines) if lines is not None else np.arange(len(frame)) + 2

    def __len__(self) -> int:
        return len(self.frame)

    def has(self, column: str) -> bool:
        return column in self.frame.columns

    def fail(self, message: str, position: int | None = None, column: str | None = None):
        raise InputError(self.file, message, None if position is None else int(self.lines[position]), column)

    def require(self, *columns: str) -> None:
        for column in columns:
            if column not in self.frame.columns:
                self.fail(f"missing column '{column}' (expected columns: {', '.join(columns)})",
                          column=column)

    @staticmethod
    def _strings(values: pd.Series) -> pd.Series:
        """Stripped text, vectorized (Arrow strings when pandas has them)."""
        if not pd.api.types.is_string_dtype(values) or values.dtype == object:
            values = values.astype(object).where(values.notna(), None).astype("string")
        return values.str.strip()

    def _blank(self, values: pd.Series) -> np.ndarray:
        return (values.isna() | (self._strings(values) == "")).to_numpy(dtype=bool, na_value=True)

    def text(self, column: str, default: str | None = None) -> np.ndarray:
        if not self.has(column):
            if default is None:
                self.require(column)
            return np.full(len(self), default, dtype=object)
        values = self.frame[column]
        stripped = self._strings(values)
        blank = (stripped.isna() | (stripped == "")).to_numpy(dtype=bool, na_value=True)
        if default is None and blank.any():
            self.fail("a value is required here", np.flatnonzero(blank)[0], column)
        out = stripped.to_numpy(dtype=object, na_value="")
        if blank.any():
            out[blank] = default or ""
        return out

    def number(self, column: str, *, default: float | None = None, minimum: float | None = None,
               maximum: float | None = None, positive: bool = False,
               what: str = "a number") -> np.ndarray:
        if not self.has(column):
            if default is None:
                self.require(column)
            return np.full(len(self), default, dtype=float)
        values = self.frame[column]
        numbers, blank, bad = parse_numbers(values)
        if default is None:
            bad |= blank
        if bad.any():
            row = np.flatnonzero(bad)[0]
            got = values.iloc[row]
            shown = "an empty cell" if blank[row] else f"'{str(got).strip()}'"
            self.fail(f"expected {what}, got {shown}"
                      + (" (thousands groups are 1,234.5)" if "," in str(got) else ""), row, column)
        if default is not None:
            numbers = np.where(blank, default, numbers)
        if positive and (numbers <= 0).any():
            self.fail(f"expected a positive {what}, got {numbers[numbers <= 0][0]:g}",
                      np.flatnonzero(numbers <= 0)[0], column)
        if minimum is not None and (numbers < minimum).any():
            row = np.flatnonzero(numbers < minimum)[0]
            self.fail(f"expected {what} of at least {minimum:g}, got {numbers[row]:g}", row, column)
        if maximum is not None and (numbers > maximum).any():
            row = np.flatnonzero(numbers > maximum)[0]
            self.fail(f"expected {what} of at most {maximum:g}, got {numbers[row]:g}", row, column)
        return numbers

    def day(self, column: str) -> np.ndarray:
        self.require(column)
        values = self.frame[column]
        if pd.api.types.is_datetime64_any_dtype(values):
            parsed = values
        elif (iso := _iso_days(values)) is not None:
            return iso
        else:
            text = values.astype(str).str.strip()
            parsed = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
        bad = parsed.isna().to_numpy()
        if bad.any():
            row = np.flatnonzero(bad)[0]
            self.fail(f"expected a date YYYY-MM-DD, got '{values.iloc[row]}'", row, column)
        return parsed.to_numpy().astype("datetime64[D]")

    def boolean(self, column: str, default: bool) -> np.ndarray:
        if not self.has(column):
            return np.full(len(self), default)
        values = self.frame[column]
        if pd.api.types.is_bool_dtype(values):
            return values.to_numpy(dtype=bool)
        out = np.empty(len(values), dtype=bool)
        for row, value in enumerate(values):
            word = "" if pd.isna(value) else str(value).strip().lower()
            if word == "":
                out[row] = default
            elif word in _TRUE:
                out[row] = True
            elif word in _FALSE:
                out[row] = False
            else:
                self.fail(f"expected true or false, got '{value}'", row, column)
        return out

    def unique(self, column: str, values: np.ndarray) -> None:
        # as Python objects: inferred as Arrow strings, a million ids took 2.7x as long
        seen = pd.Series(values, dtype=object).duplicated().to_numpy()
        if seen.any():
            row = np.flatnonzero(seen)[0]
            self.fail(f"duplicated id '{values[row]}'", row, column)

    def key(self, column: str, index: dict[str, int], what: str, where: str) -> np.ndarray:
        """Row numbers in another table of a required text column's keys: :meth:`text` then
        :meth:`lookup`, the keys factorized as the column holds them (Arrow strings, when
        pandas has them, are not made Python objects first: 0.13 -> 0.02 s a million rows)."""
        if not self.has(column):
            self.require(column)
        stripped = self._strings(self.frame[column])
        blank = (stripped.isna() | (stripped == "")).to_numpy(dtype=bool, na_value=True)
        if blank.any():
            self.fail("a value is required here", np.flatnonzero(blank)[0], column)
        codes, uniques = pd.factorize(stripped)
        rows = np.array([index.get(str(u), -2) for u in uniques] + [-2], dtype=np.int64)[codes]
        missing = rows == -2
        if missing.any():
            row = np.flatnonzero(missing)[0]
            self.fail(f"unknown {what} '{stripped.iloc[row]}' (not in {where})", row, column)
        return rows

    def lookup(self, column: str, values: np.ndarray, index: dict[str, int], what: str,
               where: str) -> np.ndarray:
        """Row numbers in another table of the keys in ``values``, vectorized over unique keys."""
        codes, uniques = pd.factorize(pd.Series(values, dtype=object))
        mapped = np.array([index.get(str(u), -2) for u in uniques] + [-2], dtype=np.int64)
        rows = mapped[codes]
        missing = rows == -2
        if missing.any():
            row = np.flatnonzero(missing)[0]
            self.fail(f"unknown {what} '{values[row]}' (not in {where})", row, column)
        return rows

    def choice(self, column: str, values: np.ndarray, allowed: list[str]) -> np.ndarray:
        lowered = np.array([v.lower() for v in values], dtype=object)
        bad = ~np.isin(lowered, allowed)
        if bad.any():
            row = np.flatnonzero(bad)[0]
            self.fail(f"expected one of {', '.join(allowed)}, got '{values[row]}'", row, column)
        return lowered


ACCOUNT_TYPES = [t.value for t in AccountType]


def _iso_days(values: pd.Series) -> np.ndarray | None:
    """Days of a column whose every cell is a YYYY-MM-DD date, parsed by Arrow (0.23 -> 0.08 s
    a million rows); None for anything else (a blank, another spelling, a day the month does not
    have), which the general parse then reads or locates. Arrow's ISO cast accepts only dates
    the general parse reads the same way."""
    try:
        dates = pa.array(values.str.strip(), type=pa.string()).cast(pa.date32())
    except (pa.ArrowInvalid, pa.ArrowTypeError, AttributeError, TypeError):
        return None
    return None if dates.null_count else dates.to_numpy(zero_copy_only=False).astype("datetime64[D]")
