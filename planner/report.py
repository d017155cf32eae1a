"""Terminal tables for people: trades, the tax year, drift, restrictions, solver status."""
from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from typing import Any

import numpy as np
import pandas as pd

from .numbers import money as _money
from .numbers import percent, shares

SCHEDULE_KEYS = ("agi", "taxable_income", "federal_income_tax", "niit", "state_tax")
TEXT_BY_HAND_FROM = 200   # rows from which people_table lays out the text itself
# The terminal shows what a person reads; the files hold everything. A 1e5-lot book's plan
# printed 14,610 trades and 23,455 blocked losses (8 MB, ~0.5 s to format and print).
TRADES_SHOWN = 50          # the largest trades by amount, then one line for the rest
LINES_SHOWN = 20           # blocked losses and wash-sale restrictions, then one line for the rest



def people_table(frame: pd.DataFrame, money_columns=(), share_columns=(), weight_columns=()) -> str:
    """A frame as text for people: money to the cent with separators, shares to the documented
    precision, weights as percentages, empty for a missing value."""
    shown = frame.copy().astype(object)
    for columns, fmt in ((money_columns, _money), (share_columns, shares), (weight_columns, percent)):
        for c in columns:
            if c in shown:
                shown[c] = [("" if pd.isna(x) else fmt(x)) for x in frame[c]]
    shown = shown.fillna("")
    formatted = {*money_columns, *share_columns, *weight_columns}
    text = all(c in formatted or frame[c].dtype == object or isinstance(frame[c].dtype, pd.StringDtype)
               for c in frame.columns)
    if shown.empty or len(shown) < TEXT_BY_HAND_FROM or not text:
        return shown.to_string(index=False)
    # pandas' to_string formats cell by cell (0.32 s CPU for 14,610 trades); where every cell
    # is text by now, the same layout (each column right-aligned to its widest cell or header,
    # one space between) is a join per column (0.10 s)
    columns = []
    for name in shown.columns:
        cells = [str(name)] + [str(x) for x in shown[name].tolist()]
        width = max(map(len, cells))
        columns.append([c.rjust(width) for c in cells])
    return "\n".join(" ".join(row) for row in zip(*columns))


def capped(lines: list[str], total: int, rest: str) -> str:
    """``lines`` (the first of ``total`` items), then ``… and N more`` + ``rest`` when any
    were left out."""
    more = total - len(lines)
    return "\n".join(lines + ([f"… and {more:,} more{rest}"] if more > 0 else []))


def section(title: str, body: str) -> str:
    return f"\n{title}\n{'-' * len(title)}\n{body}\n"


def tax_table(year: dict[str, float], without: dict[str, float] | None, tax_cost: float) -> str:
    keys = ["short_term", "long_term", "net_short_term", "net_long_term", "deduction",
            "carryover_short_term", "carryover_long_term", "tax"]
    keys += [k for k in SCHEDULE_KEYS if k in year]      # schedule mode (SPEC §2b)
    frame = pd.DataFrame({"with trades": [year[k] for k in keys]}, index=keys)
    if without is not None:
        frame["without"] = [without[k] for k in keys]
    body = frame.map(_money).to_string()
    return body + f"\n\ntax cost of the trades: {_money(tax_cost)}"


def objective_text(o: dict[str, float], total: float) -> str:
    deferred = f" + deferred gain {_money(o['deferred_gain'])}" if o.get("deferred_gain") else ""
    return (f"tax cost {_money(o['tax_cost'])} + trading cost {_money(o['trading_cost'])} + drift "
            f"penalty {_money(o['drift_penalty'])}{deferred} = {_money(total)}")


def schedule_text(p: dict[str, Any], deferred_gain_rate: float) -> str:
    """Where the year sits on the 0/15/20% stack, and the gain the plan harvests at 0%."""
    lines = [f"{p['year']} tables ({p['source'].split(' §')[0]}; the full source in summary.json)",
             f"taxable income {_money(p['taxable_income'])} after a deduction of "
             f"{_money(p['deduction_taken'])}; long-term gains and qualified dividends taxed at "
             f"0%: {_money(p['preferential_at_0'])}, 15%: {_money(p['preferential_at_15'])}, "
             f"20%: {_money(p['preferential_at_20'])}",
             f"the 0% rate ends at taxable income {_money(p['zero_rate_top'])} (room left "
             f"{_money(p['zero_rate_room_left'])}); the 15% rate at {_money(p['fifteen_rate_top'])}"]
    if p["plan_gain_at_0"] > 0.005:
        worth = (f"; at deferred_gain_rate {deferred_gain_rate:g} that is worth "
                 f"{_money(deferred_gain_rate * p['plan_gain_at_0'])} of tax not paid later"
                 if deferred_gain_rate else "")
        lines.append(f"the plan realizes {_money(p['plan_gain_at_0'])} of gain at 0% "
                     f"(gain harvesting{worth})")
    return "\n".join(lines)


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
    if result.get("washes"):
        washes = pd.DataFrame(result["washes"])[["loss_lot", "symbol", "date", "replacement_lot",
                                                 "replacement", "replacement_account_id", "acquired",
                                                 "shares", "disallowed", "treatment"]]
        parts.append(section("Washes", washes.to_string(index=False, float_format=_money)))
    parts.append(section("Tax year", tax_table(result["year"], result.get("year_without_trades"),
                                               result["tax_cost"])))
    parts.append(section("Allocation", drift_table(result["drift"])))
    parts.append(section("Objective", objective_text(result, result["objective"])))
    parts.append(section("Violations", violations_table(result["violations"])))
    return "\n".join(parts)


