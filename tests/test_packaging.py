"""The package as users meet it: its public API, its command line, and a notebook folder that
holds a ``models.py`` of its own."""
import subprocess
import sys
import textwrap
from pathlib import Path

import planner
from tests.helpers import EXAMPLES


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


def test_settings_take_enum_names_as_strings_from_python():
    """``TaxProfile(filing_status="married_joint")`` works as the TOML reader's enum does, and a
    misspelt name fails at once."""
    import pytest
    from planner import PlanSettings, TaxProfile, models
    tax = TaxProfile(filing_status="married_joint")
    assert tax.filing_status is models.FilingStatus.MARRIED_JOINT and tax.loss_limit == 3000.0
    assert TaxProfile(filing_status="married_separate").loss_limit == 1500.0
    assert PlanSettings(drift_shape="squared").drift_shape is models.DriftShape.SQUARED
    assert PlanSettings().drift_shape is models.DriftShape.ABSOLUTE
    with pytest.raises(ValueError, match="married_jointly"):
        TaxProfile(filing_status="married_jointly")


def test_planner_modules_import_models_by_name():
    """Go-to-definition works: planner modules say ``from models.x import y`` (found through the
    guard of planner/_models.py when a user's models.py shadows the name), not ``models.x.y``
    on the guard's module object, which only ``planner.models`` hands on to users."""
    root = Path(planner.__file__).parent
    through_guard = {str(p.relative_to(root)) for p in root.rglob("*.py")
                     if "_models import models" in p.read_text()}
    assert through_guard <= {"__init__.py"}, through_guard
