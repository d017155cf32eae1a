"""The package as users meet it: its public API, its command line, and a notebook folder that
holds a ``models.py`` of its own."""
import subprocess
import sys
import textwrap
from pathlib import Path

import planner

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_the_public_api_stays_as_documented():
    assert set(planner.__all__) >= {"Evaluation", "Household", "InfeasiblePlan", "InputError",
                                    "PlanSettings", "PlannerError", "TaxProfile", "TradeList",
                                    "evaluate", "load_household", "plan"}
    for name in planner.__all__:
        assert hasattr(planner, name), name


def test_planner_works_from_a_folder_holding_its_own_models_py(tmp_path):
    (tmp_path / "models.py").write_text("RAISE = 'this is the user\\'s own models.py'\n")
    script = textwrap.dedent(f"""
        import models                     # the user's own module
        assert models.RAISE.startswith('this is')
        import planner
        h = planner.load_household({str(EXAMPLES / 'scenario_c')!r})
        result = planner.plan(h)
        assert result.status.value == 'optimal', result.status
        assert models.RAISE.startswith('this is')   # still the user's module
        print(len(result.trades))
    """)
    run = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert int(run.stdout.strip()) > 0


def test_planner_evaluate_imports_no_solver():
    folder = EXAMPLES / "scenario_a"
    script = ("import sys, io, contextlib; from planner.cli import main\n"
              "with contextlib.redirect_stdout(io.StringIO()):\n"
              f"    assert main(['evaluate', {str(folder)!r}, '--trades', {str(folder / 'trades.csv')!r}]) == 0\n"
              "print('cvxpy' in sys.modules, 'highspy' in sys.modules)")
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["False", "False"]
