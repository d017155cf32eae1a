"""Writing files whole or not at all, so that a kill never leaves half a file under its name.

Each helper writes under a hidden temporary name beside the target (same folder, so the same
file system) and then renames it into place: ``os.replace`` is atomic on POSIX and Windows.
"""
from __future__ import annotations

import csv
import io
import os
import shutil
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from models.errors import InputError

if TYPE_CHECKING:
    import pandas as pd
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


def check_out(out: str | Path, names: Sequence[str] = (), argument: str = "--out") -> Path:
    """Refuse an output folder that cannot take ``names`` before any work is done.

    ``out`` may not exist yet, but it may not be a file nor lie under one; each of ``names``
    already in it must be a file (a folder named ``summary.json`` would stop the write half-way).
    """
    out = Path(out)
    for parent in [out, *out.parents]:
        if parent.exists() and not parent.is_dir():
            where = "is a file" if parent == out else f"is under {parent}, which is a file"
            raise InputError(argument, f"{out} {where}; expected a folder")
        if parent.is_dir():
            break
    for name in names:
        target = out / name
        if target.is_symlink() or (target.exists() and not target.is_file()):
            raise InputError(argument, f"{target} is not a file and would not be replaced "
                                    f"by the new {name}; nothing was written")
    return out


def write_all(out: str | Path, files: Mapping[str, Callable[[IO[bytes]], Any]]) -> Path:
    """Write every file of ``files`` into ``out``, all or none.

    Each is written to a hidden temporary name beside its target and fsynced; only when every
    one is whole are they renamed into place. A failure leaves ``out`` as it was (no temporary
    file, no old file replaced) and is reported as an :class:`InputError` on ``--out``.
    """
    out = check_out(out, list(files))
    made = not out.exists()
    written: list[tuple[Path, Path]] = []
    done = False
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name, write in files.items():
            tmp = _hidden(out / name, ".tmp")
            written.append((tmp, out / name))
            with open(tmp, "wb") as f:
                write(f)
                f.flush()
                os.fsync(f.fileno())
        for tmp, target in written:
            os.replace(tmp, target)
        done = True
    except OSError as error:
        raise InputError("--out", f"cannot write {error.filename or out}: "
                                f"{error.strerror or error}; nothing was written") from None
    finally:
        if not done:
            for tmp, _ in written:
                tmp.unlink(missing_ok=True)
            if made:
                shutil.rmtree(out, ignore_errors=True)
    return out


def csv_text(frame: pd.DataFrame, float_format: str = "%.10g", chunk: int = 10_000) -> str:
    """``frame.to_csv(index=False, float_format=float_format)``'s text for a frame without
    dates (trades.csv, orders.csv), by the csv module from lists per column, ``chunk`` rows at a
    time (the lists of a whole 1e6-lot plan's trades were 50 MB of the write's peak): pandas
    formats each float through a Python lambda and a NaN test (0.4 s for 70,000 trades). The
    same rules: floats by ``float_format``, a missing value empty, a field quoted where it holds
    a comma, a quote or a line break (the csv module's minimal quoting, which pandas uses)."""
    arrays = []
    for name in frame.columns:
        column = frame[name]
        values = column.to_numpy()
        if values.dtype.kind != "f":
            values = values.astype(object)
            values[column.isna().to_numpy()] = ""
        arrays.append(values)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(frame.columns)
    for start in range(0, len(frame), chunk):
        writer.writerows(zip(*[
            ["" if v != v else float_format % v for v in values[start:start + chunk].tolist()]
            if values.dtype.kind == "f" else values[start:start + chunk].tolist()
            for values in arrays]))
    return out.getvalue()
