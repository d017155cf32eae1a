"""The household: its accounts, holdings, targets, history, cash flows, tax profile and settings.

Build it from a folder (:func:`models.loading.load_household`) or straight from pandas
frames (:meth:`Household.from_frames`); both run the same checks of
:mod:`models.validation`.
"""
from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property, wraps
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from . import schema
from .dates import to_day
from .errors import InputError
from .settings import PlanSettings, TaxProfile
from .tolerances import WEIGHT_SUM_TOL
from .tables import Accounts, Cashflows, History, IdIndex, Lots, Securities, Targets
from .validation import ACCOUNT_TYPES, Columns

CASH_CLASS = "cash"
# Plain cash flows dated as_of ... as_of + 30 days are cash of the plan (deposits to invest,
# withdrawals it must fund); earlier ones are already in accounts.csv's cash, later ones are
# not this plan's. Scheduled purchases of any date still count for the wash-sale rule.
CASHFLOW_HORIZON = np.timedelta64(30, "D")


@dataclass(frozen=True, eq=False)
class Household:
    as_of: np.datetime64
    tax: TaxProfile
    settings: PlanSettings
    accounts: Accounts
    securities: Securities
    lots: Lots
    targets: Targets
    history: History
    cashflows: Cashflows
    buy_menu: np.ndarray          # bool (accounts × securities): allowed.csv, True where absent
    name: str = field(default="household")

    def __post_init__(self) -> None:
        schema.check_profile(self.tax, self.settings)
        if not self.total_value > 0:
            where = "lots.csv holds no shares and accounts.csv no cash" if self.total_value == 0 \
                else f"worth {self.total_value:,.2f} after the withdrawals of cashflows.csv"
            raise InputError("accounts.csv", f"the household is worth nothing ({where}); there "
                             "is nothing to plan or weigh")
        if not self.allocation_value > 0:     # weights are fractions of it
            raise InputError("accounts.csv", f"the reserves ({self.reserve_total:,.2f}) take the "
                             f"whole household ({self.total_value:,.2f}): nothing is left to allocate",
                             column="reserve")

    # ---- construction -------------------------------------------------------------------
    @classmethod
    def from_frames(cls, *, as_of: Any, accounts: pd.DataFrame, securities: pd.DataFrame,
                    lots: pd.DataFrame, targets: pd.DataFrame,
                    transactions: pd.DataFrame | None = None,
                    cashflows: pd.DataFrame | None = None, allowed: pd.DataFrame | None = None,
                    tax: TaxProfile | None = None, settings: PlanSettings | None = None,
                    name: str = "household") -> "Household":
        """Build and validate a household from frames with the columns of SPEC §1."""
        as_of_day = to_day(as_of)
        acc = _accounts(Columns(accounts, "accounts.csv"))
        sec = _securities(Columns(securities, "securities.csv"))
        lot = _lots(Columns(lots, "lots.csv"), acc, sec, as_of_day)
        tgt = _targets(Columns(targets, "targets.csv"))
        hist = _history(Columns(transactions if transactions is not None else _empty(
            ["date", "account_id", "symbol", "action", "quantity", "price"]), "transactions.csv"),
            acc, as_of_day)
        flows = _cashflows(Columns(cashflows if cashflows is not None else _empty(
            ["date", "account_id", "amount"]), "cashflows.csv"), acc, sec)
        menu = _buy_menu(Columns(allowed, "allowed.csv") if allowed is not None else None, acc, sec)
        out = cls(as_of=as_of_day, tax=tax or TaxProfile(), settings=settings or PlanSettings(),
                  accounts=acc, securities=sec, lots=lot, targets=tgt, history=hist,
                  cashflows=flows, buy_menu=menu, name=name)
        return out

    def with_settings(self, **changes: Any) -> "Household":
        """The household with some ``[plan]`` settings changed for this run.

        A band given here is explicit (command line, Python, a batch grid): it overrides the
        household's bands, the per-class ones of ``targets.csv`` included (SPEC §3 Band).
        """
        out = replace(self, settings=replace(self.settings, **changes))
        if "band" in changes and not np.isnan(self.targets.band).all():
            out = replace(out, targets=replace(self.targets, band=np.full(len(self.targets), np.nan)))
        return out

    def with_tax(self, **changes: Any) -> "Household":
        return replace(self, tax=replace(self.tax, **changes))

    # ---- derived arrays -----------------------------------------------------------------
    @cached_property
    def lot_price(self) -> np.ndarray:
        return self.securities.price[self.lots.security]

    @cached_property
    def lot_value(self) -> np.ndarray:
        return self.lots.quantity * self.lot_price

    @cached_property
    def lot_taxable(self) -> np.ndarray:
        return self.accounts.taxable[self.lots.account]

    @cached_property
    def lot_gain_per_dollar(self) -> np.ndarray:
        """Gain realized per dollar sold of each lot (1 − basis/value); zero where untaxed."""
        return np.where(self.lot_taxable, 1.0 - self.lots.cost_basis / self.lot_value, 0.0)

    @cached_property
    def lot_long_term(self) -> np.ndarray:
        """True where a sale on as_of would be long-term."""
        from .dates import holding_start, is_long_term
        return is_long_term(holding_start(self.lots.acquired), self.as_of)

    @cached_property
    def history_loss(self) -> np.ndarray:
        """History rows that sold at a loss in a taxable account (candidates to be washed)."""
        hist = self.history
        return (~hist.is_buy) & (np.nan_to_num(hist.realized_gain) < 0) & \
            self.accounts.taxable[hist.account]

    @cached_property
    def can_buy(self) -> np.ndarray:
        """bool (accounts × securities): the account may buy the security."""
        return self.buy_menu & self.securities.can_buy[None, :]

    @cached_property
    def classes(self) -> np.ndarray:
        """Every asset class: the targets' first, then any held or tradable class without one,
        then cash (an asset class always, SPEC §3: target 0 unless targets.csv gives one)."""
        extra = sorted(set(self.securities.asset_class) - set(self.targets.asset_class) - {CASH_CLASS})
        cash = [] if self.cash_is_class else [CASH_CLASS]
        return np.array(list(self.targets.asset_class) + extra + cash, dtype=object)

    @cached_property
    def class_target(self) -> np.ndarray:
        weight = dict(zip(self.targets.asset_class, self.targets.weight))
        return np.array([weight.get(c, 0.0) for c in self.classes])

    @cached_property
    def class_band(self) -> np.ndarray:
        """The band of each class: absolute (per class or default), tightened by the relative band."""
        band = dict(zip(self.targets.asset_class, self.targets.band))
        absolute = np.array([band.get(c, np.nan) for c in self.classes], dtype=float)
        absolute = np.where(np.isnan(absolute), self.settings.band, absolute)
        if self.settings.relative_band is not None:
            relative = self.settings.relative_band * self.class_target
            # Cash without a target keeps its absolute band: a relative band of a zero target
            # would ask every idle cent to be invested, which whole shares cannot do.
            keep = (self.classes == CASH_CLASS) & (self.class_target == 0)
            absolute = np.where(keep, absolute, np.minimum(absolute, relative))
        return absolute

    @cached_property
    def cash_is_class(self) -> bool:
        """True when targets.csv gives cash a weight (cash is an asset class either way)."""
        return CASH_CLASS in set(self.targets.asset_class)

    @cached_property
    def security_class(self) -> np.ndarray:
        """int class row of each security."""
        index = {c: i for i, c in enumerate(self.classes)}
        return np.array([index[c] for c in self.securities.asset_class], dtype=np.int64)

    @cached_property
    def cash_class(self) -> int:
        """Row of the cash class in :attr:`classes`."""
        return int(np.flatnonzero(self.classes == CASH_CLASS)[0])

    @cached_property
    def account_flows(self) -> np.ndarray:
        """Deposits minus withdrawals per account (cash flows without a symbol dated from as_of
        to as_of + 30 days), dollars."""
        flows = self.cashflows
        plain = ~flows.is_purchase & (flows.date >= self.as_of) & \
            (flows.date <= self.as_of + CASHFLOW_HORIZON)
        return np.bincount(flows.account[plain], flows.amount[plain],
                           minlength=len(self.accounts))

    @cached_property
    def total_value(self) -> float:
        """Household value after the cash flows: holdings + cash + deposits − withdrawals.

        It does not depend on the trades, so class weights are linear in them.
        """
        return float(self.lot_value.sum() + self.accounts.cash.sum() + self.account_flows.sum())

    @cached_property
    def reserve_total(self) -> float:
        return float(self.accounts.reserve.sum())

    @cached_property
    def allocation_value(self) -> float:
        """What the targets share out: the household's value less the reserves the plan must
        keep. Cash above the reserves is the cash class, so class weights add to 1."""
        return self.total_value - self.reserve_total

    @cached_property
    def wash_groups(self) -> np.ndarray:
        """Every wash group: the securities' groups, then symbols only seen in the history."""
        known = list(dict.fromkeys(self.securities.wash_group))
        extra = sorted(set(self.history.symbol) - set(self.securities.symbol) - set(known))
        return np.array(known + extra, dtype=object)

    @cached_property
    def group_index(self) -> dict[str, int]:
        return {g: i for i, g in enumerate(self.wash_groups)}

    def group_of_symbols(self, symbols: np.ndarray) -> np.ndarray:
        """int wash group of each symbol (a symbol not in securities.csv is its own group)."""
        by_symbol = dict(zip(self.securities.symbol, self.securities.wash_group))
        codes, uniques = pd.factorize(pd.Series(symbols, dtype=object))
        groups = np.array([self.group_index[by_symbol.get(s, s)] for s in uniques] + [-1], dtype=np.int64)
        return groups[codes]

    @cached_property
    def history_group(self) -> np.ndarray:
        """int wash group of each history row."""
        return self.group_of_symbols(self.history.symbol)

    @cached_property
    def security_group(self) -> np.ndarray:
        return np.array([self.group_index[g] for g in self.securities.wash_group], dtype=np.int64)


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})


