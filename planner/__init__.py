"""Deciding: the optimizer and its terms and rules, heuristics, batch runs, the command line,
reports. The household and the tax code live in ``models``."""
from ._models import models
from .evaluate import Evaluation, evaluate

Household = models.Household
load_household = models.load_household
PlanSettings = models.PlanSettings
TaxProfile = models.TaxProfile
TradeList = models.trades.TradeList
InputError = models.InputError
PlannerError = models.PlannerError
InfeasiblePlan = models.InfeasiblePlan



def plan(household, **settings):
    """The optimal trade list for a household; see :func:`planner.optimizer.plan`.

    Imported lazily so that ``import planner`` (and ``planner evaluate``) load no solver.
    """
    from .optimizer import plan as _plan
    return _plan(household, **settings)


__all__ = ["Evaluation", "Household", "InfeasiblePlan", "InputError", "PlanSettings",
           "PlannerError", "TaxProfile", "TradeList", "evaluate", "load_household", "models", "plan"]
