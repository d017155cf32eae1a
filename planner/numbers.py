"""How numbers look where a person or a spreadsheet reads them.

Money is shown to the cent with thousands separators (``-9,544.77``), shares to
:data:`SHARE_DECIMALS` places, weights as percentages (``45.00%``) and weight gaps as percentage
points. Files a spreadsheet reads (``trades.csv``, ``frontier.csv``, ``orders.csv``) carry
money rounded to the cent and shares to the same precision as the screen, so a column adds up
to what the screen shows; quantities and prices the evaluator reads back stay exact.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

# US custodians hold and trade fractional shares to the thousandth (Fidelity's Wealthscape
# "Import Orders": quantity "out to three decimal places"; Vanguard and Schwab likewise).
SHARE_DECIMALS = 3
MONEY_DECIMALS = 2


def money(x: float | None, sign: bool = False) -> str:
    """``1234.5`` -> ``1,234.50``; with ``sign``, ``+1,234.50``. None or NaN -> an em dash."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    x = round(float(x), MONEY_DECIMALS) + 0.0      # no "-0.00"
    return f"{x:+,.2f}" if sign else f"{x:,.2f}"


def dollars(x: float | None) -> str:
    """``$1,234.50``, ``−$120.00``: money with its unit, for sentences."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    x = round(float(x), MONEY_DECIMALS) + 0.0
    return f"-${-x:,.2f}" if x < 0 else f"${x:,.2f}"


def shares(x: float | None) -> str:
    """Shares to :data:`SHARE_DECIMALS` places, trailing zeros kept so columns align."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    return f"{round(float(x), SHARE_DECIMALS) + 0.0:,.{SHARE_DECIMALS}f}"


def percent(weight: float | None, decimals: int = 2) -> str:
    """A weight as a percentage: ``0.4512`` -> ``45.12%``."""
    if weight is None or (isinstance(weight, float) and math.isnan(weight)):
        return "—"
    return f"{100 * float(weight) + 0.0:.{decimals}f}%"


def points(weight: float | None, decimals: int = 2) -> str:
    """A gap between weights in percentage points: ``0.0125`` -> ``1.25 pp``."""
    if weight is None or (isinstance(weight, float) and math.isnan(weight)):
        return "—"
    return f"{100 * float(weight) + 0.0:.{decimals}f} pp"


def round_money_columns(frame: pd.DataFrame, columns) -> pd.DataFrame:
    """A copy for a CSV file: the money ``columns`` (those present) as text to the cent
    (``37488.00``, ``-0.00`` made ``0.00``), empty where missing."""
    out = frame.copy()
    money = f"%.{MONEY_DECIMALS}f"
    for c in columns:
        if c in out and pd.api.types.is_numeric_dtype(out[c]):
            values = np.round(out[c].to_numpy(dtype=float), MONEY_DECIMALS) + 0.0
            # a format per value: numpy's char.mod makes the same strings three times slower
            out[c] = np.array(["" if v != v else money % v for v in values.tolist()], dtype=object)
    return out