def trades_text(trades: pd.DataFrame, trades_file: str) -> str:
    """The trade table; past :data:`TRADES_SHOWN` rows, the largest by amount (largest first:
    the trades worth checking before sending) and a line saying where the others are."""
    cols = ["account_id", "symbol", "action", "quantity", "price", "lot_id", "amount",
            "realized_gain", "term", "reason"]
    shown = trades[cols]
    if len(trades) > TRADES_SHOWN:
        order = np.argsort(-trades["amount"].to_numpy(dtype=float), kind="stable")
        shown = shown.iloc[order[:TRADES_SHOWN]]
    shown = shown.copy()
    shown["realized_gain"] = shown["realized_gain"].where(shown["action"] == "sell")
    table = people_table(shown, money_columns=("price", "amount", "realized_gain"),
                         share_columns=("quantity",))
    rest = len(trades) - len(shown)
    if not rest:
        return table
    left = float(trades["amount"].sum() - shown["amount"].sum())
    return (f"the {len(shown)} largest of {len(trades):,} trades by amount\n{table}\n"
            f"… and {rest:,} smaller trades ({_money(left)} of the turnover): every trade is in "
            f"{trades_file}")


def plan_text(plan, trades_file: str = "trades.csv", summary_file: str = "summary.json") -> str:
    """The plan for a person: trades with reasons, tax, drift, restrictions, solver. Long
    lists are cut to what a person reads, naming the file (``trades_file``, ``summary_file``)
    that holds all of them."""
    s = plan.summary()
    parts = [f"Plan for {s['household']} as of {s['as_of']}: {s['trades']} trades, "
             f"turnover {_money(s['turnover'])}"]
    if len(plan.trades):
        parts.append(section("Trades", trades_text(plan.trades, trades_file)))
    else:
        parts.append(section("Trades", "none: doing nothing is optimal"))
    parts.append(section("Tax year", tax_table(s["year"], s["year_without_trades"], s["tax_cost"])))
    if "tax_schedule" in s:
        parts.append(section("Tax schedule", schedule_text(s["tax_schedule"],
                                                           s["tax_profile"]["deferred_gain_rate"])))
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
        groups = s["blocked_losses"]
        parts.append(section("Losses the wash-sale rule blocks or makes costly", capped(
            list(islice(blocked_lines(groups), LINES_SHOWN)), sum(1 + len(g["lots"]) for g in groups),
            f" in {summary_file} (blocked_losses)")))
    parts.append(section("Why each class", "\n".join(f"{c}: {note}" for c, note in s["classes"].items())))
    rows = s["restrictions"]
    parts.append(section("Restrictions (wash sale)", capped(
        [f"{r['wash_group']}: no buy before {r['no_buy_before']} ({r['reason']})"
         for r in rows[:LINES_SHOWN]], len(rows), f" in {summary_file} (restrictions)") or "none"))
    o = s["objective_parts"]
    parts.append(section("Objective", objective_text(o, s["objective"])))
    sv = s["solver"]
    marker = "" if sv["status"] == "optimal" else "  ** stopped early: best plan found, not proven **"
    parts.append(section("Solver", f"{sv['name']} via {sv['via']}: {sv['status']}, gap "
                         f"{_money(sv['gap'])}, {sv['binaries']} binaries, "
                         + ", ".join(f"{k} {v:.3f}s" for k, v in sv["seconds"].items()) + marker
                         + (f"\nwash sales: {sv['wash_sale']}" if sv.get("wash_sale") else "")))
    parts.append(section("Violations", violations_table(s["violations"])))
    return "\n".join(parts)


def blocked_lines(groups: list[dict]) -> Iterator[str]:
    """summary.json's ``blocked_losses``: a wash group's purchases once, then a line per lot
    (made as read: the terminal shows the first few of a big book's hundreds of thousands)."""
    for g in groups:
        bought = g["blocked_by"]
        more = f"; and {len(bought) - 5:,} more" if len(bought) > 5 else ""
        yield (f"{g['wash_group']}: free to harvest from {g['free_to_harvest_from']}; its "
               "purchases, in the order a sale today is matched to them: " + "; ".join(
                   f"{x['shares']:g} sh {x['symbol']} {x['date']} in {x['account_id']} ({x['what']})"
                   for x in bought[:5]) + more)
        for b in g["lots"]:
            free = "" if b["free_to_harvest_from"] == g["free_to_harvest_from"] else \
                f", free from {b['free_to_harvest_from']}"
            yield (f"  {b['lot_id']} ({b['symbol']}, {b['account_id']}): loss "
                   f"{_money(b['unrealized_loss'])}, a sale today washes "
                   f"{b['shares_a_sale_today_washes']:g} sh ({b['of_them_lost_for_good']:g} for "
                   f"good) from the first {b['purchases_reached']} purchase(s){free}. {b['plan']}")
