"""The yardstick: judge any trade list (the optimizer's, a heuristic's, a person's) on a household.

It reports the sales and their wash-sale adjustments, the holdings after, the tax year with
and without the trades, the tax cost, the drift, the objective's parts and every breach of a
rule of SPEC §3. It imports no solver, so ``planner evaluate`` starts fast.
"""
from __future__ import annotations

import weakref
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from ._models import models

Household = models.Household
TradeList = models.trades.TradeList
Rule = models.Rule
allocation = models.allocation
MONEY_TOL = 0.005


@dataclass(frozen=True, eq=False)
class Evaluation:
    household: Any
    trades: Any
    ledger: Any
    year: Any               # YearResult with the trades
    year_without: Any       # YearResult without them
    tax_cost: float
    trading_cost: float
    drift_penalty: float
    weights_before: np.ndarray
    weights_after: np.ndarray
    violations: list[dict]

    @property
    def objective(self) -> float:
        return self.tax_cost + self.trading_cost + self.drift_penalty

    @cached_property
    def drift_before(self) -> float:
        return float(np.abs(self.weights_before - self.household.class_target).sum())

    @cached_property
    def drift_after(self) -> float:
        return float(np.abs(self.weights_after - self.household.class_target).sum())

    @property
    def realized_gain(self) -> float:
        """The trades' net realized gain (after disallowed losses), dollars."""
        return self.ledger.short_term + self.ledger.long_term

    def sales_frame(self) -> pd.DataFrame:
        h = self.household
        rows = [{"lot_id": s.lot_id, "account_id": h.accounts.id[s.account], "symbol": s.symbol,
                 "date": str(s.date), "quantity": s.quantity, "proceeds": s.proceeds,
                 "basis": s.basis, "gain": s.gain, "term": s.term.value,
                 "disallowed": s.disallowed, "permanently_disallowed": s.permanently_disallowed,
                 "taxable": s.taxable, "row": s.row} for s in self.ledger.sales]
        return pd.DataFrame(rows, columns=["lot_id", "account_id", "symbol", "date", "quantity",
                                           "proceeds", "basis", "gain", "term", "disallowed",
                                           "permanently_disallowed", "taxable", "row"])

    def lots_frame(self) -> pd.DataFrame:
        h, lots = self.household, self.ledger.lots
        return pd.DataFrame({
            "lot_id": lots["lot_id"].to_numpy(), "account_id": h.accounts.id[lots["account"].to_numpy()],
            "symbol": h.securities.symbol[lots["security"].to_numpy()],
            "quantity": lots["quantity"].to_numpy(), "cost_basis": lots["cost_basis"].to_numpy(),
            "holding_period_start": pd.to_datetime(lots["holding_period_start"]).dt.strftime("%Y-%m-%d"),
            "wash_adjusted": lots["wash_adjusted"].to_numpy()})

    def to_dict(self, include_lots: bool = True) -> dict[str, Any]:
        h = self.household
        classes = list(h.classes)
        out = {
            "household": h.name,
            "as_of": str(h.as_of),
            "sales": _records(self.sales_frame()),
            "lots": _records(self.lots_frame()) if include_lots else [],
            "history_washes": [{"date": str(w.date), "symbol": w.symbol, "quantity": w.quantity,
                                "disallowed": _r(w.disallowed),
                                "permanently_disallowed": _r(w.permanently_disallowed),
                                "term": w.term.value, "by_trade": w.by_trade}
                               for w in self.ledger.history_washes],
            "year": self.year.as_dict(),
            "year_without_trades": self.year_without.as_dict(),
            "tax_cost": _r(self.tax_cost),
            "trading_cost": _r(self.trading_cost),
            "drift_penalty": _r(self.drift_penalty),
            "objective": _r(self.objective),
            "drift": {
                "before": dict(zip(classes, map(_w, self.weights_before))),
                "after": dict(zip(classes, map(_w, self.weights_after))),
                "target": dict(zip(classes, map(_w, h.class_target))),
                "band": dict(zip(classes, map(_w, h.class_band))),
                "total_before": _w(self.drift_before),
                "total_after": _w(self.drift_after),
            },
            "cash_after": dict(zip(h.accounts.id, map(_r, self.ledger.cash_after))),
            "violations": self.violations,
        }
        return out


