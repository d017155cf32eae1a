"""The worker: solve a task's runs in order, reusing one program across runs that differ only
in what its Parameters carry, and store each run as it finishes when the results are visible."""
from __future__ import annotations

import json
import os
import socket
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from models.allocation import weights_before
from models.enums import SolveStatus
from models.errors import PlanError, PlannerError
from models.loading import load_household
from .runs import Run, Task
from .scenario import apply_settings
from .store import COLUMNS, TOKEN_FILE, store


_SEES: dict[tuple[str, str], bool] = {}


def _sees_results(out: str, token: str) -> bool:
    """True when this worker sees the driver's results folder (same machine or shared disk)."""
    if (out, token) not in _SEES:
        try:
            _SEES[(out, token)] = (Path(out) / TOKEN_FILE).read_text().strip() == token
        except OSError:
            _SEES[(out, token)] = False
    return _SEES[(out, token)]


def run_task(task: Task) -> list[tuple[dict, pd.DataFrame | None]]:
    """Solve a task's runs in order; store each as it finishes when the results are visible.

    Returns (row, trades) per run; trades only when they still need storing by the driver.
    """
    local = _sees_results(task.out, task.token)
    try:
        base, load_error = load_household(task.folder), None
    except Exception as error:      # a malformed household fails its runs, not the batch
        base, load_error = None, describe(error)
    state = _Reuse()
    out = []
    for r in task.runs:
        row, trades = _solve_run(r, base, load_error, state, task)
        if local:
            store(Path(task.out), row, trades)
            trades = None
        out.append((row, trades))
    return out


@dataclass
class _Reuse:
    """What a task keeps from run to run: the program and the shocked households' tables."""
    problem: Any = None
    tables: dict = field(default_factory=dict)
    runs: int = 0


def _blank_row(r: Run) -> dict[str, Any]:
    row = {c: None for c in COLUMNS}
    row.update(run_id=r.run_id, run_index=r.index, household=r.household,
               household_path=r.household_path, settings=r.settings, rebuilt=False,
               rebuild_reason="", error="", worker=f"{socket.gethostname()}:{os.getpid()}")
    return row


def _solve_run(r: Run, base, load_error: str | None, state: _Reuse, task: Task):
    """One run: its row (and trades when asked). Any failure becomes a row with its error."""
    started, cpu = time.perf_counter(), time.process_time()
    row, trades = _blank_row(r), None
    if load_error is not None:
        row.update(status=SolveStatus.ERROR.value, error=load_error)
    else:
        try:
            trades = _solve(r, base, state, task, row)
        except Exception as error:
            state.problem = None           # a failure may leave the program half-changed
            row.update(status=SolveStatus.ERROR.value, error=describe(error))
    state.runs += 1
    row["seconds"] = time.perf_counter() - started
    row["cpu_seconds"] = time.process_time() - cpu      # this process's CPU: wall minus waiting
    row["finished_at"] = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
    return row, trades if task.save_trades else None


def _solve(r: Run, base, state: _Reuse, task: Task, row: dict[str, Any]) -> pd.DataFrame | None:
    """Apply the run's keys, reuse or rebuild the program, solve, evaluate; fill ``row``."""
    from ..diagnose import diagnose
    from ..judge import judge
    from ..problem import PlanProblem
    h = apply_settings(base, json.loads(r.settings), state.tables)
    row["drift_before"] = float(np.abs(weights_before(h) - h.class_target).sum())
    t0 = time.perf_counter()
    problem = state.problem
    if problem is None:
        why = "first run of its task" if state.runs == 0 else "the previous run failed"
    elif not task.reuse:
        why = "reuse off"
    else:
        changed = problem.rebuild_reasons(h)
        why = f"changed {', '.join(changed)}" if changed else ""
    if why:
        state.problem = None
        problem = state.problem = PlanProblem(h)
        row.update(rebuilt=True, rebuild_reason=why)
    elif not problem.update(h):            # cannot happen: rebuild_reasons found nothing
        raise RuntimeError("PlanProblem.update refused a parameter-only change")
    row["build_seconds"] = time.perf_counter() - t0
    result = problem.solve(threads=task.threads)
    row.update(status=result.status.value, solve_seconds=result.seconds,
               gap=result.gap if np.isfinite(result.gap) else None,
               error=result.message or (f"the solver stopped with status {result.status.value} and "
                                        "no message" if result.status is SolveStatus.ERROR else ""))
    if result.status is SolveStatus.INFEASIBLE:
        row["error"] = "infeasible"
        if task.diagnose:              # name the rule that cannot be met (a few more solves)
            try:
                row["error"] = str(diagnose(h, problem.rules))
            except Exception as error:
                row["error"] = f"infeasible (diagnosis failed: {describe(error)})"
        return None
    try:
        judged = judge(problem, result, t0)
    except PlanError as error:   # no plan to judge: the status and message say why
        row["error"] = row["error"] or str(error)
        return None
    ev, trades = judged.evaluation, judged.trades
    row.update(tax_cost=ev.tax_cost, trading_cost=ev.trading_cost,
               drift_penalty=ev.drift_penalty, objective=ev.objective,
               drift_after=ev.drift_after, trades=len(trades),
               turnover=float(trades["amount"].sum()) if len(trades) else 0.0,
               violations=len(ev.violations))
    return trades


def describe(error: BaseException) -> str:
    """An error as one line of a run's row: the planner's own message, else its type too."""
    if isinstance(error, PlannerError):
        return str(error)
    return f"{type(error).__name__}: {error}"


def failed_row(r: Run, message: str) -> dict[str, Any]:
    """The row the driver stores for a run its worker could not report (the worker died)."""
    row = _blank_row(r)
    row.update(status=SolveStatus.ERROR.value, error=message, worker="driver",
               finished_at=datetime.now(timezone.utc).isoformat(timespec="milliseconds"))
    return row
