"""Every tolerance the planner judges by, in one place: the evaluator, the optimizer, the
heuristics and the ledger all compare against these, so none can call a plan compliant
that another calls a breach.
"""
from __future__ import annotations

MONEY_TOL = 0.005        # dollars: half a cent; below it no trade is made and no rule broken
WEIGHT_TOL = 1e-6        # a weight within a millionth of a band edge is inside (rounding of shares)
WEIGHT_SUM_TOL = 1e-6    # targets.csv weights must sum to 1 within this
QTY_TOL = 1e-9           # shares: what is left of a lot below this is nothing
GAIN_NOISE = 1e-7        # dollars: q·p − B·q/Q of a break-even lot may come out −3.6e-15
MIN_TRADE_DOLLARS = 0.01  # solution noise below a cent is not a trade
PRICE_TOL = 0.01         # a trade price may be off the quote by its full spread plus 1% of the quote
