"""Seeded synthetic households of any size (SPEC §1 folders), for tests and benchmarks.

    from models.synthetic import SyntheticSpec, generate_household
    generate_household(SyntheticSpec(lots=100_000, accounts=8, securities=500,
                                     asset_classes=8, seed=7), "out/big")

Everything is drawn from one ``numpy.random.Generator`` seeded with ``spec.seed``, with numpy
array operations only (no Python loop per lot), so the same spec gives byte-identical files and
a million lots take a few seconds to draw and to write. (Longer than most modules, ~570
lines: one generator whose steps share the draws; split up, each would re-derive them.)

What the generator promises (the tests check it):

- ``lots`` is exact: ``lots.csv`` has exactly that many rows. Tax-advantaged accounts hold one
  lot per (account, symbol) (a position, its basis meaningless); taxable accounts hold any number
  of lots per symbol. About a quarter of the lots (scaled by the share of tax-advantaged
  accounts, at most half of the possible positions) are positions; every tax-advantaged account
  holds at least one when there are enough lots, and every asset class is held.
- Lot ids are ``L0000001``, ``L0000002``, ... in file order (lots sorted by account, symbol,
  acquired date).
- Exactly ``round(loss_fraction · lots)`` lots are at a loss (cost basis above quantity × price,
  by at least a cent) and the others at a gain of at least a cent, the gain growing with the
  holding period. This counts every lot, tax-advantaged positions included.
- Exactly ``round(recent_fraction · lots)`` lots were acquired within the last 30 days
  (as_of − 30 ... as_of); the others from 31 days to 8 years before as_of. None after as_of.
- Securities form wash groups (mostly one symbol, some two or three share classes such as
  ``VTI``, ``VTI_ADM``, ``VTI_INS``); each group lies in one asset class and every asset class
  has at least two groups, so a harvested group always has a replacement. Prices are lognormal
  (median $120, most between $45 and $320), to the cent.
- ``drift`` is (about) the largest gap between a class's share of the holdings and its target;
  cash (0.5–3% of each account) dilutes every class a little. The most negative gap goes to the
  largest class, so no class empties.
- Targets are written with 6 decimals, the last one ``1 − sum(others)``: the CSV sums to 1.
- History (``history=True``): for half the recent lots a buy on their acquired date with their
  ``lot_id``, quantity, account and symbol; buys without a lot id into positions of
  tax-advantaged accounts (reinvestments, which the positions already include); loss sells in
  taxable accounts from 1 to 30 days ago with a negative ``realized_gain`` and a ``term``.
  Sold shares are gone, so those sells carry no lot id. Their losses are part of the drawn
  ``[realized]`` amounts (realized earlier this year), not added on top of given ones.
- Cash flows (``scheduled=True``): one or two deposits (the first on as_of), one withdrawal from
  the largest taxable account, smaller than its cash plus holdings, and scheduled purchases
  (``symbol`` set, amount > 0, a tenth of the account's cash at most) of securities the account
  holds, all dated as_of ... as_of + 30.
- Accounts cycle taxable, traditional, roth, hsa; every third account (ids ``*3``, ``*6``, ...)
  belongs to the spouse (``owner = spouse``) and makes the filing status ``married_joint``.
  The first taxable account keeps a cash reserve.
- Dollar amounts are rounded to cents, quantities to 4 decimals.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ACCOUNT_CYCLE = ("taxable", "traditional", "roth", "hsa")
ACCOUNT_PREFIX = {"taxable": "TAX", "traditional": "IRA", "roth": "ROTH", "hsa": "HSA"}
CLASS_NAMES = ("bonds", "us_equity", "intl_equity", "real_estate", "us_small_cap",
               "emerging_markets", "tips", "commodities", "intl_bonds", "muni_bonds",
               "us_value", "us_growth", "intl_small_cap", "high_yield", "short_term_bonds",
               "frontier_markets")
# Familiar tickers for the first wash groups of a class, then generated four-letter codes.
KNOWN_TICKERS = {
    "bonds": ("BND", "AGG", "SCHZ", "IUSB"), "us_equity": ("VTI", "ITOT", "SCHB", "SPTM"),
    "intl_equity": ("VXUS", "IXUS", "SPDW", "VEA"), "real_estate": ("VNQ", "SCHH", "USRT"),
    "us_small_cap": ("VB", "IJR", "SCHA"), "emerging_markets": ("VWO", "IEMG", "SCHE"),
    "tips": ("SCHP", "TIP", "VTIP"), "commodities": ("GSG", "DBC", "PDBC"),
    "intl_bonds": ("BNDX", "IAGG"), "muni_bonds": ("VTEB", "MUB"), "us_value": ("VTV", "IUSV"),
    "us_growth": ("VUG", "IUSG"), "intl_small_cap": ("VSS", "SCZ"), "high_yield": ("HYG", "JNK"),
    "short_term_bonds": ("BSV", "SHY"), "frontier_markets": ("FM", "FRN"),
}
SHARE_CLASS_SUFFIX = ("", "_ADM", "_INS")
MAX_ACCOUNTS = 20
HISTORY_YEARS = 8
RECENT_DAYS = 30            # "within the last 30 days": as_of − 30 ... as_of
ZIPF_SECURITY = 1.0         # popularity of the security of rank r ∝ 1 / (r + 1) ** a
ZIPF_ACCOUNT = 0.7
SHELTERED_VALUE_SHARE = 0.4 # × share of tax-advantaged accounts = their share of the holdings

LOT_COLUMNS = ["lot_id", "account_id", "symbol", "quantity", "cost_basis", "acquired"]
TRANSACTION_COLUMNS = ["date", "account_id", "symbol", "action", "quantity", "price", "lot_id",
                       "realized_gain", "term"]
CASHFLOW_COLUMNS = ["date", "account_id", "amount", "symbol"]
FILES = ("accounts", "securities", "lots", "targets", "transactions", "cashflows")
OPTIONAL_FILES = ("transactions", "cashflows")
# A buy realizes nothing: its realized_gain cell is left blank.
BUY_REALIZED_GAIN = np.nan


@dataclass(frozen=True)
class SyntheticSpec:
    """What to generate. ``lots`` is the exact number of rows of ``lots.csv``."""
    lots: int = 1000
    accounts: int = 4            # 1..20; types cycle taxable, traditional, roth, hsa
    securities: int = 50         # at least 2 per asset class (2000 is plenty)
    asset_classes: int = 4       # 'bonds', 'us_equity', 'intl_equity', ... ('class_17' beyond 16)
    seed: int = 0
    as_of: str = "2026-12-01"
    drift: float = 0.10          # about the largest |class share of holdings − target|
    loss_fraction: float = 0.3   # exact share of lots at a loss
    recent_fraction: float = 0.02  # exact share of lots acquired within the last 30 days
    history: bool = True         # transactions.csv: buys and loss sales of the last 30 days
    scheduled: bool = True       # cashflows.csv: deposits, a withdrawal, scheduled purchases
    realized_short_term: float | None = None  # None: drawn from the seed
    realized_long_term: float | None = None
    carryover: bool = True

    def check(self) -> None:
        def bad(message: str):
            raise ValueError(f"SyntheticSpec: {message}")
        if self.lots < 0:
            bad(f"lots must be at least 0, got {self.lots}")
        if not 1 <= self.accounts <= MAX_ACCOUNTS:
            bad(f"accounts must be 1..{MAX_ACCOUNTS}, got {self.accounts}")
        if self.asset_classes < 1:
            bad(f"asset_classes must be at least 1, got {self.asset_classes}")
        if self.securities < 2 * self.asset_classes:
            bad(f"securities ({self.securities}) must be at least 2 per asset class "
                f"({2 * self.asset_classes}) so every class has a replacement wash group")
        for name in ("drift", "loss_fraction", "recent_fraction"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                bad(f"{name} must lie in [0, 1], got {getattr(self, name)}")
        try:
            np.datetime64(self.as_of, "D")
        except ValueError:
            bad(f"as_of must be a date YYYY-MM-DD, got {self.as_of!r}")


# ---- generation ---------------------------------------------------------------------------

def generate_frames(spec: SyntheticSpec) -> dict[str, pd.DataFrame | dict]:
    """Draw a household: keys ``accounts``, ``securities``, ``lots``, ``targets``,
    ``transactions``, ``cashflows`` (DataFrames with the columns of SPEC §1; the last two empty
    when disabled) and ``toml`` (the content of ``household.toml`` as a dict)."""
    spec.check()
    rng = np.random.default_rng(spec.seed)
    as_of = np.datetime64(spec.as_of, "D")

    acc = _accounts(spec)
    sec = _securities(spec, rng)
    targets = _targets(spec, rng)
    lots = _lots(spec, rng, acc, sec, targets)
    cash, reserve = _cash(rng, acc, lots)
    accounts = pd.DataFrame({"account_id": acc["id"], "type": acc["type"], "cash": cash,
                             "reserve": reserve, "owner": acc["owner"]})
    securities = pd.DataFrame({"symbol": sec["symbol"], "price": sec["price"],
                               "asset_class": sec["class_name"], "wash_group": sec["group_name"],
                               "spread_bps": sec["spread_bps"]})
    targets_frame = pd.DataFrame({"asset_class": targets["class_name"],
                                  "weight": targets["weight"]})

    transactions, history_realized = (_transactions(spec, rng, as_of, acc, sec, lots)
                                      if spec.history else (_empty(TRANSACTION_COLUMNS), (0.0, 0.0)))
    cashflows = (_cashflows(spec, rng, as_of, acc, sec, lots, cash) if spec.scheduled
                 else _empty(CASHFLOW_COLUMNS))
    toml = _toml(spec, rng, acc, lots, history_realized)

    lots_frame = pd.DataFrame({
        "lot_id": lots["id"],
        "account_id": acc["id"][lots["account"]],
        "symbol": sec["symbol"][lots["security"]],
        "quantity": lots["quantity"],
        "cost_basis": lots["cost_basis"],
        "acquired": _day_strings(as_of, lots["days_ago"]),
    })
    return {"accounts": accounts, "securities": securities, "lots": lots_frame,
            "targets": targets_frame, "transactions": transactions, "cashflows": cashflows,
            "toml": toml}


def _accounts(spec: SyntheticSpec) -> dict[str, np.ndarray]:
    k = np.arange(spec.accounts)
    kinds = np.array([ACCOUNT_CYCLE[i % 4] for i in k], dtype=object)
    ids = np.array([f"{ACCOUNT_PREFIX[t]}{i + 1}" for i, t in zip(k, kinds)], dtype=object)
    owner = np.where(k % 3 == 2, "spouse", "self").astype(object)
    return {"id": ids, "type": kinds, "owner": owner, "taxable": kinds == "taxable"}


def _class_names(count: int) -> np.ndarray:
    return np.array([CLASS_NAMES[i] if i < len(CLASS_NAMES) else f"class_{i + 1}"
                     for i in range(count)], dtype=object)


def _securities(spec: SyntheticSpec, rng: np.random.Generator) -> dict[str, np.ndarray]:
    n, classes = spec.securities, spec.asset_classes
    # Wash group sizes: mostly 1, some share-class families of 2 or 3.
    sizes = rng.choice(np.array([1, 2, 3]), size=n, p=[0.85, 0.10, 0.05])
    ends = np.cumsum(sizes)
    groups = int(np.searchsorted(ends, n)) + 1
    sizes = sizes[:groups]
    sizes[-1] -= ends[groups - 1] - n
    if groups < 2 * classes:              # too few groups for two per class: all singletons
        sizes, groups = np.ones(n, dtype=np.int64), n
    # Two groups per class first (so each class has a replacement), the rest at random.
    group_class = np.concatenate([np.arange(2 * classes) % classes,
                                  rng.integers(0, classes, groups - 2 * classes)])
    class_names = _class_names(classes)
    # Base tickers: familiar ones for a class's first groups, then unique generated codes.
    known_used = {t for c in class_names for t in KNOWN_TICKERS.get(c, ())}
    codes = iter(_codes(groups + len(known_used), rng, exclude=known_used))
    seen = np.zeros(classes, dtype=np.int64)
    base = []
    for g in range(groups):               # one step per wash group (at most a few thousand)
        c = group_class[g]
        familiar = KNOWN_TICKERS.get(class_names[c], ())
        base.append(familiar[seen[c]] if seen[c] < len(familiar) else next(codes))
        seen[c] += 1
    base = np.array(base, dtype=object)
    group_of = np.repeat(np.arange(groups), sizes)
    member = np.arange(n) - np.repeat(np.cumsum(sizes) - sizes, sizes)   # 0, 1, 2 in a group
    symbol = base[group_of] + np.array(SHARE_CLASS_SUFFIX, dtype=object)[member]
    price = np.round(np.exp(rng.normal(math.log(120.0), 0.5, n)), 2).clip(1.0, None)
    sec_class = group_class[group_of]
    is_bond = np.char.find(class_names[sec_class].astype(str), "bond") >= 0
    spread = np.where(is_bond, 2.0, rng.choice(np.array([1.0, 2.0, 3.0, 5.0]), n))
    popularity = 1.0 / (1.0 + rng.permutation(n)) ** ZIPF_SECURITY
    return {"symbol": symbol, "price": price, "class": sec_class, "class_name": class_names[sec_class],
            "group": group_of, "group_name": base[group_of], "spread_bps": spread,
            "popularity": popularity / popularity.sum()}


def _codes(count: int, rng: np.random.Generator, exclude: set[str]) -> list[str]:
    """``count`` distinct four-letter codes, none in ``exclude``, in a seeded order."""
    space = 26 ** 4
    picks = rng.choice(space, size=min(space, count + len(exclude)), replace=False)
    letters = (picks[:, None] // 26 ** np.arange(3, -1, -1)) % 26 + ord("A")
    words = letters.astype(np.uint8).view("S4").ravel().astype("U4")
    return [w for w in words.tolist() if w not in exclude][:count]


def _targets(spec: SyntheticSpec, rng: np.random.Generator) -> dict[str, np.ndarray]:
    c = spec.asset_classes
    raw = 0.5 / c + 0.5 * rng.dirichlet(np.full(c, 2.0))
    weight = np.round(raw / raw.sum(), 6)
    weight[-1] = round(1.0 - float(weight[:-1].sum()), 6)
    if weight[-1] <= 0:                    # cannot happen with the floor above; be safe
        weight = np.full(c, round(1.0 / c, 6))
        weight[-1] = round(1.0 - float(weight[:-1].sum()), 6)
    # Starting shares of the holdings: the targets moved by `drift` at most, summing to 1,
    # with the largest class taking the most negative move so no class empties.
    start = weight.copy()
    if c > 1 and spec.drift > 0:
        move = rng.normal(size=c)
        move -= move.mean()
        order = np.argsort(move)
        rank_by_target = np.argsort(-weight)
        move_sorted = move[order]
        move = np.empty(c)
        move[rank_by_target] = move_sorted
        move *= spec.drift / np.abs(move).max()
        start = np.maximum(weight + move, 0.2 * weight)
        start /= start.sum()
    return {"class_name": _class_names(c), "weight": weight, "start": start}


def _lots(spec: SyntheticSpec, rng: np.random.Generator, acc: dict, sec: dict,
          targets: dict) -> dict[str, np.ndarray]:
    n = spec.lots
    n_acc, n_sec = len(acc["id"]), len(sec["symbol"])
    acc_weight = 1.0 / (1.0 + rng.permutation(n_acc)) ** ZIPF_ACCOUNT
    taxable = np.flatnonzero(acc["taxable"])
    sheltered = np.flatnonzero(~acc["taxable"])

    # Tax-advantaged positions: distinct (account, symbol) pairs, drawn without replacement with
    # probability ∝ account weight × security popularity (Gumbel top-k), each account's
    # favourite pair forced in.
    capacity = len(sheltered) * n_sec
    n_pos = min(capacity // 2, round(n * 0.25 * len(sheltered) / n_acc), n)
    if n_pos:
        keys = (np.log(acc_weight[sheltered])[:, None] + np.log(sec["popularity"])[None, :]
                + rng.gumbel(size=(len(sheltered), n_sec)))
        favourite = keys.argmax(axis=1)
        forced = np.arange(len(sheltered))[:n_pos]
        keys[forced, favourite[forced]] = np.inf
        flat = np.argpartition(-keys.ravel(), n_pos - 1)[:n_pos]
        flat.sort()
        pos_account, pos_security = sheltered[flat // n_sec], flat % n_sec
    else:
        pos_account = pos_security = np.zeros(0, dtype=np.int64)

    # Taxable lots: account and security drawn independently (several lots per symbol);
    # the first lots cover every asset class so each class is held.
    n_tax = n - n_pos
    p_acc = acc_weight[taxable] / acc_weight[taxable].sum()
    tax_account = taxable[rng.choice(len(taxable), size=n_tax, p=p_acc)]
    tax_security = rng.choice(n_sec, size=n_tax, p=sec["popularity"])
    classes = spec.asset_classes
    favourite_of_class = np.array([np.flatnonzero(sec["class"] == c)[
        np.argmax(sec["popularity"][sec["class"] == c])] for c in range(classes)])
    cover = min(classes, n_tax)
    tax_security[:cover] = favourite_of_class[:cover]

    account = np.concatenate([pos_account, tax_account]).astype(np.int64)
    security = np.concatenate([pos_security, tax_security]).astype(np.int64)
    is_position = np.arange(n) < n_pos

    # Market values: lognormal sizes, positions scaled up so tax-advantaged accounts hold about
    # 40% × (their share of the accounts) of the holdings, then everything scaled per class to
    # the start shares.
    avg_lot = math.exp(rng.normal(math.log(8000.0), 0.3))
    size = np.exp(rng.normal(0.0, 1.0, n))
    if 0 < n_pos < n:
        share = SHELTERED_VALUE_SHARE * len(sheltered) / n_acc
        size[:n_pos] *= share / (1.0 - share) * size[n_pos:].sum() / size[:n_pos].sum()
    lot_class = sec["class"][security]
    class_raw = np.bincount(lot_class, size, minlength=classes)
    held = class_raw > 0
    want = np.where(held, targets["start"], 0.0)
    want = want / want.sum() * avg_lot * n if n else want
    value = size * np.divide(want, class_raw, out=np.zeros(classes), where=held)[lot_class]
    price = sec["price"][security]
    quantity = np.maximum(np.round(value / price, 4), 0.001)
    market = quantity * price

    # Exactly round(fraction · n) recent lots and losses, spread at random.
    days_ago = rng.integers(RECENT_DAYS + 1, int(HISTORY_YEARS * 365.25) + 1, n)
    n_recent = round(spec.recent_fraction * n)
    recent = rng.permutation(n)[:n_recent]
    days_ago[recent] = rng.integers(0, RECENT_DAYS + 1, n_recent)
    loss = np.zeros(n, dtype=bool)
    loss[rng.permutation(n)[:round(spec.loss_fraction * n)]] = True
    years = days_ago / 365.25
    gain = np.exp(rng.normal(np.log(0.04 + 0.12 * years), 0.6)).clip(0.005, 4.0)
    drop = np.exp(rng.normal(np.log(0.03 + 0.03 * years), 0.6)).clip(0.005, 0.7)
    basis = np.where(loss, market * (1.0 + drop), market / (1.0 + gain))
    basis = np.round(basis, 2)
    cents = np.round(market, 2)
    basis = np.where(loss, np.maximum(basis, cents + 0.01), np.minimum(basis, cents - 0.01))
    basis = np.round(np.maximum(basis, 0.0), 2)

    # File order: by account, symbol, then oldest first; ids follow the file order.
    order = np.lexsort((-days_ago, security, account))
    width = max(7, len(str(n)))
    return {"id": _lot_ids(n, width), "account": account[order], "security": security[order],
            "quantity": quantity[order], "cost_basis": basis[order], "days_ago": days_ago[order],
            "market": market[order], "position": is_position[order]}


def _lot_ids(n: int, width: int) -> np.ndarray:
    """'L0000001', 'L0000002', ... without a Python loop."""
    number = np.arange(1, n + 1, dtype=np.int64)
    chars = np.empty((n, width + 1), dtype=np.uint8)
    chars[:, 0] = ord("L")
    chars[:, 1:] = (number[:, None] // 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)) % 10 \
        + ord("0")
    return chars.view(f"S{width + 1}").ravel().astype(f"U{width + 1}").astype(object)


def _day_strings(as_of: np.datetime64, days_ago: np.ndarray) -> np.ndarray:
    """ISO dates of ``as_of − days_ago`` (any sign), via a table of the distinct offsets."""
    days_ago = np.asarray(days_ago, dtype=np.int64)
    if len(days_ago) == 0:
        return np.zeros(0, dtype=object)
    low, high = int(days_ago.min()), int(days_ago.max())
    table = np.datetime_as_string(as_of - np.arange(low, high + 1).astype("timedelta64[D]"),
                                  unit="D").astype(object)
    return table[days_ago - low]


def _cash(rng: np.random.Generator, acc: dict, lots: dict) -> tuple[np.ndarray, np.ndarray]:
    n_acc = len(acc["id"])
    holdings = np.bincount(lots["account"], lots["market"], minlength=n_acc)
    cash = np.where(holdings > 0, holdings * rng.uniform(0.005, 0.03, n_acc) + 1000.0,
                    rng.uniform(1000.0, 10000.0, n_acc))
    cash = np.round(cash, 2)
    reserve = np.zeros(n_acc)
    first_taxable = np.flatnonzero(acc["taxable"])[0]
    reserve[first_taxable] = round(min(2000.0, 0.25 * cash[first_taxable]), 2)
    return cash, reserve


def _transactions(spec: SyntheticSpec, rng: np.random.Generator, as_of: np.datetime64,
                  acc: dict, sec: dict, lots: dict) -> tuple[pd.DataFrame, tuple[float, float]]:
    n = spec.lots
    parts = []
    # Buys that created recent lots: same lot id, account, symbol, quantity, date.
    recent = np.flatnonzero(lots["days_ago"] <= RECENT_DAYS)
    linked = recent[rng.random(len(recent)) < 0.5]
    if len(linked):
        q = lots["quantity"][linked]
        parts.append(dict(days=lots["days_ago"][linked], account=lots["account"][linked],
                          security=lots["security"][linked], action="buy", quantity=q,
                          price=np.round(lots["cost_basis"][linked] / q, 2),
                          lot_id=lots["id"][linked],
                          gain=np.full(len(linked), BUY_REALIZED_GAIN), term=""))
    # Reinvestments into tax-advantaged positions (already part of the positions' quantity).
    positions = np.flatnonzero(lots["position"])
    if len(positions):
        k = min(len(positions), max(1, n // 1000))
        pick = rng.choice(positions, size=k, replace=False)
        price = np.round(sec["price"][lots["security"][pick]] * rng.normal(1.0, 0.02, k), 2)
        parts.append(dict(days=rng.integers(0, RECENT_DAYS + 1, k), account=lots["account"][pick],
                          security=lots["security"][pick], action="buy",
                          quantity=np.maximum(np.round(lots["quantity"][pick]
                                                       * rng.uniform(0.01, 0.1, k), 4), 0.001),
                          price=price, lot_id="", gain=np.full(k, BUY_REALIZED_GAIN), term=""))
    # Loss sales in taxable accounts, 1..30 days ago; the shares are gone.
    taxable = np.flatnonzero(acc["taxable"])
    k = min(2000, max(2, n // 500))
    security = rng.choice(len(sec["symbol"]), size=k, p=sec["popularity"])
    price = np.round(sec["price"][security] * rng.normal(1.0, 0.03, k), 2).clip(0.01, None)
    avg_value = float(lots["market"].mean()) if n else 5000.0
    quantity = np.maximum(np.round(avg_value * np.exp(rng.normal(0, 0.7, k)) / price, 4), 0.001)
    gain = -np.maximum(np.round(quantity * price * rng.uniform(0.03, 0.3, k), 2), 0.01)
    term = np.where(rng.random(k) < 0.5, "short", "long").astype(object)
    parts.append(dict(days=rng.integers(1, RECENT_DAYS + 1, k),
                      account=taxable[rng.integers(0, len(taxable), k)], security=security,
                      action="sell", quantity=quantity, price=price, lot_id="", gain=gain,
                      term=term))

    days = np.concatenate([p["days"] for p in parts])
    count = len(days)
    def column(key, dtype=object):
        return np.concatenate([np.broadcast_to(np.asarray(p[key], dtype=dtype), len(p["days"]))
                               for p in parts])
    frame = pd.DataFrame({
        "date": _day_strings(as_of, days),
        "account_id": acc["id"][column("account", np.int64)],
        "symbol": sec["symbol"][column("security", np.int64)],
        "action": column("action"),
        "quantity": column("quantity", float),
        "price": column("price", float),
        "lot_id": column("lot_id"),
        "realized_gain": column("gain", float),
        "term": column("term"),
    })
    order = np.lexsort((np.arange(count), -days))          # by date, stable
    frame = frame.iloc[order].reset_index(drop=True)
    sells = frame["action"].to_numpy() == "sell"
    short = frame["term"].to_numpy() == "short"
    realized = (round(float(frame["realized_gain"].to_numpy()[sells & short].sum()), 2),
                round(float(frame["realized_gain"].to_numpy()[sells & ~short].sum()), 2))
    return frame, realized


def _cashflows(spec: SyntheticSpec, rng: np.random.Generator, as_of: np.datetime64, acc: dict,
               sec: dict, lots: dict, cash: np.ndarray) -> pd.DataFrame:
    n_acc = len(acc["id"])
    holdings = np.bincount(lots["account"], lots["market"], minlength=n_acc)
    total = float(holdings.sum() + cash.sum())
    taxable = np.flatnonzero(acc["taxable"])
    rows_date, rows_account, rows_amount, rows_symbol = [], [], [], []

    def add(days_ahead, account, amount, symbol=""):
        rows_date.append(days_ahead)
        rows_account.append(account)
        rows_amount.append(round(float(amount), 2))
        rows_symbol.append(symbol)

    add(0, taxable[0], max(1000.0, total * rng.uniform(0.002, 0.01)))
    if rng.random() < 0.7:
        add(int(rng.integers(1, RECENT_DAYS + 1)), int(rng.integers(0, n_acc)),
            max(500.0, total * rng.uniform(0.001, 0.005)))
    big = taxable[np.argmax(holdings[taxable] + cash[taxable])]
    worth = holdings[big] + cash[big]
    amount = min(0.5 * worth, cash[big] * rng.uniform(0.5, 2.0) + holdings[big] * rng.uniform(0, 0.02))
    add(int(rng.integers(0, 8)), big, -max(0.01, amount))
    if spec.lots:
        k = int(min(20, max(1, spec.lots // 1000), spec.lots))
        pick = rng.choice(spec.lots, size=k, replace=False)
        for lot in np.sort(pick):     # a handful of rows, not one per lot
            a = lots["account"][lot]
            add(int(rng.integers(1, RECENT_DAYS + 1)), a,
                max(1.0, cash[a] * rng.uniform(0.01, 0.1) / k),
                sec["symbol"][lots["security"][lot]])
    days = np.array(rows_date, dtype=np.int64)
    order = np.argsort(days, kind="stable")
    return pd.DataFrame({"date": _day_strings(as_of, -days[order]),
                         "account_id": acc["id"][np.array(rows_account)[order]],
                         "amount": np.array(rows_amount)[order],
                         "symbol": np.array(rows_symbol, dtype=object)[order]})


def _toml(spec: SyntheticSpec, rng: np.random.Generator, acc: dict, lots: dict,
          history_realized: tuple[float, float]) -> dict[str, Any]:
    scale = max(float(lots["market"].sum()), 10000.0)
    drawn_short = round(scale * rng.normal(0.0, 0.003), 2) + history_realized[0]
    drawn_long = round(scale * rng.uniform(-0.002, 0.01), 2) + history_realized[1]
    carry_short = round(scale * rng.uniform(0.0, 0.004), 2)
    carry_long = round(scale * rng.uniform(0.0, 0.006), 2)
    spouse = bool((acc["owner"] == "spouse").any())
    return {
        "as_of": date.fromisoformat(str(np.datetime64(spec.as_of, "D"))),
        "filing_status": "married_joint" if spouse else "single",
        "tax": {"short_term_rate": 0.37, "long_term_rate": 0.238, "deduction_rate": 0.37,
                "carryforward_value": 0.10},
        "realized": {
            "short_term": round(float(spec.realized_short_term if spec.realized_short_term
                                      is not None else drawn_short), 2),
            "long_term": round(float(spec.realized_long_term if spec.realized_long_term
                                     is not None else drawn_long), 2)},
        "carryforward": {"short_term": carry_short if spec.carryover else 0.0,
                         "long_term": carry_long if spec.carryover else 0.0},
        "plan": {"band": 0.05},
    }


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})


# ---- writing ------------------------------------------------------------------------------

def write_household(frames: dict, folder: str | Path) -> Path:
    """Write the frames of :func:`generate_frames` as a SPEC §1 folder and return it.

    Optional tables that are missing or empty are not written (and a stale copy in the folder
    is removed), so a folder reflects exactly the frames given.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        path = folder / f"{name}.csv"
        frame = frames.get(name)
        if name in OPTIONAL_FILES and (frame is None or len(frame) == 0):
            path.unlink(missing_ok=True)
            continue
        if frame is None:
            raise ValueError(f"write_household: the frame '{name}' is required")
        frame.to_csv(path, index=False, lineterminator="\n")
    (folder / "household.toml").write_text(format_toml(frames["toml"]))
    return folder


def generate_household(spec: SyntheticSpec, folder: str | Path) -> Path:
    """Generate a household from ``spec`` and write it to ``folder``."""
    return write_household(generate_frames(spec), folder)


def format_toml(doc: dict[str, Any]) -> str:
    """Hand-formatted TOML: top-level keys, then one ``[table]`` per dict (one level deep).
    ``None`` values are left out (TOML has no null)."""
    lines = [f"{key} = {_toml_value(value)}" for key, value in doc.items()
             if not isinstance(value, dict) and value is not None]
    for key, table in doc.items():
        if isinstance(table, dict):
            lines += ["", f"[{key}]"]
            lines += [f"{k} = {_toml_value(v)}" for k, v in table.items() if v is not None]
    return "\n".join(lines) + "\n"


def _toml_value(value: Any) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        value = float(value)
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        text = repr(value)
        return text if any(ch in text for ch in ".en") else text + ".0"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, np.datetime64):
        return str(np.datetime64(value, "D"))
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return f'"{escaped}"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")
