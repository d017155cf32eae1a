"""How a command that solves starts in its own process: cvxpy imported without scipy.stats.

cvxpy imports every atom it has, and one of them (``quantum_rel_entr``) takes a function from
scipy.stats at import, for evaluating that atom numerically. scipy.stats pulls in most of SciPy
(ndimage, optimize, interpolate, integrate, spatial) and SciPy 1.17 rewrites the docstrings of
~600 functions as it loads: 0.3-0.45 s of a `planner plan` process that, at 1e5 lots, takes
about 3 s in all. The planner never builds that atom. So a command's own process imports
cvxpy with that one function standing in for scipy.stats's, which loads scipy.stats on its
first call; any other name cvxpy might ask of scipy.stats loads it at once. Only the command
line does this, for the one import; a library caller's imports are left as they are.
"""
from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from typing import Any

REAL = "scipy.stats"


class _StatsOnFirstUse(types.ModuleType):
    """scipy.stats while cvxpy imports: ``entropy`` forwards to the real one when called; any
    other attribute loads the real module and is taken from it."""

    @staticmethod
    def entropy(*args: Any, **kwargs: Any) -> Any:
        return _real().entropy(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):      # the import system's probes (``from x import y`` asks
            raise AttributeError(name)  # for __path__): answered without loading anything
        return getattr(_real(), name)


def _real() -> types.ModuleType:
    if isinstance(sys.modules.get(REAL), _StatsOnFirstUse):
        del sys.modules[REAL]
    return importlib.import_module(REAL)


def import_solver(own_process: bool) -> None:
    """Before a command imports the optimizer: in its own process, cvxpy the quick way."""
    if own_process:
        import_cvxpy()


def import_cvxpy() -> None:
    """Import cvxpy with scipy.stats deferred (nothing to do if either is imported already)."""
    if "cvxpy" in sys.modules or REAL in sys.modules:
        return
    stand_in = _StatsOnFirstUse(REAL)
    # a package still: a submodule imported meanwhile is found where the real one's are
    stand_in.__path__ = list(importlib.util.find_spec(REAL).submodule_search_locations or [])
    sys.modules[REAL] = stand_in
    try:
        importlib.import_module("cvxpy")
    finally:
        if sys.modules.get(REAL) is stand_in:
            del sys.modules[REAL]     # the next `import scipy.stats` finds the real one
