"""Wall and CPU seconds of each phase of one plan in one process (load, build, solve, evaluate,
write), for comparing two versions of the code on a shared machine where wall times alone
mislead: ``python benchmarks/phases.py CODE_DIR BOOK OUT`` imports the planner found at
CODE_DIR (a checkout, e.g. ``git archive main | tar -x -C /tmp/main``) and writes the plan's
trades.csv and summary.json into OUT (to compare byte for byte with the other version's)."""
import gc
import os
import sys
import time

sys.path.insert(0, sys.argv[1])
os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")   # as `planner plan` does (planner.memory),
                                                     # for either version of the code
gc.disable()                                         # as `planner plan` does in its own process
import models  # noqa: E402
import planner.judge  # noqa: E402
from planner.judge import judge  # noqa: E402
from planner.problem import PlanProblem  # noqa: E402

seconds: dict[str, tuple[float, float]] = {}


def phase(name, f):
    wall, cpu = time.perf_counter(), time.process_time()
    value = f()
    seconds[name] = (round(time.perf_counter() - wall, 2), round(time.process_time() - cpu, 2))
    return value


h = phase("load", lambda: models.load_household(sys.argv[2]))
started = time.perf_counter()
problem = phase("build", lambda: PlanProblem(h))
# As planner.optimizer.plan solves: the report's plan-independent part prepared while HiGHS
# solves the root (code before that had no prepare_report).
prepare = getattr(planner.judge, "prepare_report", None)
result = phase("solve", lambda: problem.solve(meanwhile=lambda: prepare(h)) if prepare else problem.solve())
plan = phase("evaluate", lambda: judge(problem, result, started))
phase("write", lambda: plan.write(sys.argv[3]))
print(models.__file__, "(wall s, CPU s):", seconds)
