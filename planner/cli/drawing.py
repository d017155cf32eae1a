"""Where ``planner plan`` draws its allocation chart: beside the plan, not after it.

matplotlib's import and the chart's drawing (~0.5 s together, at any book size) hold the GIL,
so a thread overlaps them only with HiGHS's own run. A process of their own overlaps all of
it: started first by the command, it imports matplotlib on the second core while this process
imports the solver and plans, and draws once the plan's drift is known, while this process
writes the other files. A command that owns its process uses one (:class:`SideProcess`); a
command called as a function, or on one core, draws in its own process (:class:`InProcess`).
"""
from __future__ import annotations

import importlib
import io
import os
import pickle
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
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
    """A Python process (``python -m planner.cli.drawing``) that imports matplotlib at once,
    reads one request from its stdin and answers on its stdout, pickled: the PNG's bytes or
    the drawing's exception, raised here as it was there. If the process cannot start, dies or
    answers nothing readable, the chart is drawn here instead."""

    def __init__(self, command: list[str] | None = None) -> None:
        self._answered = False
        self._process: subprocess.Popen | None = None
        command = command or ([sys.executable, "-m", __name__] if sys.executable else None)
        if command:              # an embedded interpreter may not know its own executable
            try:
                self._process = subprocess.Popen(command, stdin=subprocess.PIPE,
                                                 stdout=subprocess.PIPE)
            except OSError:      # it cannot start: the chart is drawn here
                self._process = None

    def allocation(self, drift: dict, title: str) -> Writer:
        asked = self._ask((drift, title))

        def write(f: IO[bytes]) -> None:
            answer = self._answer() if asked else None
            if isinstance(answer, BaseException):
                raise answer
            f.write(answer if isinstance(answer, bytes) else allocation_png(drift, title))
        return write

    def _ask(self, request: tuple[dict, str]) -> bool:
        if self._process is None:
            return False
        try:
            pickle.dump(request, self._process.stdin)
            self._process.stdin.close()
            return True
        except (OSError, ValueError):       # the process has gone
            return False

    def _answer(self) -> bytes | BaseException | None:
        self._answered = True
        try:
            return pickle.load(self._process.stdout)
        except (EOFError, OSError, pickle.UnpicklingError):
            return None

    def close(self) -> None:
        """A process whose answer is not taken (the plan or a file failed first) is stopped,
        not waited for."""
        process = self._process
        if process is None:
            return
        if not self._answered:
            process.kill()
        for pipe in (process.stdin, process.stdout):
            pipe.close()
        process.wait()


def import_charts() -> None:
    importlib.import_module("planner.charts")


def allocation_png(drift: dict, title: str) -> bytes:
    """The allocation chart's PNG bytes."""
    from ..charts import allocation_chart
    buffer = io.BytesIO()
    allocation_chart(drift, buffer, title)
    return buffer.getvalue()


def _serve() -> None:
    """The side process: import, wait for the one request, answer, and end without the
    interpreter's teardown (0.2 s of freeing what matplotlib loaded, which nobody waits for)."""
    try:
        import_charts()
        failed: Exception | None = None
    except Exception as error:       # noqa: BLE001 - matplotlib missing, say: the answer
        failed = error
    try:
        drift, title = pickle.load(sys.stdin.buffer)
    except EOFError:                 # asked nothing: the plan failed
        os._exit(0)
    answer: bytes | BaseException
    try:
        answer = allocation_png(drift, title) if failed is None else failed
    except Exception as error:       # noqa: BLE001 - handed to the command, raised there
        answer = error
    try:
        data = pickle.dumps(answer)
    except Exception:                # noqa: BLE001 - an exception that does not pickle
        data = pickle.dumps(RuntimeError(f"drawing the allocation chart: {answer!r}"))
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()
    os._exit(0)


if __name__ == "__main__":
    _serve()
