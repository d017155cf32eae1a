"""The guide's prioritization (``seed/000_358937989ee54667.txt``) as a rule-based planner.

:class:`GuideRules` answers the guide's pre-trade checklist, then takes its steps in order,
each a small function below whose docstring quotes the line of the guide it implements:

    fund withdrawals  →  is a rebalance due (outside a band)?  →  harvest losses if there
    are gains to offset  →  cash flows to underweight classes  →  [if due] tax-advantaged
    accounts to target  →  taxable accounts, highest cost first, partially when full would
    cost more than the drift it removes  →  harvest again against the gains just realized
    →  no idle cash beside a sold winner

All along, the book it trades on keeps the wash-sale rule: it sells no loss lot a purchase
would wash and buys no group sold at a loss (replacements come from another wash group of the
same class, or the lot waits 31 days).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from models.allocation import drift_penalty, inside_bands, weights_before
from models.enums import Reason
from models.ledger import apply_trades
from models.tax import net_year, tax_cost
from models.tolerances import MONEY_TOL
from models.trades import TradeList

from .book import Book, Goal, LotFacts, account_order, fund_withdrawals, hifo_at_tax_rates, move


@dataclass(frozen=True)
class Checklist:
    """The guide's "Example checklist before making trades", answered for one household."""
    advantaged: list[int]          # 1. Which account type will trade? (tax-advantaged ones)
    taxable: list[int]             #    ... and the taxable ones
    net_gains: float               # 2. Do you have realized gains this tax year to offset?
    deduction_limit: float         #    ... or ordinary income (the $3,000 deduction)
    new_cash: np.ndarray           # 3. Can new cash flows or dividends be used? (per account)
    short_term_gain_lots: int      # 4. Will a sale create short-term gains? (weighed at its rate)
    harvest_cost_multiple: float   # 5./6. A harvest must beat its spreads this many times
    realized_short_term: float     # the year so far, with losses the history already washed
    realized_long_term: float

    @property
    def harvest_budget(self) -> float:
        """Losses worth harvesting: the year's net gains plus the deduction (negative with
        ample carryover)."""
        return self.net_gains + self.deduction_limit


def pre_trade_checklist(h, harvest_cost_multiple: float = 3.0) -> Checklist:
    """The guide's checklist:

    "1. Which account type will trade? (Taxable vs IRA/401(k)/Roth)
     2. Do you have realized gains this tax year to offset? (Yes → favor tax harvesting)
     3. Can new cash flows or dividends be used to rebalance instead of selling? (Yes → use them)
     4. Will a sale create short‑term gains? (If yes, evaluate urgency)
     5. Are replacement securities available that avoid wash‑sale risk? (If no, consider waiting)
     6. What are transaction costs and bid‑ask spreads? (If high, avoid churning)"

    Question 2 counts the gains realized so far (and losses the history already washed), less
    the carryover in, plus the $3,000 deduction ("offset taxable gains or up to $3,000 of
    ordinary income"); with "ample capital loss carryforwards" it is zero or less. Question 4
    is answered by the lot order (a gain weighed by its term's rate); 5 and 6 per lot when
    harvesting.
    """
    tax = h.tax
    base = apply_trades(h, TradeList.empty())
    s = tax.realized_short_term + base.short_term
    lt = tax.realized_long_term + base.long_term
    taxable = h.accounts.taxable
    facts = LotFacts(h)
    return Checklist(
        advantaged=[a for a in range(len(h.accounts)) if not taxable[a]],
        taxable=[a for a in range(len(h.accounts)) if taxable[a]],
        net_gains=s + lt - tax.carryover_short_term - tax.carryover_long_term,
        deduction_limit=tax.loss_limit, new_cash=np.maximum(h.account_flows, 0.0),
        short_term_gain_lots=int((facts.gain & ~facts.long_term).sum()),
        harvest_cost_multiple=harvest_cost_multiple, realized_short_term=s, realized_long_term=lt)


# ---- the steps ---------------------------------------------------------------------------------

def fund_cash_needs(book: Book, checklist: Checklist) -> None:
    """Withdrawals first (SPEC §3: "Withdrawals are funded at the least tax cost"): the
    guide's lot selection applies — "sell lots purchased at the highest cost basis"."""
    fund_withdrawals(book)


