"""What-if batches (issue 6: in progress)."""
from __future__ import annotations


def add_arguments(parser) -> None:
    parser.add_argument("grid")
    parser.add_argument("--out", required=True)


def run(args) -> int:
    raise NotImplementedError("planner batch is being built")
