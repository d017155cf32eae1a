"""Import cvxpy without scipy.stats (issue 16: the whole ``planner plan`` process).

cvxpy's ``atoms/quantum_rel_entr.py`` runs ``from scipy.stats import entropy`` at import time,
for a quantum-entropy atom the planner never builds; scipy.stats costs ~0.6 s of a ~3.9 s
``planner plan`` at 1e5 lots (``python -X importtime``), more than loading the household.
``planner/__init__`` installs :class:`_Finder` first on ``sys.meta_path``: when cvxpy itself is
imported, a stand-in ``scipy.stats`` whose ``entropy`` imports the real one on its first call
is in ``sys.modules`` for the duration of cvxpy's ``__init__`` only, then removed, so any later
``import scipy.stats`` (ours or a user's) loads the real module. Any other name asked of the
stand-in during that import loads the real module too: nothing is approximated, only deferred.
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
from types import ModuleType

_STATS = "scipy.stats"


def _real_stats() -> ModuleType:
    if isinstance(sys.modules.get(_STATS), _Stats):
        del sys.modules[_STATS]
    return importlib.import_module(_STATS)


def entropy(*args, **kwargs):
    """scipy.stats.entropy, imported when first called."""
    return _real_stats().entropy(*args, **kwargs)


class _Stats(ModuleType):
    """The stand-in: ``entropy`` here, anything else from the real scipy.stats."""

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(_real_stats(), name)


class _Loader(importlib.abc.Loader):
    def __init__(self, loader: importlib.abc.Loader):
        self.loader = loader

    def __getattr__(self, name: str):       # get_data, is_package, get_resource_reader, ...
        return getattr(self.loader, name)

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        stand_in = None
        if _STATS not in sys.modules:
            stand_in = sys.modules[_STATS] = _Stats(_STATS)
            stand_in.entropy = entropy
        try:
            self.loader.exec_module(module)
        finally:
            if stand_in is not None and sys.modules.get(_STATS) is stand_in:
                del sys.modules[_STATS]


class _Finder(importlib.abc.MetaPathFinder):
    """Wraps cvxpy's own loader once; every other import goes to the other finders."""

    def find_spec(self, name, path=None, target=None):
        if name != "cvxpy":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.loader is not None:
            spec.loader = _Loader(spec.loader)
        return spec


def install() -> None:
    if "cvxpy" not in sys.modules and not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.insert(0, _Finder())
