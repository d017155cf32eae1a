"""Roll one household forward along one price path under one strategy.

Between two dates of the :class:`~planner.backtest.market.Calendar` prices move and dividends
arrive as cash in the account holding the shares. On a decision date the engine builds the
household of that day (:func:`household_on`: prices, lots, cash, the last 60 days of
transactions, the cash flows due, the year's realized results and carryover), asks the strategy
for a trade list, has the evaluator judge it and rolls the household forward by the ledger's
own outcome: its lots (split, created, wash-adjusted in basis and holding period) and its cash.
There is no second tax model: the year's tax is the evaluator's ``year`` on the year's realized
results, paid from taxable cash on Dec 31 (and at the end of the backtest).

Conventions (where SPEC §5 is silent):

- A loss washed by a purchase in the next tax year (sold in December, bought back in January)
  is disallowed in the year of the sale, as the IRS has it; since that year's tax was paid on
  Dec 31, the difference is paid when the purchase is made (``prior_year_adjustment``, part of
  that year's ``tax``) and the carryover into the current year is recomputed.
- The tax paid for a year is the tax the backtest adds: the evaluator's ``year.tax`` less the
  tax of the same year without any backtest activity (zero in flat mode except in the first
  year, whose ``[realized]`` gains before the start are not the strategies' doing). Dividends:
  qualified ones at the long-term rate, others (bond interest) at the short-term rate in flat
  mode; in schedule mode they are added to the profile's ``qualified_dividends`` and
  ``ordinary_income`` and taxed by the evaluator's year.
- Trades happen at the day's price; the evaluator's trading cost (half the spread plus
  commissions) leaves the account's cash.
- The history fed to a decision keeps 60 days of transactions (the wash window of a sale 30
  days ago reaches back 60 days: purchases it already used are not used twice); a sale's
  ``realized_gain`` is its loss still allowed, on the shares no purchase replaced yet.
- Cash short of zero after a year's tax becomes a withdrawal the next decision must fund.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from models.enums import Term
from models.household import Household
from models.tax import net_year
from models.tables import Cashflows, History, Lots
from models.trades import TradeList

from ..evaluate import evaluate
from .market import DAYS_PER_YEAR, Calendar
from .strategies import Step, Strategy, Trades

HISTORY_DAYS = np.timedelta64(60, "D")
QTY_TOL = 1e-9
YEAR_COLUMNS = ["path", "strategy", "year", "value_start", "value_end", "contributions",
                "withdrawals", "dividends", "realized_short_term", "realized_long_term",
                "disallowed", "tax", "carryover_short_term", "carryover_long_term", "turnover",
                "trades", "harvested_losses", "max_drift", "violations",
                # added: the rest of the accounting identity and where the tax came from
                "returns", "trading_costs", "dividend_tax", "prior_year_adjustment",
                "liquidation_tax", "decisions", "seconds", "date_end"]


@dataclass(frozen=True)
class Flows:
    """Cash flows per decision date and account (dollars; > 0 deposits, < 0 withdrawals)."""
    amount: np.ndarray         # decisions × accounts


@dataclass
class _Lots:
    """The household's lots as parallel arrays (the ledger's holdings after each decision)."""
    id: np.ndarray
    account: np.ndarray
    security: np.ndarray
    quantity: np.ndarray
    basis: np.ndarray
    acquired: np.ndarray

    @classmethod
    def of(cls, lots) -> "_Lots":
        return cls(lots.id.astype(object), lots.account.astype(np.int64), lots.security.astype(np.int64),
                   lots.quantity.astype(float), lots.cost_basis.astype(float),
                   lots.acquired.astype("datetime64[D]"))

    def table(self):
        return Lots(id=self.id, account=self.account, security=self.security,
                                  quantity=self.quantity, cost_basis=self.basis, acquired=self.acquired)


@dataclass
class _Year:
    """What a tax year has seen so far."""
    year: int
    value_start: float
    realized_short_term: float        # the backtest's (after disallowance)
    realized_long_term: float
    prior_short_term: float = 0.0     # realized before the backtest began ([realized])
    prior_long_term: float = 0.0
    carry_in_short_term: float = 0.0
    carry_in_long_term: float = 0.0
    contributions: float = 0.0
    withdrawals: float = 0.0
    dividends: float = 0.0
    qualified_taxable: float = 0.0    # dividends in taxable accounts, qualified
    ordinary_taxable: float = 0.0     # ... not qualified (interest)
    returns: float = 0.0
    disallowed: float = 0.0
    turnover: float = 0.0
    trades: int = 0
    harvested: float = 0.0
    max_drift: float = 0.0
    violations: int = 0
    trading_costs: float = 0.0
    adjustment: float = 0.0
    decisions: int = 0
    seconds: float = 0.0
    capital_tax: float = 0.0          # paid at close: the evaluator's year less its baseline
    carry_out: tuple[float, float] = (0.0, 0.0)


def _history_table(hist: dict) -> History:
    return History(date=hist["date"], account=hist["account"], symbol=hist["symbol"],
                                 is_buy=hist["is_buy"], quantity=hist["quantity"],
                                 price=hist["price"], lot_id=hist["lot_id"],
                                 realized_gain=hist["realized_gain"], long_term=hist["long_term"])


def _history_of(h) -> dict:
    x = h.history
    return {"date": x.date, "account": x.account, "symbol": x.symbol.astype(object),
            "is_buy": x.is_buy, "quantity": x.quantity, "price": x.price,
            "lot_id": x.lot_id.astype(object), "realized_gain": x.realized_gain,
            "long_term": x.long_term}


def household_on(base, day, prices: np.ndarray, lots: _Lots, cash: np.ndarray, flows: np.ndarray,
                 history: dict, tax) -> Household:
    """The household of one decision date: ``base`` with every table replaced (no re-validation:
    the engine only ever writes what the ledger wrote)."""
    accounts = replace(base.accounts, cash=np.maximum(cash, 0.0))
    securities = replace(base.securities, price=prices)
    due = flows + np.minimum(cash, 0.0)                # a shortfall is a withdrawal to fund
    nonzero = np.flatnonzero(np.abs(due) > 0.005)
    cashflows = Cashflows(date=np.full(len(nonzero), day, dtype="datetime64[D]"),
                                        account=nonzero.astype(np.int64), amount=due[nonzero],
                                        symbol=np.full(len(nonzero), "", dtype=object))
    return replace(base, as_of=np.datetime64(day, "D"), tax=tax, accounts=accounts,
                   securities=securities, lots=lots.table(), history=_history_table(history),
                   cashflows=cashflows)


def year_tax(h, realized_short_term: float, realized_long_term: float, carry_short_term: float,
             carry_long_term: float, qualified: float = 0.0, ordinary: float = 0.0):
    """The evaluator's year (its netting, :func:`models.tax.net_year`: flat or schedule mode)
    for these amounts, and the tax of the dividends (flat mode: at the long- and short-term
    rates)."""
    tax = replace(h.tax, realized_short_term=realized_short_term,
                  realized_long_term=realized_long_term, carryover_short_term=carry_short_term,
                  carryover_long_term=carry_long_term)
    dividend_tax = 0.0
    if getattr(tax, "schedule", None) is not None:   # schedule mode: the dividends are income
        income = {k: getattr(tax, k) + v for k, v in (("qualified_dividends", qualified),
                                                      ("ordinary_income", ordinary)) if hasattr(tax, k)}
        tax = replace(tax, **income)
    else:
        dividend_tax = tax.long_term_rate * qualified + tax.short_term_rate * ordinary
    # What evaluate's year is on a household with nothing to walk (its ledger adds 0.0), without
    # building one: a household of no lots and no cash would be rejected as worth nothing.
    return net_year(tax.realized_short_term + 0.0, tax.realized_long_term + 0.0, tax), dividend_tax


@dataclass
class Engine:
    """One path × one strategy. ``run()`` returns the rows of ``years.parquet``."""
    base: object                      # the household at the start
    calendar: Calendar
    prices: np.ndarray                # dates × securities
    dividend_yield: np.ndarray        # per security, a year
    qualified: np.ndarray             # per security: its distributions are qualified dividends
    flows: Flows
    strategy: Strategy
    path: int = 0

    def __post_init__(self) -> None:
        h = self.base
        self.lots = _Lots.of(h.lots)
        self.cash = h.accounts.cash.astype(float).copy()
        self.history = _history_of(h)
        self.taxable = h.accounts.taxable
        self.next_id = 0
        self.rows: list[dict] = []
        self.prior: _Year | None = None             # the last closed year (for amendments)
        self.evaluations: list = []                 # (date, Evaluation), kept with keep=True
        self.keep = False

    # ---- values ---------------------------------------------------------------------------
    def value(self, prices: np.ndarray) -> float:
        return float((self.lots.quantity * prices[self.lots.security]).sum() + self.cash.sum())

    # ---- the walk ---------------------------------------------------------------------------
    def run(self) -> list[dict]:
        cal, h = self.calendar, self.base
        tax = h.tax
        start_year = int(str(cal.start)[:4])
        self.y = _Year(start_year, self.value(self.prices[0]), 0.0, 0.0,
                       tax.realized_short_term, tax.realized_long_term,
                       tax.carryover_short_term, tax.carryover_long_term)
        decision = 0
        for i, day in enumerate(cal.dates):
            if i > 0:
                self.move_market(i)
            if cal.decision[i]:
                self.decide(i, Step(day, decision, bool(cal.anniversary[i])))
                decision += 1
            if cal.year_end[i]:
                self.close_year(i, last=i == len(cal.dates) - 1)
        return self.rows

    def move_market(self, i: int) -> None:
        before, after = self.prices[i - 1], self.prices[i]
        q, sec = self.lots.quantity, self.lots.security
        self.y.returns += float((q * (after[sec] - before[sec])).sum())
        dt = float((self.calendar.dates[i] - self.calendar.dates[i - 1]).astype(int)) / DAYS_PER_YEAR
        paid = q * before[sec] * self.dividend_yield[sec] * dt
        by_account = np.bincount(self.lots.account, paid, minlength=len(self.cash))
        self.cash += by_account
        self.y.dividends += float(paid.sum())
        taxed = self.taxable[self.lots.account]
        qual = self.qualified[sec]
        self.y.qualified_taxable += float(paid[taxed & qual].sum())
        self.y.ordinary_taxable += float(paid[taxed & ~qual].sum())

    def tax_profile(self):
        y = self.y
        return replace(self.base.tax, realized_short_term=y.prior_short_term + y.realized_short_term,
                       realized_long_term=y.prior_long_term + y.realized_long_term,
                       carryover_short_term=y.carry_in_short_term,
                       carryover_long_term=y.carry_in_long_term)

    def decide(self, i: int, step: Step) -> None:
        started = time.perf_counter()
        day = self.calendar.dates[i]
        prices = self.prices[i]
        flows = self.flows.amount[step.index]
        self.y.contributions += float(flows[flows > 0].sum())
        self.y.withdrawals += float(-flows[flows < 0].sum())
        cutoff = day - HISTORY_DAYS
        keep = self.history["date"] >= cutoff
        sold = set(self.history["lot_id"][keep & ~self.history["is_buy"]])
        keep |= self.history["is_buy"] & np.isin(self.history["lot_id"], list(sold))
        self.history = {k: v[keep] for k, v in self.history.items()}
        h = household_on(self.base, day, prices, self.lots, self.cash, flows, self.history,
                         self.tax_profile())
        fallbacks = len(getattr(self.strategy, "fallbacks", ()))
        frame = self.strategy.decide(h, step)
        failed = len(getattr(self.strategy, "fallbacks", ())) - fallbacks
        trades = self.trade_list(frame, day)
        ev = evaluate(h, trades)
        if self.keep:
            self.evaluations.append((day, ev))
        self.apply(h, trades, ev, day)
        self.y.violations += len(ev.violations) + failed
        self.y.max_drift = max(self.y.max_drift, ev.drift_after)
        self.y.decisions += 1
        self.y.seconds += time.perf_counter() - started

    def trade_list(self, frame: Trades | None, day) -> TradeList:
        """The strategy's trades on ``day`` (read straight from its columns: strategies write
        what the evaluator reads); buys without a lot id get one unique in the path."""
        if frame is None or len(frame["quantity"]) == 0:
            return TradeList.empty()

        def text(name: str) -> np.ndarray:      # missing (None, NaN) as ""
            values = np.asarray(frame[name], dtype=object)
            return np.where(pd.isna(values), "", values).astype(str).astype(object)

        quantity = np.asarray(frame["quantity"], dtype=float)
        keep = quantity > 0
        is_buy = np.asarray(frame["action"], dtype=object)[keep] == "buy"
        lot = text("lot_id")[keep] if "lot_id" in frame else np.full(int(keep.sum()), "", dtype=object)
        unnamed = np.flatnonzero(is_buy & (lot == ""))
        stamp = str(day).replace("-", "")
        lot[unnamed] = [f"B{stamp}-{k}" for k in range(len(unnamed))]
        n = len(lot)
        return TradeList(date=np.full(n, np.datetime64(day, "D")),
                         account_id=text("account_id")[keep], symbol=text("symbol")[keep],
                         is_buy=is_buy, quantity=quantity[keep],
                         price=np.asarray(frame["price"], dtype=float)[keep], lot_id=lot,
                         row=np.flatnonzero(keep) + 2)

    def apply(self, h, trades: TradeList, ev, day) -> None:
        """Roll forward by the ledger: its lots, its cash (less the spread), its realized results."""
        ledger = ev.ledger
        y = self.y
        y.realized_short_term += ledger.short_term
        y.realized_long_term += ledger.long_term
        taxable_sales = [s for s in ledger.sales if s.taxable]
        y.disallowed += sum(s.disallowed for s in taxable_sales)
        y.harvested += sum(-(s.gain + s.disallowed) for s in taxable_sales if s.gain < 0)
        # A loss sold earlier and washed now no longer stands: counted in its own tax year
        # (the row of last year for a December loss; its tax difference is paid now).
        prior = [w for w in ledger.history_washes if int(str(w.date)[:4]) < y.year]
        current = sum(w.disallowed for w in ledger.history_washes) - sum(w.disallowed for w in prior)
        y.disallowed += current
        y.harvested -= current
        if prior:
            self.amend(prior)
        amount, security = ledger.trade_amount, ledger.trade_security
        applied = amount > 0
        y.turnover += float(amount.sum())
        y.trades += int(applied.sum())
        # The evaluator's trading cost: the commission is in the ledger's cash, the half spread
        # is taken here from the account that traded.
        spread = np.where(applied, amount * h.securities.spread_bps[np.maximum(security, 0)] / 2e4, 0.0)
        account = h.accounts.index
        acc = np.array([account.get(a, 0) for a in trades.account_id], dtype=np.int64)
        self.cash = ledger.cash_after - np.bincount(acc, spread, minlength=len(self.cash))
        y.trading_costs += ev.trading_cost
        self.take_lots(ledger.lots)
        self.record_history(h, trades, ledger, day)

    def take_lots(self, frame: pd.DataFrame) -> None:
        ids = frame["lot_id"].to_numpy(dtype=object).copy()
        dup = pd.Series(ids).duplicated().to_numpy()
        for k in np.flatnonzero(dup):           # a lot split by a wash sale: its parts get ids
            self.next_id += 1
            ids[k] = f"{ids[k]}~{self.next_id}"
        quantity = frame["quantity"].to_numpy(dtype=float)
        keep = quantity > QTY_TOL
        start = frame["holding_period_start"].to_numpy().astype("datetime64[D]")
        self.lots = _Lots(ids[keep], frame["account"].to_numpy(np.int64)[keep],
                          frame["security"].to_numpy(np.int64)[keep], quantity[keep],
                          frame["cost_basis"].to_numpy(float)[keep],
                          (start - np.timedelta64(1, "D"))[keep])

    def record_history(self, h, trades: TradeList, ledger, day) -> None:
        rows = []
        bought = set(self.history["lot_id"][self.history["is_buy"]])
        for s in ledger.sales:
            quantity, gain = s.quantity, np.nan
            if s.taxable:
                gain = s.gain + s.disallowed
                if s.gain < 0 and s.disallowed > 0:     # only the shares not yet replaced
                    quantity = s.quantity * (1.0 - s.disallowed / -s.gain)
                if quantity <= QTY_TOL:
                    continue
                if s.gain < 0 and s.start is not None and s.lot_id not in bought:
                    # The sold lot's purchase, so that a later wash of this loss tacks the
                    # sold shares' holding period on (the ledger finds it by lot id).
                    bought.add(s.lot_id)
                    rows.append((s.start - np.timedelta64(1, "D"), s.account, s.symbol, True,
                                 quantity, s.basis / s.quantity, s.lot_id, np.nan, -1))
            rows.append((s.date, s.account, s.symbol, False, quantity, s.proceeds / s.quantity,
                         s.lot_id, gain, 1 if s.term is Term.LONG else 0))
        applied = ledger.trade_amount > 0
        for k in np.flatnonzero(trades.is_buy & applied):
            rows.append((trades.date[k], h.accounts.index[trades.account_id[k]], trades.symbol[k], True,
                         float(trades.quantity[k]), float(trades.price[k]), trades.lot_id[k], np.nan, -1))
        if not rows:
            return
        cols = list(zip(*rows))
        new = {"date": np.array(cols[0], dtype="datetime64[D]"), "account": np.array(cols[1], np.int64),
               "symbol": np.array(cols[2], object), "is_buy": np.array(cols[3], bool),
               "quantity": np.array(cols[4], float), "price": np.array(cols[5], float),
               "lot_id": np.array(cols[6], object), "realized_gain": np.array(cols[7], float),
               "long_term": np.array(cols[8], np.int64)}
        self.history = {k: np.concatenate([self.history[k], new[k]]) for k in new}

    # ---- taxes ------------------------------------------------------------------------------
    def capital_tax(self, y: _Year, h) -> tuple[float, float, tuple[float, float], float]:
        """(capital tax the backtest adds, dividend tax, carryover out, the evaluator's year.tax)."""
        year, dividend_tax = year_tax(h, y.prior_short_term + y.realized_short_term,
                                      y.prior_long_term + y.realized_long_term,
                                      y.carry_in_short_term, y.carry_in_long_term,
                                      y.qualified_taxable, y.ordinary_taxable)
        baseline = 0.0
        if y.prior_short_term or y.prior_long_term or y.carry_in_short_term or y.carry_in_long_term \
                or getattr(h.tax, "schedule", None) is not None:
            first = y.year == int(str(self.calendar.start)[:4])
            base_year, _ = year_tax(h, y.prior_short_term, y.prior_long_term,
                                    y.carry_in_short_term if first else 0.0,
                                    y.carry_in_long_term if first else 0.0)
            baseline = base_year.tax
        return (year.tax - baseline, dividend_tax,
                (year.carryover_short_term, year.carryover_long_term), year.tax)

    def amend(self, washes) -> None:
        """Losses of last year washed by this year's purchases: last year's tax again."""
        p = self.prior
        if p is None:
            return
        for w in washes:
            if w.term is Term.LONG:
                p.realized_long_term += w.disallowed
            else:
                p.realized_short_term += w.disallowed
        if self.rows:
            washed = sum(w.disallowed for w in washes)
            self.rows[-1]["disallowed"] += washed
            self.rows[-1]["harvested_losses"] -= washed
        tax, _, carry, _ = self.capital_tax(p, self.base)
        delta = tax - p.capital_tax
        p.capital_tax = tax
        self.y.carry_in_short_term, self.y.carry_in_long_term = carry
        self.y.adjustment += delta
        self.pay(delta)

    def pay(self, amount: float) -> None:
        """Pay (or receive) tax from taxable cash: the taxable account holding the most cash."""
        pool = np.flatnonzero(self.taxable) if self.taxable.any() else np.arange(len(self.cash))
        self.cash[pool[np.argmax(self.cash[pool])]] -= amount

    def close_year(self, i: int, last: bool) -> None:
        y, prices = self.y, self.prices[i]
        h = replace(self.base, as_of=self.calendar.dates[i])
        capital, dividend_tax, carry, _ = self.capital_tax(y, h)
        y.capital_tax, y.carry_out = capital, carry
        self.pay(capital + dividend_tax)
        liquidation = self.liquidation_tax(i) if last else 0.0
        value_end = self.value(prices)
        self.rows.append({
            "path": self.path, "strategy": self.strategy.name, "year": y.year,
            "value_start": y.value_start, "value_end": value_end,
            "contributions": y.contributions, "withdrawals": y.withdrawals, "dividends": y.dividends,
            "realized_short_term": y.realized_short_term, "realized_long_term": y.realized_long_term,
            "disallowed": y.disallowed, "tax": capital + dividend_tax + y.adjustment,
            "carryover_short_term": carry[0], "carryover_long_term": carry[1],
            "turnover": y.turnover, "trades": y.trades, "harvested_losses": y.harvested,
            "max_drift": y.max_drift, "violations": y.violations, "returns": y.returns,
            "trading_costs": y.trading_costs, "dividend_tax": dividend_tax,
            "prior_year_adjustment": y.adjustment, "liquidation_tax": liquidation,
            "decisions": y.decisions, "seconds": y.seconds, "date_end": str(self.calendar.dates[i])})
        self.prior = y
        self.y = _Year(y.year + 1, value_end, 0.0, 0.0, carry_in_short_term=carry[0],
                       carry_in_long_term=carry[1])

    def liquidation_tax(self, i: int) -> float:
        """Tax of selling every taxable lot at the end (same year, after its tax was paid)."""
        day, prices = self.calendar.dates[i], self.prices[i]
        h = household_on(self.base, day, prices, self.lots, np.maximum(self.cash, 0.0),
                         np.zeros(len(self.cash)), self.history, self.tax_profile())
        sell = np.flatnonzero(self.taxable[self.lots.account])
        if not len(sell):
            return 0.0
        frame = pd.DataFrame({"date": str(day), "account_id": h.accounts.id[self.lots.account[sell]],
                              "symbol": h.securities.symbol[self.lots.security[sell]], "action": "sell",
                              "quantity": self.lots.quantity[sell],
                              "price": prices[self.lots.security[sell]], "lot_id": self.lots.id[sell]})
        ev = evaluate(h, TradeList.from_frame(frame, day))
        return float(ev.year.tax - ev.year_without.tax)


def flow_schedule(household, calendar: Calendar, settings) -> Flows:
    """Each decision date's cash flows: ``cashflows.csv`` rows (plain cash, dated on or after
    the start) at the first decision on or after their date, repeated every year with
    ``repeat_cashflows``; and the ``[backtest]`` yearly contributions and withdrawals, spread
    evenly over the decision dates after the first, growing by ``flow_growth`` a year."""
    dates = calendar.dates[calendar.decision]
    n_acc = len(household.accounts)
    out = np.zeros((len(dates), n_acc))
    flows = household.cashflows
    plain = np.flatnonzero(~flows.is_purchase & (flows.date >= calendar.start))
    years = int(round(calendar.years))
    for k in plain:
        for shift in range(years if settings.repeat_cashflows else 1):
            from .market import add_months
            when = add_months(flows.date[k], 12 * shift)
            at = int(np.searchsorted(dates, when))
            if at < len(dates):
                out[at, flows.account[k]] += flows.amount[k]
    yearly = np.zeros(n_acc)
    for account_id, amount in settings.contributions.items():
        yearly[household.accounts.index[account_id]] += amount
    for account_id, amount in settings.withdrawals.items():
        yearly[household.accounts.index[account_id]] -= amount
    if np.any(yearly):
        from .market import add_months
        # Decision dates fall on the start's monthly anniversaries, so no period straddles a
        # year of the backtest: each year's shares sum to exactly 1.
        bounds = np.array([add_months(calendar.start, 12 * j) for j in range(years + 2)])
        year = np.searchsorted(bounds, dates, side="right") - 1
        length = (bounds[year + 1] - bounds[year]).astype(float)
        share = np.diff(np.append(dates, calendar.end)).astype(float) / length
        out += (share * (1.0 + settings.flow_growth) ** year)[:, None] * yearly[None, :]
    return Flows(out)
