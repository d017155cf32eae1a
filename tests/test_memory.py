"""The planner's own processes stop numpy advising huge pages (planner.memory); a user's
explicit NUMPY_MADVISE_HUGEPAGE and a library caller's process are left alone. Each case runs in
a fresh process: numpy reads its switch once, at import."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "examples" / "scenario_a"
STATE = ("import os, numpy\n"
         "try:\n    from numpy._core import multiarray\nexcept ImportError:\n"
         "    from numpy.core import multiarray\n"
         "print(multiarray._get_madvise_hugepage(), os.environ.get('NUMPY_MADVISE_HUGEPAGE'))\n")


def huge_pages_after(code: str, switch: str | None = None) -> str:
    """numpy's huge-page advice and the switch's value after ``code`` ran in a fresh process."""
    env = {k: v for k, v in os.environ.items() if k != "NUMPY_MADVISE_HUGEPAGE"}
    if switch is not None:
        env["NUMPY_MADVISE_HUGEPAGE"] = switch
    run = subprocess.run([sys.executable, "-c", code + STATE], capture_output=True, text=True,
                         cwd=str(ROOT), env=env)
    assert run.returncode == 0, run.stderr
    return run.stdout.strip().splitlines()[-1]


COMMAND = ("import contextlib, io, sys\nfrom planner.cli import main\n"
           f"sys.argv = ['planner', 'evaluate', {str(SCENARIO)!r}, '--trades', "
           f"{str(SCENARIO / 'trades.csv')!r}]\n"
           "with contextlib.redirect_stdout(io.StringIO()):\n    assert main() == 0\n")


def test_a_planner_command_process_advises_no_huge_pages_and_its_children_inherit_it():
    assert huge_pages_after(COMMAND) == "False 0"


def test_the_users_own_switch_is_kept():
    assert huge_pages_after(COMMAND, switch="1") == "True 1"


def test_a_library_caller_keeps_numpys_default():
    """main(argv) is a call inside someone else's process: its memory is theirs."""
    library_call = COMMAND.replace("assert main() == 0", "assert main(sys.argv[1:]) == 0")
    default = huge_pages_after("")
    assert huge_pages_after(library_call) == default


def test_with_numpy_already_imported_the_advice_is_turned_off_at_once():
    code = "import numpy\nfrom planner.memory import use_small_pages\nuse_small_pages()\n"
    assert huge_pages_after(code) == "False 0"
