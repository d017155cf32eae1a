"""Backtest speed: decisions per second per core for each strategy, and the wall time of the
issue's command.

    .venv/bin/python benchmarks/backtest_speed.py [--lots 200 2000] [--decisions 40] [--repeat 3] [--no-wall]

Decisions per second per core: one path of a seeded synthetic household (4 accounts, 24
securities, 4 classes), quarterly, in this process; a decision is everything the engine does on
a decision date (the day's household, the strategy's plan, the evaluator's judgement, the roll
forward), and the year ends and the final liquidation are counted in, all timed on the
process's CPU clock, so other load on the machine counts little (it still slows a core's
caches: measure on a quiet machine); the median of ``--repeat`` runs.
The wall time runs ``planner backtest examples/scenario_a --years 10 --every quarter --paths 20``
with every strategy on the local pool (all cores), into a fresh folder, and prints the CPU time
it took (its pool's processes included) and the load average around it.
"""
from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from models.synthetic import SyntheticSpec, generate_household  # noqa: E402
from planner import load_household  # noqa: E402
from planner.backtest import market as mk  # noqa: E402
from planner.backtest.engine import Engine, flow_schedule  # noqa: E402
from planner.backtest.settings import BacktestSettings  # noqa: E402
from planner.backtest.strategies import parse_strategies  # noqa: E402


def decisions_per_second(folder: Path, decisions: int, repeat: int = 3) -> list[tuple[str, int, float]]:
    h = load_household(folder)
    years = max(1, -(-decisions // 4))
    calendar = mk.Calendar.build(h.as_of, years, mk.Every.QUARTER)
    market = mk.Market()
    universe = mk.SecurityUniverse.of(h)
    prices = mk.simulate(market, universe, calendar.dates, seed=1, path=0)
    yields, qualified = mk.dividend_yields(market, universe)
    flows = flow_schedule(h, calendar, BacktestSettings())
    out = []
    for strategy in parse_strategies("all"):
        rates = []
        for _ in range(repeat):     # the median of a few runs: a run is a fraction of a second
            engine = Engine(h, calendar, prices, yields, qualified, flows, strategy)
            start = time.process_time()
            rows = engine.run()
            cpu = time.process_time() - start
            n = sum(r["decisions"] for r in rows)
            rates.append(n / cpu)
        out.append((strategy.name, n, float(np.median(rates))))
    return out


def main(argv=None) -> int:
    import planner.optimizer  # noqa: F401  (cvxpy's import is not a decision's cost)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lots", type=int, nargs="+", default=[200, 2000])
    parser.add_argument("--decisions", type=int, default=40, help="decision dates per strategy")
    parser.add_argument("--repeat", type=int, default=3, help="runs per strategy (the median is printed)")
    parser.add_argument("--no-wall", action="store_true", help="skip the 20-path command")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        for lots in args.lots:
            spec = SyntheticSpec(lots=lots, accounts=4, securities=24, asset_classes=4, seed=1)
            folder = generate_household(spec, Path(tmp) / f"h{lots}")
            print(f"\n{lots} lots: decisions per second per core (CPU clock), quarterly")
            for name, n, rate in decisions_per_second(folder, args.decisions, args.repeat):
                print(f"  {name:24s} {rate:8.1f} /s   ({n} decisions)")
        if not args.no_wall:
            command = [sys.executable, "-m", "planner", "backtest", str(ROOT / "examples" / "scenario_a"),
                       "--out", str(Path(tmp) / "wall"), "--years", "10", "--every", "quarter",
                       "--paths", "20", "--quiet", "--no-charts"]
            load = os.getloadavg()[0]
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
            wall = time.perf_counter() - start
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            print("\nwall time, planner backtest examples/scenario_a --years 10 --every quarter --paths 20, "
                  f"every strategy: {wall:.1f} s ({cpu:.1f} s of CPU, the pool's processes "
                  f"included; load average {load:.1f} -> {os.getloadavg()[0]:.1f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
