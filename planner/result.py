"""A plan (the result of planning): the trade list, the evaluator's judgement of it, and how the solver got there."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from functools import cached_property
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from models.enums import SolveStatus
from models.household import Household
from models.ledger import WashRestrictions, collector_paused
from models.schedule import bracket_position
from models.trades import PLAN_TRADE_COLUMNS

from .evaluate import Evaluation
from .io import csv_text, write_all
from .numbers import round_money_columns
from .summary_json import indent_for, write_json

if TYPE_CHECKING:
    from .explain import BlockedGroups

MONEY_COLUMNS = ("amount", "cost_basis", "realized_gain")   # to the cent in trades.csv


@dataclass(frozen=True, eq=False)
class Plan:
    household: Household
    trades: pd.DataFrame          # SPEC §4 columns
    evaluation: Evaluation        # the evaluator's judgement of ``trades``
    status: SolveStatus
    gap: float                    # absolute optimality gap, dollars
    model: dict[str, float]       # the model's own figures for the objective's parts
    seconds: dict[str, float]
    solver: dict[str, Any]
    restrictions: WashRestrictions | None

    @property
    def tax_cost(self) -> float:
        return self.evaluation.tax_cost

    @property
    def objective(self) -> float:
        return self.evaluation.objective

    def restriction_rows(self) -> list[dict[str, str]]:
        """Wash groups the household may not buy yet, and the first day it may."""
        h = self.household
        rows: dict[str, dict[str, str]] = {}
        if self.restrictions is not None:
            for g, until in self.restrictions.no_buy_until.items():
                rows[h.wash_groups[g]] = {"wash_group": h.wash_groups[g], "no_buy_before": str(until),
                                          "reason": "sold at a loss in the last 30 days" + (
                                              "" if h.settings.wash_sale is h.settings.wash_sale.AVOID
                                              else " (a buy before then is a priced wash)")}
        harvested = self.trades[(self.trades["action"] == "sell") & (self.trades["realized_gain"] < 0)]
        until = str(h.as_of + np.timedelta64(31, "D"))
        groups = dict(zip(h.securities.symbol, h.securities.wash_group))
        for symbol in harvested["symbol"].unique():
            g = groups[symbol]
            if g not in rows or rows[g]["no_buy_before"] < until:
                rows[g] = {"wash_group": g, "no_buy_before": until, "reason": "harvested in this plan"}
        return sorted(rows.values(), key=lambda r: r["wash_group"])

    def settings_dict(self) -> dict[str, Any]:
        s = self.household.settings
        return {f.name: (v.value if hasattr(v, "value") else v)
                for f in fields(s) for v in [getattr(s, f.name)]}

    def summary(self) -> dict[str, Any]:
        """summary.json (SPEC §4): the evaluator's keys, the objective's parts, the settings,
        the restrictions and the solver's account of itself. The plan's own record, to read:
        :meth:`files` may copy its blocked losses from text encoded while the solver worked."""
        return self._summary

    @cached_property
    def blocked(self) -> BlockedGroups:
        """The losses the wash-sale rule blocks or makes costly, and what the plan did with
        each (planner.explain)."""
        from .explain import blocked_losses
        return blocked_losses(self)

    @cached_property
    def explanations(self) -> dict[str, Any]:
        """Washes taken and why, losses the wash-sale rule blocks or makes costly, and a
        sentence per class (planner.explain)."""
        from .explain import class_notes, wash_explanations
        return {"washes_taken": wash_explanations(self), "blocked_losses": self.blocked.groups,
                "classes": class_notes(self, self.blocked)}

    @cached_property
    def _summary(self) -> dict[str, Any]:
        ev = self.evaluation.to_dict(include_lots=False)
        why = self.explanations
        return {
            "household": self.household.name,
            "as_of": str(self.household.as_of),
            "status": self.status.value,
            "gap": round(self.gap, 6),
            "objective": ev["objective"],
            "objective_parts": {"tax_cost": ev["tax_cost"], "trading_cost": ev["trading_cost"],
                                "drift_penalty": ev["drift_penalty"],
                                **({"deferred_gain": ev["deferred_gain"]}
                                   if self.household.tax.deferred_gain_rate else {})},
            "model": {k: round(v, 6) for k, v in self.model.items()},
            "year": ev["year"],
            "year_without_trades": ev["year_without_trades"],
            "tax_cost": ev["tax_cost"],
            "drift": ev["drift"],
            "violations": ev["violations"],
            "sales": ev["sales"],
            "history_washes": ev["history_washes"],
            "washes": ev["washes"],
            "wash_totals": ev["wash_totals"],
            "washes_taken": why["washes_taken"],
            "blocked_losses": why["blocked_losses"],
            "classes": why["classes"],
            "cash_after": ev["cash_after"],
            "restrictions": self.restriction_rows(),
            "settings": self.settings_dict(),
            "tax_profile": self.household.tax.as_dict(),
            **({"tax_schedule": self.schedule_position()} if self.household.tax.schedule else {}),
            "solver": {**self.solver, "status": self.status.value, "gap": round(self.gap, 6),
                       "seconds": {k: round(v, 4) for k, v in self.seconds.items()}},
            "trades": int(len(self.trades)),
            "turnover": round(float(self.trades["amount"].sum()), 6) if len(self.trades) else 0.0,
        }

    def schedule_position(self) -> dict[str, Any]:
        """Schedule mode: the year on the 0/15/20% stack with and without the plan."""
        ev, tax = self.evaluation, self.household.tax
        position = bracket_position(ev.year.lines, ev.year_without.lines, tax.status_tables)
        return {"year": tax.schedule, "source": tax.tables.get(tax.schedule).source,
                **{k: round(v, 6) + 0.0 for k, v in position.items()}}

    def files(self, summary: dict[str, Any] | None = None) -> dict[str, Callable[[IO[bytes]], Any]]:
        """trades.csv and summary.json (``summary`` if given) as writers for
        :func:`planner.io.write_all`."""
        summary = self.summary() if summary is None else summary
        indent = indent_for(len(self.trades) + len(self.blocked.lot_ids))
        # Money to the cent for people and spreadsheets; quantity and price as planned (the
        # evaluator reads them back, and rounding them would change the plan it judges).
        trades = csv_text(round_money_columns(self.trades[PLAN_TRADE_COLUMNS], MONEY_COLUMNS), "%.10g")
        return {"trades.csv": lambda f: f.write(trades.encode()),
                "summary.json": lambda f: write_json(f, summary, indent, self.blocked.encoded)}

    def write(self, out: str | Path) -> Path:
        """Write trades.csv and summary.json into ``out``, both or neither (the collector
        paused: the records are many objects and no cycles, as in ``planner plan``)."""
        with collector_paused():
            return write_all(out, self.files())