def _r(x: float) -> float:
    return round(float(x), 6) + 0.0


def _w(x: float) -> float:
    return round(float(x), 10) + 0.0


def _plain(value: Any) -> Any:
    if isinstance(value, (float, np.floating)):
        return _r(value)
    if isinstance(value, (np.integer, np.bool_)):
        return value.item()
    return value


def _records(frame: pd.DataFrame) -> list[dict]:
    """Rows as dicts of plain Python values, floats rounded like :func:`_r`, column by column."""
    columns = []
    for name in frame.columns:
        values = frame[name].to_numpy()
        if values.dtype.kind == "f":
            values = np.round(values, 6) + 0.0
        elif values.dtype.kind == "O" and pd.api.types.infer_dtype(values, skipna=False) != "string":
            values = np.array([_plain(v) for v in values], dtype=object)   # a mixed column only
        columns.append(values.tolist())
    names = list(frame.columns)
    return [dict(zip(names, row)) for row in zip(*columns)]


def evaluate(household: Household, trades: TradeList | pd.DataFrame | None = None) -> Evaluation:
    """Judge a trade list on a household by the rules of SPEC §2 and §3."""
    h = household
    if trades is None:
        trades = TradeList.empty()
    elif isinstance(trades, pd.DataFrame):
        trades = TradeList.from_frame(trades, h.as_of)
    ledger = models.ledger.apply_trades(h, trades)
    tax = h.tax
    year = models.tax.net_year(tax.realized_short_term + ledger.short_term,
                               tax.realized_long_term + ledger.long_term, tax)
    year_without = year if len(trades) == 0 else year_without_trades(h)[0]
    cost = models.tax.tax_cost(year, year_without, tax)
    w_before = allocation.weights_before(h)
    w_after = allocation.weights(h, allocation.class_values(h, ledger.shares_after, ledger.cash_after))
    violations = list(ledger.violations)
    violations += _rule_violations(h, ledger, w_before, w_after, cost, trades)
    return Evaluation(h, trades, ledger, year, year_without, cost,
                      allocation.trading_cost(h, ledger.trade_amount, ledger.trade_security),
                      allocation.drift_penalty(h, w_after), w_before, w_after, violations)


_WITHOUT: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def year_without_trades(h: Household):
    """The tax year with no trades (scheduled purchases may still wash past losses), and the
    ledger's new short- and long-term amounts behind it. Computed once per household: the
    optimizer's tax term and the evaluator's judgement of its plan both need it."""
    if h not in _WITHOUT:
        ledger = models.ledger.apply_trades(h, TradeList.empty(), holdings=False)
        tax = h.tax
        _WITHOUT[h] = (models.tax.net_year(tax.realized_short_term + ledger.short_term,
                                           tax.realized_long_term + ledger.long_term, tax),
                       ledger.short_term, ledger.long_term)
    return _WITHOUT[h]


