"""summary.json's text: indented for people, compact for a big plan (json's C encoder), written a
piece at a time, and the parts encoded ahead of the write (:class:`Spool`) copied in as they are.
Every way gives ``json.dumps(summary, indent=...)``'s bytes."""
from __future__ import annotations

import json
import tempfile
import weakref
from collections.abc import Iterable
from typing import IO, Any

# summary.json is indented up to this many records (sales and blocked losses), compact beyond:
# json's indenting encoder is Python (4.5 s for 99,150 sales against 0.4 s compact; 2.5 s for
# the 290,000 blocked losses of a 1e6-lot book with no trade), and every JSON reader reads the
# two the same.
COMPACT_FROM_RECORDS = 10_000
CHUNK = 10_000              # items of a long list encoded at a time
# json.dumps(value, default=str)'s encoder, made once (json.dumps makes one per call, 12,000
# calls at 1e6 lots) and without the check for cycles a summary never has (~10% of the encoding)
_COMPACT = json.JSONEncoder(default=str, check_circular=False)


def indent_for(records: int) -> int | None:
    """summary.json's indent for a summary of this many records."""
    return 2 if records <= COMPACT_FROM_RECORDS else None


def write_json(f: IO[bytes], summary: dict[str, Any], indent: int | None,
               spool: Spool | None = None, chunk: int = CHUNK) -> None:
    """``json.dumps(summary, indent=indent)`` and a newline, as UTF-8. Compact, it is written a
    piece at a time (:func:`_write_compact`), the same bytes: a 1e6-lot plan's summary is
    ~100 MB of text, which whole took the write's memory past the process's peak (h1e6:
    2,153 MB); the values ``spool`` holds are copied from it."""
    if indent is not None:
        f.write((json.dumps(summary, indent=indent, default=str) + "\n").encode())
        return
    _write_compact(f, summary, chunk, spool)
    f.write(b"\n")


def _write_compact(f: IO[bytes], value: Any, chunk: int, spool: Spool | None = None) -> None:
    """``json.dumps(value)``'s bytes: a dict key by key, a long list ``chunk`` items at a time,
    a list of records holding lists (``blocked_losses``' wash groups and their lots) record by
    record, each the same way or copied from ``spool``."""
    if spool is not None and spool.copy(value, f):
        return
    if isinstance(value, dict):
        f.write(b"{")
        for n, (key, item) in enumerate(value.items()):
            f.write(((", " if n else "") + _COMPACT.encode(key) + ": ").encode())
            if isinstance(item, list):
                _write_compact(f, item, chunk, spool)
            else:
                f.write(_COMPACT.encode(item).encode())
        f.write(b"}")
    elif isinstance(value, list) and value and isinstance(value[0], dict) and \
            any(isinstance(v, list) for v in value[0].values()):
        f.write(b"[")
        for n, item in enumerate(value):
            f.write(b", " if n else b"")
            _write_compact(f, item, chunk, spool)
        f.write(b"]")
    elif isinstance(value, list) and len(value) > chunk:
        f.write(b"[")
        for start in range(0, len(value), chunk):
            part = _COMPACT.encode(value[start:start + chunk])[1:-1]
            f.write(((", " if start else "") + part).encode())
        f.write(b"]")
    else:
        f.write(_COMPACT.encode(value).encode())


class Spool:
    """The compact JSON text of some values, encoded ahead of the write (a 1e6-lot book's
    blocked losses, ~85 MB and 0.6 CPU s, while HiGHS solves the root on the other core) and
    kept in an unnamed temporary file, not in the process's memory, whose peak is the write's.

    A value is known by identity and held while spooled; one changed after it was spooled
    must be :meth:`forget`-ten, or the file would say what it was."""

    def __init__(self, values: Iterable[Any], chunk: int = CHUNK) -> None:
        self._file = tempfile.TemporaryFile()
        weakref.finalize(self, self._file.close)     # the file goes with the spool
        self._spans: dict[int, tuple[Any, int, int]] = {}
        for value in values:
            start = self._file.tell()
            _write_compact(self._file, value, chunk)
            self._spans[id(value)] = (value, start, self._file.tell() - start)
        self._file.flush()

    @classmethod
    def of(cls, values: Iterable[Any]) -> Spool | None:
        """A spool of ``values``, or None where no temporary file can be written (the summary
        is then encoded at the write, as without a spool)."""
        try:
            return cls(values)
        except OSError:
            return None

    def forget(self, value: Any) -> None:
        self._spans.pop(id(value), None)

    def copy(self, value: Any, f: IO[bytes], piece: int = 1 << 20) -> bool:
        """Write ``value``'s spooled text into ``f``; False if it is not spooled."""
        span = self._spans.get(id(value))   # held while spooled: no other object has its id
        if span is None:
            return False
        _, start, size = span
        self._file.seek(start)
        while size > 0:
            data = self._file.read(min(size, piece))
            if not data:
                raise OSError(f"the spooled summary ended {size} bytes early")
            f.write(data)
            size -= len(data)
        return True
