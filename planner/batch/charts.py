"""A batch's pictures: tax cost versus drift per household, PNG files under ``RESULTS/charts``."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from models.enums import SolveStatus
from .runs import settings_json

MAX_CHARTS = 200


def write_charts(results: pd.DataFrame, out: Path) -> list[Path]:
    """Tax cost versus drift per household (PNG in ``out/charts``).

    Where ``plan.drift_penalty_bp`` varies, one chart per household and combination of the
    other keys: the frontier the penalty traces. Otherwise one chart per household of its
    efficient runs (no other run has both less drift and less tax).
    """
    from ..charts import frontier_chart
    ok = results[results["status"].isin([SolveStatus.OPTIMAL.value, SolveStatus.TIME_LIMIT.value])
                 & results["tax_cost"].notna() & results["drift_after"].notna()]
    folder = out / "charts"
    written: list[Path] = []
    index = []
    penalty = "plan.drift_penalty_bp"
    for path, rows in ok.groupby("household_path", sort=False):
        name = _safe(rows["household"].iloc[0] if path.startswith("generated:") else path)
        settings = rows["settings"].map(json.loads)
        varies = settings.map(lambda s: s.get(penalty)).nunique(dropna=False) > 1
        if varies:
            others = settings.map(lambda s: settings_json({k: v for k, v in s.items() if k != penalty}))
            groups = list(rows.groupby(others, sort=False))
        else:
            groups = [("", _efficient(rows))]
        for k, (other, group) in enumerate(groups):
            if len(written) >= MAX_CHARTS:
                break
            file = folder / (f"{name}.png" if len(groups) == 1 else f"{name}-{k + 1:03d}.png")
            what = "drift penalty sweep" if varies else "efficient runs"
            label = f" {_short(other)}" if other and other != "{}" else ""
            folder.mkdir(parents=True, exist_ok=True)
            frontier_chart(group, file, title=f"{rows['household'].iloc[0]}: {what}{label}")
            written.append(file)
            index.append({"chart": file.name, "household_path": path, "settings": other or "{}",
                          "runs": len(group)})
    if index:
        pd.DataFrame(index).to_csv(folder / "index.csv", index=False)
    if len(ok) and len(written) >= MAX_CHARTS:
        print(f"planner batch: drew the first {MAX_CHARTS} charts only", file=sys.stderr)
    return written


def _efficient(rows: pd.DataFrame) -> pd.DataFrame:
    ordered = rows.sort_values(["drift_after", "tax_cost"])
    best = ordered["tax_cost"].cummin()
    keep = ordered["tax_cost"] <= best.shift(fill_value=np.inf) - 1e-9
    return ordered[keep.to_numpy()]


def _safe(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text).strip("_.") or "household"


def _short(settings: str) -> str:
    text = ", ".join(f"{k.split('.', 1)[1]}={v}" for k, v in json.loads(settings).items())
    return f"({text[:70]}{'…' if len(text) > 70 else ''})"
