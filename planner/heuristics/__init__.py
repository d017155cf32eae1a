"""Heuristic planners: the guide's rules and the baselines people use, behind one interface.

Each heuristic is a small object with a ``name`` and ``plan(household) -> DataFrame``: a trade
list with the optimizer's columns (SPEC §4: ``date, account_id, symbol, action, quantity,
price, lot_id, amount, cost_basis, realized_gain, term, reason``), every sell naming its lot,
never selling more than a lot holds, never spending an account's cash below its reserve. The
evaluator judges their lists exactly as it judges the optimizer's (``planner compare``).
``book(household)`` is the same plan as its :class:`Book`, whose ``columns()`` give the rows as
arrays without building the DataFrame (what a backtest reads, decision after decision).

========================  ==================================================================
``guide``                 :class:`GuideRules`: the guide's prioritization, step by step
``full_rebalance_fifo``   every class to target, lots first in first out
``band_rebalance_hifo``   only classes outside their band, to target, highest cost first
``taxmin_lots``           as the band rebalance, lots losses → long-term gains → short-term
``harvest_only``          every taxable loss beyond a threshold, replaced from another group
========================  ==================================================================
"""
from __future__ import annotations

from typing import Protocol

import pandas as pd

from .baselines import BandRebalanceHIFO, FullRebalanceFIFO, HarvestOnly, TaxMinLots
from .book import Book, Goal, fifo, hifo, hifo_at_tax_rates, tax_min
from .guide import GuideRules, pre_trade_checklist


class Heuristic(Protocol):
    """What every heuristic planner offers."""
    name: str

    def plan(self, household) -> pd.DataFrame:
        ...

    def book(self, household) -> Book:
        """The same plan as its :class:`Book`: ``columns()`` skips the DataFrame."""
        ...


def all_heuristics() -> list[Heuristic]:
    """One of each heuristic, with its default parameters, in the order reports list them."""
    return [GuideRules(), FullRebalanceFIFO(), BandRebalanceHIFO(), TaxMinLots(), HarvestOnly()]


__all__ = ["BandRebalanceHIFO", "Book", "FullRebalanceFIFO", "Goal", "GuideRules", "HarvestOnly",
           "Heuristic", "TaxMinLots", "all_heuristics", "fifo", "hifo",
           "hifo_at_tax_rates", "pre_trade_checklist", "tax_min"]
