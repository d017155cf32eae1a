"""A command imports only what it uses (issue 16): what each command leaves in ``sys.modules``,
checked in a fresh process (not timed: the machine's load would make a timing flaky).

pandas 3 loads pyarrow itself for its default string dtype when pyarrow is installed, so
pyarrow counts against a command only where pandas building a string column does not load it.
"""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "examples" / "scenario_a"
HEAVY = ("cvxpy", "highspy", "scipy", "matplotlib", "dask", "distributed", "pyarrow", "clarabel",
         "osqp", "scs")


def loaded_by(argv: list[str]) -> set[str]:
    """Top-level packages among HEAVY that ``planner ARGV`` imports."""
    script = ("import contextlib, io, sys\nfrom planner.cli import main\n"
              "with contextlib.redirect_stdout(io.StringIO()):\n"
              "    try:\n        status = main(sys.argv[1:])\n    except SystemExit as e:\n"
              "        status = e.code\n"
              "print(status, sorted({m.split('.')[0] for m in sys.modules}))")
    run = subprocess.run([sys.executable, "-c", script, *argv], capture_output=True, text=True,
                         cwd=str(ROOT))
    assert run.returncode == 0, run.stderr
    status, modules = run.stdout.strip().splitlines()[-1].split(" ", 1)
    assert status in ("0", "None"), run.stdout
    return set(ast.literal_eval(modules)) & set(HEAVY)


def pandas_loads_pyarrow() -> bool:
    run = subprocess.run([sys.executable, "-c", "import sys, pandas as pd\npd.Series(['a'])\n"
                          "print('pyarrow' in sys.modules)"], capture_output=True, text=True)
    return run.stdout.strip() == "True"


def test_planner_help_imports_neither_pandas_nor_a_solver():
    script = ("import contextlib, io, sys\nfrom planner.cli import main\n"
              "with contextlib.redirect_stdout(io.StringIO()):\n"
              "    try:\n        main(['--help'])\n    except SystemExit:\n        pass\n"
              "print(sorted({m.split('.')[0] for m in sys.modules} & {'pandas', 'numpy', "
              + ", ".join(repr(h) for h in HEAVY) + "}))")
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=str(ROOT))
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"


def test_planner_evaluate_imports_no_solver_no_chart_no_dask():
    heavy = loaded_by(["evaluate", str(SCENARIO), "--trades", str(SCENARIO / "trades.csv")])
    allowed = {"pyarrow"} if pandas_loads_pyarrow() else set()
    assert heavy - allowed == set()


def test_planner_generate_imports_no_solver(tmp_path):
    heavy = loaded_by(["generate", str(tmp_path / "h"), "--lots", "50"])
    allowed = {"pyarrow"} if pandas_loads_pyarrow() else set()
    assert heavy - allowed == set()