def _accounts(t: Columns) -> Accounts:
    t.require("account_id", "type", "cash")
    ids = t.text("account_id")
    t.unique("account_id", ids)
    kinds = t.choice("type", t.text("type"), ACCOUNT_TYPES)
    return Accounts(id=ids, type=kinds, cash=t.number("cash", minimum=0.0, what="cash amount"),
                    reserve=t.number("reserve", default=0.0, minimum=0.0, what="cash amount"),
                    owner=t.text("owner", default=""))


def _securities(t: Columns) -> Securities:
    t.require("symbol", "price", "asset_class")
    symbols = t.text("symbol")
    t.unique("symbol", symbols)
    classes = t.text("asset_class")
    groups = np.where(t.text("wash_group", default="") == "", symbols, t.text("wash_group", default=""))
    frame = pd.DataFrame({"group": groups, "cls": classes})
    first_class = frame.groupby("group", sort=False)["cls"].transform("first").to_numpy()
    split = first_class != classes
    if split.any():
        row = np.flatnonzero(split)[0]
        t.fail(f"wash group '{groups[row]}' is split across asset classes "
               f"('{first_class[row]}' and '{classes[row]}'); substantially identical "
               "securities must share one asset class", row, "wash_group")
    return Securities(symbol=symbols, price=t.number("price", positive=True, what="price"),
                      asset_class=classes, wash_group=groups.astype(object),
                      spread_bps=t.number("spread_bps", default=0.0, minimum=0.0),
                      can_buy=t.boolean("buy", True), can_sell=t.boolean("sell", True))


