"""One run's scenario applied to a household: settings, tax figures, price shocks, cash flows."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np

from models.loading import coerce_setting
from models.enums import FilingStatus
from models.errors import InputError
from models.household import Household
from .grid import AMOUNTS, TAX_AMOUNTS

TABLE_SECTIONS = ("prices", "cashflow")     # keys that change the household's tables


def apply_settings(base: Household, settings: Mapping[str, Any],
                   tables: dict | None = None) -> Household:
    """The household of one run: ``base`` with the run's keys applied.

    ``tables`` memoizes households whose tables a key changed (price shocks, cash flows), so
    runs with the same shock share the same tables and can reuse one program.
    """
    shocks = tuple(sorted((k, v) for k, v in settings.items() if k.split(".")[0] in TABLE_SECTIONS))
    h = base
    if shocks:
        if tables is not None and shocks in tables:
            h = tables[shocks]
        else:
            h = _shocked(base, shocks)
            if tables is not None:
                tables[shocks] = h
    tax, plan = {}, {}
    for key, value in settings.items():
        section, _, name = key.partition(".")
        if section == "plan":       # None ("none" in the grid) stands for an unset optional
            plan[name] = None if value is None else coerce_setting(name, value, _raise(key))
        elif section == "tax":
            tax[name] = FilingStatus(value) if name == "filing_status" else value
        elif section in AMOUNTS:
            tax[AMOUNTS[section] + name] = value
    if tax:
        h = h.with_tax(**tax)
        if h.tax.schedule is not None:
            h.tax.status_tables            # an InputError for a year without tables
        elif "schedule" not in tax:        # (runs with tax.schedule = "flat" ignore them)
            for name in tax:
                if name in TAX_AMOUNTS and tax[name]:
                    raise InputError("grid", "a schedule-mode amount: set tax.schedule "
                                     "(or schedule = YEAR in household.toml)",
                                     column=f"tax.{name}")
    if plan:
        h = h.with_settings(**plan)
    return h


def _raise(key: str):
    def fail(message: str):
        raise InputError("grid", message, column=key)
    return fail


def _shocked(h: Household, shocks: tuple) -> Household:
    factor = np.ones(len(h.securities))
    flows = []
    for key, value in shocks:
        section, _, name = key.partition(".")
        if section == "prices":
            if name == "scale":
                factor *= value
            else:
                chosen = h.securities.asset_class == name
                if not chosen.any():
                    raise InputError("grid", f"no security of asset class '{name}' in "
                                            f"household {h.name}", column=key)
                factor[chosen] *= value
        else:
            if name not in h.accounts.index:
                raise InputError("grid", f"no account '{name}' in household {h.name}",
                                        column=key)
            flows.append((h.accounts.index[name], value))
    out = h
    if (factor != 1).any():
        out = replace(out, securities=replace(h.securities, price=h.securities.price * factor))
    if flows:
        c = h.cashflows
        out = replace(out, cashflows=replace(
            c, date=np.concatenate([c.date, np.full(len(flows), h.as_of, dtype=c.date.dtype)]),
            account=np.concatenate([c.account, [a for a, _ in flows]]).astype(c.account.dtype),
            amount=np.concatenate([c.amount, [v for _, v in flows]]).astype(float),
            symbol=np.concatenate([c.symbol, np.full(len(flows), "", dtype=object)]).astype(c.symbol.dtype)))
    return out
