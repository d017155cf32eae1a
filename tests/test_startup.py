"""A command that solves imports cvxpy in its own process without scipy.stats and scipy.optimize
(planner.cli.startup): the one function cvxpy takes from them works, loading it on first call;
anything else loads it at once; a later import finds the real module. Fresh processes: each
case depends on what the process has imported."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "examples" / "scenario_a"


def run(code: str) -> list[str]:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=str(ROOT))
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def after_import(code: str) -> list[str]:
    """``code``'s printed words, run in a fresh process right after cvxpy's quick import."""
    return run("import sys\nfrom planner.cli.startup import import_cvxpy\nimport_cvxpy()\n" + code)


def test_cvxpy_imports_without_scipy_stats_and_its_entropy_still_works():
    out = after_import(
              "print('cvxpy' in sys.modules, 'scipy.stats' in sys.modules, 'scipy.optimize' in sys.modules)\n"
              "from cvxpy.atoms.quantum_rel_entr import entropy\n"
              "value = entropy([0.2, 0.8])\n"
              "import scipy.stats\n"
              "print(value == scipy.stats.entropy([0.2, 0.8]), hasattr(scipy.stats, 'norm'),\n"
              "      type(sys.modules['scipy.stats']).__name__)\n")
    assert out == ["True", "False", "False", "True", "True", "module"]


def test_cvxpy_still_knows_its_scipy_solver_and_scipy_optimize_loads_for_real():
    out = after_import(
              "from cvxpy.reductions.solvers.defines import INSTALLED_SOLVERS\n"
              "print('scipy.optimize' in sys.modules, 'SCIPY' in INSTALLED_SOLVERS)\n"
              "from scipy import optimize\n"
              "print(optimize.linprog([1.0], bounds=[(2.0, 3.0)]).x[0], type(optimize).__name__)\n")
    assert out == ["False", "True", "2.0", "module"]


def test_any_other_name_asked_of_the_stand_in_loads_the_real_module():
    out = run("import sys\nfrom planner.cli import startup\n"
              "stand_in = startup._OnFirstUse('scipy.stats')\n"
              "sys.modules['scipy.stats'] = stand_in\n"
              "norm = stand_in.norm\n"
              "print(norm.__module__.startswith('scipy.stats'), sys.modules['scipy.stats'] is stand_in)\n")
    assert out == ["True", "False"]


def test_nothing_is_done_when_cvxpy_is_imported_already():
    out = run("import sys, cvxpy\nfrom planner.cli.startup import import_cvxpy\nimport_cvxpy()\n"
              "print('scipy.stats' in sys.modules)\n")
    assert out == ["True"]


def test_a_plan_command_process_never_loads_the_deferred_modules():
    """The saving holds only while nothing else of a plan asks for those modules."""
    out = run("import contextlib, io, sys, tempfile\nfrom planner.cli import main, startup\n"
              f"sys.argv = ['planner', 'plan', {str(SCENARIO)!r}, '--out', tempfile.mkdtemp()]\n"
              "with contextlib.redirect_stdout(io.StringIO()):\n    assert main() == 0\n"
              "print('cvxpy' in sys.modules, *(name in sys.modules for name in startup.DEFERRED))\n")
    assert out == ["True", "False", "False", "False"]


def test_the_atoms_taking_scipy_special_functions_still_evaluate():
    out = after_import(
              "print('scipy.special' in sys.modules)\n"
              "import numpy as np, cvxpy as cp, scipy.special as sc\n"
              "x, y = np.array([0.25, 0.5]), np.array([0.5, 0.25])\n"
              "print(np.allclose(cp.entr(x).value, sc.entr(x)),\n"
              "      np.allclose(cp.kl_div(x, y).value, sc.kl_div(x, y)),\n"
              "      np.allclose(cp.rel_entr(x, y).value, sc.rel_entr(x, y)),\n"
              "      np.isclose(cp.log_sum_exp(x).value, sc.logsumexp(x)))\n")
    assert out == ["False", "True", "True", "True", "True"]
