"""Lots from a custodian's export: Schwab's "Lot Details" CSV, or any CSV through a mapping.

Both end in :class:`ImportedLots`: one row per lot with the custodian's account label, the
symbol, shares, total cost basis, the acquired date and the price, each located (file, row)
for the errors of :mod:`models.importers.folder`. Rows are numbered as a spreadsheet shows
the file (the first line is row 1).
"""
from __future__ import annotations

import csv
import io
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from ..enums import AccountType
from ..errors import InputError
from .values import DEFAULT_DATE_FORMATS, Where, account_type, day, is_missing, number

FIELDS = ("account", "account_type", "symbol", "quantity", "acquired", "cost_basis",
          "cost_per_share", "price", "market_value", "lot_id")
SKIP_FIRST_CELL = ("total", "account total", "grand total", "subtotal")
SCHWAB_TITLE = re.compile(r"^\s*(?P<symbol>\S+) Lot Details for (?P<account>.+?) as of "
                          r"(?P<time>.+?) ET, (?P<date>\d{2}/\d{2}/\d{4})\s*$")
SCHWAB_COLUMNS = {"acquired": "Open Date", "quantity": "Quantity", "price": "Price",
                  "cost_per_share": "Cost/Share", "market_value": "Market Value",
                  "cost_basis": "Cost Basis"}
SCHWAB_REQUIRED_HEADER = ("Open Date", "Quantity", "Price", "Cost/Share", "Market Value",
                          "Cost Basis", "Gain/Loss $", "Gain/Loss %", "Holding Period")


@dataclass(frozen=True)
class AccountSpec:
    """How a custodian's account label becomes a household account."""
    id: str | None = None
    type: AccountType | None = None
    cash: float | None = None


@dataclass(frozen=True)
class Mapping:
    """A column-mapping file (TOML) for any custodian's lot export; see docs/household.md."""
    columns: dict[str, str] = field(default_factory=dict)   # planner field -> export column
    header_row: int = 1
    date_formats: tuple[str, ...] = DEFAULT_DATE_FORMATS
    account: str | None = None          # the account label when the file has no account column
    cash_symbols: tuple[str, ...] = ()  # rows of these symbols are the account's cash
    accounts: dict[str, AccountSpec] = field(default_factory=dict)
    securities: dict[str, dict[str, Any]] = field(default_factory=dict)
    as_of: date | None = None

    @classmethod
    def read(cls, path: str | Path) -> "Mapping":
        path = Path(path)
        text = path.read_text()
        try:
            doc = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise InputError(path.name, f"not valid TOML: {error}") from None
        return cls.from_dict(doc, path.name)

    @classmethod
    def from_dict(cls, doc: dict[str, Any], name: str = "mapping") -> "Mapping":
        def fail(key, message):
            raise InputError(name, message, column=key)

        known = {"file", "columns", "accounts", "securities", "asset_classes"}
        for key in doc:
            if key not in known:
                fail(key, f"unknown table [{key}]; expected {', '.join(sorted(known))}")
        f = doc.get("file", {})
        for key in f:
            if key not in ("header_row", "date_format", "account", "cash_symbols", "as_of"):
                fail(f"file.{key}", "unknown key; expected header_row, date_format, account, "
                                    "cash_symbols or as_of")
        columns = doc.get("columns", {})
        for key, value in columns.items():
            if key not in FIELDS:
                fail(f"columns.{key}", f"unknown field; expected one of {', '.join(FIELDS)}")
            if not isinstance(value, str):
                fail(f"columns.{key}", f"expected the export's column name as text, got {value!r}")
        formats = f.get("date_format", list(DEFAULT_DATE_FORMATS))
        formats = (formats,) if isinstance(formats, str) else tuple(formats)
        accounts = {}
        for label, spec in doc.get("accounts", {}).items():
            if not isinstance(spec, dict):
                fail(f"accounts.{label}", "expected a table with id, type and cash")
            where = Where(name, None, f"accounts.{label}.type")
            accounts[label] = AccountSpec(spec.get("id"), account_type(spec["type"], where)
                                          if "type" in spec else None, spec.get("cash"))
        securities = {s: dict(v) for s, v in doc.get("securities", {}).items()}
        for symbol, asset_class in doc.get("asset_classes", {}).items():
            securities.setdefault(symbol, {})["asset_class"] = asset_class
        as_of = f.get("as_of")
        return cls(columns=columns, header_row=int(f.get("header_row", 1)), date_formats=formats,
                   account=f.get("account"), cash_symbols=tuple(f.get("cash_symbols", ())),
                   accounts=accounts, securities=securities,
                   as_of=date.fromisoformat(str(as_of)) if as_of else None)


