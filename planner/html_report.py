"""``report.html``: the plan for the client, one self-contained page (SPEC §6).

Built from the household folder and the plan folder the planner wrote (``trades.csv``,
``summary.json``), so ``planner report HOUSEHOLD --plan DIR`` renders any saved plan and
``planner plan --report`` renders the one just made. Every dollar figure is ``summary.json``'s,
rounded to the cent; the comparison with the guide's rules runs the ``guide`` heuristic
(:class:`planner.heuristics.GuideRules`) on the same household and settings.

The page is a Jinja2 template (``planner/templates/report.html.j2``): no script, no external
file, no request (a Content-Security-Policy of ``default-src 'none'`` says so to the browser),
the chart an inline SVG drawn here; one column on a phone, page breaks and no backgrounds on
paper. Terminal tables for the same plan are :mod:`planner.report`.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from html import escape
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from models.enums import Reason, Rule
from models.errors import InputError
from models.household import CASH_CLASS
from models.loading import coerce_setting
from models.settings import PlanSettings

from .io import atomic_write
from .numbers import dollars, money, percent, points, shares

TEMPLATE = "report.html.j2"


class Status(StrEnum):
    """A checklist answer: the plan does what the guide's question asks, does not, or the
    question does not arise for this household."""
    MET = "met"
    NOT_MET = "not met"
    NOT_APPLICABLE = "not applicable"


@dataclass(frozen=True)
class ChecklistItem:
    number: int
    question: str        # the guide's words
    status: Status
    figure: str          # the number behind the answer
    detail: str          # what it means for this plan


# ---- reading a plan folder ----------------------------------------------------------------------

def read_plan(folder: str | Path) -> tuple[dict[str, Any], pd.DataFrame]:
    """``summary.json`` and ``trades.csv`` of a plan folder written by ``planner plan``."""
    folder = Path(folder)
    for name in ("summary.json", "trades.csv"):
        if not (folder / name).is_file():
            raise InputError(name, f"missing from {folder}; run `planner plan HOUSEHOLD "
                                          f"--out {folder}` first")
    try:
        summary = json.loads((folder / "summary.json").read_text())
    except json.JSONDecodeError as error:
        raise InputError("summary.json", f"not valid JSON: {error}") from None
    trades = pd.read_csv(folder / "trades.csv", dtype={"lot_id": str, "account_id": str, "symbol": str})
    return summary, trades


def check_plan_matches(household, summary: dict[str, Any], trades: pd.DataFrame) -> None:
    """The plan folder must be a plan of this household: same trade date, known accounts and lots."""
    h = household
    if summary.get("as_of") != str(h.as_of):
        raise InputError("summary.json", f"the plan is for {summary.get('as_of')}, the household "
                                f"{h.name} trades on {h.as_of}: a plan of another household or day?",
                                column="as_of")
    account = trades["account_id"].astype(str)
    unknown = ~account.isin(set(h.accounts.id)).to_numpy()
    if unknown.any():
        k = int(np.flatnonzero(unknown)[0])
        raise InputError("trades.csv", f"account '{account.iloc[k]}' is not an account of {h.name}",
                                k + 2, "account_id")
    known_lots = set(h.lots.id) | set(trades.loc[trades["action"] == "buy", "lot_id"].dropna())
    lot = trades["lot_id"]
    unknown = ((trades["action"] == "sell") & lot.notna() & ~lot.isin(known_lots)).to_numpy()
    if unknown.any():
        k = int(np.flatnonzero(unknown)[0])
        raise InputError("trades.csv", f"lot '{lot.iloc[k]}' is not a lot of {h.name}", k + 2, "lot_id")


def household_as_planned(household, summary: dict[str, Any]):
    """The household with the settings the plan was made with (``--set`` overrides included)."""
    changes = {}
    known = set(PlanSettings.field_names())
    for key, value in summary.get("settings", {}).items():
        if key in known and value is not None:
            def fail(message, key=key):
                raise InputError("summary.json", message, column=f"settings.{key}")
            changes[key] = coerce_setting(key, value, fail)
    return household.with_settings(**changes) if changes else household


# ---- the figures --------------------------------------------------------------------------------

@dataclass(frozen=True)
class GuideResult:
    tax_cost: float
    drift_after: float
    trades: int
    violations: int


def run_guide(household) -> GuideResult:
    """The guide's rules, step by step, on the same household, judged by the evaluator."""
    from .evaluate import evaluate
    from .heuristics import GuideRules
    trades = GuideRules().plan(household)
    ev = evaluate(household, trades)
    return GuideResult(ev.tax_cost, ev.drift_after, len(trades), len(ev.violations))


