"""Pictures where people would rather look than read: allocation before and after, and the
tax-versus-drift frontier. PNG files via matplotlib's Agg canvas, without pyplot: no global
figure state (a chart may be drawn off the main thread) and a lighter import, same bytes."""
from __future__ import annotations

from pathlib import Path
from typing import IO, TYPE_CHECKING

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

if TYPE_CHECKING:   # the frontier's table; drawing the allocation needs no pandas
    import pandas as pd


def _figure(size: tuple[float, float]) -> Figure:
    fig = Figure(figsize=size)
    FigureCanvasAgg(fig)
    return fig


def allocation_chart(drift: dict, path: str | Path | IO[bytes], title: str = "Allocation") -> Path | IO[bytes]:
    """Weights before and after against target and band, as a PNG at ``path`` (or into a file)."""
    classes = list(drift["target"])
    x = np.arange(len(classes))
    fig = _figure((max(6, 1.2 * len(classes)), 4))
    ax = fig.subplots()
    ax.bar(x - 0.2, [100 * drift["before"][c] for c in classes], 0.4, label="before")
    ax.bar(x + 0.2, [100 * drift["after"][c] for c in classes], 0.4, label="after")
    for k, c in enumerate(classes):
        t, b = 100 * drift["target"][c], 100 * drift["band"][c]
        ax.plot([k - 0.45, k + 0.45], [t, t], color="black", lw=1.5)
        ax.fill_between([k - 0.45, k + 0.45], t - b, t + b, color="grey", alpha=0.2, lw=0)
    ax.set_xticks(x, classes, rotation=20)
    ax.set_ylabel("weight (%)")
    ax.set_title(f"{title} (line: target, shade: band)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110, format="png")
    return Path(path) if isinstance(path, (str, Path)) else path


def frontier_chart(frontier: pd.DataFrame, path: str | Path | IO[bytes],
                   points: pd.DataFrame | None = None,
                   title: str = "Tax cost versus drift") -> Path | IO[bytes]:
    """The optimizer's frontier as a line; optional labelled points (e.g. heuristics), those
    with a non-empty ``rules_broken`` as red crosses labelled with the rules they break."""
    fig = _figure((7, 4.5))
    ax = fig.subplots()
    f = frontier.sort_values("drift_after")
    ax.plot(100 * f["drift_after"], f["tax_cost"], marker="o", ms=4, label="optimizer frontier")
    if points is not None:
        for _, row in points.iterrows():
            broken = str(row.get("rules_broken", "") or "")
            label = row["strategy"] + (f" (breaks {broken.replace('+', ', ')})" if broken else "")
            if broken:   # a plan that breaks a rule is not a point of the same trade-off
                ax.scatter(100 * row["drift_after"], row["tax_cost"], s=60, marker="X",
                           color="#b3261e", zorder=3)
            else:
                ax.scatter(100 * row["drift_after"], row["tax_cost"], s=40, zorder=3)
            ax.annotate(label, (100 * row["drift_after"], row["tax_cost"]),
                        textcoords="offset points", xytext=(5, 4), fontsize=8,
                        color="#b3261e" if broken else "black")
    ax.set_xlabel("drift after: sum of |weight − target| (pp)")
    ax.set_ylabel("tax cost of the plan ($)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110, format="png")
    return Path(path) if isinstance(path, (str, Path)) else path