def harvest_losses(book: Book, checklist: Checklist, rebalancing: bool = False) -> float:
    """Harvest losses against the year's gains, short-term losses first, each replaced.

    "If you already realized significant gains this year (e.g., you sold concentrated winners or
    received capital gain distributions), prioritize tax‑loss harvesting to offset those gains."
    "Prioritize harvesting losses that offset short-term gains first because short-term gains
    are taxed at ordinary income rates."
    "Harvest losses and immediately replace exposure with a non‑substantially identical ETF or
    mutual fund to avoid the wash‑sale rule, or wait 31+ days to repurchase the original
    security." "Harvesting losses that produce negligible tax benefit after fees and
    re-investment costs" is a mistake to avoid.

    When ``rebalancing`` ("After harvesting, re-establish target allocation using replacement
    securities or new cash"), a class above its target is replaced only up to the target: the
    rest of the proceeds is the new cash that rebalances (and a replacement group bought in an
    overweight class would lock its own loss lots against the sales the rebalance needs).

    Returns the loss harvested (dollars, positive).
    """
    h, f = book.h, book.facts
    st, lt = book.realized()
    budget = checklist.harvest_budget + st + lt
    if budget <= MONEY_TOL:
        return 0.0
    lots = book.sellable(np.flatnonzero(f.loss & (book.left > 0)))
    value = book.left[lots] * h.lot_price[lots]
    loss = -f.gain_per_dollar[lots] * value
    short, long = h.tax.marginal_rates
    rate = np.where(f.long_term[lots], long, short)
    spread = h.securities.spread_bps[h.lots.security[lots]] / 2e4
    cost = value * 2 * spread + 2 * h.settings.commission_usd
    worth = loss * rate > checklist.harvest_cost_multiple * cost
    lots, loss = lots[worth], loss[worth]
    order = np.lexsort((-loss, f.long_term[lots]))        # short-term first, largest first
    harvested = 0.0
    for lot, lot_loss in zip(lots[order], loss[order]):
        if harvested >= budget - MONEY_TOL:
            break
        g = book.lot_group[lot]
        if book.bought_group[g]:
            continue                   # bought here as a replacement: selling would wash it
        a, c = int(h.lots.account[lot]), int(book.lot_class[lot])
        own = np.zeros(len(h.wash_groups), dtype=bool)
        own[g] = True
        share = min(1.0, (budget - harvested) / lot_loss)
        amount = share * float(book.left[lot] * h.lot_price[lot])
        replace = amount
        if rebalancing:                # replace up to the class's target only
            room = h.class_target[c] * book.V - (book.class_values()[c] - amount)
            replace = min(amount, max(0.0, room))
        j = book.buy_security(a, c, avoid_groups=own)
        if j < 0 and replace > MONEY_TOL:
            continue                   # "Are replacement securities available? If no, consider waiting"
        proceeds = book.sell(np.array([lot]), amount, Reason.HARVEST.value)
        if replace > MONEY_TOL:
            book.buy(a, j, min(replace, proceeds), Reason.REPLACEMENT.value)
        harvested += share * lot_loss
    return harvested


def rebalance_due(book: Book) -> bool:
    """Trade only outside the band.

    "Threshold rule: Rebalance only when an allocation deviates by more than a set band
    (commonly ±5 percentage points). This reduces trading and tax churn."

    Judged on the allocation before the plan and as the earlier steps leave it (a withdrawal
    may push a class out, or pull it in without closing its gap).
    """
    h = book.h
    before = weights_before(h)
    return bool(book.outside_band().any() or not inside_bands(h, before).all())


def direct_cash_flows(book: Book, checklist: Checklist, due: bool) -> None:
    """New cash to the underweight classes, before any sale.

    "Avoid taxable trades by directing new contributions or dividends to underweight asset
    classes. This is a low‑cost, tax‑efficient first step before selling winners."

    Inside the bands only the new money (deposits) is placed; when a rebalance is due, all
    cash above the reserves.
    """
    h = book.h
    goal = Goal.full(h)
    for a in account_order(h, tax_advantaged_first=True):
        cap = max(book.spare(a), 0.0) if due else min(max(book.spare(a), 0.0), checklist.new_cash[a])
        gaps = goal.target - book.class_values()
        buyable = book.buyable_classes(a)
        for c in np.argsort(-gaps, kind="stable"):
            if cap <= MONEY_TOL or gaps[c] <= MONEY_TOL:
                break
            if buyable[c]:
                cap -= book.buy(a, book.buy_security(a, c), min(gaps[c], cap), Reason.CASH.value)


def rebalance_tax_advantaged(book: Book, checklist: Checklist) -> None:
    """Tax-advantaged accounts to target before any taxable sale.

    "Action: Rebalance these accounts to targets before touching taxable brokerage accounts."
    "Trades inside IRAs, 401(k)s, Roth IRAs and other tax-advantaged accounts do not create
    immediate taxable events."
    """
    move(book, Goal.full(book.h), checklist.advantaged)


