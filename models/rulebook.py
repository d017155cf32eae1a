"""The planning rules of SPEC §3, each said once: when the settings switch it on, how a trade
list breaks it, and how to tell a person why it can stand in the way of a plan.

The evaluator lists the breaches of the rules here (:func:`rule_violations`), the optimizer builds
one constraint per enabled rule (``planner/rules.py``, keyed by :class:`Rule`) and diagnosis
explains an infeasible plan with :attr:`RuleSpec.explain`. Adding a rule: a :class:`Rule`
name, an entry in :data:`RULEBOOK` here, and its constraint in ``planner/rules.py``.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from .enums import Rule, WashSale
from .household import Household
from .ledger import Ledger, wash_restrictions
from .settings import PlanSettings
from .tolerances import MONEY_TOL, QTY_TOL, WEIGHT_TOL
from .trades import TradeList

Breach = tuple[Rule, str]          # the rule broken and the detail a person reads


@dataclass(frozen=True, eq=False)
class Outcome:
    """What the checks read: a trade list applied to a household, and its figures."""
    household: Household
    trades: TradeList
    ledger: Ledger
    weights_before: np.ndarray     # class weights before the trades
    weights_after: np.ndarray
    tax_cost: float


@dataclass(frozen=True)
class RuleSpec:
    """One rule: whether the settings switch it on, its breaches, and its explanation."""
    rule: Rule
    enabled: Callable[[PlanSettings], bool]
    violations: Callable[[Outcome], Iterator[Breach]]
    explain: Callable[[Household], str]


# ---- cash that a plan leaves idle (cash_first) ----------------------------------------------
def investable_accounts(h: Household) -> np.ndarray:
    """Accounts that can buy something: their idle cash is investable."""
    return h.can_buy.any(axis=1)


def idle_cash(h: Household, cash_after: np.ndarray) -> float:
    """Investable cash left idle: above reserves, in accounts that can buy, beyond the cash target."""
    above = np.maximum(0.0, cash_after - h.accounts.reserve)[investable_accounts(h)].sum()
    allowance = h.class_target[h.cash_class] * h.allocation_value
    return float(max(0.0, above - allowance))


def cash_first_tolerance(h: Household) -> float:
    """Cash that may stay idle: below a minimum trade (or a share, with whole shares) per account."""
    per_account = max(1.0, h.settings.min_trade_usd)
    if h.settings.whole_shares:
        per_account += float(h.securities.price.max())
    return per_account * int(investable_accounts(h).sum())


# ---- the breaches, rule by rule ---------------------------------------------------------------
def _band(o: Outcome) -> Iterator[Breach]:
    h, s = o.household, o.household.settings
    gap_before, gap_after = np.abs(o.weights_before - h.class_target), np.abs(o.weights_after - h.class_target)
    started_outside = gap_before > h.class_band + WEIGHT_TOL
    for c, name in enumerate(h.classes):
        if s.partial is not None and started_outside[c]:
            allowed = (1 - s.partial) * gap_before[c]
            if gap_after[c] > allowed + WEIGHT_TOL:
                yield Rule.PARTIAL_REBALANCE, (
                    f"{name} closes {1 - gap_after[c] / gap_before[c]:.1%} of its gap to the target; "
                    f"partial = {s.partial:g} asks for at least {s.partial:.0%}")
        elif gap_after[c] > h.class_band[c] + WEIGHT_TOL:
            yield Rule.BAND, (f"{name} ends at {o.weights_after[c]:.2%}, outside its target "
                              f"{h.class_target[c]:.2%} ± {h.class_band[c]:.2%}")


def _cash(o: Outcome) -> Iterator[Breach]:
    h = o.household
    cash, reserve = o.ledger.cash_after, h.accounts.reserve
    for a in np.flatnonzero(cash < reserve - MONEY_TOL):
        why = "below zero" if cash[a] < -MONEY_TOL else f"below its reserve {reserve[a]:,.2f}"
        if h.account_flows[a] < 0:
            why += f" (a withdrawal of {-h.account_flows[a]:,.2f} must be funded)"
        yield Rule.CASH, f"{h.accounts.id[a]} ends with cash {cash[a]:,.2f}, {why}"


def _washes(o: Outcome) -> Iterator[Breach]:
    """None here: the ledger finds washed losses as it applies the trades in order."""
    return iter(())


def _cash_first(o: Outcome) -> Iterator[Breach]:
    h = o.household
    gain_sales = [x for x in o.ledger.sales if x.taxable and x.gain > MONEY_TOL]
    idle = idle_cash(h, o.ledger.cash_after)
    if gain_sales and idle > cash_first_tolerance(h):
        yield Rule.CASH_FIRST, (f"{len(gain_sales)} taxable lot(s) sold at a gain while "
                                f"{idle:,.2f} of investable cash stays idle")


def _min_trade(o: Outcome) -> Iterator[Breach]:
    m, amount = o.household.settings.min_trade_usd, o.ledger.trade_amount
    for i in np.flatnonzero((amount > 0) & (amount < m - MONEY_TOL)):
        yield Rule.MIN_TRADE, (f"trades row {o.trades.row[i]}: {amount[i]:,.2f} is below the minimum "
                               f"trade of {m:,.2f}")


def _whole_shares(o: Outcome) -> Iterator[Breach]:
    t = o.trades
    fractional = np.abs(t.quantity - np.round(t.quantity)) > QTY_TOL
    fractional[list(o.ledger.whole_lot)] = False    # all that a lot holds may be fractional
    for i in np.flatnonzero((o.ledger.trade_amount > 0) & fractional):
        yield Rule.WHOLE_SHARES, f"trades row {t.row[i]}: {t.quantity[i]:g} is not a whole number of shares"


def _concentration(o: Outcome) -> Iterator[Breach]:
    h, cap = o.household, o.household.settings.max_weight
    security_weight = o.ledger.shares_after * h.securities.price / h.total_value
    for j in np.flatnonzero(security_weight > cap + WEIGHT_TOL):
        yield Rule.CONCENTRATION, (f"{h.securities.symbol[j]} ends at {security_weight[j]:.2%} of the "
                                   f"household, above the cap {cap:.2%}")


def _tax_budget(o: Outcome) -> Iterator[Breach]:
    budget = o.household.settings.tax_budget_usd
    if o.tax_cost > budget + MONEY_TOL:
        yield Rule.TAX_BUDGET, f"tax cost {o.tax_cost:,.2f} exceeds the budget {budget:,.2f}"


def _gain_budget(o: Outcome) -> Iterator[Breach]:
    budget = o.household.settings.gain_budget_usd
    realized = o.ledger.short_term + o.ledger.long_term
    if realized > budget + MONEY_TOL:
        yield Rule.GAIN_BUDGET, f"net realized gain {realized:,.2f} exceeds the budget {budget:,.2f}"


# ---- the explanations ---------------------------------------------------------------------------
def _explain_cash(h: Household) -> str:
    short = [f"{a} must fund a withdrawal of {-f:,.2f}" for a, f in
             zip(h.accounts.id, h.account_flows) if f < 0]
    return "; ".join(short) or "accounts must keep their cash reserve"


def _explain_washes(h: Household) -> str:
    r = wash_restrictions(h)
    parts = []
    if r.blocked_lot.any():
        groups = sorted({h.securities.wash_group[j] for j in h.lots.security[r.blocked_lot]})
        parts.append("loss lots of " + ", ".join(groups) + " cannot be sold: the group was bought "
                     "within 30 days or a purchase is scheduled")
    if r.no_buy_until:
        parts.append("no buying " + ", ".join(f"{h.wash_groups[g]} before {d}"
                                              for g, d in r.no_buy_until.items()))
    return "; ".join(parts) or "a wash group cannot be both harvested and bought"


def _always(s: PlanSettings) -> bool:
    return True


# In the order infeasibility is diagnosed (the first rule whose removal frees the plan is named)
# and breaches are listed.
RULEBOOK: tuple[RuleSpec, ...] = (
    RuleSpec(Rule.BAND, _always, _band,
             lambda h: "the target ± band of each class (household.toml [plan] band, targets.csv band)"),
    RuleSpec(Rule.CASH, _always, _cash, _explain_cash),
    # Under "price" the program prices every wash (planner.washes) and a wash is no breach.
    RuleSpec(Rule.WASH_SALE, lambda s: s.wash_sale is WashSale.AVOID, _washes, _explain_washes),
    RuleSpec(Rule.CASH_FIRST, lambda s: s.cash_first, _cash_first,
             lambda h: "a taxable winner may not be sold while investable cash stays idle (cash_first)"),
    RuleSpec(Rule.MIN_TRADE, lambda s: s.min_trade_usd > 0, _min_trade,
             lambda h: f"no trade may be smaller than {h.settings.min_trade_usd:,.2f} (min_trade_usd)"),
    RuleSpec(Rule.WHOLE_SHARES, lambda s: s.whole_shares, _whole_shares,
             lambda h: "trades must be whole shares (whole_shares)"),
    RuleSpec(Rule.CONCENTRATION, lambda s: s.max_weight is not None, _concentration,
             lambda h: f"no security may exceed {h.settings.max_weight:.2%} of the household (max_weight)"),
    RuleSpec(Rule.TAX_BUDGET, lambda s: s.tax_budget_usd is not None, _tax_budget,
             lambda h: f"the plan's tax cost must stay under {h.settings.tax_budget_usd:,.2f} (tax_budget_usd)"),
    RuleSpec(Rule.GAIN_BUDGET, lambda s: s.gain_budget_usd is not None, _gain_budget,
             lambda h: f"net realized gains must stay under {h.settings.gain_budget_usd:,.2f} (gain_budget_usd)"),
)
RULES: dict[Rule, RuleSpec] = {spec.rule: spec for spec in RULEBOOK}


def enabled_rules(settings: PlanSettings) -> list[RuleSpec]:
    """The rules ``settings`` switch on, in the rulebook's order."""
    return [spec for spec in RULEBOOK if spec.enabled(settings)]


def rule_violations(outcome: Outcome) -> list[dict[str, str]]:
    """Every breach of an enabled rule, as the evaluator reports it (``rule``, ``detail``)."""
    return [{"rule": rule.value, "detail": detail}
            for spec in enabled_rules(outcome.household.settings) for rule, detail in spec.violations(outcome)]
