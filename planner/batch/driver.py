"""The driver: plan a grid's runs, leave out the stored ones, hand the rest to an executor as
tasks, store what comes back, and sum up."""
from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from models.enums import SolveStatus
from .charts import write_charts
from .executors import Executor, make_executor
from .grid import Grid
from .progress import Progress, duration
from .runs import Run, Task, make_tasks, plan_runs
from .store import PARTS, RUNS_FILE, consolidate, part_path, store, token
from .worker import describe, failed_row, run_task

MAX_ATTEMPTS = 2              # a task whose worker process died is tried once more


def run_batch(grid: Grid | str | Path, out: str | Path, scheduler: Any = None,
              dask_local: int | None = None, workers: int | None = None, progress: bool = True,
              *, chunk_size: int | None = None, reuse: bool = True, save_trades: bool = False,
              retry_errors: bool = False, diagnose: bool = True, charts: bool = True) -> pd.DataFrame:
    """Run every run of ``grid`` not yet stored in ``out``; return all of the grid's runs.

    Parameters
    ----------
    grid
        A :class:`Grid` or the path of a grid TOML file.
    out
        The results folder (created). Rerunning with the same folder resumes.
    scheduler
        Address of a running Dask scheduler (``tcp://host:8786``) or a ``distributed.Client``.
    dask_local
        Start a Dask LocalCluster of this many single-threaded worker processes.
    workers
        Size of the local process pool (default: all cores); 1 runs in this process.
    progress
        Progress and the final summary on stderr.
    chunk_size
        Runs per task (default: the grid's ``[batch] chunk_size``, 8).
    reuse
        False rebuilds the program for every run (the cold baseline of the benchmark).
    save_trades, retry_errors, diagnose, charts
        Write each run's trade list; rerun stored runs that ended in ``error``; name the
        rule an infeasible run cannot meet (extra solves); draw the frontier charts.

    Returns
    -------
    pandas.DataFrame
        ``runs.parquet``'s rows; ``attrs["summary"]`` holds the summary text.
    """
    started = time.perf_counter()
    grid = grid if isinstance(grid, Grid) else Grid.from_toml(grid)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    batch_id = token(out)
    runs = plan_runs(grid, out)
    keys = grid.keys()
    existing = consolidate(out, runs, keys)          # a resume starts from a whole runs.parquet
    stored = set(existing["run_id"])
    if retry_errors:
        failed = existing.loc[existing["status"] == SolveStatus.ERROR.value, "run_id"]
        for rid in failed:
            part_path(out, rid).unlink(missing_ok=True)
        stored -= set(failed)
    tasks = make_tasks(runs, chunk_size or grid.chunk_size, stored, out, batch_id, reuse=reuse,
                       save_trades=save_trades, diagnose=diagnose)
    todo = sum(len(t.runs) for t in tasks)
    bar = Progress(len(runs), len(runs) - todo, sys.stderr if progress else None)
    where = "nothing to run"
    interrupted = False
    if tasks:
        executor = make_executor(scheduler, dask_local, workers, len(tasks))
        where = executor.description
        if progress:
            print(f"planner batch: {len(runs)} runs, {len(runs) - todo} stored already, {todo} to "
                  f"run in {len(tasks)} tasks on {where}", file=sys.stderr)
        finished = False
        bar.watch(out / PARTS, {r.run_id for t in tasks for r in t.runs})
        try:
            _drive(executor, tasks, out, bar)
            finished = True
        except KeyboardInterrupt:
            interrupted = True
        finally:
            bar.stop()
            executor.close(cancel=not finished)
        bar.show(final=True)
    results = consolidate(out, runs, keys)
    if interrupted:
        print(f"\nplanner batch: interrupted; {len(results)} of {len(runs)} runs stored in {out}. "
              "Run the same command again to finish.", file=sys.stderr)
        raise KeyboardInterrupt
    written = write_charts(results, out) if charts else []
    text = summary(results, runs, bar, where, time.perf_counter() - started, out, written)
    results.attrs["summary"] = text
    results.attrs["charts"] = [str(p) for p in written]
    if progress:
        print(text, file=sys.stderr)
    return results


def _drive(executor: Executor, tasks: list[Task], out: Path, bar: Progress) -> None:
    """Submit every task, store what comes back, retry tasks whose worker process died once."""
    queue = list(tasks)
    while queue:
        finished = executor.map(run_task, queue)
        queue = []
        for task, future in finished:
            try:
                payload = future.result()
            except Exception as error:
                left = tuple(r for r in task.runs if not part_path(out, r.run_id).exists())
                for _ in range(len(task.runs) - len(left)):
                    bar.advance(None)              # stored by the worker before it died
                if left and executor.broken(error) and task.attempt < MAX_ATTEMPTS:
                    queue.append(replace(task, runs=left, attempt=task.attempt + 1))
                    continue
                payload = [(failed_row(r, f"the worker failed: {describe(error)}"), None) for r in left]
            for row, trades in payload:
                store(out, row, trades)
                bar.advance(row)
        if queue:
            executor.restart()


def summary(results: pd.DataFrame, runs: Sequence[Run], bar: Progress, where: str,
            seconds: float, out: Path, charts: Sequence[Path]) -> str:
    ran = bar.returned
    counts = results["status"].value_counts()
    statuses = ", ".join(f"{s} {int(counts[s])}" for s in [s.value for s in SolveStatus] if s in counts)
    lines = [f"planner batch: {len(results)} of {len(runs)} runs stored ({statuses or 'none'}); "
             f"{ran} ran now on {where} in {duration(seconds)}"
             + (f", {bar.rate_per_minute:,.1f} runs/min" if ran else "")]
    if ran:
        lines.append(f"  programs reused for {ran - bar.rebuilt} of {ran} runs (built {bar.rebuilt})")
    errors = results[results["status"] == SolveStatus.ERROR.value]
    for _, row in errors.head(5).iterrows():
        lines.append(f"  error in {row['household']} {row['settings']}: {row['error']}")
    if len(errors) > 5:
        lines.append(f"  ... and {len(errors) - 5} more errors (see the error column)")
    lines.append(f"  wrote {out / RUNS_FILE}" + (f" and {len(charts)} charts in {out / 'charts'}"
                                                  if charts else ""))
    return "\n".join(lines)
