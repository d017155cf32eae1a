"""A trade list (SPEC §4): what the planner writes and what the evaluator reads.

Rows are applied in date order, then file order. A sell names the lot it sells (specific
identification); a buy may name the new lot it creates, which a later sell may name.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .inputs import read_csv
from .validation import Columns

TRADE_COLUMNS = ["date", "account_id", "symbol", "action", "quantity", "price", "lot_id"]
# A plan's trades.csv (SPEC §4): the trade list and what each trade does and why.
PLAN_TRADE_COLUMNS = TRADE_COLUMNS + ["amount", "cost_basis", "realized_gain", "term", "reason"]


@dataclass(frozen=True, eq=False)
class TradeList:
    date: np.ndarray        # datetime64[D]
    account_id: np.ndarray  # str
    symbol: np.ndarray      # str
    is_buy: np.ndarray      # bool
    quantity: np.ndarray    # shares
    price: np.ndarray       # dollars per share
    lot_id: np.ndarray      # str ('' when not given)
    row: np.ndarray         # the spreadsheet row each trade came from (header = 1)

    def __len__(self) -> int:
        return len(self.date)

    @property
    def amount(self) -> np.ndarray:
        return self.quantity * self.price

    def action_word(self, i: int) -> str:
        return "buy" if self.is_buy[i] else "sell"

    def order(self) -> np.ndarray:
        """Positions in the order the rows apply: by date, then file order."""
        return np.lexsort((np.arange(len(self)), self.date))

    @classmethod
    def empty(cls) -> "TradeList":
        text = np.zeros(0, dtype=object)
        return cls(date=np.zeros(0, dtype="datetime64[D]"), account_id=text, symbol=text,
                   is_buy=np.zeros(0, dtype=bool), quantity=np.zeros(0), price=np.zeros(0),
                   lot_id=text, row=np.zeros(0, dtype=np.int64))

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, as_of, file: str = "trades.csv") -> "TradeList":
        t = Columns(frame, file)
        t.require("account_id", "symbol", "action", "quantity", "price")
        if t.has("date"):
            blank = t.frame["date"].isna() | (t.frame["date"].astype(str).str.strip() == "")
            t.frame["date"] = t.frame["date"].astype(object).where(~blank, str(np.datetime64(as_of, "D")))
            date = t.day("date")
        else:
            date = np.full(len(t), np.datetime64(as_of, "D"))
        return cls(date=date, account_id=t.text("account_id"), symbol=t.text("symbol"),
                   is_buy=t.choice("action", t.text("action"), ["buy", "sell"]) == "buy",
                   quantity=t.number("quantity", positive=True, what="quantity of shares"),
                   price=t.number("price", positive=True, what="price"),
                   lot_id=t.text("lot_id", default=""), row=t.lines.astype(np.int64))

    @classmethod
    def read_csv(cls, path: str | Path, as_of) -> "TradeList":
        """Read a trade list through the project's one CSV reader (:mod:`models.inputs`)."""
        path = Path(path)
        return cls.from_frame(read_csv(path, required=True, what="trade list"), as_of, path.name)