def _lots(t: Columns, acc: Accounts, sec: Securities, as_of: np.datetime64) -> Lots:
    t.require("lot_id", "account_id", "symbol", "quantity", "cost_basis", "acquired")
    ids = t.text("lot_id")
    index = IdIndex(ids)
    if not index.is_unique:   # a million ids hashed once, for this and every lookup (0.3 s)
        t.unique("lot_id", ids)
    account = t.key("account_id", acc.index, "account", "accounts.csv")
    security = t.key("symbol", sec.index, "symbol", "securities.csv")
    acquired = t.day("acquired")
    late = acquired > as_of
    if late.any():
        t.fail(f"acquired after the plan's as_of date {as_of}", np.flatnonzero(late)[0], "acquired")
    return Lots(id=ids, account=account, security=security,
                quantity=t.number("quantity", positive=True, what="quantity of shares"),
                cost_basis=t.number("cost_basis", minimum=0.0, what="cost basis in dollars"),
                acquired=acquired).with_index(index)


def _targets(t: Columns) -> Targets:
    t.require("asset_class", "weight")
    classes = t.text("asset_class")
    t.unique("asset_class", classes)
    weight = t.number("weight", minimum=0.0, maximum=1.0, what="weight")
    if abs(weight.sum() - 1.0) > WEIGHT_SUM_TOL:
        raise InputError(t.file, f"weights in rows 2-{len(weight) + 1} sum to {weight.sum():.6g}; "
                         "expected 1 (weights are fractions of the household)",
                         len(weight) + 1 if len(weight) else None, "weight")
    band = t.number("band", default=np.nan, minimum=0.0, maximum=1.0, what="band (a weight)") if t.has("band") else \
        np.full(len(t), np.nan)
    return Targets(asset_class=classes, weight=weight, band=band)


