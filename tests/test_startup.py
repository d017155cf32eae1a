"""A command that solves imports cvxpy in its own process without scipy.stats (planner.cli.
startup): the one function cvxpy takes from it works, loading it on first call; anything else
loads it at once; a later `import scipy.stats` finds the real module. Fresh processes: each
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


def test_cvxpy_imports_without_scipy_stats_and_its_entropy_still_works():
    out = run("import sys\nfrom planner.cli.startup import import_cvxpy\nimport_cvxpy()\n"
              "print('cvxpy' in sys.modules, 'scipy.stats' in sys.modules)\n"
              "from cvxpy.atoms.quantum_rel_entr import entropy\n"
              "value = entropy([0.2, 0.8])\n"
              "import scipy.stats\n"
              "print(value == scipy.stats.entropy([0.2, 0.8]), hasattr(scipy.stats, 'norm'),\n"
              "      type(sys.modules['scipy.stats']).__name__)\n")
    assert out == ["True", "False", "True", "True", "module"]


def test_any_other_name_asked_of_the_stand_in_loads_the_real_module():
    out = run("import sys\nfrom planner.cli import startup\n"
              "stand_in = startup._StatsOnFirstUse('scipy.stats')\n"
              "sys.modules['scipy.stats'] = stand_in\n"
              "norm = stand_in.norm\n"
              "print(norm.__module__.startswith('scipy.stats'), sys.modules['scipy.stats'] is stand_in)\n")
    assert out == ["True", "False"]


def test_nothing_is_done_when_cvxpy_is_imported_already():
    out = run("import sys, cvxpy\nfrom planner.cli.startup import import_cvxpy\nimport_cvxpy()\n"
              "print('scipy.stats' in sys.modules)\n")
    assert out == ["True"]


def test_a_plan_command_process_never_loads_scipy_stats():
    """The saving holds only while nothing else of a plan asks for scipy.stats."""
    out = run("import contextlib, io, sys, tempfile\nfrom planner.cli import main\n"
              f"sys.argv = ['planner', 'plan', {str(SCENARIO)!r}, '--out', tempfile.mkdtemp()]\n"
              "with contextlib.redirect_stdout(io.StringIO()):\n    assert main() == 0\n"
              "print('cvxpy' in sys.modules, 'scipy.stats' in sys.modules)\n")
    assert out == ["True", "False"]
