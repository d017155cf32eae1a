"""Find this project's ``models`` package even where a user's own ``models.py`` shadows the name.

A notebook or script in a folder holding ``models.py`` puts that file first on ``sys.path``;
``import models`` would then load it instead of ours. The planner imports the sibling package
by its location: normally that is the ordinary ``models`` module; when shadowed, a private
copy registered as ``_planner_models``.
"""
from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path

_HERE = (Path(__file__).resolve().parent.parent / "models").resolve()


def _load():
    spec = importlib.util.find_spec("models")
    if spec is not None and spec.origin and Path(spec.origin).resolve().parent == _HERE:
        return importlib.import_module("models")
    name = "_planner_models"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, _HERE / "__init__.py",
                                                  submodule_search_locations=[str(_HERE)])
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


models = _load()