def _history(t: Columns, acc: Accounts, as_of: np.datetime64) -> History:
    t.require("date", "account_id", "symbol", "action", "quantity", "price")
    date = t.day("date")
    late = date > as_of
    if late.any():
        t.fail(f"a past transaction dated after as_of {as_of}", np.flatnonzero(late)[0], "date")
    term = t.text("term", default="").astype(str) if t.has("term") else np.full(len(t), "")
    term = np.char.lower(term.astype(str))
    return History(date=date, account=t.key("account_id", acc.index, "account", "accounts.csv"),
                   symbol=t.text("symbol"),
                   is_buy=t.choice("action", t.text("action"), ["buy", "sell"]) == "buy",
                   quantity=t.number("quantity", positive=True, what="quantity of shares"),
                   price=t.number("price", minimum=0.0, what="price"),
                   lot_id=t.text("lot_id", default=""),
                   realized_gain=t.number("realized_gain", default=np.nan, what="gain in dollars")
                   if t.has("realized_gain") else np.full(len(t), np.nan),
                   long_term=np.where(term == "long", 1, np.where(term == "short", 0, -1)))


def _cashflows(t: Columns, acc: Accounts, sec: Securities) -> Cashflows:
    t.require("date", "account_id", "amount")
    symbol = t.text("symbol", default="")
    t.lookup("symbol", symbol, {**sec.index, "": -1}, "symbol", "securities.csv")
    return Cashflows(date=t.day("date"),
                     account=t.key("account_id", acc.index, "account", "accounts.csv"),
                     amount=t.number("amount", what="amount in dollars"), symbol=symbol)


def _buy_menu(t: Columns | None, acc: Accounts, sec: Securities) -> np.ndarray:
    menu = np.ones((len(acc), len(sec)), dtype=bool)
    if t is None or len(t) == 0:
        return menu
    t.require("account_id", "symbol")
    account = t.key("account_id", acc.index, "account", "accounts.csv")
    security = t.key("symbol", sec.index, "symbol", "securities.csv")
    menu[np.unique(account)] = False
    menu[account, security] = True
    return menu


T = TypeVar("T")


def per_household(compute: Callable[[Household], T]) -> Callable[[Household], T]:
    """``compute(h)`` once per household (a frozen one), kept while the household lives: what
    the build, the rules and the judge of one plan each ask of it. Callers only read it."""
    kept: weakref.WeakKeyDictionary[Household, T] = weakref.WeakKeyDictionary()

    @wraps(compute)
    def once(h: Household) -> T:
        if h not in kept:
            kept[h] = compute(h)
        return kept[h]
    return once
