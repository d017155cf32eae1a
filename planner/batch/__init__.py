"""What-if batches: many households times many scenarios, fast, reproducible, safe to interrupt.

    planner batch GRID.toml --out RESULTS [--workers N | --dask-local N | --scheduler ADDRESS]

    from planner.batch import Grid, run_batch
    runs = run_batch("grid.toml", "results")          # DataFrame: one row per run

The grid
--------
A TOML file (or a :class:`Grid` built in Python)::

    households = ["households/smith", "households/lee"]   # folders, relative to the grid file

    [set]                                # optional: applied to every run
    "plan.time_limit_s" = 30

    [vary]                               # every combination is one run (cartesian product)
    "plan.band" = [0.03, 0.05]
    "tax.short_term_rate" = [0.24, 0.37]
    "plan.drift_penalty_bp" = {start = 0, stop = 50, step = 10}   # a range, stop included
    "prices.scale" = [0.8, 1.0]          # a price shock: every price times 0.8

    [[zip]]                              # optional: values that move together, one axis
    "tax.short_term_rate" = [0.24, 0.35]
    "tax.long_term_rate" = [0.15, 0.20]

    [[generate]]                         # optional: seeded synthetic households
    lots = 200                           # (models.synthetic.SyntheticSpec fields)
    seeds = [1, 2, 3]                    # one household per seed, under RESULTS/households/

    [batch]
    chunk_size = 8                       # runs per task (see "How it runs")

Keys are dotted:

- ``plan.X``: any ``[plan]`` setting (``band``, ``partial``, ``drift_penalty_bp``, ...),
  checked like ``household.toml``;
- ``tax.X``: ``short_term_rate``, ``long_term_rate``, ``deduction_rate``,
  ``carryforward_value`` (fractions), ``filing_status``; schedule mode (SPEC §2b):
  ``schedule`` (a tax year with tables, or ``"flat"`` for the flat rates), ``ordinary_income``,
  ``qualified_dividends``, ``other_investment_income``, ``itemized_deductions`` (dollars),
  ``state_rate`` and ``deferred_gain_rate`` (fractions);
- ``realized.short_term`` / ``realized.long_term``: gains realized so far this year (dollars);
- ``carryforward.short_term`` / ``carryforward.long_term``: loss carryover in (dollars, >= 0);
- ``prices.scale`` (all prices) and ``prices.CLASS`` (one asset class): price multipliers;
- ``cashflow.ACCOUNT``: a deposit (> 0) or withdrawal (< 0) on the as_of date.

Each run is identified by ``run_id``, a hash of the household folder's files and name and of
the run's settings: the same inputs give the same id on any machine, in any order.

Results
-------
``RESULTS/parts/RUN_ID.parquet`` holds one finished run each, written as the run finishes
(temporary file, fsync, atomic rename: a kill never leaves half a file under that name).
``RESULTS/runs.parquet`` gathers them (one row per run of the grid, grid order, plus one column
per varied key), rewritten when a batch starts and when it ends. Running the same command again
skips every stored run; ``--retry-errors`` reruns those that ended in ``error``.
``RESULTS/charts/`` holds tax cost versus drift per household (PNG), ``RESULTS/trades/`` the
trade lists with ``--save-trades``.

Columns: ``run_id, run_index, household, household_path, settings`` (JSON of the run's keys),
``status`` (optimal, time_limit, infeasible, error), the evaluator's ``tax_cost, trading_cost,
drift_penalty, objective, drift_before, drift_after``, ``trades, turnover, violations, gap``
(dollars), ``seconds, cpu_seconds, build_seconds, solve_seconds``, ``rebuilt`` and
``rebuild_reason`` (why the run built its program instead of reusing one), ``error, worker,
finished_at``.

How it runs
-----------
Runs are grouped by household and, within it, ordered so that runs sharing a structure are
neighbours; fixed-size slices of that order (``chunk_size``) are the tasks. A task loads its
household once and builds the optimizer's program once; a run that only changes tax rates or
the drift penalty resets cvxpy Parameters and re-solves (:meth:`PlanProblem.update`), any other
change rebuilds and says why. Tasks depend on the grid only, never on the number of workers, so
sequential, local-pool and Dask runs solve the same sequences and give identical results.

One code path, three executors with ``submit`` / ``as_completed``: this process
(``workers=1``), a local process pool over all cores (the default; HiGHS ``threads=1``), Dask
(``--dask-local N`` starts a LocalCluster, ``--scheduler ADDRESS`` joins a running one; needs
``pip install .[dask]``). Workers that see the results folder store each run themselves as it
finishes; otherwise the driver stores what a task returns. A run that fails is stored with
its error and the batch goes on; a crashed pool is restarted once.

On Linux the pool forks its workers; elsewhere it spawns them, so scripts must guard their
entry point (``if __name__ == "__main__":``), as Dask's LocalCluster always requires.

Modules
-------
``grid`` (the grid, its keys and ranges), ``scenario`` (a run's keys applied to a household),
``runs`` (runs, tasks, run ids), ``worker`` (solve a task's runs, reusing the program),
``store`` (the Parquet parts, ``runs.parquet``), ``executors`` (this process, a pool, Dask),
``progress``, ``driver`` (:func:`run_batch`, the summary), ``charts``. The command line is
:mod:`planner.cli.batch`.
"""
from .driver import run_batch, summary
from .executors import DaskExecutor, Executor, InlineExecutor, PoolExecutor, make_executor
from .grid import DEFAULT_CHUNK_SIZE, Grid, coerce_key
from .runs import Run, Task, make_tasks, plan_runs, run_id
from .scenario import apply_settings
from .store import COLUMNS, PARTS, RUNS_FILE, SCHEMA, consolidate, read_results, store
from .worker import run_task

__all__ = ["COLUMNS", "DEFAULT_CHUNK_SIZE", "DaskExecutor", "Executor", "Grid", "InlineExecutor",
           "PARTS", "PoolExecutor", "RUNS_FILE", "Run", "SCHEMA", "Task", "apply_settings",
           "coerce_key", "consolidate", "make_executor", "make_tasks", "plan_runs", "read_results",
           "run_batch", "run_id", "run_task", "store", "summary"]
