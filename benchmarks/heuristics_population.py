"""Heuristics versus the optimizer over a seeded population of synthetic households.

    .venv/bin/python benchmarks/heuristics_population.py [--households 200] [--seed 0]

Each household is drawn with :class:`models.synthetic.SyntheticSpec` and built in memory
(``Household.from_frames``): 50-300 lots, 1-6 accounts (taxable, traditional, Roth, HSA in
turn), 2-5 asset classes, drift up to 20 pp, 5-60% of lots at a loss, recent purchases,
history (recent buys and loss sales) or none, cash flows (deposits, a withdrawal, scheduled
purchases) or none, carryovers or none, and the year's realized gains either drawn by the
generator or set: large short-term gains, large long-term gains, or net losses. Settings are
the defaults (band ±5 pp, drift penalty 10 bp per pp).

Every heuristic of :mod:`planner.heuristics` and the optimizer plan each household; the
evaluator judges every list. Per heuristic the table gives:

- ``tax_saved_median``, ``tax_saved_p90``: the tax cost the optimizer saves (heuristic's tax
  cost − optimizer's), over the households where the optimizer ends at equal or lower drift
  (heuristic ``drift_after`` ≥ optimizer's); ``comparable`` counts them;
- ``washes_loss``: share of households where the plan washes a loss (under the default
  ``wash_sale = "price"`` a priced wash, not a breach);
- ``outside_band``: share where it leaves a class outside its band;
- ``compliant``: share where its plan breaks no rule of SPEC §3 at all;
- ``ms_median``, ``ms_p90``: time to make the plan (not to evaluate it), milliseconds.

With ``--avoid`` (on by default) the optimizer also plans every household with
``wash_sale = "avoid"`` (row ``optimizer_avoid``): its ``tax_saved`` columns then give the tax
benefit of pricing washes over avoiding them, at equal or lower drift.

It writes the per-household figures and the table to ``benchmarks/results/`` (gitignored).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from models.loading import parse_toml  # noqa: E402
from models.synthetic import SyntheticSpec, generate_frames  # noqa: E402
from planner import Household  # noqa: E402
from planner import models  # noqa: E402
from planner.compare import OPTIMIZER, run_optimizer, run_strategies  # noqa: E402

AVOID = OPTIMIZER + "_avoid"

RESULTS = Path(__file__).resolve().parent / "results"
DRIFT_TOL = 1e-9


def spec_for(seed: int, k: int) -> SyntheticSpec:
    """The k-th household of the population: every knob drawn from its own seeded stream."""
    rng = np.random.default_rng([seed, k])
    lots = int(rng.integers(50, 301))
    scale = 8000.0 * lots                       # about the household's holdings (the generator's)
    realized = rng.choice(["drawn", "short_gains", "long_gains", "net_losses"], p=[.4, .2, .2, .2])
    short, long_ = {"drawn": (None, None),
                    "short_gains": (scale * rng.uniform(0.01, 0.08), scale * rng.uniform(0, 0.02)),
                    "long_gains": (scale * rng.uniform(-0.005, 0.01), scale * rng.uniform(0.02, 0.1)),
                    "net_losses": (-scale * rng.uniform(0.0, 0.03), -scale * rng.uniform(0.0, 0.03)),
                    }[str(realized)]
    return SyntheticSpec(
        lots=lots, accounts=int(rng.integers(1, 7)), securities=int(rng.integers(8, 31)),
        asset_classes=int(rng.integers(2, 6)), seed=int(rng.integers(0, 2**31)),
        drift=float(rng.uniform(0.0, 0.2)), loss_fraction=float(rng.uniform(0.05, 0.6)),
        recent_fraction=float(rng.uniform(0.0, 0.1)), history=bool(rng.random() < 0.8),
        scheduled=bool(rng.random() < 0.7), carryover=bool(rng.random() < 0.5),
        realized_short_term=None if short is None else round(float(short), 2),
        realized_long_term=None if long_ is None else round(float(long_), 2))


def household(spec: SyntheticSpec, name: str) -> Household:
    frames = generate_frames(spec)
    as_of, tax, settings = parse_toml(frames["toml"])
    optional = {k: frames[k] if len(frames[k]) else None for k in ("transactions", "cashflows")}
    return Household.from_frames(as_of=as_of, accounts=frames["accounts"],
                                 securities=frames["securities"], lots=frames["lots"],
                                 targets=frames["targets"], tax=tax, settings=settings, name=name,
                                 **optional)


def run_population(count: int, seed: int, progress: bool = True, avoid: bool = True) -> pd.DataFrame:
    """One row per household and strategy: the evaluator's figures and the planning time."""
    rows = []
    started = time.perf_counter()
    for k in range(count):
        spec = spec_for(seed, k)
        h = household(spec, f"h{k:03d}")
        results = run_strategies(h)
        if avoid:
            r = run_optimizer(h.with_settings(wash_sale=models.WashSale.AVOID))
            results.append(type(r)(AVOID, r.trades, r.evaluation, r.seconds, r.error))
        for r in results:
            ev = r.evaluation
            row = {"household": h.name, "lots": spec.lots, "accounts": spec.accounts,
                   "classes": spec.asset_classes, "strategy": r.strategy, "seconds": r.seconds,
                   "error": r.error}
            if ev is not None:
                rules = [v["rule"] for v in ev.violations]
                row.update(tax_cost=ev.tax_cost, objective=ev.objective, drift_before=ev.drift_before,
                           drift_after=ev.drift_after, trades=len(r.trades),
                           wash_sale_violations=rules.count("wash_sale"),
                           washes=len(ev.washes_frame()), disallowed=ev.disallowed,
                           permanently_disallowed=ev.permanently_disallowed,
                           band_violations=rules.count("band") + rules.count("partial_rebalance"),
                           violations=len(rules), rules=",".join(sorted(set(rules))))
            rows.append(row)
        if progress and (k + 1) % 25 == 0:
            print(f"  {k + 1}/{count} households, {time.perf_counter() - started:.0f} s",
                  file=sys.stderr, flush=True)
    return pd.DataFrame(rows)