def _lot_dates(household) -> dict[str, str]:
    h = household
    return dict(zip(h.lots.id, pd.to_datetime(h.lots.acquired).strftime("%Y-%m-%d")))


def allocation_rows(household, summary: dict[str, Any]) -> list[dict[str, Any]]:
    """Per asset class and cash: weight and dollars before and after, target and band."""
    h, drift = household, summary["drift"]
    total = h.total_value
    rows = [{"name": c, "before": drift["before"][c], "after": drift["after"][c],
             "target": drift["target"].get(c), "band": drift["band"].get(c)} for c in drift["before"]]
    if CASH_CLASS not in drift["before"]:
        # Cash not in the targets: shown anyway (SPEC §3 "every table of the allocation shows it").
        cash_before = float(h.accounts.cash.sum() + h.account_flows.sum())
        cash_after = float(sum(summary.get("cash_after", {}).values()))
        rows.append({"name": CASH_CLASS, "before": cash_before / total,
                     "after": cash_after / total, "target": None, "band": None})
    for r in rows:
        r["value_before"], r["value_after"] = r["before"] * total, r["after"] * total
    return rows


def allocation_svg(rows: list[dict[str, Any]]) -> str:
    """Horizontal bars, before and after, with the target and its band: an inline SVG that
    scales with the page (viewBox), readable in black and white (patterns by shade)."""
    label_w, bar_w, row_h, top = 110, 300, 46, 28
    width, height = label_w + bar_w + 70, top + row_h * len(rows) + 10
    top_weight = max([0.01] + [max(r["before"], r["after"], (r["target"] or 0) + (r["band"] or 0))
                               for r in rows])
    scale = bar_w / (min(1.0, top_weight * 1.1))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="Allocation before and after the plan" class="chart">',
             f'<rect x="{label_w}" y="6" width="10" height="10" class="before"/>'
             f'<text x="{label_w + 14}" y="15">before</text>'
             f'<rect x="{label_w + 70}" y="6" width="10" height="10" class="after"/>'
             f'<text x="{label_w + 84}" y="15">after</text>'
             f'<line x1="{label_w + 130}" y1="5" x2="{label_w + 130}" y2="17" class="target"/>'
             f'<text x="{label_w + 135}" y="15">target ± band</text>']
    for k, r in enumerate(rows):
        y = top + k * row_h
        parts.append(f'<text x="0" y="{y + 20}">{escape(r["name"])}</text>')
        if r["target"] is not None:
            lo = max(0.0, r["target"] - (r["band"] or 0))
            hi = r["target"] + (r["band"] or 0)
            parts.append(f'<rect x="{label_w + lo * scale:.1f}" y="{y}" width="{(hi - lo) * scale:.1f}" '
                         f'height="{row_h - 10}" class="band"/>')
        for j, key in enumerate(("before", "after")):
            w = max(0.0, r[key]) * scale
            parts.append(f'<rect x="{label_w}" y="{y + 3 + 17 * j}" width="{w:.1f}" height="14" '
                         f'class="{key}"/><text x="{label_w + w + 4:.1f}" y="{y + 14 + 17 * j}" '
                         f'class="value">{percent(r[key], 1)}</text>')
        if r["target"] is not None:
            x = label_w + r["target"] * scale
            parts.append(f'<line x1="{x:.1f}" y1="{y}" x2="{x:.1f}" y2="{y + row_h - 10}" class="target"/>')
    parts.append("</svg>")
    return "".join(parts)


def trades_by_account(household, trades: pd.DataFrame) -> list[dict[str, Any]]:
    """The trade list grouped by account, each row with its lot's acquired date."""
    h = household
    types = dict(zip(h.accounts.id, h.accounts.type))
    owners = dict(zip(h.accounts.id, h.accounts.owner))
    acquired = _lot_dates(h)
    out = []
    for account in dict.fromkeys(trades["account_id"].astype(str)):
        rows = trades[trades["account_id"].astype(str) == account]
        items = []
        for r in rows.itertuples(index=False):   # the trade list a person reads: small
            lot = "" if pd.isna(r.lot_id) else str(r.lot_id)
            items.append({"symbol": r.symbol, "action": r.action, "quantity": r.quantity,
                          "price": r.price, "amount": r.amount,
                          "lot": lot if r.action == "sell" else "",
                          "acquired": acquired.get(lot, "") if r.action == "sell" else "",
                          "gain": r.realized_gain if types.get(account) == "taxable" else None,
                          "term": "" if pd.isna(r.term) else r.term,
                          "reason": "" if pd.isna(r.reason) else r.reason})
        sold = float(rows.loc[rows["action"] == "sell", "amount"].sum())
        bought = float(rows.loc[rows["action"] == "buy", "amount"].sum())
        out.append({"account_id": account, "type": types.get(account, ""),
                    "owner": owners.get(account, ""), "trades": items, "sold": sold,
                    "bought": bought})
    return out


