"""Holding periods to the day (Pub. 550, "Holding Period"), vectorized over numpy dates.

The holding period starts the day after acquisition. A sale is long-term on or after the
same calendar date one year after that start; a start of Feb 29 has no such date and moves
to Mar 1. Counting days (> 365) is wrong across leap years and is never used here.
"""
from __future__ import annotations

from datetime import date

import numpy as np

DAY = np.timedelta64(1, "D")
WASH_WINDOW_DAYS = 30   # IRC §1091: 30 days before to 30 days after the sale


def to_day(value: date | str | np.datetime64) -> np.datetime64:
    return np.datetime64(value, "D")


def holding_start(acquired: np.ndarray | np.datetime64) -> np.ndarray:
    """The first day of the holding period: the day after acquisition."""
    return np.asarray(acquired, dtype="datetime64[D]") + DAY


def long_term_from(start: np.ndarray | np.datetime64) -> np.ndarray:
    """First sale date that is long-term for a holding period starting on ``start``."""
    start = np.asarray(start, dtype="datetime64[D]")
    years = start.astype("datetime64[Y]")
    months = start.astype("datetime64[M]")
    month_of_year = (months - years.astype("datetime64[M]")).astype(int)   # 0..11
    day_of_month = (start - months.astype("datetime64[D]")).astype(int)    # 0..30
    next_year_month = (years + 1).astype("datetime64[M]") + month_of_year
    anniversary = next_year_month.astype("datetime64[D]") + day_of_month
    # Feb 29 + 1 year overflows into Mar 1 of the next year, which is the rule.
    feb29 = (month_of_year == 1) & (day_of_month == 28)
    return np.where(feb29, next_year_month.astype("datetime64[D]") + 28, anniversary)


def is_long_term(start: np.ndarray | np.datetime64, sold: np.ndarray | np.datetime64) -> np.ndarray:
    """True where a sale on ``sold`` of shares held from ``start`` is long-term."""
    start = np.asarray(start, dtype="datetime64[D]")
    if start.size > 4096 and not np.isnat(start).any():
        # a million lots share a few thousand dates: work on every day of their span (no
        # sort, as np.unique's: 0.1 s at a million lots) when it is short
        first = start.min()
        offset = (start - first).astype(np.int64)
        if offset.max() < start.size:
            days = first + np.arange(offset.max() + 1)
            return np.asarray(sold, dtype="datetime64[D]") >= long_term_from(days)[offset]
        days, inverse = np.unique(start, return_inverse=True)
        return np.asarray(sold, dtype="datetime64[D]") >= long_term_from(days)[inverse.reshape(start.shape)]
    return np.asarray(sold, dtype="datetime64[D]") >= long_term_from(start)


def iso(day: np.datetime64 | date) -> str:
    return str(np.datetime64(day, "D"))

