"""The command line: parse, call the library, format. ``main(argv) -> exit status``.

    planner evaluate HOUSEHOLD --trades FILE [--format json|table]
    planner plan HOUSEHOLD --out DIR [--report] [--set key=value ...]
    planner report HOUSEHOLD --plan DIR
    planner orders HOUSEHOLD --plan DIR
    planner import HOUSEHOLD EXPORT... [--mapping MAP.toml]
    planner frontier HOUSEHOLD --out DIR
    planner compare HOUSEHOLD --out DIR
    planner batch GRID.toml --out RESULTS
    planner generate FOLDER --lots N [--seed S]
    planner backtest HOUSEHOLD --out DIR [--years 10 --paths 100 --every quarter]

Each command is a module of this package with ``add_arguments(parser)`` and ``run(args) -> int``,
registered below by module path (as pip does) and imported only when that command runs, so
``planner --help`` and ``planner evaluate`` load no solver. :mod:`planner.cli.options` holds the
settings arguments several commands share. Library modules never import this package.
"""
from __future__ import annotations

import argparse
import gc
import importlib
import io
import os
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import NamedTuple

from models.errors import PlannerError

from ..memory import use_small_pages


class Command(NamedTuple):
    module: str        # imported when the command runs
    summary: str       # shown by ``planner --help`` without importing the module


COMMANDS = {
    "evaluate": Command("planner.cli.evaluate", "judge a trade list on a household (JSON)"),
    "plan": Command("planner.cli.plan",
                    "the optimal trade list: trades.csv, summary.json, orders.csv (+ report.html)"),
    "frontier": Command("planner.cli.frontier", "tax cost versus drift over the drift penalty"),
    "generate": Command("planner.cli.generate", "write a seeded synthetic household folder"),
    "compare": Command("planner.cli.compare", "heuristics versus the optimizer"),
    "batch": Command("planner.cli.batch", "what-if grids, resumable"),
    "report": Command("planner.cli.report", "report.html for a client from a plan folder"),
    "orders": Command("planner.cli.orders", "orders.csv for a trading desk from a plan folder"),
    "import": Command("planner.cli.importing", "build or update a household from custodian exports"),
    "backtest": Command("planner.cli.backtest", "strategies over years of simulated markets, resumable"),
}


def command_module(name: str) -> ModuleType:
    return importlib.import_module(COMMANDS[name].module)


def _parser(command: str | None) -> argparse.ArgumentParser:
    """Every command listed; only ``command``'s module imported, for its arguments."""
    parser = argparse.ArgumentParser(prog="planner", description="Tax-aware trade planner.")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, info in COMMANDS.items():
        sub = commands.add_parser(name, help=info.summary)
        if name == command:
            command_module(name).add_arguments(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """``argv`` None: the process is the command's (``planner ...``, ``python -m planner``)."""
    own_process = argv is None
    if own_process:
        use_small_pages()      # before the command's modules import numpy
    argv = list(sys.argv[1:] if argv is None else argv)
    chosen = next((a for a in argv if not a.startswith("-")), None)
    # The command's module and what it imports (pandas, say) make objects, not garbage: no
    # collections while they load (~160 passes, 0.05 s in `planner plan`); in the command's own
    # process they live as long as it, frozen where the collector never walks them again.
    collecting = gc.isenabled()
    gc.disable()
    try:
        # own_process: a command may use the whole process (another process beside it, say)
        args = _parser(chosen if chosen in COMMANDS else None).parse_args(
            argv, namespace=argparse.Namespace(own_process=own_process))
    finally:
        if own_process:
            gc.freeze()
        if collecting:
            gc.enable()
    try:
        status = command_module(args.command).run(args)
        sys.stdout.flush()     # a closed pipe shows here, not at exit
        return status
    except PlannerError as error:
        print(f"planner: error: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # ``planner evaluate ... | head``: the reader has what it wanted; end quietly, as cat does.
        _stdout_to_devnull()
        return 128 + 13    # SIGPIPE, as the shell reports it
    finally:
        if own_process:
            # The process ends next: frozen, the interpreter's last collection does not walk
            # every object of it again (0.3-0.5 CPU s after a plan)
            gc.freeze()


def _stdout_to_devnull() -> None:
    """Point stdout at /dev/null so that Python's flush at exit raises no second BrokenPipeError."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        pass   # stdout is not a file (a test's StringIO): nothing will be flushed to a pipe
