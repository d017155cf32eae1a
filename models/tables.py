"""The household's tables: typed, immutable, column-oriented numpy arrays.

Rows refer to each other by integer position (a lot's ``account`` is a row of
:class:`Accounts`), so everything downstream is vectorized. Build them with
:mod:`models.validation`, which checks the input and locates every error.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from .enums import AccountType


class IdIndex:
    """Position of each id, hashed by pandas (a dict of a million ids costs half a second).
    The ids stay Python objects: as an Arrow string index, a million took 0.27 s more to
    index and hash."""

    def __init__(self, ids: np.ndarray) -> None:
        self._index = pd.Index(ids, dtype=object)
        self._table = None

    def _hashed(self):
        """The ids hashed once, kept (pandas' own hash table, as its index engine uses), or None
        where pandas no longer offers it. Why: ``Index.get_indexer`` on object ids scans all
        of them on every call (0.1 s a call at a million lots, whatever the keys' number, seven
        calls in a build); this table costs 0.2 s once and then ~5 ms a lookup."""
        if self._table is None:
            try:
                from pandas._libs.hashtable import PyObjectHashTable
                table = PyObjectHashTable(len(self._index))
                table.map_locations(self._index.to_numpy(dtype=object))
            except (ImportError, AttributeError, TypeError):
                table = False
            self._table = table
        return self._table or None

    @property
    def is_unique(self) -> bool:
        """No id twice."""
        table = self._hashed()
        return len(table) == len(self._index) if table is not None else self._index.is_unique

    def positions(self, keys) -> np.ndarray:
        """int positions of ``keys``; -1 where unknown."""
        keys = np.asarray(keys, dtype=object)
        table = self._hashed()
        if table is not None and self.is_unique:
            return table.lookup(keys).astype(np.intp, copy=False)
        return self._index.get_indexer(pd.Index(keys, dtype=object))

    def get(self, key: str, default=None):
        position = self.positions([key])[0]
        return default if position < 0 else int(position)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key in self._index

    def __getitem__(self, key: str) -> int:
        position = self.get(key)
        if position is None:
            raise KeyError(key)
        return position


@dataclass(frozen=True, eq=False)
class Accounts:
    id: np.ndarray          # str, unique
    type: np.ndarray        # AccountType values as str
    cash: np.ndarray        # dollars
    reserve: np.ndarray     # dollars the plan must leave in the account
    owner: np.ndarray       # str ('' when not given)

    def __len__(self) -> int:
        return len(self.id)

    @cached_property
    def taxable(self) -> np.ndarray:
        return self.type == AccountType.TAXABLE.value

    @cached_property
    def index(self) -> dict[str, int]:
        return {a: i for i, a in enumerate(self.id)}


@dataclass(frozen=True, eq=False)
class Securities:
    symbol: np.ndarray       # str, unique
    price: np.ndarray        # dollars per share
    asset_class: np.ndarray  # str
    wash_group: np.ndarray   # str: the set of substantially identical securities
    spread_bps: np.ndarray   # full bid-ask spread; a trade pays half of it
    can_buy: np.ndarray      # bool
    can_sell: np.ndarray     # bool

    def __len__(self) -> int:
        return len(self.symbol)

    @cached_property
    def index(self) -> dict[str, int]:
        return {s: i for i, s in enumerate(self.symbol)}


@dataclass(frozen=True, eq=False)
class Lots:
    id: np.ndarray           # str, unique
    account: np.ndarray      # int row of Accounts
    security: np.ndarray     # int row of Securities
    quantity: np.ndarray     # shares (fractional allowed)
    cost_basis: np.ndarray   # total basis in dollars
    acquired: np.ndarray     # datetime64[D]

    def __len__(self) -> int:
        return len(self.id)

    @cached_property
    def index(self) -> IdIndex:
        return IdIndex(self.id)

    def with_index(self, index: IdIndex) -> "Lots":
        """These lots with ``index`` (an IdIndex of their ids) as their ``index``: the loader
        checks the ids are unique on it, and its hash table then serves every lookup."""
        vars(self)["index"] = index     # where cached_property keeps its value
        return self


@dataclass(frozen=True, eq=False)
class Targets:
    asset_class: np.ndarray  # str, unique
    weight: np.ndarray       # sums to 1
    band: np.ndarray         # absolute band per class; NaN: the default band

    def __len__(self) -> int:
        return len(self.asset_class)


@dataclass(frozen=True, eq=False)
class History:
    """Recent transactions (``transactions.csv``), every account of the household."""
    date: np.ndarray          # datetime64[D]
    account: np.ndarray       # int row of Accounts
    symbol: np.ndarray        # str (may be a security no longer held)
    is_buy: np.ndarray        # bool
    quantity: np.ndarray
    price: np.ndarray
    lot_id: np.ndarray        # str ('' when not given)
    realized_gain: np.ndarray # NaN when not given
    long_term: np.ndarray     # 1 long, 0 short, -1 unknown (optional column ``term``)

    def __len__(self) -> int:
        return len(self.date)


@dataclass(frozen=True, eq=False)
class Cashflows:
    """Deposits (> 0), withdrawals (< 0) and, with a symbol, scheduled purchases."""
    date: np.ndarray          # datetime64[D]
    account: np.ndarray       # int row of Accounts
    amount: np.ndarray        # dollars
    symbol: np.ndarray        # str ('' for plain cash)

    def __len__(self) -> int:
        return len(self.date)

    @cached_property
    def is_purchase(self) -> np.ndarray:
        return self.symbol != ""
