"""The wash-sale rule (IRC §1091, Pub. 550 "Wash Sales") as a matching of loss shares to
replacement shares.

A loss sale is washed when shares of the same wash group are acquired, in any account of the
household, from 30 days before to 30 days after the sale. Loss sales are taken in date order;
replacement shares are matched to loss shares in order of acquisition, share for share, each
used once. The sold shares themselves, and other shares of the same purchase, never replace
them (Rev. Rul. 56-602). When the replacement sits in a taxable account the disallowed loss is
added to its basis and the sold shares' holding period is tacked on; in a tax-advantaged
account the loss is lost for good (Rev. Rul. 2008-5).
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass, field

import numpy as np

from .dates import WASH_WINDOW_DAYS

WINDOW = np.timedelta64(WASH_WINDOW_DAYS, "D")
MATCH_TOL = 1e-12    # an acquisition with no more unused shares than this replaces nothing
LOT_PURCHASE = "lot:"


def lot_purchase(lot_id: str) -> str:
    """The purchase a lot's shares came from (``Acquisition.purchase``): a lot never replaces
    itself, nor do other shares of its purchase."""
    return LOT_PURCHASE + lot_id


def history_purchase(lot_id: str, row: int) -> str:
    """A past transaction's purchase: its lot's where it names one, else its own row's."""
    return lot_purchase(lot_id) if lot_id else f"history:{row}"


@dataclass
class Acquisition:
    """Shares acquired in one purchase; candidate replacement shares (mutable: ``unused``)."""
    date: np.datetime64
    group: int
    account: int
    taxable: bool
    quantity: float
    purchase: str           # identity of the purchase (Rev. Rul. 56-602)
    lot_id: str             # the lot holding these shares ('' when none is tracked)
    counts: bool            # True for plan trades and scheduled purchases: new events
    source: str             # 'lot', 'history', 'trade', 'scheduled'
    sequence: int           # tie-break among acquisitions of one day: input order
    symbol: str = ""        # the security bought
    unused: float = field(init=False)

    def __post_init__(self) -> None:
        self.unused = self.quantity


@dataclass(frozen=True)
class Match:
    """Some loss shares matched to replacement shares."""
    acquisition: Acquisition
    shares: float


class ReplacementPool:
    """Every acquisition of the household that can replace loss shares, by wash group."""

    def __init__(self, acquisitions: list[Acquisition]) -> None:
        self.by_group: dict[int, list[Acquisition]] = {}
        # Each group's dates as day numbers, in its order: a match compares the date of every
        # candidate it passes, and as Python ints, not numpy datetime64 scalars (several times
        # dearer each), 10,000 matches per plan at 1e6 lots cost a tenth of the time.
        self.days: dict[int, list[int]] = {}
        dates = np.array([a.date for a in acquisitions], dtype="datetime64[D]")
        order = np.lexsort(([a.sequence for a in acquisitions], dates))
        for k, day in zip(order.tolist(), dates[order].astype(np.int64).tolist()):
            acq = acquisitions[k]
            self.by_group.setdefault(acq.group, []).append(acq)
            self.days.setdefault(acq.group, []).append(day)

    def dated(self, lo: np.datetime64, hi: np.datetime64) -> list[Acquisition]:
        """The acquisitions dated from ``lo`` to ``hi``, group by group, each in its order."""
        first, last = _day(lo), _day(hi)
        return [a for g, acqs in self.by_group.items() for a, day in zip(acqs, self.days[g])
                if first <= day <= last]

    def match(self, group: int, sold: np.datetime64, shares: float, own_purchase: str) -> list[Match]:
        """Take replacement shares for ``shares`` loss shares sold on ``sold``, in acquisition order."""
        matches, left = [], shares
        acquisitions = self.by_group.get(group, [])
        days = self.days.get(group, [])
        day = _day(sold)
        hi = day + WASH_WINDOW_DAYS
        for k in range(bisect.bisect_left(days, day - WASH_WINDOW_DAYS), len(acquisitions)):
            if left <= MATCH_TOL or days[k] > hi:
                break
            acq = acquisitions[k]
            if acq.unused <= MATCH_TOL or acq.purchase == own_purchase:
                continue
            take = min(left, acq.unused)
            acq.unused -= take
            left -= take
            matches.append(Match(acq, take))
        return matches


def _day(date: np.datetime64) -> int:
    return int(np.datetime64(date, "D").astype(np.int64))


def tacked_start(replacement_start: np.datetime64, replacement_acquired: np.datetime64,
                 sold_start: np.datetime64, sold: np.datetime64) -> np.datetime64:
    """Holding-period start of replacement shares after a wash (Pub. 550: the new holding
    period includes the old one).

    Bought on or after the sale: the old period counts, the days between do not
    (start = old start + days from sale to purchase). Bought before the sale (the
    convention SPEC §2 leaves open): the periods overlap, and overlapping days count once,
    so the replacement keeps the earlier of the two starts.
    """
    gap = max(np.timedelta64(0, "D"), replacement_acquired - sold)
    return min(replacement_start, sold_start + gap)
