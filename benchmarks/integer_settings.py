"""Integer settings benchmark (issue 11 point 6, issue 15 "Time limits"): whole shares and a
minimum trade size on synthetic households, and how well a time limit is kept.

    .venv/bin/python benchmarks/integer_settings.py            # the cases below
    .venv/bin/python benchmarks/integer_settings.py --quick    # 1,000 lots only

Cases (households from ``models.synthetic``, seeded, generated under benchmarks/results/):

- 1,000 lots (seeds 0-4), whole shares with a $500 and a $1,000 minimum, the default 60 s
  limit: the target is a plan proven within the default gap in under 2 s;
- 20,000 lots (``planner generate G --lots 20000 --seed 3``), whole shares and a $1,000
  minimum, with ``time_limit_s`` 1.5 and 60: the plan (or "no plan found") must come back
  within 10% of the limit plus a second.

Each run is a fresh process; the time is ``plan()``'s wall time (the build counts against
the limit; loading the folder does not) and the process's own. The load average is printed:
on a shared machine read the times with it.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results" / "integer"

CHILD = r"""
import json, sys, time
from planner import models
from planner.optimizer import plan
h = models.load_household(sys.argv[1])
settings = json.loads(sys.argv[2])
start = time.perf_counter()
try:
    p = plan(h, **settings)
    out = {"status": p.status.value, "gap": p.gap, "objective": p.objective,
           "method": p.solver.get("method"), "violations": len(p.evaluation.violations),
           "trades": len(p.trades), "seconds": p.seconds}
except models.PlannerError as error:
    out = {"status": "error", "message": str(error)}
out["wall"] = time.perf_counter() - start
print(json.dumps(out))
"""


def household(lots: int, seed: int) -> Path:
    folder = RESULTS / f"g{lots}_s{seed}"
    if not (folder / "household.toml").exists():
        sys.path.insert(0, str(ROOT))
        from models import synthetic
        synthetic.generate_household(synthetic.SyntheticSpec(lots=lots, seed=seed), folder)
    return folder


def run(folder: Path, settings: dict) -> dict:
    done = subprocess.run([sys.executable, "-c", CHILD, str(folder), json.dumps(settings)],
                          capture_output=True, text=True, cwd=ROOT)
    if done.returncode:
        return {"status": "crash", "message": done.stderr.strip().splitlines()[-1:]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 lots only")
    args = parser.parse_args(argv)
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    rows = []
    for seed in range(5):
        for minimum in (500.0, 1000.0):
            settings = {"whole_shares": True, "min_trade_usd": minimum}
            rows.append((f"1e3 seed {seed} min {minimum:g}", 60.0, run(household(1000, seed), settings)))
    if not args.quick:
        big = household(20_000, 3)
        for limit in (1.5, 60.0):
            settings = {"whole_shares": True, "min_trade_usd": 1000.0, "time_limit_s": limit}
            rows.append((f"2e4 seed 3 limit {limit:g}", limit, run(big, settings)))
    print(f"{'case':28} {'status':10} {'gap':>10} {'wall s':>7} {'promise':>8} {'method':10} trades")
    for name, limit, r in rows:
        promise = 1.1 * limit + 1.0
        kept = "ok" if r.get("wall", promise + 1) <= promise else "LATE"
        print(f"{name:28} {r['status']:10} {r.get('gap', float('nan')):10.2f} "
              f"{r.get('wall', float('nan')):7.2f} {kept:>8} {str(r.get('method', '')):10} "
              f"{r.get('trades', '')} {r.get('message', '')}")
    small = [r["wall"] for name, _, r in rows if name.startswith("1e3") and "wall" in r]
    if small:
        print(f"1,000 lots: median {sorted(small)[len(small) // 2]:.2f} s, max {max(small):.2f} s "
              f"(target: under 2 s)")
    return 0


if __name__ == "__main__":
    started = time.perf_counter()
    status = main()
    print(f"benchmark ran {time.perf_counter() - started:.0f} s")
    sys.exit(status)
