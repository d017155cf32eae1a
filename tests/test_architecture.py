"""The layering holds: library modules never import the command line (statically, anywhere in
their code, and at import time), ``planner --help`` loads no command, and the shared pieces
(executors, atomic writes) do what they promise."""
import ast
import subprocess
import sys
from pathlib import Path

import pytest

from planner.batch.executors import InlineExecutor
from planner.io import atomic_folder, atomic_write

PLANNER = Path(__file__).resolve().parent.parent / "planner"


def _library_modules() -> dict[str, Path]:
    """planner's modules outside planner.cli, by dotted name."""
    out = {}
    for path in sorted(PLANNER.rglob("*.py")):
        parts = path.relative_to(PLANNER.parent).with_suffix("").parts
        if parts[1:2] == ("cli",) or parts[-1] == "__main__":
            continue
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def _imports(name: str, path: Path) -> set[str]:
    """Every module an ``import`` anywhere in the file names (functions included), resolved."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            base = base[:len(base) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            found |= {module} | {f"{module}.{a.name}" for a in node.names}
    return found


def test_no_library_module_imports_the_command_line():
    modules = _library_modules()
    assert {"planner.compare", "planner.batch", "planner.batch.driver", "planner.io"} <= set(modules)
    offenders = {name: sorted(m for m in _imports(name, path) if m == "planner.cli"
                              or m.startswith("planner.cli."))
                 for name, path in modules.items()}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_importing_every_library_module_leaves_the_command_line_unloaded():
    names = sorted(_library_modules())
    script = (f"import importlib, sys\nfor n in {names!r}:\n    importlib.import_module(n)\n"
              "print(sorted(m for m in sys.modules if m.startswith('planner.cli')))")
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"


def test_planner_help_lists_every_command_and_imports_none_of_them():
    script = ("import sys, io, contextlib\nfrom planner.cli import main\nout = io.StringIO()\n"
              "with contextlib.redirect_stdout(out):\n"
              "    try:\n        main(['--help'])\n    except SystemExit:\n        pass\n"
              "print(out.getvalue())\n"
              "print(sorted(m for m in sys.modules if m.startswith('planner.cli.')), 'cvxpy' in sys.modules)")
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    for command in ("evaluate", "plan", "frontier", "compare", "batch", "generate"):
        assert command in run.stdout
    assert run.stdout.strip().splitlines()[-1] == "[] False"


def _square(x: int) -> int:
    if x < 0:
        raise ValueError("negative")
    return x * x


def test_an_executor_maps_any_callable_and_hands_back_each_item_with_its_outcome():
    finished = list(InlineExecutor().map(_square, [3, -1, 4]))
    assert [item for item, _ in finished] == [3, -1, 4]
    assert finished[0][1].result() == 9 and finished[2][1].result() == 16
    with pytest.raises(ValueError, match="negative"):
        finished[1][1].result()


def test_an_interrupted_atomic_write_leaves_nothing_and_keeps_the_old_file(tmp_path):
    target = tmp_path / "runs.parquet"
    atomic_write(target, lambda f: f.write(b"old"))

    def half(f):
        f.write(b"half")
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        atomic_write(target, half)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["runs.parquet"]


def test_an_atomic_folder_keeps_the_one_made_first(tmp_path):
    folder = tmp_path / "households" / "h"
    atomic_folder(folder, lambda tmp: (tmp.mkdir(), (tmp / "a").write_text("first")))
    atomic_folder(folder, lambda tmp: (tmp.mkdir(), (tmp / "a").write_text("second")))
    assert (folder / "a").read_text() == "first"
    assert [p.name for p in folder.parent.iterdir()] == ["h"]
