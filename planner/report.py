"""Terminal tables for people: trades, the tax year, drift, restrictions, solver status."""
from __future__ import annotations

from typing import Any

import pandas as pd

from .numbers import money as _money
from .numbers import percent, shares


def people_table(frame: pd.DataFrame, money_columns=(), share_columns=(), weight_columns=()) -> str:
    """A frame as text for people: money to the cent with separators, shares to the documented
    precision, weights as percentages, empty for a missing value."""
    shown = frame.copy().astype(object)
    for columns, fmt in ((money_columns, _money), (share_columns, shares), (weight_columns, percent)):
        for c in columns:
            if c in shown:
                shown[c] = [("" if pd.isna(x) else fmt(x)) for x in frame[c]]
    shown = shown.fillna("")
    return shown.to_string(index=False)


def section(title: str, body: str) -> str:
    return f"\n{title}\n{'-' * len(title)}\n{body}\n"


def tax_table(year: dict[str, float], without: dict[str, float] | None, tax_cost: float) -> str:
    keys = ["short_term", "long_term", "net_short_term", "net_long_term", "deduction",
            "carryover_short_term", "carryover_long_term", "tax"]
    frame = pd.DataFrame({"with trades": [year[k] for k in keys]}, index=keys)
    if without is not None:
        frame["without"] = [without[k] for k in keys]
    body = frame.map(_money).to_string()
    return body + f"\n\ntax cost of the trades: {_money(tax_cost)}"


def drift_table(drift: dict[str, Any]) -> str:
    frame = pd.DataFrame({"before": drift["before"], "after": drift["after"],
                          "target": drift["target"], "band": drift["band"]})
    frame = frame.map(lambda x: f"{percent(x):>7}")
    return frame.to_string() + (f"\n\nsum of |weight - target|: {100 * drift['total_before']:.2f} pp "
                                f"before, {100 * drift['total_after']:.2f} pp after")


def violations_table(violations: list[dict]) -> str:
    if not violations:
        return "none"
    return "\n".join(f"[{v['rule']}] {v['detail']}" for v in violations)


def evaluation_text(result: dict[str, Any]) -> str:
    sales = pd.DataFrame(result["sales"])
    parts = [f"Evaluation of the trade list for {result['household']} as of {result['as_of']}"]
    if len(sales):
        cols = ["lot_id", "account_id", "symbol", "date", "quantity", "proceeds", "basis", "gain",
                "term", "disallowed", "permanently_disallowed"]
        parts.append(section("Sales", people_table(
            sales[cols], money_columns=("proceeds", "basis", "gain", "disallowed", "permanently_disallowed"),
            share_columns=("quantity",))))
    else:
        parts.append(section("Sales", "none"))
    parts.append(section("Tax year", tax_table(result["year"], result.get("year_without_trades"),
                                               result["tax_cost"])))
    parts.append(section("Allocation", drift_table(result["drift"])))
    parts.append(section("Objective", f"tax cost {_money(result['tax_cost'])} + trading cost "
                         f"{_money(result['trading_cost'])} + drift penalty "
                         f"{_money(result['drift_penalty'])} = {_money(result['objective'])}"))
    parts.append(section("Violations", violations_table(result["violations"])))
    return "\n".join(parts)


def plan_text(plan) -> str:
    """The plan for a person: trades with reasons, tax, drift, restrictions, solver."""
    s = plan.summary()
    parts = [f"Plan for {s['household']} as of {s['as_of']}: {s['trades']} trades, "
             f"turnover {_money(s['turnover'])}"]
    if len(plan.trades):
        cols = ["account_id", "symbol", "action", "quantity", "price", "lot_id", "amount",
                "realized_gain", "term", "reason"]
        trades = plan.trades[cols].copy()
        trades["realized_gain"] = trades["realized_gain"].where(trades["action"] == "sell")
        parts.append(section("Trades", people_table(
            trades, money_columns=("price", "amount", "realized_gain"), share_columns=("quantity",))))
    else:
        parts.append(section("Trades", "none: doing nothing is optimal"))
    parts.append(section("Tax year", tax_table(s["year"], s["year_without_trades"], s["tax_cost"])))
    parts.append(section("Allocation", drift_table(s["drift"])))
    rows = s["restrictions"]
    parts.append(section("Restrictions (wash sale)", "\n".join(
        f"{r['wash_group']}: no buy before {r['no_buy_before']} ({r['reason']})" for r in rows) or "none"))
    o = s["objective_parts"]
    parts.append(section("Objective", f"tax cost {_money(o['tax_cost'])} + trading cost "
                         f"{_money(o['trading_cost'])} + drift penalty {_money(o['drift_penalty'])} "
                         f"= {_money(s['objective'])}"))
    sv = s["solver"]
    marker = "" if sv["status"] == "optimal" else "  ** stopped early: best plan found, not proven **"
    parts.append(section("Solver", f"{sv['name']} via {sv['via']}: {sv['status']}, gap "
                         f"{_money(sv['gap'])}, {sv['binaries']} binaries, "
                         + ", ".join(f"{k} {v:.3f}s" for k, v in sv["seconds"].items()) + marker))
    parts.append(section("Violations", violations_table(s["violations"])))
    return "\n".join(parts)