def summarize(runs: pd.DataFrame) -> pd.DataFrame:
    """The table: one row per strategy (the optimizer last)."""
    opt = runs[runs["strategy"] == OPTIMIZER].set_index("household")
    solved = opt["tax_cost"].notna()
    out = []
    for strategy, group in runs.groupby("strategy", sort=False):
        g = group.set_index("household")
        planned = g["tax_cost"].notna()
        row = {"strategy": strategy, "households": int(planned.sum())}
        if strategy != OPTIMIZER:
            both = g.index[planned & solved.reindex(g.index, fill_value=False)]
            comparable = both[g.loc[both, "drift_after"] >= opt.loc[both, "drift_after"] - DRIFT_TOL]
            saved = g.loc[comparable, "tax_cost"] - opt.loc[comparable, "tax_cost"]
            row.update(comparable=len(comparable),
                       tax_saved_median=float(saved.median()) if len(saved) else np.nan,
                       tax_saved_p90=float(saved.quantile(0.9)) if len(saved) else np.nan)
        else:
            row.update(comparable=np.nan, tax_saved_median=np.nan, tax_saved_p90=np.nan)
        p = g[planned]
        row.update(washes_loss=float(((p["wash_sale_violations"] > 0) | (p["washes"] > 0)).mean()),
                   outside_band=float((p["band_violations"] > 0).mean()),
                   compliant=float((p["violations"] == 0).mean()),
                   ms_median=1e3 * float(g["seconds"].median()),
                   ms_p90=1e3 * float(g["seconds"].quantile(0.9)))
        out.append(row)
    return pd.DataFrame(out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(RESULTS), help="folder for the CSV files")
    parser.add_argument("--no-avoid", dest="avoid", action="store_false",
                        help='skip the optimizer under wash_sale = "avoid" (row optimizer_avoid)')
    args = parser.parse_args(argv)

    start = time.perf_counter()
    runs = run_population(args.households, args.seed, avoid=args.avoid)
    table = summarize(runs)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    runs.to_csv(out / "heuristics_population_runs.csv", index=False, float_format="%.6g")
    table.to_csv(out / "heuristics_population.csv", index=False, float_format="%.6g")

    opt = runs[runs["strategy"] == OPTIMIZER]
    print(f"{args.households} households (seed {args.seed}), "
          f"{int(runs.groupby('household')['lots'].first().sum())} lots in all, "
          f"{time.perf_counter() - start:.0f} s")
    failed = opt[opt["tax_cost"].isna()]
    if len(failed):
        reasons = failed["error"].str.slice(0, 60).value_counts()
        print(f"optimizer without a plan on {len(failed)}: " +
              "; ".join(f"{n} × {why}" for why, n in reasons.items()))
    if args.avoid:
        both = runs[runs["strategy"].isin([OPTIMIZER, AVOID])].pivot(
            index="household", columns="strategy", values="tax_cost").dropna()
        gain = both[AVOID] - both[OPTIMIZER]
        print(f"wash_sale price vs avoid on {len(both)} households: tax benefit of pricing "
              f"{gain.sum():,.0f} in all, mean {gain.mean():,.1f}, median {gain.median():,.1f}, "
              f"p90 {gain.quantile(0.9):,.1f}, better on {(gain > 0.005).sum()}, "
              f"worse on {(gain < -0.005).sum()} (tax cost alone; the objective never worse)")
    shown = table.copy()
    for column in ("washes_loss", "outside_band", "compliant"):
        shown[column] = (100 * shown[column]).map(lambda x: f"{x:.0f}%")
    print()
    print(shown.to_string(index=False, float_format=lambda x: f"{x:,.1f}", na_rep="-"))
    print(f"\ntax_saved: heuristic's tax cost − optimizer's, $, where the optimizer's drift after "
          f"is equal or lower ('comparable' households)\nwrote {out / 'heuristics_population.csv'}, "
          f"{out / 'heuristics_population_runs.csv'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
