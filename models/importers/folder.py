"""Build or update a household folder from imported lots, saying what changed.

An import replaces the lots of every position (account and symbol) it covers and leaves the
others alone. Each lot is matched by ``lot_id`` — the export's, or one made from the account,
symbol and acquired date (``TAX-VTI-20180312``, then ``-2``, ``-3`` for more lots bought that
day, in the file's order), so importing the same export twice changes nothing. The result lists
the lots added, changed (quantity or basis) and removed — a lot is never dropped silently —
the accounts and securities added, and the prices updated.

The folder is written only when the whole household it makes loads without error
(:func:`models.loading.load_household`): files are written to a scratch folder first, checked,
then moved into place.
"""
from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from ..enums import AccountType
from ..errors import InputError
from ..loading import load_household
from .reader import AccountSpec, ImportedLots, Mapping
from .values import guess_account_type

LOT_COLUMNS = ["lot_id", "account_id", "symbol", "quantity", "cost_basis", "acquired"]
ACCOUNT_COLUMNS = ["account_id", "type", "cash", "reserve"]
SECURITY_COLUMNS = ["symbol", "price", "asset_class"]
HOUSEHOLD_FILES = ("household.toml", "accounts.csv", "securities.csv", "lots.csv", "targets.csv",
                   "transactions.csv", "cashflows.csv", "allowed.csv")


@dataclass
class ImportChanges:
    """What an import did to the folder."""
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    accounts_added: list[str] = field(default_factory=list)
    securities_added: list[str] = field(default_factory=list)
    prices_updated: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    written: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"lots: {len(self.added)} added, {len(self.changed)} changed, {len(self.removed)} "
               f"removed, {self.unchanged} unchanged"]
        out += [f"  added    {x}" for x in self.added]
        out += [f"  changed  {x}" for x in self.changed]
        out += [f"  REMOVED  {x}  (not in the export of its position)" for x in self.removed]
        if self.accounts_added:
            out.append("accounts added: " + ", ".join(self.accounts_added))
        if self.securities_added:
            out.append("securities added: " + ", ".join(self.securities_added))
        if self.prices_updated:
            out.append("prices updated: " + ", ".join(self.prices_updated))
        out += [f"note: {n}" for n in self.notes]
        return out


def account_id_of(label: str, specs: dict[str, AccountSpec]) -> str:
    """The household account id of a custodian's label: the mapping's, else the label's letters,
    digits, ``-`` and ``_`` (``Individual ...123`` -> ``Individual_123``)."""
    spec = specs.get(label)
    if spec is not None and spec.id:
        return spec.id
    return re.sub(r"_+", "_", re.sub(r"[^A-Za-z0-9_-]", "_", label)).strip("_") or "account"


def _read(folder: Path, name: str, columns: list[str]) -> pd.DataFrame:
    path = folder / name
    if not path.is_file():
        return pd.DataFrame(columns=columns)
    return pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)


def _lot_ids(lots: pd.DataFrame) -> pd.Series:
    """Given ids where the export has them; else account-symbol-YYYYMMDD, then -2, -3 ..."""
    base = lots["account_id"] + "-" + lots["symbol"] + "-" + lots["acquired"].str.replace("-", "")
    nth = base.groupby(base).cumcount() + 1
    made = base.where(nth == 1, base + "-" + nth.astype(str))
    given = lots["lot_id"].fillna("").astype(str)
    return given.where(given != "", made)


