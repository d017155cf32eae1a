"""Our single-taxable-account households as instances of the ``taxrebalance`` package (PyPI).

``taxrebalance`` (0.2.0, ``pip install -e .[bench]``) plans one U.S. portfolio: per-lot sales
and per-ticker buys in continuous shares, a linear tax per lot (short- or long-term rate on each
lot's own gain or loss), a tracking-error constraint and a quadratic risk penalty on per-ticker
weights from a covariance matrix, found by a convex relaxation and a bounded search over
buy/sell/hold directions per ticker (Clarabel). What it reads is a ``Portfolio`` of ``TaxLot``
rows (lot_id, ticker, shares, basis_per_share, days_held, prior_30d_replacement), prices, cash,
target weights per ticker and a covariance matrix.

What of a household it cannot express, and what this adapter does instead:

- several accounts, account types, a spouse's accounts: one account only, so only households
  with a single taxable account are converted (others raise ``Unsupported``);
- asset classes with targets and bands: it has per-ticker targets and one L2 tracking-error
  cap. Each class target is split over the class's securities in proportion to their current
  value (equally where the class holds nothing), and the covariance is one unit factor per
  class plus 1e-6 idiosyncratic variance, so its tracking error is (almost) the L2 norm of the
  class gaps; the cap is the band (L2 ≤ band implies every class within its band, tighter
  than our rule). Its quadratic risk penalty stands for our L1 drift penalty, with the risk
  aversion that makes both equal at half the band;
- Schedule D netting, realized gains and carryovers so far, the loss deduction limit and
  carryforward value: its tax is linear per lot (we pass loss_utilization = 1 and no future
  recapture), so it cannot see that losses offset this year's realized gains or that
  carryovers already absorb gains;
- wash sales: it knows only a per-lot flag "a replacement was bought in the last 30 days"
  (then the loss is worth nothing to it, but the lot may still be sold) and no wash groups
  (substantially identical share classes); groups we may not buy yet are not restricted
  (its ``restricted_tickers`` would forbid selling them too). Our evaluator judges any wash
  it causes;
- cash flows (deposits, withdrawals, scheduled purchases), the cash reserve and cash-first:
  only a starting cash ≥ 0. We pass cash + deposits − withdrawals − reserve, so households
  whose withdrawals exceed their cash (as the generator's usually do) cannot be converted:
  the benchmark generates its single-account households without cash flows;
- trading cost: one bps rate for every ticker (we pass the mean half-spread).

Its trades (continuous shares, SELL by lot id, BUY by ticker) become a SPEC §4 trade list,
judged by :func:`planner.evaluate.evaluate` like ours.
"""
from __future__ import annotations

import time

import numpy as np
import pandas as pd

import models

IDIOSYNCRATIC_VARIANCE = 1e-6


class Unsupported(ValueError):
    """The household holds something taxrebalance cannot express."""


def convert(h: models.Household):
    """(portfolio, kwargs for taxrebalance.rebalance) for a single-taxable-account household."""
    import taxrebalance as tr

    if len(h.accounts) != 1 or not h.accounts.taxable[0]:
        raise Unsupported(f"{len(h.accounts)} accounts ({', '.join(h.accounts.type)}): "
                          "taxrebalance plans one taxable portfolio")
    cash = float(h.accounts.cash[0] + h.account_flows[0] - h.accounts.reserve[0])
    if cash < 0:
        raise Unsupported(f"withdrawals exceed cash by {-cash:,.2f}: taxrebalance needs cash >= 0")
    sec, lots = h.securities, h.lots
    tickers = list(sec.symbol)
    value = np.bincount(lots.security, h.lot_value, minlength=len(sec))
    weight = np.zeros(len(sec))
    for c in range(len(h.classes)):
        members = np.flatnonzero(h.security_class == c)
        if not len(members):
            continue
        share = value[members] / value[members].sum() if value[members].sum() > 0 else \
            np.full(len(members), 1.0 / len(members))
        weight[members] = h.class_target[c] * share
    weight = weight / weight.sum()
    factor = (h.security_class[:, None] == np.arange(len(h.classes))[None, :]).astype(float)
    covariance = factor @ factor.T + IDIOSYNCRATIC_VARIANCE * np.eye(len(sec))

    restrictions = models.ledger.wash_restrictions(h)
    long_term = models.dates.is_long_term(models.dates.holding_start(lots.acquired), h.as_of)
    days = (h.as_of - lots.acquired).astype(int)
    days_held = np.where(long_term, np.maximum(days, 365), np.minimum(days, 364))
    basis = np.maximum(lots.cost_basis / lots.quantity, 1e-9)
    loss = lots.cost_basis > h.lot_value
    tax_lots = [tr.TaxLot(lot_id=str(lots.id[i]), ticker=str(tickers[lots.security[i]]),
                          shares=float(lots.quantity[i]), basis_per_share=float(basis[i]),
                          days_held=int(days_held[i]),
                          prior_30d_replacement=bool(loss[i] and restrictions.blocked_lot[i]))
                for i in range(len(lots))]
    portfolio = tr.Portfolio.from_tax_lots(tax_lots, prices=dict(zip(tickers, map(float, sec.price))),
                                           cash=cash)
    band = float(np.min(h.class_band))
    drift_per_unit = models.allocation.penalty_per_unit_gap(h) / h.total_value
    config = tr.RebalanceConfig(
        max_tracking_error=band * 0.999, trading_cost_bps=float(np.mean(sec.spread_bps) / 2),
        loss_utilization=1.0, future_recapture_fraction=0.0,
        risk_aversion=drift_per_unit / (band / 2))
    return portfolio, dict(target_weights=dict(zip(tickers, map(float, weight))),
                           covariance=covariance.tolist(),
                           tax_policy=tr.UnitedStatesLots(h.tax.short_term_rate, h.tax.long_term_rate),
                           config=config)


def trades_frame(h: models.Household, result) -> pd.DataFrame:
    """Its trade list as SPEC §4 rows (shares clipped to the lot, dust dropped)."""
    lot_row = {lot_id: i for i, lot_id in enumerate(h.lots.id)}
    price = dict(zip(h.securities.symbol, h.securities.price))
    account = str(h.accounts.id[0])
    rows = []
    for t in result.trades:
        shares = float(t["shares"])
        if t["side"] == "SELL":
            i = lot_row[t["lot_id"]]
            shares = min(shares, float(h.lots.quantity[i]))
        if shares * price[t["ticker"]] < 0.01:
            continue
        rows.append({"date": str(h.as_of), "account_id": account, "symbol": t["ticker"],
                     "action": t["side"].lower(), "quantity": shares, "price": price[t["ticker"]],
                     "lot_id": t.get("lot_id") or ""})
    return pd.DataFrame(rows, columns=["date", "account_id", "symbol", "action", "quantity",
                                       "price", "lot_id"])


def run(h: models.Household) -> dict:
    """Convert, plan with taxrebalance, and return its trades and timings."""
    import taxrebalance as tr

    start = time.perf_counter()
    portfolio, kwargs = convert(h)
    converted = time.perf_counter()
    result = tr.rebalance(portfolio, method="tax_aware", **kwargs)
    solved = time.perf_counter()
    summary = result.summary()
    return {"trades": trades_frame(h, result), "convert_s": converted - start,
            "rebalance_s": solved - converted, "feasible": bool(result.feasible),
            "own_status": str(summary.get("solver_status")),
            "own_violations": list(summary.get("violations") or []),
            "explored_patterns": summary.get("explored_patterns"),
            "own_tax_estimate": summary.get("estimated_tax_current"),
            "tickers": len(h.securities)}
