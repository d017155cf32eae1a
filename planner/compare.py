"""Heuristics versus the optimizer, by the evaluator's yardstick (issue 4: in progress)."""
from __future__ import annotations


def add_arguments(parser) -> None:
    parser.add_argument("household")
    parser.add_argument("--out", required=True)


def run(args) -> int:
    raise NotImplementedError("planner compare is being built")
