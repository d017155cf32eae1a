"""Find this project's ``models`` package even where a user's own ``models.py`` shadows the name.

A notebook or script in a folder holding ``models.py`` puts that file first on ``sys.path``;
``import models`` would then load it instead of ours. ``planner/__init__`` imports this module
first. Normally our package simply is ``models``. When shadowed, it is loaded privately as
``_planner_models`` and each of its modules is also registered as ``models.<name>``, so that
planner modules import the ordinary way (``from models.household import Household``: a
submodule found in ``sys.modules`` is used without importing its parent) while the user's
``import models`` still gives the user's module.
"""
from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

_HERE = (Path(__file__).resolve().parent.parent / "models").resolve()
_PRIVATE = "_planner_models"


def _load() -> ModuleType:
    spec = importlib.util.find_spec("models")
    if spec is not None and spec.origin and Path(spec.origin).resolve().parent == _HERE:
        return importlib.import_module("models")
    if _PRIVATE in sys.modules:
        return sys.modules[_PRIVATE]
    spec = importlib.util.spec_from_file_location(_PRIVATE, _HERE / "__init__.py",
                                                  submodule_search_locations=[str(_HERE)])
    module = importlib.util.module_from_spec(spec)
    sys.modules[_PRIVATE] = module
    spec.loader.exec_module(module)
    modules = [p for p in sorted(_HERE.glob("*.py")) if p.stem != "__init__"]
    packages = [p.parent for p in sorted(_HERE.glob("*/__init__.py"))]   # models.importers
    for path in modules + packages:
        ours = importlib.import_module(f"{_PRIVATE}.{path.stem}")
        theirs = sys.modules.setdefault(f"models.{path.stem}", ours)
        if theirs is not ours:
            raise ImportError(f"a module models.{path.stem} of your own ({theirs.__file__}) hides "
                              f"the planner's {path}; rename your models package")
    return module


models = _load()