YEAR_LINES = [  # (key of summary.json's year, what a client calls it)
    ("short_term", "Realized short-term result (after wash-sale adjustments)"),
    ("long_term", "Realized long-term result"),
    ("net_short_term", "Short-term gain taxed, after netting"),
    ("net_long_term", "Long-term gain taxed, after netting"),
    ("deduction", "Capital-loss deduction against other income"),
    ("carryover_short_term", "Loss carried to next year, short-term"),
    ("carryover_long_term", "Loss carried to next year, long-term"),
    ("agi", "Adjusted gross income"),
    ("taxable_income", "Taxable income"),
    ("federal_income_tax", "Federal income tax"),
    ("niit", "Net investment income tax"),
    ("state_tax", "State tax"),
    ("tax", "Tax of the year"),
]


def year_rows(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """The tax year without and with the plan: §2's lines, and schedule mode's when present."""
    year, without = summary["year"], summary["year_without_trades"]
    return [{"key": k, "label": label, "without": without.get(k), "with": year[k],
             "change": year[k] - without[k] if without.get(k) is not None else None}
            for k, label in YEAR_LINES if k in year]


def wash_tables(summary: dict[str, Any]) -> dict[str, Any]:
    """Restrictions (no buy before), washes the plan takes, losses disallowed in its sales and
    the history's losses it washes: whatever summary.json carries, column by column."""
    def table(rows):
        rows = rows or []
        columns = list(dict.fromkeys(k for r in rows for k in r)) if rows else []
        return {"columns": columns, "rows": rows}
    sales = [s for s in summary.get("sales", []) if abs(s.get("disallowed", 0) or 0) > 0.005]
    return {"restrictions": table(summary.get("restrictions")),
            "washes": table(wash_rows(summary.get("washes") or [])),
            "blocked": table(blocked_rows(summary.get("blocked_losses") or [])),
            "why": [f"{w['loss_lot']}: {w['why']}" for w in summary.get("washes_taken") or []
                    if w.get("why")],
            "disallowed": table([{k: s[k] for k in ("date", "lot_id", "account_id", "symbol",
                                                    "quantity", "gain", "disallowed",
                                                    "permanently_disallowed") if k in s}
                                 for s in sales]),
            "history": table(summary.get("history_washes"))}


def wash_rows(washes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """summary.json's washes as a client reads them: the loss sold, the purchase that washes
    it, and what the wash costs (five columns that fit the page, where the raw record has 14)."""
    def held(lot, account, symbol):
        return f"{lot} ({symbol}, {account})"
    return [{"loss_sold": held(w["loss_lot"], w["account_id"], w["symbol"])
             + (f", {w['term']}-term" if w.get("term") else ""),
             "washed_by": held(w["replacement_lot"], w["replacement_account_id"],
                               w["replacement_symbol"]) + f", bought {w['acquired']}",
             "shares": w["shares"], "disallowed": w["disallowed"],
             "treatment": ("lost for good (tax-advantaged replacement)"
                           if w["treatment"] == "permanent" else "deferred into its basis")}
            for w in washes]


def blocked_rows(groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """summary.json's blocked losses, a row per wash group: what blocks it, until when, how much
    loss waits, and what the plan did with it (the lot by lot detail stays in summary.json)."""
    def purchase(p):
        return f"{p['shares']:,.4g} sh {p['symbol']} {p['date']} in {p['account_id']}"
    rows = []
    for g in groups:
        lots = g["lots"]
        sold = sum(lot["plan"].startswith("sold") for lot in lots)
        rows.append({"wash_group": g["wash_group"], "free_to_harvest_from": g["free_to_harvest_from"],
                     "blocked_by": "; ".join(map(purchase, g["blocked_by"][:3]))
                     + (f"; and {len(g['blocked_by']) - 3} more" if len(g["blocked_by"]) > 3 else ""),
                     "lots": len(lots), "unrealized_loss": sum(lot["unrealized_loss"] for lot in lots),
                     "in_the_plan": f"{sold} sold, {len(lots) - sold} kept"})
    return rows


def checklist(household, summary: dict[str, Any], trades: pd.DataFrame) -> list[ChecklistItem]:
    """The guide's "Example checklist before making trades", each item answered from the data."""
    from models.rulebook import cash_first_tolerance, idle_cash

    from .evaluate import evaluate
    h = household
    types = dict(zip(h.accounts.id, h.accounts.type))
    taxable = (trades["account_id"].astype(str).map(types).eq("taxable").to_numpy() if len(trades)
               else np.array([], bool))
    amount = trades["amount"].to_numpy(dtype=float) if len(trades) else np.array([])
    sell = (trades["action"] == "sell").to_numpy() if len(trades) else np.array([], bool)
    gain = trades["realized_gain"].fillna(0).to_numpy(dtype=float) if len(trades) else np.array([])
    short = (trades["term"] == "short").to_numpy() if len(trades) else np.array([], bool)
    items = []

    # 1. Which account type will trade?
    advantaged_usd, taxable_usd = float(amount[~taxable].sum()), float(amount[taxable].sum())
    taxable_gains = float(gain[taxable & sell & (gain > 0)].sum())
    has_advantaged = any(t != "taxable" for t in types.values())
    if not len(trades):
        status, detail = Status.NOT_APPLICABLE, "no trades"
    elif taxable_gains <= 0.005 or advantaged_usd > 0 or not has_advantaged:
        status = Status.MET
        detail = ("no taxable sale realizes a gain" if taxable_gains <= 0.005 else
                  "tax-advantaged accounts trade first; taxable gains only for what they cannot carry")
    else:
        status, detail = Status.NOT_MET, "taxable gains realized while tax-advantaged accounts do not trade"
    items.append(ChecklistItem(1, "Which account type will trade? (Taxable vs IRA/401(k)/Roth)", status,
                               f"{dollars(advantaged_usd)} traded in tax-advantaged accounts, "
                               f"{dollars(taxable_usd)} in taxable ones", detail))

    # 2. Realized gains this year to offset?
    tp = summary.get("tax_profile", {})
    so_far = (tp.get("realized_short_term", 0) + tp.get("realized_long_term", 0)
              - tp.get("carryover_short_term", 0) - tp.get("carryover_long_term", 0))
    harvested = float(-gain[taxable & sell & (gain < 0)].sum())
    loss_lots = int(((h.lot_gain_per_dollar < 0) & h.lot_taxable).sum())
    if so_far <= 0.005:
        status, detail = Status.NOT_APPLICABLE, "no net gains realized this year to offset"
    elif harvested > 0.005:
        status, detail = Status.MET, f"the plan harvests {dollars(harvested)} of losses against them"
    elif loss_lots == 0:
        status, detail = Status.NOT_APPLICABLE, "no taxable lot stands at a loss"
    else:
        status, detail = Status.NOT_MET, f"{loss_lots} taxable lots stand at a loss and none is harvested"
    items.append(ChecklistItem(2, "Do you have realized gains this tax year to offset? "
                                  "(Yes → favor tax harvesting)", status,
                               f"{dollars(so_far)} net gains realized so far this year, less carryover",
                               detail))

    # 3. Cash flows first
    investable = float(np.maximum(0.0, h.accounts.cash - h.accounts.reserve).sum()
                       + np.maximum(h.account_flows, 0.0).sum())
    cash_after = np.array([summary.get("cash_after", {}).get(a, 0.0) for a in h.accounts.id])
    idle = idle_cash(h, cash_after)
    tolerance = cash_first_tolerance(h)
    reasons = trades["reason"].to_numpy() if len(trades) else np.array([], object)
    rebalance_sales = float(amount[taxable & sell & (reasons == Reason.REBALANCE.value)].sum())
    invested = max(0.0, investable - idle)
    if investable <= tolerance:
        status, detail = Status.NOT_APPLICABLE, "no investable cash or deposits"
    elif idle <= tolerance:
        status, detail = Status.MET, f"the plan invests {dollars(invested)} of it"
    elif rebalance_sales <= 0.005:
        status = Status.MET
        detail = (f"no taxable sale to rebalance; {dollars(idle)} stays in cash"
                  + (f", {dollars(invested)} is invested" if invested > 0.005 else ""))
    else:
        status = Status.NOT_MET
        detail = f"{dollars(rebalance_sales)} of taxable sales rebalance while {dollars(idle)} stays idle"
    items.append(ChecklistItem(3, "Can new cash flows or dividends be used to rebalance instead of "
                                  "selling? (Yes → use them)", status,
                               f"{dollars(investable)} of cash above reserves and deposits", detail))

    # 4. Short-term gains
    st_gains = float(gain[taxable & sell & short & (gain > 0)].sum())
    rate = tp.get("short_term_rate")
    status = (Status.NOT_APPLICABLE if not sell.any() else
              Status.MET if st_gains <= 0.005 else Status.NOT_MET)
    detail = ("no sale" if not sell.any() else "no sale realizes a short-term gain" if st_gains <= 0.005
              else "short-term gains realized" + (f", taxed at {percent(rate, 1)}" if rate else "")
              + ": the optimizer found them cheaper than the drift they remove")
    items.append(ChecklistItem(4, "Will a sale create short-term gains? (If yes, evaluate urgency)",
                               status, f"{dollars(st_gains)} of short-term gains", detail))

    # 5. Replacements without wash-sale risk
    washes = sum(v["rule"] == Rule.WASH_SALE.value for v in summary.get("violations", []))
    if harvested <= 0.005:
        status, detail = Status.NOT_APPLICABLE, "no loss harvested"
    elif washes == 0:
        status = Status.MET
        detail = (f"replacements come from other wash groups; {len(summary.get('restrictions', []))} "
                  "groups may not be bought back before the dates below")
    else:
        status, detail = Status.NOT_MET, "the plan washes a loss"
    items.append(ChecklistItem(5, "Are replacement securities available that avoid wash-sale risk? "
                                  "(If no, consider waiting)", status,
                               f"{washes} wash-sale violations", detail))

    # 6. Costs
    parts = summary.get("objective_parts", {})
    trading = parts.get("trading_cost", 0.0)
    turnover = summary.get("turnover", 0.0)
    idle_objective = evaluate(h).objective     # doing nothing: its drift penalty only
    if not len(trades):
        status, detail = Status.NOT_APPLICABLE, "no trades"
    elif summary["objective"] <= idle_objective + 0.005:
        status = Status.MET
        detail = (f"the trades pay for themselves: tax + costs + drift {dollars(summary['objective'])} "
                  f"against {dollars(idle_objective)} for doing nothing")
    else:
        status, detail = Status.NOT_MET, "the trades cost more than doing nothing (a rule requires them)"
    bp = f" ({10_000 * trading / turnover:.1f} bp of {dollars(turnover)} traded)" if turnover > 0 else ""
    items.append(ChecklistItem(6, "What are transaction costs and bid-ask spreads? (If high, avoid churning)",
                               status, f"{dollars(trading)} of spreads and commissions{bp}", detail))
    return items


def _effect(cost: float) -> str:
    """A tax cost in words: ``saves $9,544.77`` or ``costs $120.00`` (``costs nothing``)."""
    if cost < -0.005:
        return f"saves {dollars(-cost)}"
    return f"costs {dollars(cost)}" if cost > 0.005 else "costs nothing"


def summary_paragraph(summary: dict[str, Any], trades: pd.DataFrame, guide: GuideResult | None,
                      accounts: int) -> str:
    """What the plan does, in a client's words, with the numbers of summary.json."""
    year = summary["as_of"][:4]
    n = len(trades)
    drift = summary["drift"]
    if n == 0:
        what = "This plan makes no trades: doing nothing is the best choice today."
    else:
        sold = float(trades.loc[trades["action"] == "sell", "amount"].sum())
        bought = float(trades.loc[trades["action"] == "buy", "amount"].sum())
        gains = trades["realized_gain"].fillna(0)
        losses = float(-gains[gains < 0].sum())
        realized = float(gains[gains > 0].sum())
        what = (f"This plan makes {n} trade{'s' if n != 1 else ''} in {accounts} "
                f"account{'s' if accounts != 1 else ''}, selling {dollars(sold)} and buying "
                f"{dollars(bought)} of securities")
        bits = ([f"harvesting {dollars(losses)} of losses"] if losses > 0.005 else []) + \
               ([f"realizing {dollars(realized)} of gains"] if realized > 0.005 else [])
        what += (", " + " and ".join(bits) if bits else "") + "."
    cost = summary["tax_cost"]
    tax_line = (f" Your {year} tax goes from {dollars(summary['year_without_trades']['tax'])} without the "
                f"plan to {dollars(summary['year']['tax'])} with it; counting losses carried to later "
                f"years, the plan {_effect(cost)} in tax (tax cost {dollars(cost)}).")
    guide_line = ""
    if guide is not None:
        saved = guide.tax_cost - cost
        guide_line = (f" Following the guide's rules step by step {_effect(guide.tax_cost)} in tax and "
                      f"leaves the drift at {percent(guide.drift_after)}; this plan "
                      + (f"saves {dollars(saved)} more." if saved > 0.005 else
                         f"pays {dollars(-saved)} more in tax for an allocation closer to target."
                         if saved < -0.005 else "does as well in tax."))
    drift_line = (f" Drift — how far the asset classes stand from their targets, the sum of the gaps — "
                  f"goes from {percent(drift['total_before'])} to {percent(drift['total_after'])}.")
    return what + tax_line + guide_line + drift_line


# ---- assumptions ----------------------------------------------------------------------------------

SETTING_MEANINGS = {
    "band": "band around each class target (weight)",
    "relative_band": "band as a fraction of the target; the tighter wins",
    "drift_penalty_bp": "basis points of household value paid to remove one point of drift",
    "drift_shape": "shape of the drift penalty",
    "rebalance_inside_band": "rebalance even when every class is inside its band",
    "partial": "fraction of an out-of-band gap each class closes",
    "tax_budget_usd": "cap on the plan's tax cost ($)",
    "gain_budget_usd": "cap on the plan's net realized gains ($)",
    "wash_sale": "wash-sale rule",
    "cash_first": "no taxable gain while investable cash stays idle",
    "min_trade_usd": "smallest trade ($)",
    "whole_shares": "whole shares only",
    "whole_share_gap": "with whole shares, optimal within one share's drift penalty per account",
    "commission_usd": "commission per trade ($)",
    "max_weight": "cap on one security's household weight",
    "time_limit_s": "solver time limit (s)",
    "mip_gap_abs_fraction": "optimality gap, fraction of household value",
}


def _shown(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def assumptions(summary: dict[str, Any]) -> dict[str, Any]:
    settings = [{"key": k, "value": _shown(v), "meaning": SETTING_MEANINGS.get(k, "")}
                for k, v in summary.get("settings", {}).items()]
    tax = [{"key": k, "value": _shown(v)} for k, v in summary.get("tax_profile", {}).items()]
    solver = summary.get("solver", {})
    return {"settings": settings, "tax": tax, "solver": solver}


# ---- rendering ------------------------------------------------------------------------------------

def _environment():
    import jinja2
    env = jinja2.Environment(loader=jinja2.PackageLoader("planner", "templates"),
                             autoescape=jinja2.select_autoescape(["html", "j2"]),
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(money=money, dollars=dollars, shares=shares, percent=percent, points=points)
    return env


def report_context(household, summary: dict[str, Any], trades: pd.DataFrame,
                   guide: GuideResult | None) -> dict[str, Any]:
    from markupsafe import Markup
    h = household
    accounts = trades_by_account(h, trades) if len(trades) else []
    rows = allocation_rows(h, summary)
    return {
        "s": summary, "household": summary["household"], "as_of": summary["as_of"],
        "paragraph": summary_paragraph(summary, trades, guide, len(accounts)),
        "guide": guide, "allocation": rows, "chart": Markup(allocation_svg(rows)),
        "total_value": h.total_value, "accounts": accounts, "year": year_rows(summary),
        "washes": wash_tables(summary), "checklist": checklist(h, summary, trades),
        "assumptions": assumptions(summary),
    }


def render(household, summary: dict[str, Any], trades: pd.DataFrame, guide: GuideResult | None) -> str:
    return _environment().get_template(TEMPLATE).render(**report_context(household, summary, trades, guide))


def write_report(household, plan_folder: str | Path, out: str | Path | None = None,
                 compare_with_guide: bool = True) -> Path:
    """Render ``report.html`` for the plan in ``plan_folder`` (default: written there)."""
    summary, trades = read_plan(plan_folder)
    check_plan_matches(household, summary, trades)
    h = household_as_planned(household, summary)
    guide = run_guide(h) if compare_with_guide else None
    html = render(h, summary, trades, guide)
    path = Path(out) if out is not None else Path(plan_folder) / "report.html"
    return atomic_write(path, lambda f: f.write(html.encode("utf-8")))

