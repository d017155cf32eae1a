"""Backtest charts (PNG; matplotlib imported here only, when charts are asked for).

- ``wealth.png``: after-tax terminal wealth if liquidated, its distribution over paths per
  strategy (box: quartiles, whiskers: 10th-90th percentiles).
- ``tax_alpha.png``: cumulative tax alpha over time: per strategy, the median over paths of
  (after-tax wealth − the baseline's on the same path) at each year end, as a percentage of
  the starting value (not liquidated, except at the last point).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def write_charts(years: pd.DataFrame, summary: pd.DataFrame, baseline: str, out: Path) -> list[Path]:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .runner import per_path

    folder = out / "charts"
    folder.mkdir(parents=True, exist_ok=True)
    strategies = list(summary["strategy"])
    paths = per_path(years, 1.0)
    written = []

    fig, ax = plt.subplots(figsize=(max(6, 1.1 * len(strategies)), 4.5))
    data = [paths.loc[paths["strategy"] == s, "wealth_liquidated"].to_numpy() / 1e3 for s in strategies]
    ax.boxplot(data, whis=(10, 90), showfliers=False)
    ax.set_xticks(np.arange(1, len(strategies) + 1), strategies, rotation=25, ha="right")
    ax.set_ylabel("after-tax wealth, liquidated ($ thousands)")
    ax.set_title("Terminal after-tax wealth over paths (box: quartiles, whiskers: 10th-90th)")
    fig.tight_layout()
    written.append(folder / "wealth.png")
    fig.savefig(written[-1], dpi=110)
    plt.close(fig)

    wide = years.pivot_table(index=["path", "date_end"], columns="strategy", values="value_end")
    last = years.groupby(["path", "strategy"])["liquidation_tax"].last()
    start = years.groupby("path")["value_start"].first()
    if baseline in wide.columns:
        fig, ax = plt.subplots(figsize=(7.5, 4.5))
        wide = wide.copy()
        final = years.groupby("path")["date_end"].max()
        for (p, s), tax in last.items():           # the last point is liquidated
            wide.loc[(p, final[p]), s] -= tax
        diff = wide.sub(wide[baseline], axis=0).div(start.reindex(wide.index.get_level_values(0)).to_numpy(),
                                                    axis=0) * 100
        median = diff.groupby(level="date_end").median()
        x = pd.to_datetime(median.index)
        for s in strategies:
            if s != baseline and s in median:
                ax.plot(x, median[s], marker="o", ms=3, label=s)
        ax.axhline(0, color="black", lw=0.8)
        ax.set_ylabel(f"after-tax wealth minus {baseline} (% of start)")
        ax.set_title("Cumulative tax alpha over time (median over paths)")
        ax.legend(fontsize=8)
        fig.tight_layout()
        written.append(folder / "tax_alpha.png")
        fig.savefig(written[-1], dpi=110)
        plt.close(fig)
    return written
