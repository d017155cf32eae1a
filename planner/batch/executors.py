"""Where work runs: this process, a local process pool, or a Dask cluster, behind one small
interface. Nothing here knows what the work is: an executor calls ``fn(item)`` for items it is
handed (picklable callables and items for the pool and Dask) and returns the results as they
finish. ``planner batch`` hands it tasks of runs; anything else that fans work out can too.
"""
from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from models.errors import PlannerError


class Executor:
    """``submit(fn, item)`` returns a future; ``as_completed(futures)`` yields them finished;
    :meth:`map` does both for many items. A future's ``result()`` returns ``fn(item)`` or raises
    what it raised."""
    description = "executor"
    workers = 1

    def submit(self, fn: Callable[[Any], Any], item: Any) -> Any:
        raise NotImplementedError

    def as_completed(self, futures: list) -> Iterator:
        raise NotImplementedError

    def map(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[tuple[Any, Any]]:
        """Submit ``fn(item)`` for every item; yield ``(item, future)`` as each finishes."""
        pending = {self.submit(fn, item): item for item in items}
        for future in self.as_completed(list(pending)):
            yield pending.pop(future), future

    def broken(self, error: BaseException) -> bool:
        """True when ``error`` means the workers died and :meth:`restart` may help."""
        return False

    def restart(self) -> None:
        pass

    def close(self, cancel: bool = False) -> None:
        pass


class _Deferred:
    """A future run on demand by :class:`InlineExecutor`."""

    def __init__(self, fn, item) -> None:
        self.fn, self.item, self._value, self._error = fn, item, None, None

    def run(self) -> None:
        try:
            self._value = self.fn(self.item)
        except Exception as error:
            self._error = error

    def result(self):
        if self._error is not None:
            raise self._error
        return self._value


class InlineExecutor(Executor):
    """Everything in this process, one item after another."""
    description = "this process (sequential)"

    def submit(self, fn, item):
        return _Deferred(fn, item)

    def as_completed(self, futures):
        for f in futures:
            f.run()
            yield f


class PoolExecutor(Executor):
    """A local process pool.

    On Linux the workers are forked from this process, which has imported the planner: they
    start in milliseconds and never re-import the caller's main module (a script without an
    ``if __name__ == "__main__":`` guard would otherwise run again in every worker). The pool
    forks all its workers at the first submit, before it starts its own thread. Elsewhere
    (macOS, Windows, where fork is unsafe or absent) they are spawned: guard the entry point.
    """

    def __init__(self, workers: int) -> None:
        import multiprocessing
        self.workers = workers
        self.description = f"local pool of {workers} processes"
        method = "fork" if sys.platform.startswith("linux") else "spawn"
        self._context = multiprocessing.get_context(method)
        self._start()

    def _start(self) -> None:
        from concurrent.futures import ProcessPoolExecutor
        from ..lifeline import die_with_parent   # a SIGKILLed driver leaves no orphan worker
        self._pool = ProcessPoolExecutor(self.workers, mp_context=self._context,
                                         initializer=die_with_parent, initargs=(os.getpid(),))

    def submit(self, fn, item):
        return self._pool.submit(fn, item)

    def as_completed(self, futures):
        from concurrent.futures import as_completed
        return as_completed(futures)

    def broken(self, error):
        from concurrent.futures.process import BrokenProcessPool
        return isinstance(error, BrokenProcessPool)

    def restart(self):
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._start()

    def close(self, cancel=False):
        # On an interrupt, stop the workers too: they would otherwise go on with the tasks
        # already queued to them. A run cut short leaves at most a hidden temporary file.
        workers = list((getattr(self._pool, "_processes", None) or {}).values()) if cancel else []
        self._pool.shutdown(wait=not cancel, cancel_futures=cancel)
        for process in workers:
            process.terminate()
        for process in workers:
            process.join(timeout=5)


class DaskExecutor(Executor):
    """A Dask distributed cluster: one at ``scheduler`` (an address or a Client), or a
    LocalCluster of ``local_workers`` single-threaded processes started here."""

    def __init__(self, scheduler: Any = None, local_workers: int | None = None) -> None:
        try:
            import logging

            from distributed import Client, LocalCluster
        except ImportError:
            raise PlannerError("Dask is not installed: pip install 'tax-aware-planner[dask]' "
                                      "(or run without --scheduler/--dask-local)") from None
        self._cluster, self._own_client = None, True
        if isinstance(scheduler, Client):
            self.client, self._own_client = scheduler, False
            where = "a Dask client's cluster"
        elif scheduler is not None:
            try:
                self.client = Client(scheduler, set_as_default=False, timeout=10)
            except (OSError, TimeoutError) as error:
                raise PlannerError(f"cannot reach the Dask scheduler at {scheduler}: {error}") from None
            where = f"Dask scheduler {scheduler}"
        else:
            self._cluster = LocalCluster(n_workers=local_workers, threads_per_worker=1,
                                         processes=True, dashboard_address=None,
                                         silence_logs=logging.ERROR)
            self.client = Client(self._cluster, set_as_default=False)
            where = "Dask LocalCluster"
        threads = sum(w.get("nthreads", 1) for w in self.client.scheduler_info()["workers"].values())
        self.workers = max(threads, 1)
        self.description = f"{where} ({self.workers} worker threads)"

    def submit(self, fn, item):
        return self.client.submit(fn, item, pure=False)

    def as_completed(self, futures):
        from distributed import as_completed
        return as_completed(futures, loop=self.client.loop)   # this client, not a default one

    def close(self, cancel=False):
        if self._own_client:
            self.client.close()
        if self._cluster is not None:
            self._cluster.close()


def make_executor(scheduler=None, dask_local: int | None = None, workers: int | None = None,
                  items: int | None = None) -> Executor:
    """Dask when asked (``scheduler`` or ``dask_local``), else a local pool over all cores
    (``workers`` processes, no more than ``items``), else this process when one worker or one
    item is enough."""
    if scheduler is not None or dask_local:
        return DaskExecutor(scheduler, dask_local)
    n = workers or os.cpu_count() or 1
    if items is not None:
        n = min(n, items)
    return InlineExecutor() if n <= 1 else PoolExecutor(n)
