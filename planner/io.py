"""Writing files whole or not at all, so that a kill never leaves half a file under its name.

Each helper writes under a hidden temporary name beside the target (same folder, so the same
file system) and then renames it into place: ``os.replace`` is atomic on POSIX and Windows.
"""
from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa


def _hidden(path: Path, suffix: str = "") -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}{suffix}")


def atomic_write(path: str | Path, write: Callable[[IO[bytes]], Any]) -> Path:
    """Call ``write(file)`` on a temporary file, fsync it, rename it to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _hidden(path, ".tmp")
    try:
        with open(tmp, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def atomic_parquet(table: "pa.Table", path: str | Path) -> Path:
    """:func:`atomic_write` of an Arrow table as Parquet."""
    import pyarrow.parquet as pq   # here, not at import: a plan's writes need no pyarrow
    return atomic_write(path, lambda f: pq.write_table(table, f))


def atomic_folder(folder: str | Path, fill: Callable[[Path], Any]) -> Path:
    """Make ``folder`` whole or not at all: ``fill(tmp)`` writes a temporary folder, which is then
    renamed to ``folder``. Where ``folder`` already exists (another process made it first) the
    one there is kept and the temporary folder removed."""
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = _hidden(folder)
    try:
        fill(tmp)
        os.replace(tmp, folder)
    except OSError:
        if not folder.is_dir():
            raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return folder
