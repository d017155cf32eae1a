"""Where ``planner plan`` draws its allocation chart: beside the plan, not after it.

matplotlib's import and the chart's drawing (~0.5 s together, at any book size) hold the GIL,
so a thread overlaps them only with HiGHS's own run. A process of their own overlaps all of
it: started with the command, it imports matplotlib on the second core while this process
imports the solver and plans, and draws once the plan's drift is known, while this process
writes the other files. A command that owns its process uses one (:class:`SideProcess`); a
command called as a function, or on one core, draws in its own process (:class:`InProcess`).
"""
from __future__ import annotations

import importlib
import io
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import IO, Protocol

Writer = Callable[[IO[bytes]], object]


class Drawer(Protocol):
    def allocation(self, drift: dict, title: str) -> Writer:
        """Start drawing the allocation chart; the writer puts its PNG into a file."""

    def close(self) -> None: ...


def drawer(own_process: bool) -> Drawer:
    return SideProcess() if own_process and (os.cpu_count() or 1) > 1 else InProcess()


class InProcess:
    """matplotlib imported on a worker thread while HiGHS runs (it releases the GIL); the chart
    drawn here. An error in the import is raised when the chart is drawn, as if in line."""

    def __init__(self) -> None:
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="planner-import")
        self._charts = self._thread.submit(importlib.import_module, "planner.charts")

    def allocation(self, drift: dict, title: str) -> Writer:
        chart = self._charts.result().allocation_chart
        return lambda f: chart(drift, f, title)

    def close(self) -> None:
        self._thread.shutdown(wait=True)


class SideProcess:
    """One spawned process (a fresh interpreter on every platform) that imports matplotlib at
    once and draws on request. If it cannot start or dies, the chart is drawn here instead; an
    error of the drawing itself (say, matplotlib missing) is raised here as it was there."""

    def __init__(self) -> None:
        self._pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
        self._pool.submit(import_charts).add_done_callback(_forget)

    def allocation(self, drift: dict, title: str) -> Writer:
        try:
            png: Future[bytes] | None = self._pool.submit(allocation_png, drift, title)
        except (BrokenProcessPool, OSError, RuntimeError):
            png = None

        def write(f: IO[bytes]) -> None:
            try:
                data = png.result() if png is not None else None
            except BrokenProcessPool:
                data = None
            f.write(data if data is not None else allocation_png(drift, title))
        return write

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def import_charts() -> None:
    importlib.import_module("planner.charts")


def allocation_png(drift: dict, title: str) -> bytes:
    """The allocation chart's PNG bytes (run in the side process)."""
    from ..charts import allocation_chart
    buffer = io.BytesIO()
    allocation_chart(drift, buffer, title)
    return buffer.getvalue()


def _forget(future: Future) -> None:
    """The warm-up import's outcome is not needed: a failed import fails the drawing again."""
    future.exception()