def _rule_violations(h, ledger, w_before, w_after, tax_cost, trades) -> list[dict]:
    s, out = h.settings, []

    def add(rule, detail):
        out.append({"rule": rule.value, "detail": detail})

    gap_before, gap_after = np.abs(w_before - h.class_target), np.abs(w_after - h.class_target)
    started_outside = gap_before > h.class_band + allocation.WEIGHT_TOL
    for c, name in enumerate(h.classes):
        if s.partial is not None and started_outside[c]:
            allowed = (1 - s.partial) * gap_before[c]
            if gap_after[c] > allowed + allocation.WEIGHT_TOL:
                add(Rule.PARTIAL_REBALANCE, f"{name} closes {1 - gap_after[c] / gap_before[c]:.1%} of its "
                    f"gap to the target; partial = {s.partial:g} asks for at least {s.partial:.0%}")
        elif gap_after[c] > h.class_band[c] + allocation.WEIGHT_TOL:
            add(Rule.BAND, f"{name} ends at {w_after[c]:.2%}, outside its target {h.class_target[c]:.2%} "
                f"± {h.class_band[c]:.2%}")
    cash, reserve = ledger.cash_after, h.accounts.reserve
    for a in np.flatnonzero(cash < reserve - MONEY_TOL):
        why = "below zero" if cash[a] < -MONEY_TOL else f"below its reserve {reserve[a]:,.2f}"
        if h.account_flows[a] < 0:
            why += f" (a withdrawal of {-h.account_flows[a]:,.2f} must be funded)"
        add(Rule.CASH, f"{h.accounts.id[a]} ends with cash {cash[a]:,.2f}, {why}")
    amount = ledger.trade_amount
    applied = amount > 0
    if s.min_trade_usd > 0:
        for i in np.flatnonzero(applied & (amount < s.min_trade_usd - MONEY_TOL)):
            add(Rule.MIN_TRADE, f"trades row {trades.row[i]}: {amount[i]:,.2f} is below the minimum "
                f"trade of {s.min_trade_usd:,.2f}")
    if s.whole_shares:
        fractional = np.abs(trades.quantity - np.round(trades.quantity)) > 1e-9
        fractional[list(ledger.whole_lot)] = False    # all that a lot holds may be fractional
        for i in np.flatnonzero(applied & fractional):
            add(Rule.WHOLE_SHARES, f"trades row {trades.row[i]}: {trades.quantity[i]:g} is not a whole number of shares")
    if s.max_weight is not None:
        security_weight = ledger.shares_after * h.securities.price / h.total_value
        for j in np.flatnonzero(security_weight > s.max_weight + allocation.WEIGHT_TOL):
            add(Rule.CONCENTRATION, f"{h.securities.symbol[j]} ends at {security_weight[j]:.2%} of the "
                f"household, above the cap {s.max_weight:.2%}")
    if s.tax_budget_usd is not None and tax_cost > s.tax_budget_usd + MONEY_TOL:
        add(Rule.TAX_BUDGET, f"tax cost {tax_cost:,.2f} exceeds the budget {s.tax_budget_usd:,.2f}")
    realized = ledger.short_term + ledger.long_term
    if s.gain_budget_usd is not None and realized > s.gain_budget_usd + MONEY_TOL:
        add(Rule.GAIN_BUDGET, f"net realized gain {realized:,.2f} exceeds the budget {s.gain_budget_usd:,.2f}")
    if s.cash_first:
        gain_sales = [x for x in ledger.sales if x.taxable and x.gain > MONEY_TOL]
        idle = idle_cash(h, cash)
        if gain_sales and idle > cash_first_tolerance(h):
            add(Rule.CASH_FIRST, f"{len(gain_sales)} taxable lot(s) sold at a gain while "
                f"{idle:,.2f} of investable cash stays idle")
    return out


def investable_accounts(h) -> np.ndarray:
    """Accounts that can buy something: their idle cash is investable."""
    return h.can_buy.any(axis=1)


def idle_cash(h, cash_after: np.ndarray) -> float:
    """Investable cash left idle: above reserves, in accounts that can buy, beyond the cash target."""
    above = np.maximum(0.0, cash_after - h.accounts.reserve)[investable_accounts(h)].sum()
    allowance = h.class_target[h.cash_class] * h.allocation_value
    return float(max(0.0, above - allowance))


def cash_first_tolerance(h) -> float:
    """Cash that may stay idle: below a minimum trade (or a share, with whole shares) per account."""
    per_account = max(1.0, h.settings.min_trade_usd)
    if h.settings.whole_shares:
        per_account += float(h.securities.price.max())
    return per_account * int(investable_accounts(h).sum())