@dataclass(frozen=True)
class ImportedLots:
    """Lots read from one export file."""
    file: str
    lots: pd.DataFrame            # account, symbol, lot_id, quantity, cost_basis, acquired, price, row
    account_types: dict[str, AccountType]   # account label -> type, where the file says
    cash: dict[str, float]        # account label -> cash (money-market rows of cash_symbols)
    as_of: date | None            # the export's date, where the file says
    disallowed: float = 0.0       # Schwab's Disallowed Loss column, summed (already in the basis)


def _rows(path: Path) -> list[list[str]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        text = path.read_text(encoding="latin-1")
    return list(csv.reader(io.StringIO(text)))


def is_schwab_lot_details(path: str | Path) -> bool:
    rows = _rows(Path(path))
    return bool(rows) and bool(rows[0]) and SCHWAB_TITLE.match(rows[0][0]) is not None


def read_schwab_lot_details(path: str | Path) -> ImportedLots:
    """Schwab's per-symbol "Lot Details" export: a title row ``"<SYM> Lot Details for <acct>
    as of <time> ET, MM/DD/YYYY"``, then the header (``Open Date, Quantity, Price, Cost/Share,
    Market Value, Cost Basis, Gain/Loss $, Gain/Loss %, Holding Period``, optionally
    ``Disallowed Loss``), the lots, and a ``Total`` row."""
    path = Path(path)
    rows = _rows(path)
    title = SCHWAB_TITLE.match(rows[0][0]) if rows and rows[0] else None
    if title is None:
        raise InputError(path.name, "expected a title row '<SYMBOL> Lot Details for <account> as of "
                                    "<time> ET, MM/DD/YYYY'", 1)
    header = next((k for k, r in enumerate(rows) if r and r[0].strip() == "Open Date"), None)
    if header is None:
        raise InputError(path.name, "no header row starting with 'Open Date'", 2)
    names = [c.strip() for c in rows[header]]
    for column in SCHWAB_REQUIRED_HEADER:
        if column not in names:
            raise InputError(path.name, f"missing column '{column}' in the header", header + 1, column)
    mapping = Mapping(columns=dict(SCHWAB_COLUMNS), header_row=header + 1, date_formats=("%m/%d/%Y",))
    as_of = day(title["date"], Where(path.name, 1, "title"), ("%m/%d/%Y",))
    out = _read_table(path, rows, mapping, symbol=title["symbol"].upper(), account=title["account"].strip())
    total = next((k for k in range(header + 1, len(rows))
                  if rows[k] and rows[k][0].strip().lower() == "total"), None)
    if total is not None and len(rows[total]) > 1:
        # The Total row's shares must be the lots' sum: a cut-off download is caught here.
        shares = number(rows[total][names.index("Quantity")], Where(path.name, total + 1, "Quantity"),
                        required=False)
        if shares is not None and abs(shares - out.lots["quantity"].sum()) > 1e-6 * max(1.0, shares):
            raise InputError(path.name, f"the Total row has {shares:g} shares, the lots above it "
                                        f"{out.lots['quantity'].sum():g}: is the export complete?",
                             total + 1, "Quantity")
    disallowed = 0.0
    if "Disallowed Loss" in names:
        column = names.index("Disallowed Loss")
        for r in out.lots["row"]:
            cells = rows[r - 1]
            value = number(cells[column] if column < len(cells) else "",
                           Where(path.name, int(r), "Disallowed Loss"), required=False)
            disallowed += abs(value or 0.0)
    return ImportedLots(path.name, out.lots, out.account_types, out.cash, as_of, disallowed)


def read_mapped(path: str | Path, mapping: Mapping) -> ImportedLots:
    """Any custodian's lot export (or a spreadsheet saved as CSV) through a mapping file."""
    path = Path(path)
    columns = mapping.columns
    needed = ["symbol", "quantity", "acquired"]
    if "account" not in columns and mapping.account is None:
        raise InputError(path.name, "the mapping names no account column ([columns] account) and "
                                    "no fixed account ([file] account)")
    if "cost_basis" not in columns and "cost_per_share" not in columns:
        needed.append("cost_basis")
    for f in needed:
        if f not in columns:
            raise InputError(path.name, f"the mapping names no column for '{f}' ([columns] {f} = ...)")
    out = _read_table(path, _rows(path), mapping, symbol=None, account=mapping.account)
    return ImportedLots(path.name, out.lots, out.account_types, out.cash, mapping.as_of)


def _read_table(path: Path, rows: list[list[str]], mapping: Mapping, symbol: str | None,
                account: str | None) -> ImportedLots:
    header_index = mapping.header_row - 1
    if header_index >= len(rows):
        raise InputError(path.name, f"no header at row {mapping.header_row}", mapping.header_row)
    names = [c.strip() for c in rows[header_index]]
    index = {}
    for f, column in mapping.columns.items():
        if column not in names:
            raise InputError(path.name, f"missing column '{column}' (mapped to {f}); the header "
                                        f"has {', '.join(n for n in names if n)}",
                             mapping.header_row, column)
        index[f] = names.index(column)
    records, types, cash = [], {}, {}
    seen_data = False
    for k in range(header_index + 1, len(rows)):
        cells = [c.strip() for c in rows[k]]
        row = k + 1
        if not any(cells):
            if seen_data:
                break              # the table ends at its first blank row (disclaimers follow)
            continue
        if cells[0].lower().startswith(SKIP_FIRST_CELL) or cells[0].lower() == "total":
            continue
        seen_data = True

        def cell(f):
            return cells[index[f]] if f in index and index[f] < len(cells) else ""

        def at(f):
            return Where(path.name, row, mapping.columns.get(f, f))

        sym = symbol or cell("symbol").upper()
        if not sym:
            at("symbol").fail("expected a symbol, found no value")
        label = account if "account" not in index else cell("account")
        if not label:
            at("account").fail("expected an account, found no value")
        if "account_type" in index and not is_missing(cell("account_type")):
            types[label] = account_type(cell("account_type"), at("account_type"))
        price = number(cell("price"), at("price"), required=False) if "price" in index else None
        if sym in mapping.cash_symbols:
            value = number(cell("market_value"), at("market_value"), required=False) \
                if "market_value" in index else None
            if value is None:
                value = number(cell("quantity"), at("quantity")) * (price or 1.0)
            cash[label] = cash.get(label, 0.0) + value
            continue
        quantity = number(cell("quantity"), at("quantity"))
        if quantity <= 0:
            at("quantity").fail(f"expected a positive number of shares, found {cell('quantity')} "
                                "(short positions cannot be planned)")
        basis = (number(cell("cost_basis"), at("cost_basis"), required=False)
                 if "cost_basis" in index else None)
        if basis is None and "cost_per_share" in index:
            per_share = number(cell("cost_per_share"), at("cost_per_share"), required=False)
            basis = None if per_share is None else per_share * quantity
        if basis is not None and basis < 0:
            at("cost_basis").fail(f"expected a cost basis of at least 0, found {cell('cost_basis')}")
        if price is None and "market_value" in index:
            value = number(cell("market_value"), at("market_value"), required=False)
            price = None if value is None else value / quantity
        acquired = day(cell("acquired"), at("acquired"), mapping.date_formats)
        records.append({"account": label, "symbol": sym, "lot_id": cell("lot_id"),
                        "quantity": quantity, "cost_basis": basis, "acquired": acquired.isoformat(),
                        "price": price, "file": path.name, "row": row,
                        "basis_column": mapping.columns.get("cost_basis",
                                                            mapping.columns.get("cost_per_share", ""))})
    lots = pd.DataFrame(records, columns=["account", "symbol", "lot_id", "quantity", "cost_basis",
                                          "acquired", "price", "file", "row", "basis_column"])
    return ImportedLots(path.name, lots, types, cash, None)
