"""How a command that solves starts in its own process: cvxpy imported without the parts of
SciPy it loads for nothing the planner does.

cvxpy imports every atom it has and probes every solver interface it knows:

- one atom (``quantum_rel_entr``) takes a function from scipy.stats at import, for evaluating
  that atom numerically. scipy.stats pulls in most of SciPy (ndimage, optimize, interpolate,
  integrate, spatial) and SciPy 1.17 rewrites the docstrings of ~600 functions as it loads:
  0.3-0.45 s of a `planner plan` process that, at 1e5 lots, takes about 2 s in all;
- its SCIPY solver's probe imports scipy.optimize (linprog's helpers bring scipy.fft,
  scipy.spatial and scipy.constants, rewriting docstrings too), and five entropy-like atoms
  take functions from scipy.special for their numeric values: with both, 0.13-0.15 s more.

The planner never builds those atoms nor solves with SciPy. So a command's own process imports
cvxpy with a stand-in for each of those modules: the one function cvxpy takes forwards to the
real one, loading it on its first call; any other name asked of a stand-in loads the real
module at once. Only the command line does this, for the one import; a library caller's
imports are left as they are.
"""
from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from collections.abc import Callable
from typing import Any

# module -> the names cvxpy takes from it at import (each forwarded to the real module's)
DEFERRED: dict[str, tuple[str, ...]] = {
    "scipy.stats": ("entropy",), "scipy.optimize": (),
    "scipy.special": ("xlogy", "logsumexp", "entr", "kl_div", "rel_entr")}


class _OnFirstUse(types.ModuleType):
    """A module while cvxpy imports: its ``forwarded`` functions call the real module's; any
    other attribute loads the real module and is taken from it."""

    def __init__(self, name: str, forwarded: tuple[str, ...] = ()) -> None:
        super().__init__(name)
        for function in forwarded:
            setattr(self, function, _forwarder(name, function))
        # a package still: a submodule imported meanwhile is found where the real one's are
        spec = importlib.util.find_spec(name)
        self.__path__ = list(spec.submodule_search_locations or []) if spec else []

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):      # the import system's probes (``from x import y`` asks
            raise AttributeError(name)  # for __path__): answered without loading anything
        return getattr(_real(self.__name__), name)


def _forwarder(module: str, function: str) -> Callable[..., Any]:
    def forward(*args: Any, **kwargs: Any) -> Any:
        return getattr(_real(module), function)(*args, **kwargs)
    forward.__name__ = function
    return forward


def _real(name: str) -> types.ModuleType:
    if isinstance(sys.modules.get(name), _OnFirstUse):
        del sys.modules[name]
    return importlib.import_module(name)


def import_solver(own_process: bool) -> None:
    """Before a command imports the optimizer: in its own process, cvxpy the quick way."""
    if own_process:
        import_cvxpy()


def import_cvxpy() -> None:
    """Import cvxpy with the modules of :data:`DEFERRED` stood in for (nothing to do if cvxpy
    is imported already; a module imported already is left as it is)."""
    if "cvxpy" in sys.modules:
        return
    stand_ins = {name: _OnFirstUse(name, forwarded) for name, forwarded in DEFERRED.items()
                 if name not in sys.modules}
    sys.modules.update(stand_ins)
    try:
        importlib.import_module("cvxpy")
    finally:
        for name, stand_in in stand_ins.items():
            if sys.modules.get(name) is stand_in:
                del sys.modules[name]     # the next `import` of it finds the real one
