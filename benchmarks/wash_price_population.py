"""wash_sale = "price" against "avoid" over the population of heuristics_population.py.

    .venv/bin/python benchmarks/wash_price_population.py [--households 200] [--seed 0]

The optimizer alone (no heuristics), twice per household: the tax benefit of pricing washes
(avoid's tax cost − price's, the evaluator's figures), how often price planned as avoid (more
than planner.washes.MAX_PAIRS pairs) or kept its buys out of groups it sells at a loss, and
the plan times, wall and CPU (``time.process_time``: the machine is shared). Writes
``benchmarks/results/wash_price_population.csv`` (gitignored).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pandas as pd  # noqa: E402

from benchmarks.heuristics_population import RESULTS, household, spec_for  # noqa: E402
from planner import models  # noqa: E402
from planner.optimizer import plan  # noqa: E402


def run(count: int, seed: int) -> pd.DataFrame:
    rows = []
    for k in range(count):
        spec = spec_for(seed, k)
        h = household(spec, f"h{k:03d}")
        row = {"household": h.name, "lots": spec.lots}
        for mode in (models.WashSale.PRICE, models.WashSale.AVOID):
            wall, cpu = time.perf_counter(), time.process_time()
            p = plan(h, wash_sale=mode)
            row.update({f"{mode.value}_tax_cost": p.evaluation.tax_cost,
                        f"{mode.value}_objective": p.evaluation.objective,
                        f"{mode.value}_seconds": time.perf_counter() - wall,
                        f"{mode.value}_cpu": time.process_time() - cpu,
                        f"{mode.value}_status": p.status.value})
            if mode is models.WashSale.PRICE:
                row["note"] = p.solver["wash_sale"]
        rows.append(row)
        print(f"{k} {row['lots']} lots  price {row['price_seconds']:.2f} s  "
              f"benefit {row['avoid_tax_cost'] - row['price_tax_cost']:,.0f}  {row['note']}",
              file=sys.stderr, flush=True)
    return pd.DataFrame(rows)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    runs = run(args.households, args.seed)
    RESULTS.mkdir(parents=True, exist_ok=True)
    runs.to_csv(RESULTS / "wash_price_population.csv", index=False, float_format="%.6g")
    gain = runs["avoid_tax_cost"] - runs["price_tax_cost"]
    worse = runs["price_objective"] > runs["avoid_objective"] + 0.01
    fallback = runs["note"].str.startswith("price asked, planned as avoid")
    no_own = runs["note"].str.contains("buys no group")
    print(f"{len(runs)} households (seed {args.seed}): tax benefit of price over avoid "
          f"{gain.sum():,.0f} in all, mean {gain.mean():,.0f}, median {gain.median():,.0f}, "
          f"p90 {gain.quantile(0.9):,.0f}; better on {(gain > 0.005).sum()}, worse on "
          f"{(gain < -0.005).sum()} (objective worse on {worse.sum()})")
    print(f"planned as avoid: {fallback.sum()}; priced without the plan's own buys: {no_own.sum()}")
    for mode in ("price", "avoid"):
        print(f"{mode}: plan time median {runs[f'{mode}_seconds'].median():.2f} s, max "
              f"{runs[f'{mode}_seconds'].max():.1f} s (CPU median {runs[f'{mode}_cpu'].median():.2f} s, "
              f"max {runs[f'{mode}_cpu'].max():.1f} s); not optimal: "
              f"{(runs[f'{mode}_status'] != 'optimal').sum()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
