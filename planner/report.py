"""Terminal tables for people: trades, the tax year, drift, restrictions, solver status."""
from __future__ import annotations

from typing import Any

import pandas as pd


def _money(x: float) -> str:
    return f"{x:,.2f}"


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
    frame = frame.map(lambda x: f"{100 * x:6.2f}%")
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
        parts.append(section("Sales", sales[cols].to_string(index=False, float_format=_money)))
    else:
        parts.append(section("Sales", "none"))
    if result.get("washes"):
        washes = pd.DataFrame(result["washes"])[["loss_lot", "symbol", "date", "replacement_lot",
                                                 "replacement", "replacement_account_id", "acquired",
                                                 "shares", "disallowed", "treatment"]]
        parts.append(section("Washes", washes.to_string(index=False, float_format=_money)))
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
        parts.append(section("Trades", plan.trades[cols].to_string(
            index=False, float_format=lambda x: f"{x:,.4f}" if abs(x) < 1e3 else f"{x:,.2f}")))
    else:
        parts.append(section("Trades", "none: doing nothing is optimal"))
    parts.append(section("Tax year", tax_table(s["year"], s["year_without_trades"], s["tax_cost"])))
    parts.append(section("Allocation", drift_table(s["drift"])))
    if s["washes"]:
        washes = pd.DataFrame(s["washes"])[["loss_lot", "symbol", "replacement_lot", "replacement",
                                            "replacement_account_id", "acquired", "shares",
                                            "disallowed", "treatment"]]
        taken = "\n".join(f"{w['loss_lot']}: {w['why']}" for w in s["washes_taken"])
        t = s["wash_totals"]
        parts.append(section(f"Washes taken (wash_sale = {s['settings']['wash_sale']})",
                             washes.to_string(index=False, float_format=_money) + "\n\n" + taken +
                             f"\n\ndisallowed {_money(t['disallowed'])}, of it lost for good "
                             f"{_money(t['permanently_disallowed'])}; deferred into shares kept "
                             f"{_money(t['deferred_kept'])}"))
    if s["blocked_losses"]:
        parts.append(section("Losses the wash-sale rule blocks or makes costly", "\n".join(
            f"{b['lot_id']} ({b['symbol']}, {b['account_id']}): loss {_money(b['unrealized_loss'])}, "
            f"a sale today washes {b['shares_a_sale_today_washes']:g} sh "
            f"({b['of_them_lost_for_good']:g} for good); free to harvest from "
            f"{b['free_to_harvest_from']}; blocked by "
            + "; ".join(f"{x['shares']:g} sh {x['symbol']} {x['date']} in {x['account_id']} ({x['what']})"
                        for x in b["blocked_by"]) + f". {b['plan']}" for b in s["blocked_losses"])))
    parts.append(section("Why each class", "\n".join(f"{c}: {note}" for c, note in s["classes"].items())))
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
                         + ", ".join(f"{k} {v:.3f}s" for k, v in sv["seconds"].items()) + marker
                         + (f"\nwash sales: {sv['wash_sale']}" if sv.get("wash_sale") else "")))
    parts.append(section("Violations", violations_table(s["violations"])))
    return "\n".join(parts)
