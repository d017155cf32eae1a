"""A batch's progress on one line of stderr: runs done of the total, rate, time left."""
from __future__ import annotations

import os
import threading
import time
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO

from models.enums import SolveStatus



class Progress:
    """done/total, rate and time left on one line of ``stream`` (stderr).

    Runs count as done when their task comes back, or earlier when :meth:`watch` sees their
    part files appear (workers store each run as it finishes).
    """

    def __init__(self, total: int, done: int, stream: TextIO | None) -> None:
        self.total, self.before, self.stream = total, done, stream
        self.returned = self.on_disk = 0      # runs of this session: from tasks, from the disk
        self.status: Counter = Counter()
        self.rebuilt = 0
        self.started = time.perf_counter()
        self._shown, self._last = 0.0, -1
        self._tty = bool(stream is not None and getattr(stream, "isatty", lambda: False)())
        self._lock = threading.Lock()
        self._stop = threading.Event()

    @property
    def done(self) -> int:
        return self.before + max(self.returned, self.on_disk)

    def advance(self, row: Mapping[str, Any] | None) -> None:
        """One more run stored (``row`` None: stored by a worker that then died)."""
        self.returned += 1
        if row is not None:
            self.status[row["status"]] += 1
            self.rebuilt += bool(row["rebuilt"])
        self.show()

    def watch(self, folder: Path, ids: set[str], every: float = 0.5) -> None:
        """Count the part files of ``ids`` in ``folder`` every ``every`` seconds until :meth:`stop`."""
        if self.stream is None:
            return

        def loop():
            while not self._stop.wait(every):
                try:
                    self.on_disk = sum(1 for e in os.scandir(folder) if e.name[:-8] in ids)
                except OSError:
                    continue
                self.show()

        threading.Thread(target=loop, name="planner-batch-progress", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()

    @property
    def rate_per_minute(self) -> float:
        elapsed = time.perf_counter() - self.started
        return 60.0 * (self.done - self.before) / elapsed if elapsed > 0 else 0.0

    def line(self) -> str:
        rate = self.rate_per_minute
        left = self.total - self.done
        eta = duration(60.0 * left / rate) if rate > 0 else "?"
        failed = self.status[SolveStatus.ERROR.value] + self.status[SolveStatus.INFEASIBLE.value]
        pct = 100.0 * self.done / self.total if self.total else 100.0
        return (f"batch {self.done}/{self.total} runs ({pct:.0f}%) · {rate:,.1f} runs/min · "
                f"{eta} left" + (f" · {failed} failed" if failed else ""))

    def show(self, final: bool = False) -> None:
        if self.stream is None:
            return
        with self._lock:
            now = time.perf_counter()
            every = 0.2 if self._tty else 10.0
            if not final and now - self._shown < every and self.done < self.total:
                return
            self._shown, text = now, self.line()
            if self._tty:
                self.stream.write("\r\033[K" + text + ("\n" if final else ""))
            elif self.done != self._last:
                self.stream.write(text + "\n")
            self._last = self.done
            self.stream.flush()


def duration(seconds: float) -> str:
    """``42s``, ``3m05s`` or ``2h07m``."""
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds // 60 % 60:02d}m"
