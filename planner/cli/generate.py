"""``planner generate FOLDER --lots N``: write a seeded synthetic household folder."""
from __future__ import annotations

import argparse

from models.synthetic import SyntheticSpec, generate_household
from models.errors import InputError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("folder")
    parser.add_argument("--lots", type=int, default=1000)
    parser.add_argument("--accounts", type=int, default=4)
    parser.add_argument("--securities", type=int, default=50)
    parser.add_argument("--asset-classes", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)


def run(args: argparse.Namespace) -> int:
    spec = SyntheticSpec(lots=args.lots, accounts=args.accounts, securities=args.securities,
                                   asset_classes=args.asset_classes, seed=args.seed)
    try:
        spec.check()
    except ValueError as error:
        raise InputError("planner generate", str(error)) from None
    from ..io import check_out
    check_out(args.folder, argument="planner generate")
    try:
        written = generate_household(spec, args.folder)
    except OSError as error:
        raise InputError("planner generate", f"cannot write {error.filename or args.folder}: "
                         f"{error.strerror or error}") from None
    print(f"wrote {written}")
    return 0
