"""A word on stderr when a command's solve runs long, so a person knows it is working.

Silent for a solve under ``after_s`` seconds (the usual case); then one line every ``every_s``
seconds and one when it ends. stderr only: a command's JSON on stdout stays clean.
"""
from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

AFTER_S = 2.0
EVERY_S = 10.0


@contextmanager
def progress(label: str, after_s: float = AFTER_S, every_s: float = EVERY_S,
             stream: TextIO | None = None) -> Iterator[None]:
    """Report on ``stream`` (default stderr) while the block runs past ``after_s`` seconds."""
    stream = stream if stream is not None else sys.stderr
    done = threading.Event()
    start = time.perf_counter()
    spoke = threading.Event()

    def watch() -> None:
        wait = after_s
        while not done.wait(wait):
            print(f"planner: {label}: still working, {time.perf_counter() - start:.0f} s",
                  file=stream, flush=True)
            spoke.set()
            wait = every_s

    watcher = threading.Thread(target=watch, name="planner-progress", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        watcher.join()
        if spoke.is_set():
            print(f"planner: {label}: done in {time.perf_counter() - start:.1f} s", file=stream, flush=True)
