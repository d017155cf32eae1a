"""Baselines people use today: full rebalance with FIFO lots, band rebalance with HIFO lots,
the TaxMin lot order, and harvest-only.

The three rebalancers are naive about taxes beyond their lot order, as the tools they stand
for are: they work through the accounts in file order (no tax-advantaged-first), buy more of
the security the household holds most in a class, and know nothing of the wash-sale rule.
Harvest-only knows it (it exists to harvest): it skips lots a recent or scheduled purchase
would wash and buys its replacements from another wash group of the same class.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from models.enums import Reason

from .book import Book, Goal, LotOrder, account_order, fifo, fund_withdrawals, hifo, move, tax_min


@dataclass(frozen=True)
class _Rebalancer:
    """Fund withdrawals, then rebalance the household in file order of accounts."""
    name: str
    order: LotOrder
    band_only: bool      # True: trade only when a class is outside its band, and only those

    def plan(self, household) -> pd.DataFrame:
        return self.book(household).frame()

    def book(self, household) -> Book:
        """The plan's book (its trades: :meth:`Book.frame`, :meth:`Book.columns`)."""
        book = Book(household, self.order, wash_aware=False)
        fund_withdrawals(book)
        if self.band_only:
            if not book.outside_band().any():
                return book
            goal = Goal.outside_band_to_target(household, book.class_values())
        else:
            goal = Goal.full(household)
        move(book, goal, account_order(household, tax_advantaged_first=False))
        return book


class FullRebalanceFIFO(_Rebalancer):
    """Every class back to its target, whatever the band; lots first in, first out."""

    def __init__(self) -> None:
        super().__init__("full_rebalance_fifo", fifo, band_only=False)


class BandRebalanceHIFO(_Rebalancer):
    """Only classes outside their band, back to target; lots highest cost first."""

    def __init__(self) -> None:
        super().__init__("band_rebalance_hifo", hifo, band_only=True)


class TaxMinLots(_Rebalancer):
    """The band rebalance with the TaxMin lot order: losses first (short-term, then
    long-term), then long-term gains, short-term gains last."""

    def __init__(self) -> None:
        super().__init__("taxmin_lots", tax_min, band_only=True)


@dataclass(frozen=True)
class HarvestOnly:
    """Sell every taxable lot whose loss exceeds the threshold and buy, in the same account, a
    replacement of the same asset class from another wash group. No rebalancing.

    A lot qualifies when its loss is at least ``min_loss_fraction`` of its value and at least
    ``min_loss_usd`` dollars, no purchase already made or scheduled would wash it, and its
    account can buy a replacement (a group neither harvested here nor sold at a loss in the
    last 30 days). Withdrawals are funded first, highest cost first.
    """
    min_loss_fraction: float = 0.05
    min_loss_usd: float = 100.0
    name: str = "harvest_only"

    def qualifies(self, book: Book) -> np.ndarray:
        """Lots at a loss beyond the threshold (before replacement and wash checks)."""
        f = book.facts
        loss_usd = -f.gain_per_dollar * f.value
        return f.loss & (loss_usd >= self.min_loss_usd) & \
            (-f.gain_per_dollar >= self.min_loss_fraction)

    def plan(self, household) -> pd.DataFrame:
        return self.book(household).frame()

    def book(self, household) -> Book:
        """The plan's book (its trades: :meth:`Book.frame`, :meth:`Book.columns`)."""
        h = household
        book = Book(h, hifo, wash_aware=True, prefer_cheap=True)
        fund_withdrawals(book)
        candidates = np.flatnonzero(self.qualifies(book) & (book.left > 0))
        candidates = candidates[np.isin(candidates, book.sellable(candidates))]
        # Largest loss first; a group bought as a replacement is no longer harvested.
        f = book.facts
        candidates = candidates[np.argsort(f.gain_per_dollar[candidates] * f.value[candidates],
                                           kind="stable")]
        for lot in candidates:
            g = book.lot_group[lot]
            if book.bought_group[g]:
                continue
            a, c = int(h.lots.account[lot]), int(book.lot_class[lot])
            own = np.zeros(len(h.wash_groups), dtype=bool)
            own[g] = True                   # the book already avoids groups harvested so far
            j = book.buy_security(a, c, avoid_groups=own)
            if j < 0:
                continue
            proceeds = book.sell(np.array([lot]), float(book.left[lot] * h.lot_price[lot]),
                                 Reason.HARVEST.value)
            book.buy(a, j, proceeds, Reason.REPLACEMENT.value)
        return book
