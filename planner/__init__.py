"""Deciding: the optimizer and its terms and rules, heuristics, batch runs, the command line,
reports. The household and the tax code live in ``models``."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ._models import models   # first: makes ``from models.x import y`` find this project's models
from models.errors import InfeasiblePlan, InputError, PlannerError  # noqa: E402
from models.household import Household  # noqa: E402
from models.loading import load_household  # noqa: E402
from models.settings import PlanSettings, TaxProfile  # noqa: E402
from models.trades import TradeList  # noqa: E402

from .evaluate import Evaluation, evaluate  # noqa: E402

if TYPE_CHECKING:
    from .result import Plan


def plan(household: Household, **settings: object) -> Plan:
    """The optimal trade list for a household; see :func:`planner.optimizer.plan`.

    Imported lazily so that ``import planner`` (and ``planner evaluate``) load no solver.
    """
    from .optimizer import plan as _plan
    return _plan(household, **settings)


__all__ = ["Evaluation", "Household", "InfeasiblePlan", "InputError", "PlanSettings",
           "PlannerError", "TaxProfile", "TradeList", "evaluate", "load_household", "models", "plan"]
