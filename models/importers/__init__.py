"""Custodian exports into a household folder (``planner import``): Schwab's per-symbol "Lot
Details" CSV, and any other lot export through a column-mapping file (TOML).

    reader.py   the export's rows -> :class:`ImportedLots` (every cell located: file, row, column)
    values.py   one cell: money, shares, dates, account-type names
    folder.py   imported lots -> the folder's CSV files, with the lots added, changed, removed
"""
from .folder import ImportChanges, import_lots
from .reader import (AccountSpec, ImportedLots, Mapping, is_schwab_lot_details, read_mapped,
                     read_schwab_lot_details)
from .values import Where, account_type

__all__ = ["AccountSpec", "ImportChanges", "ImportedLots", "Mapping", "Where", "account_type",
           "import_lots", "is_schwab_lot_details", "read_mapped", "read_schwab_lot_details"]
