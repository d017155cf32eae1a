"""Arguments several commands share: the ``[plan]`` settings overrides and the household they
apply to; the options of orders.csv (``plan`` and ``orders`` write it)."""
from __future__ import annotations

import argparse

from models import schema
from models.errors import InputError
from models.household import Household
from models.loading import coerce_setting, load_household
from models.settings import PlanSettings


def add_settings_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a [plan] setting, e.g. --set band=0.03 --set partial=0.5")
    parser.add_argument("--band", type=float, help="absolute band around each class target")
    parser.add_argument("--partial", type=float, help="fraction of each out-of-band gap to close")
    parser.add_argument("--drift-penalty-bp", type=float, help="bp of household value per pp of drift")
    parser.add_argument("--time-limit", type=float, help="solver time limit, seconds")


def add_frontier_arguments(parser: argparse.ArgumentParser, files: str) -> None:
    """The household, ``--out`` and ``--penalties``: what ``frontier`` and ``compare`` share."""
    parser.add_argument("household", help="household folder (docs/household.md)")
    parser.add_argument("--out", required=True, help=f"folder for {files}")
    parser.add_argument("--penalties", help="drift penalties of the frontier, bp per pp, comma-separated")
    add_settings_arguments(parser)


def settings(args: argparse.Namespace) -> dict:
    """The --set and shortcut overrides, checked like household.toml's [plan]."""
    raw = {}
    for item in args.set:
        if "=" not in item:
            raise InputError("--set", f"expected KEY=VALUE, got '{item}'")
        key, value = item.split("=", 1)
        raw[key.strip()] = value.strip()
    for key, attr in (("band", "band"), ("partial", "partial"),
                      ("drift_penalty_bp", "drift_penalty_bp"), ("time_limit_s", "time_limit")):
        if getattr(args, attr, None) is not None:
            raw[key] = getattr(args, attr)
    known = PlanSettings.field_names()
    out = {}
    for key, value in raw.items():
        if key not in known:
            raise InputError("--set", f"unknown setting '{key}'; expected one of {', '.join(known)}")

        def fail(message, key=key):
            raise InputError("--set", message, column=key)

        out[key] = coerce_setting(key, value, fail)
    return out


def household_from_args(args: argparse.Namespace) -> Household:
    """The household folder of ``args.household`` with the settings overrides applied."""
    return households_from_args(args)[1]


def households_from_args(args: argparse.Namespace) -> tuple[Household, Household]:
    """The household as its folder says, and with the settings overrides applied."""
    household = load_household(args.household)
    overrides = settings(args)
    return household, household.with_settings(**overrides) if overrides else household


def set_words(base: PlanSettings, used: PlanSettings) -> list[str]:
    """The ``--set KEY=VALUE`` words that turn ``base`` (household.toml's settings) into
    ``used``: what ``planner evaluate`` must be given to judge a plan by its own settings."""
    words = []
    for key in schema.KEYS:
        if key.section != "plan" or getattr(base, key.target) == getattr(used, key.target):
            continue
        value = getattr(used, key.target)
        if value is None:
            text = "none"
        elif isinstance(value, bool):
            text = str(value).lower()
        else:
            text = str(getattr(value, "value", value))
        words.append(f"{key.name}={text}")
    return words


def add_order_arguments(parser: argparse.ArgumentParser) -> None:
    from ..orders import OrderType, TimeInForce
    from ..numbers import SHARE_DECIMALS
    parser.add_argument("--order-type", choices=[o.value for o in OrderType], default=OrderType.MARKET.value,
                        help="orders.csv order type (default market)")
    parser.add_argument("--time-in-force", choices=[t.value for t in TimeInForce],
                        default=TimeInForce.DAY.value, help="orders.csv time in force (default day)")
    parser.add_argument("--share-decimals", type=int, default=SHARE_DECIMALS,
                        help=f"shares in orders.csv to this many places (default {SHARE_DECIMALS})")


def plan_orders_writer(household, trades, args: argparse.Namespace):
    """orders.csv among the plan's files (:func:`planner.io.write_all`); whole shares (``535``,
    no decimals) when the plan was made with ``whole_shares``."""
    from ..orders import OrderType, TimeInForce, orders, orders_text
    decimals = 0 if household.settings.whole_shares else args.share_decimals
    frame = orders(household, trades, OrderType(args.order_type), TimeInForce(args.time_in_force), decimals)
    text = orders_text(frame, decimals)
    return lambda f: f.write(text.encode("utf-8"))