def import_lots(folder: str | Path, imports: list[ImportedLots], mapping: Mapping | None = None,
                as_of: date | None = None, dry_run: bool = False) -> ImportChanges:
    """Merge the imported lots into the household folder (created when absent)."""
    folder = Path(folder)
    mapping = mapping or Mapping()
    changes = ImportChanges()
    frames = [i.lots for i in imports if len(i.lots)]
    if not frames:
        raise InputError(", ".join(i.file for i in imports) or "import", "no lot found in the export")
    new = pd.concat(frames, ignore_index=True)

    # ---- accounts ----
    accounts = _read(folder, "accounts.csv", ACCOUNT_COLUMNS)
    known_types = {}
    for i in imports:
        known_types.update(i.account_types)
    labels = list(dict.fromkeys(new["account"]).keys()) + [a for i in imports for a in i.cash
                                                           if a not in set(new["account"])]
    ids = {label: account_id_of(label, mapping.accounts) for label in labels}
    for label in labels:
        account_id = ids[label]
        spec = mapping.accounts.get(label, AccountSpec())
        kind = spec.type or known_types.get(label)
        existing = accounts["account_id"] == account_id
        if existing.any():
            if kind is not None and accounts.loc[existing, "type"].iloc[0] != kind.value:
                changes.notes.append(f"account {account_id}: type {accounts.loc[existing, 'type'].iloc[0]} "
                                     f"-> {kind.value}")
                accounts.loc[existing, "type"] = kind.value
        else:
            kind = kind or guess_account_type(label)
            if kind is None:
                first = new[new["account"] == label].iloc[0] if (new["account"] == label).any() else None
                raise InputError(first["file"] if first is not None else "import",
                                 f"the type of account '{label}' is unknown: give it with "
                                 f"--account '{label}={account_id}:TYPE' or [accounts.\"{label}\"] "
                                 f"type = ... in the mapping (taxable, traditional, roth or hsa)",
                                 None if first is None else int(first["row"]), "account")
            row = {c: "" for c in accounts.columns}
            row.update({"account_id": account_id, "type": kind.value, "cash": "0", "reserve": "0"})
            accounts = pd.concat([accounts, pd.DataFrame([row])], ignore_index=True)
            changes.accounts_added.append(f"{account_id} ({kind.value})")
        cash = spec.cash
        cash_found = sum(i.cash.get(label, 0.0) for i in imports)
        if cash is None and any(label in i.cash for i in imports):
            cash = cash_found
        if cash is not None:
            accounts.loc[accounts["account_id"] == account_id, "cash"] = f"{cash:.2f}"
    types = dict(zip(accounts["account_id"], accounts["type"]))

    # ---- lots ----
    new = new.assign(account_id=new["account"].map(ids))
    missing_basis = new["cost_basis"].isna()
    taxable = new["account_id"].map(types).eq(AccountType.TAXABLE.value)
    if (missing_basis & taxable).any():
        bad = new[missing_basis & taxable].iloc[0]
        raise InputError(bad["file"], "a lot in a taxable account needs its cost basis (the export "
                                      "shows none)", int(bad["row"]), bad["basis_column"] or "cost_basis")
    new["cost_basis"] = new["cost_basis"].fillna(0.0)       # tax-advantaged: basis ignored
    new["lot_id"] = _lot_ids(new)
    duplicated = new["lot_id"].duplicated()
    if duplicated.any():
        bad = new[duplicated].iloc[0]
        raise InputError(bad["file"], f"lot id '{bad['lot_id']}' appears twice in the import",
                         int(bad["row"]), "lot_id")
    old = _read(folder, "lots.csv", LOT_COLUMNS)
    covered = set(zip(new["account_id"], new["symbol"]))
    in_scope = pd.MultiIndex.from_arrays([old["account_id"], old["symbol"]]).isin(list(covered))
    before = old[in_scope]
    both = new.merge(before[["lot_id", "quantity", "cost_basis", "acquired"]].rename(
        columns={"quantity": "q_old", "cost_basis": "b_old", "acquired": "a_old"}),
        on="lot_id", how="left", indicator=True)
    present = (both["_merge"] == "both").to_numpy()
    # Lots new to the folder have no old figures: 0 stands in (``present`` masks them out).
    q_old = pd.to_numeric(both["q_old"], errors="coerce").fillna(0.0).to_numpy()
    b_old = pd.to_numeric(both["b_old"].replace("", "0"), errors="coerce").fillna(0.0).to_numpy()
    dq = present & (np.abs(q_old - both["quantity"].to_numpy()) > 1e-9 * np.maximum(1.0, both["quantity"]))
    db = present & (np.abs(b_old - both["cost_basis"].to_numpy()) > 0.005)
    da = present & (both["a_old"].astype(str).to_numpy() != both["acquired"].to_numpy())
    changes.added = [f"{r.lot_id}: {r.account_id} {r.symbol} {r.quantity:g} shares, basis "
                     f"{r.cost_basis:,.2f}, acquired {r.acquired}"
                     for r in both[~present].itertuples(index=False)]
    for k in np.flatnonzero(dq | db | da):       # the lines a person reads, one per changed lot
        r = both.iloc[k]
        diffs = ([f"quantity {q_old[k]:g} -> {r['quantity']:g}"] if dq[k] else []) + \
                ([f"basis {b_old[k]:,.2f} -> {r['cost_basis']:,.2f}"] if db[k] else []) + \
                ([f"acquired {r['a_old']} -> {r['acquired']}"] if da[k] else [])
        changes.changed.append(f"{r['lot_id']}: " + ", ".join(diffs))
    changes.unchanged = int((present & ~(dq | db | da)).sum())
    gone = before[~before["lot_id"].isin(set(new["lot_id"]))]
    changes.removed = [f"{r.lot_id}: {r.account_id} {r.symbol} {r.quantity} shares, basis "
                       f"{r.cost_basis}, acquired {r.acquired}" for r in gone.itertuples(index=False)]
    written = new[LOT_COLUMNS].copy()
    written["quantity"] = written["quantity"].map(lambda q: f"{q:.10g}")
    written["cost_basis"] = written["cost_basis"].map(lambda x: f"{x:.2f}")
    lots = pd.concat([old[~in_scope], written], ignore_index=True)
    lots = lots[[c for c in LOT_COLUMNS] + [c for c in lots.columns if c not in LOT_COLUMNS]].fillna("")

    # ---- securities ----
    securities = _read(folder, "securities.csv", SECURITY_COLUMNS)
    prices = new.dropna(subset=["price"]).groupby("symbol", sort=False)["price"].first()
    for symbol in dict.fromkeys(new["symbol"]):
        extra = mapping.securities.get(symbol, {})
        existing = securities["symbol"] == symbol
        if existing.any():
            old_price = float(securities.loc[existing, "price"].iloc[0])
            if symbol in prices and abs(old_price - prices[symbol]) > 1e-9:
                changes.prices_updated.append(f"{symbol} {old_price:g} -> {prices[symbol]:g}")
                securities.loc[existing, "price"] = f"{prices[symbol]:.10g}"
            for key, value in extra.items():
                if key not in securities:
                    securities[key] = ""
                securities.loc[existing, key] = str(value)
            continue
        if symbol not in prices:
            bad = new[new["symbol"] == symbol].iloc[0]
            raise InputError(bad["file"], f"no price for {symbol} in the export and none in "
                                          "securities.csv", int(bad["row"]), "price")
        if "asset_class" not in extra:
            bad = new[new["symbol"] == symbol].iloc[0]
            raise InputError(bad["file"], f"the asset class of {symbol} is unknown: add it to "
                                          f"securities.csv, give --asset-class {symbol}=CLASS, or "
                                          f"[asset_classes] {symbol} = \"CLASS\" in the mapping",
                             int(bad["row"]), "symbol")
        row = {c: "" for c in securities.columns}
        row.update({"symbol": symbol, "price": f"{prices[symbol]:.10g}"})
        for key, value in extra.items():
            row[key] = str(value)
        securities = pd.concat([securities, pd.DataFrame([row])], ignore_index=True).fillna("")
        changes.securities_added.append(f"{symbol} ({extra['asset_class']})")

    # ---- household.toml and targets.csv, when the folder is new ----
    export_day = as_of or next((i.as_of for i in imports if i.as_of is not None), None)
    files = {"accounts.csv": accounts, "lots.csv": lots, "securities.csv": securities}
    toml = None
    if not (folder / "household.toml").is_file():
        if export_day is None:
            raise InputError("household.toml", "a new household needs its trade date: give --as-of "
                                               "YYYY-MM-DD (the export names none)")
        toml = (f"# Written by planner import from {', '.join(i.file for i in imports)}: check the\n"
                f"# tax profile (flat rates below are the defaults) and the targets before planning.\n"
                f"as_of = {export_day.isoformat()}\nfiling_status = \"single\"\n\n"
                "[tax]\nshort_term_rate = 0.37\nlong_term_rate = 0.238\ndeduction_rate = 0.37\n"
                "carryforward_value = 0.10\n\n[realized]\nshort_term = 0.0\nlong_term = 0.0\n\n"
                "[carryforward]\nshort_term = 0.0\nlong_term = 0.0\n\n[plan]\nband = 0.05\n")
        changes.notes.append(f"wrote household.toml with as_of = {export_day}: set the tax profile")
    elif export_day is not None:
        text = (folder / "household.toml").read_text()
        found = re.search(r"^\s*as_of\s*=\s*(\S+)", text, re.MULTILINE)
        if found and found[1].strip("\"'") != export_day.isoformat():
            changes.notes.append(f"the export is dated {export_day}, household.toml's as_of is "
                                 f"{found[1]}: prices are the export's")
    if not (folder / "targets.csv").is_file():
        files["targets.csv"] = _current_weights(lots, securities)
        changes.notes.append("wrote targets.csv with today's weights per asset class: edit it to "
                             "the client's targets")
    _write_checked(folder, files, toml, changes, dry_run)
    return changes