def rebalance_taxable(book: Book, checklist: Checklist, margin: float) -> str:
    """Taxable accounts last: highest cost first, and partially when full would cost much.

    "When selling in taxable accounts, use specific identification to choose lots that
    minimize taxable gains or maximize harvested losses. Brokerages allow lot selection (e.g.,
    sell lots purchased at the highest cost basis)." (the book's lot order, each gain weighed by
    its term's rate: "Will a sale create short‑term gains? (If yes, evaluate urgency)")
    "When rebalancing would create large taxable gains, rebalance only part of the difference
    and use new cash flows to gradually restore the target." "If you must sell taxable
    winners, weigh the tax cost against the risk of staying overweight; partial rebalancing is
    a good compromise."

    The weighing: dry runs to the targets, to just inside the bands and (when the earlier
    steps got every class inside) of no taxable trade, each costed by its tax, spreads and the
    household's own drift penalty; the cheapest is done. With the ``partial`` setting, each
    class closes at least that fraction of its gap. Returns which was done.
    """
    h = book.h
    candidates = [("full", Goal.full(h))]
    if h.settings.partial is not None:
        start = weights_before(h) * h.allocation_value
        candidates.append(("partial", Goal.partial(h, start, h.settings.partial, margin)))
    else:
        candidates.append(("band_edge", Goal.band_edge(h, margin)))
    trials = {}
    if not book.outside_band().any() and h.settings.partial is None:
        trials["none"] = (estimated_cost(book, checklist), book)
    for name, goal in candidates:
        trial = book.copy()
        move(trial, goal, checklist.taxable)
        trials[name] = (estimated_cost(trial, checklist), trial)
    name = min(trials, key=lambda k: trials[k][0])
    book.adopt(trials[name][1])
    return name


def invest_idle_cash(book: Book, checklist: Checklist) -> None:
    """No winner sold while cash sits idle.

    "Rebalancing taxable accounts automatically without checking tax consequences or using
    cash flows first" is a mistake to avoid (and SPEC §3: no taxable lot is sold at a gain
    while investable cash stays uninvested). When the plan sells a taxable winner, the cash
    above every reserve is invested, the most underweight class first.
    """
    h = book.h
    sold_winner = (book.sold > 0) & book.facts.gain
    if not sold_winner.any():
        return
    for a in range(len(h.accounts)):
        buyable = np.flatnonzero(book.buyable_classes(a))
        if not len(buyable):
            continue
        for _ in range(2):          # fill the gaps, then the rest to the least overweight
            cap = min(max(book.spare(a), 0.0), max(0.0, book.class_values()[h.cash_class]
                                                   - h.class_target[h.cash_class] * book.V))
            if cap <= MONEY_TOL:
                break
            gaps = h.class_target * book.V - book.class_values()
            for c in buyable[np.argsort(-gaps[buyable], kind="stable")]:
                amount = cap if gaps[c] <= MONEY_TOL else min(gaps[c], cap)
                cap -= book.buy(a, book.buy_security(a, int(c)), amount, Reason.CASH.value)
                if cap <= MONEY_TOL:
                    break


def estimated_cost(book: Book, checklist: Checklist) -> float:
    """Tax cost (Schedule D netting of the book's results, no washes: the book keeps the rule),
    spreads and drift penalty of the book so far, dollars."""
    h = book.h
    tax = h.tax
    st, lt = book.realized()
    s0, l0 = checklist.realized_short_term, checklist.realized_long_term
    cost = tax_cost(net_year(s0 + st, l0 + lt, tax), net_year(s0, l0, tax), tax)
    spread = h.securities.spread_bps / 2e4
    traded = (book.sold * h.lot_price * spread[h.lots.security]).sum()
    traded += sum(q * h.securities.price[j] * spread[j] for (_, j), (q, _) in book.buys.items())
    return float(cost + traded + drift_penalty(h, book.weights()))


# ---- the planner -------------------------------------------------------------------------------

@dataclass(frozen=True)
class GuideRules:
    """The guide's "Core prioritization rules (step-by-step)" as one planner.

    ``band_margin`` (a weight) keeps a partial rebalance that far inside the band edge;
    ``harvest_cost_multiple`` is how many times a harvest's tax value must exceed its
    round-trip spread and commissions.
    """
    band_margin: float = 0.001
    harvest_cost_multiple: float = 3.0
    name: str = "guide"

    def plan(self, household) -> pd.DataFrame:
        return self.book(household).frame()

    def book(self, household) -> Book:
        """The plan's book (its trades: :meth:`Book.frame`, :meth:`Book.columns`)."""
        h = household
        checklist = pre_trade_checklist(h, self.harvest_cost_multiple)
        book = Book(h, hifo_at_tax_rates, wash_aware=True, prefer_cheap=True)
        fund_cash_needs(book, checklist)
        due = rebalance_due(book)
        harvest_losses(book, checklist, rebalancing=due)
        direct_cash_flows(book, checklist, due)
        if due:
            rebalance_tax_advantaged(book, checklist)
            rebalance_taxable(book, checklist, self.band_margin)
            harvest_losses(book, checklist, rebalancing=True)
        invest_idle_cash(book, checklist)
        return book
