"""``planner import HOUSEHOLD FILE... [--mapping MAP.toml]``: custodian exports into a folder
(:mod:`models.importers`).

A file whose first row is Schwab's "Lot Details" title is read as such; any other needs a
column-mapping file (``--mapping``, documented in docs/household.md). The command prints the
lots added, changed and removed, and writes nothing when a row cannot be read or the household
it would make does not load.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

from models.errors import InputError
from models.importers import (AccountSpec, Mapping, Where, account_type, import_lots,
                              is_schwab_lot_details, read_mapped, read_schwab_lot_details)


def add_arguments(parser) -> None:
    parser.add_argument("household", help="household folder to build or update")
    parser.add_argument("exports", nargs="+", help="custodian export files (CSV)")
    parser.add_argument("--mapping", help="column-mapping file (TOML) for exports other than "
                                          "Schwab's Lot Details; its [accounts] and [asset_classes] "
                                          "apply to Schwab files too")
    parser.add_argument("--account", action="append", default=[], metavar="LABEL=ID[:TYPE]",
                        help="the household id (and type) of a custodian's account label, "
                             "e.g. --account 'Individual ...123=TAX:taxable'")
    parser.add_argument("--asset-class", action="append", default=[], metavar="SYMBOL=CLASS",
                        help="asset class of a security new to the household")
    parser.add_argument("--as-of", help="trade date for a new household (default: the export's date)")
    parser.add_argument("--dry-run", action="store_true", help="say what would change, write nothing")


def _pairs(items: list[str], option: str) -> list[tuple[str, str]]:
    out = []
    for item in items:
        if "=" not in item:
            raise InputError(option, f"expected KEY=VALUE, got '{item}'")
        key, value = item.rsplit("=", 1)
        out.append((key.strip(), value.strip()))
    return out


def mapping_from_args(args) -> Mapping:
    mapping = Mapping.read(args.mapping) if args.mapping else Mapping()
    accounts = dict(mapping.accounts)
    for label, value in _pairs(args.account, "--account"):
        account_id, _, kind = value.partition(":")
        where = Where("--account", None, label)
        accounts[label] = AccountSpec(account_id or None, account_type(kind, where) if kind else None,
                                      accounts.get(label, AccountSpec()).cash)
    securities = {k: dict(v) for k, v in mapping.securities.items()}
    for symbol, klass in _pairs(args.asset_class, "--asset-class"):
        securities.setdefault(symbol.upper(), {})["asset_class"] = klass
    return replace(mapping, accounts=accounts, securities=securities)


def run(args) -> int:
    mapping = mapping_from_args(args)
    imports = []
    for name in args.exports:
        path = Path(name)
        if not path.is_file():
            raise InputError(name, "export file not found")
        if is_schwab_lot_details(path):
            imports.append(read_schwab_lot_details(path))
        elif args.mapping:
            imports.append(read_mapped(path, mapping))
        else:
            raise InputError(path.name, "not a Schwab Lot Details export (its first row is not "
                                               "'<SYMBOL> Lot Details for ...'): give --mapping MAP.toml", 1)
    as_of = None
    if args.as_of:
        try:
            as_of = date.fromisoformat(args.as_of)
        except ValueError:
            raise InputError("--as-of", f"expected a date YYYY-MM-DD, got '{args.as_of}'") from None
    changes = import_lots(args.household, imports, mapping, as_of, dry_run=args.dry_run)
    print("\n".join(changes.lines()))
    disallowed = sum(i.disallowed for i in imports)
    if disallowed > 0.005:
        print(f"note: the export shows {disallowed:,.2f} of disallowed (washed) losses, already in the "
              "lots' cost basis")
    print("dry run: nothing written" if args.dry_run else "wrote " + ", ".join(changes.written))
    return 0
