"""``planner report HOUSEHOLD --plan DIR [--out FILE]``: report.html for the client from a saved
plan (:mod:`planner.html_report`)."""
from __future__ import annotations

import argparse

from models.loading import load_household


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("household", help="household folder (SPEC §1)")
    parser.add_argument("--plan", required=True, help="plan folder written by `planner plan --out DIR`")
    parser.add_argument("--out", help="report file (default: DIR/report.html)")
    parser.add_argument("--no-guide", action="store_true",
                        help="leave out the comparison with the guide's rules (it runs a heuristic)")


def run(args: argparse.Namespace) -> int:
    from ..html_report import write_report
    from ..progress import progress
    household = load_household(args.household)
    with progress("writing report.html"):
        path = write_report(household, args.plan, args.out, compare_with_guide=not args.no_guide)
    print(f"wrote {path}")
    return 0
