"""Runs and tasks: a run is one household under one scenario, named by a stable id (a digest of
the household's files and the run's settings); a task is a slice of one household's runs that
one worker solves in order, reusing one program where it can."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from models.loading import OPTIONAL, REQUIRED
from .grid import Grid

FORMAT = 1                    # part of every run_id: bump when a run's meaning changes
SOLVER_THREADS = 1            # HiGHS threads per run: the parallelism is across runs


@dataclass(frozen=True)
class Run:
    run_id: str
    index: int                 # position in the grid
    household: str             # folder name
    household_path: str        # as the grid gives it (or generated:NAME)
    folder: str
    settings: str              # canonical JSON of the run's keys


@dataclass(frozen=True)
class Task:
    """Runs of one household, solved in order by one worker with one program where possible."""
    folder: str
    runs: tuple[Run, ...]
    out: str
    token: str
    reuse: bool = True
    save_trades: bool = False
    diagnose: bool = True
    threads: int = SOLVER_THREADS
    attempt: int = 1


def settings_json(settings: Mapping[str, Any]) -> str:
    return json.dumps(dict(settings), sort_keys=True, separators=(",", ":"))


def household_digest(folder: Path) -> str:
    """sha256 of the household's files (the ones the loader reads), by name and content."""
    digest = hashlib.sha256()
    if not folder.is_dir():
        digest.update(f"missing folder {folder}".encode())
        return digest.hexdigest()
    for name in REQUIRED + OPTIONAL:
        digest.update(name.encode() + b"\0")
        path = folder / name
        if not path.is_file():
            digest.update(b"<absent>\0")
            continue
        try:
            with open(path, "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    digest.update(block)
        except OSError as error:   # its runs fail on loading, each stored with the reason
            digest.update(f"<unreadable: {error.strerror}>".encode())
        digest.update(b"\0")
    return digest.hexdigest()


def run_id(household: str, digest: str, settings: str) -> str:
    """Stable id of a run: its household's name and files and its settings."""
    return hashlib.sha256(f"{FORMAT}\n{household}\n{digest}\n{settings}".encode()).hexdigest()[:16]


def plan_runs(grid: Grid, out: str | Path) -> list[Run]:
    """Every run of the grid, household by household, in grid order; duplicates once."""
    runs, seen = [], set()
    scenarios = [settings_json(s) for s in grid.scenarios()]
    for label, folder in grid.folders(out):
        name = folder.resolve().name
        digest = household_digest(folder)
        for settings in scenarios:
            rid = run_id(name, digest, settings)
            if rid in seen:
                continue
            seen.add(rid)
            runs.append(Run(rid, len(runs), name, label, str(folder), settings))
    return runs


def structure_key(settings: str) -> str:
    """The run's keys a Parameter cannot carry: runs with equal keys can share one program."""
    from ..problem import RESOLVABLE as free
    return settings_json({k: v for k, v in json.loads(settings).items() if k not in free})


def make_tasks(runs: Sequence[Run], chunk_size: int, skip: set[str], out: Path, token: str,
               **options) -> list[Task]:
    """Slices of each household's runs, ordered by structure; stored runs left out.

    The slices are cut before leaving out stored runs, so they depend on the grid alone.
    """
    by_folder: dict[str, list[Run]] = {}
    for r in runs:
        by_folder.setdefault(r.folder, []).append(r)
    tasks = []
    for folder, group in by_folder.items():
        group = sorted(group, key=lambda r: structure_key(r.settings))   # stable: grid order within
        for k in range(0, len(group), chunk_size):
            todo = tuple(r for r in group[k:k + chunk_size] if r.run_id not in skip)
            if todo:
                tasks.append(Task(folder, todo, str(out), token, **options))
    return tasks
