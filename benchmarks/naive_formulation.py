"""The baseline: the cvxpy model a user would first write for the same household.

One vector variable indexed lot by lot, its bound constraints and terms added in a Python loop
over the lots and summed with Python's ``sum``; ``cp.abs`` for drift and bands; tax simplified the way a user would write it, as one
convex term: the short-term rate on the positive part of the year's net gain (realized so far,
less carryovers, plus the plan's gains), with no short/long-term netting, no deduction limit and
no carryover value. The wash-sale rule is what a user checks by hand: loss lots washed by recent
or scheduled purchases are not sold, groups sold at a loss in the last 30 days are not bought;
no binaries, so the plan may still sell a group at a loss and buy it back in the same plan.
Solved by HiGHS through cvxpy, so the solver is the same as ours.

It is a timing baseline first (how the straightforward model scales) and its trades are judged
by the same evaluator as ours, so its tax cost and objective can be compared too.

    from benchmarks.naive_formulation import NaiveModel
    model = NaiveModel(household)      # the loop over lots
    model.solve()                      # cvxpy compile + HiGHS
    trades = model.trades()            # a SPEC §4 trade list (DataFrame)
"""
from __future__ import annotations

import time

import cvxpy as cp
import numpy as np
import pandas as pd

import models


class NaiveModel:
    def __init__(self, h: models.Household) -> None:
        start = time.perf_counter()
        self.h = h
        lots, sec, acc = h.lots, h.securities, h.accounts
        V = h.total_value
        n_acc, n_cls = len(acc), len(h.classes)
        restrictions = models.ledger.wash_restrictions(h) if h.settings.wash_sale else None
        banned_groups = set(restrictions.no_buy_until) if restrictions else set()
        long_term = models.dates.is_long_term(models.dates.holding_start(lots.acquired), h.as_of)

        # shares sold per lot, bought dollars per (account, security)
        self.sell = cp.Variable(len(lots), name="shares_sold")
        self.buy = cp.Variable((n_acc, len(sec)), name="dollars_bought", nonneg=True)
        constraints = []
        proceeds = [[] for _ in range(n_acc)]      # per account: dollars raised by each lot sold
        sold = [[] for _ in range(n_cls)]          # per class: dollars sold
        gains, costs = [], []
        for i in range(len(lots)):                 # the loop over lots
            x = self.sell[i]
            j, a = lots.security[i], lots.account[i]
            price = sec.price[j]
            constraints += [x >= 0, x <= lots.quantity[i]]
            loss = lots.cost_basis[i] > lots.quantity[i] * price
            if not sec.can_sell[j] or (restrictions is not None and loss and acc.taxable[a]
                                       and restrictions.blocked_lot[i]):
                constraints.append(x == 0)
            proceeds[a].append(price * x)
            sold[h.security_class[j]].append(price * x)
            costs.append(sec.spread_bps[j] / 2e4 * price * x)
            if acc.taxable[a]:
                gains.append((price - lots.cost_basis[i] / lots.quantity[i]) * x)

        allowed = h.can_buy.copy()
        for j in range(len(sec)):
            if h.security_group[j] in banned_groups:
                allowed[:, j] = False
        constraints.append(cp.multiply(~allowed, self.buy) == 0)

        cash_start = acc.cash + h.account_flows
        cash_end = [cash_start[a] + sum(proceeds[a])
                    - cp.sum(self.buy[a, :]) for a in range(n_acc)]
        constraints += [cash_end[a] >= acc.reserve[a] for a in range(n_acc)]

        shares = np.bincount(lots.security, lots.quantity, minlength=len(sec))
        class_start = models.allocation.class_values(h, shares, cash_start)
        bought = [cp.sum(self.buy[:, np.flatnonzero(h.security_class == c)]) for c in range(n_cls)]
        class_value = []
        for c in range(n_cls):
            value = class_start[c] + bought[c] - sum(sold[c])
            if h.cash_class is not None and c == h.cash_class:
                value = value + sum(cash_end) - cash_start.sum()
            class_value.append(value)
        weights = cp.hstack(class_value) / V
        gap = weights - h.class_target
        constraints.append(cp.abs(gap) <= h.class_band)

        tax = h.tax
        realized = tax.realized_short_term + tax.realized_long_term \
            - tax.carryover_short_term - tax.carryover_long_term
        net_gain = realized + sum(gains)
        tax_cost = tax.short_term_rate * cp.pos(net_gain)
        trading = sum(costs) + cp.sum(cp.multiply(
            np.broadcast_to(sec.spread_bps / 2e4, self.buy.shape), self.buy))
        drift = models.allocation.penalty_per_unit_gap(h) * cp.sum(cp.abs(gap))
        self.problem = cp.Problem(cp.Minimize(tax_cost + trading + drift), constraints)
        self.long_term = long_term
        self.seconds = {"build": time.perf_counter() - start}

    def solve(self, solver: str = cp.HIGHS) -> str:
        start = time.perf_counter()
        self.problem.solve(solver=solver)
        self.seconds["solve"] = time.perf_counter() - start
        stats = self.problem.solver_stats
        self.seconds["solver"] = float(stats.solve_time) if stats and stats.solve_time else float("nan")
        self.seconds["compile"] = float(getattr(self.problem, "_compilation_time", None) or np.nan)
        return self.problem.status

    def trades(self) -> pd.DataFrame:
        h = self.h
        lots, sec, acc = h.lots, h.securities, h.accounts
        x = np.clip(np.nan_to_num(np.asarray(self.sell.value, dtype=float)), 0.0, lots.quantity)
        x = np.where(x >= lots.quantity * (1 - 1e-9), lots.quantity, x)
        s = np.flatnonzero(x * h.lot_price >= 0.01)
        b_acc, b_sec = np.nonzero(np.nan_to_num(np.asarray(self.buy.value, dtype=float)) >= 0.01)
        dollars = np.asarray(self.buy.value)[b_acc, b_sec]
        date = str(h.as_of)
        sells = pd.DataFrame({"date": date, "account_id": acc.id[lots.account[s]],
                              "symbol": sec.symbol[lots.security[s]], "action": "sell",
                              "quantity": x[s], "price": h.lot_price[s], "lot_id": lots.id[s]})
        buys = pd.DataFrame({"date": date, "account_id": acc.id[b_acc], "symbol": sec.symbol[b_sec],
                             "action": "buy", "quantity": dollars / sec.price[b_sec],
                             "price": sec.price[b_sec], "lot_id": ""})
        return pd.concat([sells, buys], ignore_index=True)
