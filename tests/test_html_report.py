"""report.html in a real browser (headless Chromium, network off), and orders.csv against the
trade list. The browser tests skip only where no Chromium is installed (CI installs it)."""
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from planner import load_household
from planner.cli import main
from planner.orders import LOT_SEPARATOR, OrderType, orders

from . import browser

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
needs_chromium = pytest.mark.skipif(browser.CHROMIUM is None,
                                    reason="no chromium on PATH (apt-get install chromium; .ci/run does)")


@pytest.fixture(scope="module")
def planned(tmp_path_factory):
    """Scenario A planned with --report: the plan folder and what it holds."""
    out = tmp_path_factory.mktemp("plan_a")
    assert main(["plan", str(EXAMPLES / "scenario_a"), "--out", str(out), "--report"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    trades = pd.read_csv(out / "trades.csv", dtype={"lot_id": str})
    return out, summary, trades


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        self.urls += [v for k, v in attrs if k in ("src", "href", "srcset", "data", "action") and v]


def test_the_report_is_one_file_that_names_no_outside_resource(planned):
    out, _, _ = planned
    html = (out / "report.html").read_text()
    links = _Links()
    links.feed(html)
    assert links.urls == []
    assert not re.search(r"url\(|@import|<script", html)
    assert "default-src 'none'" in html


@needs_chromium
def test_the_report_renders_in_chromium_with_no_request_and_shows_each_lot_and_the_tax_cost(planned, tmp_path):
    out, summary, trades = planned
    page = out / "report.html"
    dom = browser.run(page, tmp_path, "--dump-dom", f"--log-net-log={tmp_path / 'net.json'}")
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert browser.page_requests(tmp_path / "net.json") == []
    text = dom.stdout
    # The tax cost, to the cent, as summary.json has it (-9,544.77 for scenario A).
    cost = re.search(r'id="tax-cost" data-value="([-0-9.]+)">([^<]+)<', text)
    assert cost and cost[1] == f"{summary['tax_cost']:.2f}"
    assert cost[2] == f"-${-summary['tax_cost']:,.2f}" if summary["tax_cost"] < 0 else f"${summary['tax_cost']:,.2f}"
    tax_row = re.search(r'id="year-tax">.*?</tr>', text, re.S)[0]
    assert f"{summary['year']['tax']:,.2f}" in tax_row
    assert f"{summary['year_without_trades']['tax']:,.2f}" in tax_row
    # Each sell's lot and its acquired date; each trade's amount to the cent.
    household = load_household(EXAMPLES / "scenario_a")
    acquired = dict(zip(household.lots.id, pd.to_datetime(household.lots.acquired).strftime("%Y-%m-%d")))
    for t in trades.itertuples():
        if t.action == "sell":
            assert (f'<span class="lot">{t.lot_id}</span><br><span class="acquired">acquired '
                    f'{acquired[t.lot_id]}</span>') in text
        assert f"{t.amount:,.2f}" in text
    # The checklist: six answers, each met / not met / not applicable.
    answers = re.findall(r'<span class="status [a-z-]+">([a-z ]+)</span>', text)
    assert len(answers) == 6 and set(answers) <= {"met", "not met", "not applicable"}


@needs_chromium
def test_the_net_log_check_catches_a_page_that_fetches(tmp_path):
    """The negative control: the same check sees a page's outside image and stylesheet."""
    page = tmp_path / "fetches.html"
    page.write_text('<html><body><img src="http://127.0.0.1:9/x.png">'
                    '<link rel="stylesheet" href="https://example.com/a.css"></body></html>')
    browser.run(page, tmp_path, "--dump-dom", f"--log-net-log={tmp_path / 'net.json'}")
    assert sorted(browser.page_requests(tmp_path / "net.json")) == [
        "http://127.0.0.1:9/x.png", "https://example.com/a.css"]


@needs_chromium
def test_the_report_screenshot_is_not_blank_on_a_desktop_or_a_phone(planned, tmp_path):
    from PIL import Image
    out, _, _ = planned
    for name, window in (("desktop.png", "1000,1400"), ("phone.png", "390,1400")):
        shot = browser.run(out / "report.html", tmp_path, f"--screenshot={tmp_path / name}", window=window)
        assert shot.returncode == 0, shot.stderr[-2000:]
        pixels = np.asarray(Image.open(tmp_path / name).convert("L"))
        assert pixels.shape[1] == int(window.split(",")[0])
        dark = (pixels < 128).mean()
        assert 0.01 < dark < 0.5, f"{name}: {dark:.1%} dark pixels"
        assert len(np.unique(pixels)) > 20


@needs_chromium
def test_the_report_prints_with_page_breaks(planned, tmp_path):
    """Print layout: the print stylesheet starts the trades, the tax year and the checklist on
    new pages, so the PDF has at least four pages, each letter-sized."""
    out, _, _ = planned
    pdf_path = tmp_path / "report.pdf"
    printed = browser.run(out / "report.html", tmp_path, f"--print-to-pdf={pdf_path}",
                          "--no-pdf-header-footer")
    assert printed.returncode == 0, printed.stderr[-2000:]
    pdf = pdf_path.read_bytes()
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert pages >= 4
    boxes = set(re.findall(rb"/MediaBox\s*\[\s*0 0 ([0-9.]+) ([0-9.]+)\s*\]", pdf))
    assert boxes and all(abs(float(w) - 612) < 1 and abs(float(h) - 792) < 1 for w, h in boxes)


def test_the_report_refuses_a_plan_of_another_household(planned, tmp_path):
    out, _, _ = planned
    assert main(["report", str(EXAMPLES / "scenario_b"), "--plan", str(out), "--out",
                 str(tmp_path / "r.html")]) == 2
    assert not (tmp_path / "r.html").exists()


# ---- orders.csv --------------------------------------------------------------------------------

def _orders_add_up(trades: pd.DataFrame, frame: pd.DataFrame, decimals: int = 3) -> None:
    place = 10.0 ** -decimals     # sells to the nearest place (half of one), buys down (one)
    want = trades.groupby(["account_id", "symbol", "action"])["quantity"].agg(["sum", "count"])
    got = frame.set_index(["account_id", "symbol", "side"])
    assert len(got) == len(want) and not got.index.duplicated().any()   # one order per account, symbol, side
    for (account, symbol, side), row in want.iterrows():
        order = got.loc[(account, symbol, side)]
        tolerance = (0.5 if side == "sell" else 1.0) * place * row["count"]
        assert abs(order["quantity"] - row["sum"]) <= tolerance + 1e-9
        if side == "sell":
            lots = [item.rsplit(":", 2) for item in order["lots"].split(LOT_SEPARATOR)]
            assert order["lot_count"] == len(lots)
            assert abs(sum(float(q) for _, _, q in lots) - order["quantity"]) < 1e-9
            sold = trades[(trades.account_id == account) & (trades.symbol == symbol) & (trades.action == "sell")]
            assert [lot for lot, _, _ in lots] == list(sold["lot_id"])    # every sell, in the plan's order
        else:
            assert order["lots"] == "" and order["lot_count"] == 0


def test_orders_add_up_to_the_trade_list_and_name_every_sold_lot(planned):
    out, _, trades = planned
    frame = pd.read_csv(out / "orders.csv", dtype={"lots": str}, keep_default_na=False)
    assert list(frame.columns)[:7] == ["order_id", "date", "account_id", "account_type", "symbol",
                                       "side", "quantity"]
    frame["quantity"] = frame["quantity"].astype(float)
    _orders_add_up(trades, frame)
    assert set(frame["order_type"]) == {"market"} and set(frame["time_in_force"]) == {"day"}
    # Money to the cent, shares to three places, as written.
    text = (out / "orders.csv").read_text().splitlines()[1:]
    assert all(re.fullmatch(r"-?\d+\.\d{3}", line.split(",")[6]) for line in text)
    assert all(re.fullmatch(r"-?\d+\.\d{2}", line.split(",")[11]) for line in text)


def test_orders_round_lots_to_the_precision_without_selling_more_than_a_lot_holds(tmp_path):
    """A lot of 10.0004 shares sold whole is sold as held (10.0004, no residue); a partial sale of 3.33333
    is 3.333; a buy of 2.9999 rounds down to 2.999 (no more cash than planned); a limit
    order carries the plan's price to the cent."""
    folder = tmp_path / "h"
    shutil.copytree(EXAMPLES / "scenario_a", folder)
    lots = pd.read_csv(folder / "lots.csv", dtype={"quantity": float})
    lots.loc[0, "quantity"] = 10.0004
    lots.to_csv(folder / "lots.csv", index=False)
    h = load_household(folder)
    lot0, lot1 = h.lots.id[0], h.lots.id[1]
    trades = pd.DataFrame({"account_id": ["TAX", "TAX", "TAX"], "symbol": ["VTI", "VTI", "ITOT"],
                           "action": ["sell", "sell", "buy"], "quantity": [10.0004, 3.33333, 2.9999],
                           "price": [312.4, 312.4, 137.15], "lot_id": [lot0, lot1, None],
                           "reason": ["rebalance", "rebalance", "rebalance"]})
    frame = orders(h, trades, OrderType.LIMIT)
    sell = frame[frame.side == "sell"].iloc[0]
    assert sell["lots"] == f"{lot0}:2018-03-12:10.0004;{lot1}:2020-06-08:3.333"
    assert sell["quantity"] == pytest.approx(10.0004 + 3.333)
    buy = frame[frame.side == "buy"].iloc[0]
    assert buy["quantity"] == 2.999 and buy["est_amount"] == round(2.999 * 137.15, 2)
    assert list(frame["limit_price"]) == [312.40, 137.15]
    assert list(frame["side"]) == ["sell", "buy"]     # sells first: they fund the buys


def test_the_report_shows_schedule_lines_and_washes_when_the_summary_has_them(planned):
    """Schedule mode's lines (SPEC §2b) and priced washes appear when summary.json carries them."""
    from planner.html_report import check_plan_matches, render
    out, summary, trades = planned
    household = load_household(EXAMPLES / "scenario_a")
    check_plan_matches(household, summary, trades)
    summary = json.loads(json.dumps(summary))
    for year, agi in (("year", 212345.67), ("year_without_trades", 230000.0)):
        summary[year].update(agi=agi, taxable_income=agi - 16100, federal_income_tax=40000.0,
                             niit=456.78, state_tax=1234.5)
    summary["washes"] = [{"loss_row": 2, "loss_lot": "A-TAX-VTI-250915", "account_id": "TAXABLE",
                          "symbol": "VTI", "date": "2026-12-01", "term": "short",
                          "replacement": "history", "replacement_lot": "B9",
                          "replacement_account_id": "IRA", "replacement_symbol": "ITOT",
                          "acquired": "2026-11-20", "shares": 12.5, "disallowed": 321.09,
                          "treatment": "permanent"}]
    summary["washes_taken"] = [{"loss_lot": "A-TAX-VTI-250915", "why": "it pays: 1,234.56"}]
    lot = {"lot_id": "L1", "account_id": "TAXABLE", "symbol": "VTI", "unrealized_loss": 700.25,
           "shares_a_sale_today_washes": 3.0, "of_them_lost_for_good": 3.0, "purchases_reached": 1,
           "free_to_harvest_from": "2026-12-16", "plan": "not sold: the wash would cost more"}
    summary["blocked_losses"] = [{
        "wash_group": "crsp_us_total_market", "free_to_harvest_from": "2026-12-25",
        "blocked_by": [{"date": "2026-11-15", "account_id": "IRA", "symbol": "VTI", "shares": 3.0,
                        "what": "lot I1", "tax_advantaged": True}] * 4,
        "lots": [lot, dict(lot, lot_id="L2", unrealized_loss=99.75, plan="sold anyway: 3 washed")]}]
    html = render(household, summary, trades, None)
    agi_row = re.search(r'id="year-agi">.*?</tr>', html, re.S)[0]
    assert "Adjusted gross income" in agi_row and "230,000.00" in agi_row and "212,345.67" in agi_row
    assert "-17,654.33" in agi_row
    for key in ("taxable_income", "federal_income_tax", "niit", "state_tax"):
        assert f'id="year-{key}"' in html
    washes = html.split("Washes the plan takes")[1].split("</table>")[0]
    assert "A-TAX-VTI-250915 (VTI, TAXABLE), short-term" in washes and "321.09" in washes
    assert "B9 (ITOT, IRA), bought 2026-11-20" in washes and "12.500" in washes
    assert "lost for good" in washes and washes.count("</th>") == 5     # fits a page
    blocked = html.split("Losses the rule blocks or makes costly")[1].split("</table>")[0]
    assert "crsp_us_total_market" in blocked and "2026-12-25" in blocked
    assert "3 sh VTI 2026-11-15 in IRA; " * 2 in blocked and "and 1 more" in blocked
    assert '<td class="num">2</td>' in blocked and "800.00" in blocked      # 700.25 + 99.75
    assert "1 sold, 1 kept" in blocked
    why = html.split("Washes the plan takes")[1].split("</ul>")[0]
    assert "A-TAX-VTI-250915: it pays: 1,234.56" in why


def test_orders_are_whole_shares_when_the_plan_is(tmp_path, capsys):
    assert main(["plan", str(EXAMPLES / "scenario_a"), "--out", str(tmp_path), "--set",
                 "whole_shares=true"]) == 0
    trades = pd.read_csv(tmp_path / "trades.csv", dtype={"lot_id": str})
    frame = pd.read_csv(tmp_path / "orders.csv", dtype={"lots": str}, keep_default_na=False)
    _orders_add_up(trades, frame)
    assert (frame["quantity"] == frame["quantity"].round()).all()
    written = pd.read_csv(tmp_path / "orders.csv", dtype=str)["quantity"]
    assert written.str.fullmatch(r"\d+").all()            # 535, not 535.000


# ---- the guide's checklist, answered from the data ----------------------------------------------

@pytest.mark.parametrize("example, answers", [
    # A: $65,000 of gains realized this year, losses harvested against them, cash invested.
    ("scenario_a", ["met", "met", "met", "met", "met", "met"]),
    # B: nothing realized yet (2: n/a), a $40,000 deposit invested (3), no loss harvested (5: n/a).
    ("scenario_b", ["met", "not applicable", "met", "met", "not applicable", "met"]),
])
def test_the_checklist_answers_each_question_for_the_optimizer_plan(example, answers):
    from planner.html_report import checklist
    from planner.optimizer import plan
    h = load_household(EXAMPLES / example)
    result = plan(h)
    items = checklist(h, json.loads(json.dumps(result.summary(), default=str)), result.trades)
    assert [i.number for i in items] == [1, 2, 3, 4, 5, 6]
    assert [i.status.value for i in items] == answers
    assert all(re.search(r"\d", i.figure) for i in items)        # the number behind every answer


def test_the_checklist_says_not_met_for_a_taxable_winner_sold_to_rebalance():
    """Scenario A, selling the 2018 VTI lot (380 shares at 312.40, basis 52,630: a long-term gain
    of 66,082) and nothing else: taxable gains with the IRA idle (1), no harvest against this
    year's 65,000 of gains while loss lots wait (2), a rebalance sale with 4,030 of cash idle
    (3), and a trade that costs more than doing nothing (6). No short-term gain (4: met), no
    harvest (5: n/a)."""
    from dataclasses import asdict

    from planner.html_report import checklist
    from planner.evaluate import evaluate
    h = load_household(EXAMPLES / "scenario_a")
    trades = pd.DataFrame({"account_id": ["TAX"], "symbol": ["VTI"], "action": ["sell"],
                           "quantity": [380.0], "price": [312.4], "lot_id": ["A-TAX-VTI-180312"],
                           "amount": [118712.0], "realized_gain": [66082.0], "term": ["long"],
                           "reason": ["rebalance"]})
    ev = evaluate(h, trades).to_dict(include_lots=False)
    summary = {**ev, "tax_profile": {k: getattr(v, "value", v) for k, v in asdict(h.tax).items()},
               "objective_parts": {"trading_cost": ev["trading_cost"]}, "turnover": 118712.0}
    items = checklist(h, summary, trades)
    assert [i.status.value for i in items] == ["not met", "not met", "not met", "met",
                                               "not applicable", "not met"]
    assert items[0].figure == "$0.00 traded in tax-advantaged accounts, $118,712.00 in taxable ones"
    assert items[1].figure.startswith("$65,000.00")