def _current_weights(lots: pd.DataFrame, securities: pd.DataFrame) -> pd.DataFrame:
    price = dict(zip(securities["symbol"], securities["price"].astype(float)))
    klass = dict(zip(securities["symbol"], securities["asset_class"]))
    value = lots["quantity"].astype(float) * lots["symbol"].map(price)
    weights = value.groupby(lots["symbol"].map(klass)).sum()
    weights = (weights / weights.sum()).round(4)
    weights.iloc[-1] = round(1.0 - weights.iloc[:-1].sum(), 4)
    return pd.DataFrame({"asset_class": weights.index, "weight": weights.to_numpy()})


def _write_checked(folder: Path, files: dict[str, pd.DataFrame], toml: str | None,
                   changes: ImportChanges, dry_run: bool) -> None:
    """Write into a scratch copy, load it as a household (every check of SPEC §1), then move
    the files into ``folder``; nothing is written if the household does not load."""
    with tempfile.TemporaryDirectory(prefix="planner-import-") as scratch:
        trial = Path(scratch) / (folder.name or "household")
        trial.mkdir()
        for name in HOUSEHOLD_FILES:
            if (folder / name).is_file():
                shutil.copy2(folder / name, trial / name)
        texts = {name: frame.to_csv(index=False) for name, frame in files.items()}
        if toml is not None:
            texts["household.toml"] = toml
        for name, text in texts.items():
            (trial / name).write_text(text)
        load_household(trial)           # raises InputError, naming the file, row and column
        if dry_run:
            return
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in texts.items():
            tmp = folder / (name + ".tmp")
            tmp.write_text(text)
            tmp.replace(folder / name)
            changes.written.append(str(folder / name))
