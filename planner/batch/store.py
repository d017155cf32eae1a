"""Where a batch keeps its results: one Parquet part per finished run, written whole or not at
all, gathered into ``runs.parquet`` (:func:`consolidate`) and read back (:func:`read_results`)."""
from __future__ import annotations

import json
import os
import sys
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..io import atomic_parquet, atomic_write
from .runs import Run

PARTS, RUNS_FILE, TOKEN_FILE = "parts", "runs.parquet", ".batch-id"

SCHEMA = pa.schema([
    ("run_id", pa.string()), ("run_index", pa.int64()), ("household", pa.string()),
    ("household_path", pa.string()), ("settings", pa.string()), ("status", pa.string()),
    ("tax_cost", pa.float64()), ("trading_cost", pa.float64()), ("drift_penalty", pa.float64()),
    ("objective", pa.float64()), ("drift_before", pa.float64()), ("drift_after", pa.float64()),
    ("trades", pa.int64()), ("turnover", pa.float64()), ("violations", pa.int64()),
    ("gap", pa.float64()), ("seconds", pa.float64()), ("cpu_seconds", pa.float64()),
    ("build_seconds", pa.float64()), ("solve_seconds", pa.float64()), ("rebuilt", pa.bool_()), ("rebuild_reason", pa.string()),
    ("error", pa.string()), ("worker", pa.string()), ("finished_at", pa.string()),
])
COLUMNS = SCHEMA.names


def part_path(out: Path, rid: str) -> Path:
    return out / PARTS / f"{rid}.parquet"


def store(out: Path, row: dict[str, Any], trades: pd.DataFrame | None = None) -> bool:
    """Store one finished run (and its trades) unless stored already; True if written now."""
    final = part_path(out, row["run_id"])
    if final.exists():
        return False
    if trades is not None:
        atomic_parquet(pa.Table.from_pandas(trades, preserve_index=False),
                        out / "trades" / f"{row['run_id']}.parquet")
    atomic_parquet(pa.Table.from_pylist([row], schema=SCHEMA), final)
    return True


def _read_parts(out: Path, skip: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Stored parts, but those in ``skip`` (run_id → time) not written after that time.

    An unreadable part is set aside (renamed .corrupt) so that its run runs again.
    """
    folder = out / PARTS
    entries = [e for e in os.scandir(folder) if e.name.endswith(".parquet")
               and not e.name.startswith(".")] if folder.is_dir() else []
    skip = skip or {}
    tables = []
    for entry in sorted(entries, key=lambda e: e.name):
        rid = entry.name[:-len(".parquet")]
        if rid in skip and entry.stat().st_mtime < skip[rid]:
            continue
        try:
            tables.append(_conform(pq.ParquetFile(entry.path).read()))
        except Exception as error:
            print(f"planner batch: {entry.name} is unreadable ({error}); its run will run again",
                  file=sys.stderr)
            os.replace(entry.path, folder / f".{entry.name}.corrupt")
    if not tables:
        return SCHEMA.empty_table().to_pandas()
    return pa.concat_tables(tables).to_pandas()


def _conform(table: pa.Table) -> pa.Table:
    """A part in :data:`SCHEMA` (parts of an older format lack columns: nulls)."""
    if table.schema.equals(SCHEMA):
        return table
    columns = [table.column(f.name).cast(f.type) if f.name in table.column_names
               else pa.nulls(table.num_rows, f.type) for f in SCHEMA]
    return pa.Table.from_arrays(columns, schema=SCHEMA)


def read_results(out: str | Path) -> pd.DataFrame:
    """Every stored run: the parts, and rows of the last runs.parquet.

    Parts are written once per run_id, so a part already gathered into runs.parquet is not
    read again unless it is newer (rerun with ``retry_errors``): a resume costs what is new.
    A row of runs.parquet whose part is gone still counts as stored.
    """
    out = Path(out)
    old_path = out / RUNS_FILE
    old = None
    if old_path.is_file():
        try:
            old = pq.read_table(old_path).to_pandas()
            old = old[[c for c in COLUMNS if c in old.columns]]
        except Exception as error:
            print(f"planner batch: {old_path} is unreadable ({error}); rebuilding it from "
                  f"{PARTS}/", file=sys.stderr)
            old = None
    since = old_path.stat().st_mtime if old is not None else 0.0
    parts = _read_parts(out, dict.fromkeys(old["run_id"], since) if old is not None else None)
    if old is not None and len(old):
        old = old[~old["run_id"].isin(parts["run_id"])]
        parts = pd.concat([parts, old], ignore_index=True) if len(parts) else old
    return parts.drop_duplicates("run_id", keep="first").reset_index(drop=True)


def consolidate(out: str | Path, runs: Sequence[Run], keys: Sequence[str] = ()) -> pd.DataFrame:
    """Write ``runs.parquet``: the grid's stored runs in grid order, one column per key."""
    out = Path(out)
    stored = read_results(out)
    index = {r.run_id: r.index for r in runs}
    df = stored[stored["run_id"].isin(index)].copy()
    df["run_index"] = df["run_id"].map(index).astype("int64")
    df = df.sort_values("run_index").reset_index(drop=True)
    for c in ("trades", "violations"):
        df[c] = df[c].astype("Int64")
    settings = df["settings"].map(json.loads) if len(df) else pd.Series([], dtype=object)
    for key in keys:
        df[key] = [s.get(key) for s in settings]
    atomic_write(out / RUNS_FILE, lambda f: df.to_parquet(f, index=False))
    return df


def token(out: Path) -> str:
    """The results folder's random id (made once, first writer wins): a worker that reads the
    same id from the folder sees the driver's results and stores its runs itself."""
    path = out / TOKEN_FILE
    if not path.is_file():
        tmp = out / f"{TOKEN_FILE}.{os.getpid()}.tmp"
        tmp.write_text(uuid.uuid4().hex + "\n")
        try:
            os.link(tmp, path)           # first writer wins
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
    return path.read_text().strip()
