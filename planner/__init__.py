"""Deciding: the optimizer and its terms and rules, heuristics, batch runs, the command line,
reports. The household and the tax code live in ``models``.

The household types and the evaluator are imported when first used (PEP 562), so that
``planner --help`` loads neither pandas nor a solver; ``from planner import evaluate`` works
as before.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from ._models import models   # first: makes ``from models.x import y`` find this project's models
from models.errors import InfeasiblePlan, InputError, PlannerError  # noqa: E402

if TYPE_CHECKING:
    from models.household import Household
    from models.loading import load_household
    from models.settings import PlanSettings, TaxProfile
    from models.trades import TradeList

    from .evaluate import Evaluation, evaluate
    from .result import Plan

_LAZY = {"Household": "models.household", "load_household": "models.loading",
         "PlanSettings": "models.settings", "TaxProfile": "models.settings",
         "TradeList": "models.trades", "Evaluation": f"{__name__}.evaluate",
         "evaluate": f"{__name__}.evaluate"}


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = globals()[name] = getattr(importlib.import_module(_LAZY[name]), name)
    return value


def plan(household: Household, **settings: object) -> Plan:
    """The optimal trade list for a household; see :func:`planner.optimizer.plan`.

    Imported lazily so that ``import planner`` (and ``planner evaluate``) load no solver.
    """
    from .optimizer import plan as _plan
    return _plan(household, **settings)


__all__ = ["Evaluation", "Household", "InfeasiblePlan", "InputError", "PlanSettings",
           "PlannerError", "TaxProfile", "TradeList", "evaluate", "load_household", "models", "plan"]
