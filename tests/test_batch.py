"""What-if batches: grids, parameter reuse, three executors with one answer, nothing lost."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from models.synthetic import SyntheticSpec, generate_household
from planner import models
from planner.batch import (PARTS, RUNS_FILE, Grid, Task, apply_settings, plan_runs, read_results,
                           run_batch, run_task, store)
from planner.cli import main

ROOT = Path(__file__).resolve().parent.parent
# What must agree between executors (seconds, worker and time stamps may not).
RESULT_COLUMNS = ["run_id", "household", "settings", "status", "tax_cost", "trading_cost",
                  "drift_penalty", "objective", "drift_before", "drift_after", "trades",
                  "turnover", "gap", "rebuilt", "rebuild_reason", "error"]


@pytest.fixture(scope="module")
def households(tmp_path_factory) -> Path:
    """Two small synthetic households (80 and 150 lots) under ``root/households``."""
    root = tmp_path_factory.mktemp("batch")
    generate_household(SyntheticSpec(lots=80, seed=11), root / "households" / "smith")
    generate_household(SyntheticSpec(lots=150, seed=12), root / "households" / "lee")
    return root


def write_grid(folder: Path, text: str, name: str = "grid.toml") -> Path:
    path = folder / name
    path.write_text(text)
    return path


GRID = """
households = ["households/smith", "households/lee"]
[vary]
"plan.band" = [0.03, 0.05]
"tax.short_term_rate" = [0.24, 0.37]
"""


def results_of(df: pd.DataFrame) -> pd.DataFrame:
    return df[RESULT_COLUMNS].sort_values("run_id").reset_index(drop=True)


# ---- the grid --------------------------------------------------------------------------------
def test_a_grid_file_gives_every_combination_for_every_household(households):
    grid = Grid.from_toml(write_grid(households, GRID))
    scenarios = grid.scenarios()
    assert len(scenarios) == 4
    assert {json.dumps(s, sort_keys=True) for s in scenarios} == {
        json.dumps({"plan.band": b, "tax.short_term_rate": r}, sort_keys=True)
        for b in (0.03, 0.05) for r in (0.24, 0.37)}
    runs = plan_runs(grid, households / "out-unused")
    assert len(runs) == 8 and len({r.run_id for r in runs}) == 8
    assert [r.household for r in runs] == ["smith"] * 4 + ["lee"] * 4


def test_ranges_zips_and_fixed_settings_combine():
    grid = Grid.from_dict({
        "households": ["h"],
        "set": {"plan.time_limit_s": 20},
        "vary": {"plan.drift_penalty_bp": {"start": 0, "stop": 0.3, "step": 0.1},
                 "prices.scale": [0.9, 1.0]},
        "zip": [{"tax.short_term_rate": [0.24, 0.35], "tax.long_term_rate": [0.15, 0.2]}],
    })
    assert grid.vary["plan.drift_penalty_bp"] == (0.0, 0.1, 0.2, 0.3)
    scenarios = grid.scenarios()
    assert len(scenarios) == 4 * 2 * 2
    assert all(s["plan.time_limit_s"] == 20.0 for s in scenarios)
    assert {(s["tax.short_term_rate"], s["tax.long_term_rate"]) for s in scenarios} == \
        {(0.24, 0.15), (0.35, 0.2)}


@pytest.mark.parametrize("doc, message", [
    ({"households": ["h"], "vary": {"plan.bandwidth": [1]}}, "unknown setting 'bandwidth'"),
    ({"households": ["h"], "vary": {"tax.short_term_rate": [37]}}, "0.37, not 37"),
    ({"households": ["h"], "vary": {"band": [0.1]}}, "dotted key"),
    ({"households": ["h"], "zip": [{"tax.short_term_rate": [0.2, 0.3],
                                    "tax.long_term_rate": [0.1]}]}, "as many values"),
    ({"households": ["h"], "vary": {"plan.band": [0.1]}, "set": {"plan.band": 0.2}}, "given twice"),
    ({"households": ["h"], "vry": {}}, "unknown key"),
    ({"vary": {"plan.band": [0.1]}}, "names no household"),
])
def test_a_malformed_grid_is_refused_with_the_key_at_fault(doc, message):
    with pytest.raises(models.InputError, match=message):
        Grid.from_dict(doc, source="grid.toml")


def test_run_ids_depend_on_the_household_files_and_settings_only(households, tmp_path):
    grid = Grid.from_toml(write_grid(households, GRID))
    first = [r.run_id for r in plan_runs(grid, tmp_path)]
    assert first == [r.run_id for r in plan_runs(grid, tmp_path)]
    copy = tmp_path / "copy"
    shutil.copytree(households / "households", copy)
    moved = Grid.from_dict({"households": ["smith", "lee"], "vary": grid.vary}, base=copy)
    assert [r.run_id for r in plan_runs(moved, tmp_path)] == first   # another place, same id
    lots = copy / "smith" / "lots.csv"
    lots.write_text(lots.read_text() + "\n")                          # any change of a file
    assert [r.run_id for r in plan_runs(moved, tmp_path)][:4] != first[:4]
    assert [r.run_id for r in plan_runs(moved, tmp_path)][4:] == first[4:]


def test_price_shocks_and_cash_flows_change_a_copy_of_the_household(households):
    h = models.load_household(households / "households" / "smith")
    shocked = apply_settings(h, {"prices.scale": 0.5, f"prices.{h.securities.asset_class[0]}": 0.5,
                                 f"cashflow.{h.accounts.id[0]}": 1000.0, "tax.long_term_rate": 0.2})
    first = h.securities.asset_class == h.securities.asset_class[0]
    assert np.allclose(shocked.securities.price[first], 0.25 * h.securities.price[first])
    assert np.allclose(shocked.securities.price[~first], 0.5 * h.securities.price[~first])
    assert shocked.account_flows[0] == pytest.approx(h.account_flows[0] + 1000.0)
    assert shocked.tax.long_term_rate == 0.2 and h.tax.long_term_rate != 0.2
    with pytest.raises(models.InputError, match="no security of asset class"):
        apply_settings(h, {"prices.gold": 1.1})


# ---- one answer on every executor --------------------------------------------------------------
def test_sequential_local_pool_and_dask_give_identical_results(households, tmp_path):
    from distributed import LocalCluster
    grid = write_grid(households, GRID)
    sequential = run_batch(grid, tmp_path / "seq", workers=1, progress=False, charts=False)
    pool = run_batch(grid, tmp_path / "pool", workers=2, progress=False, charts=False)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        dask = run_batch(grid, tmp_path / "dask", scheduler=cluster.scheduler_address,
                         progress=False, charts=False)
    assert len(sequential) == 8 and (sequential["status"] == "optimal").all()
    pd.testing.assert_frame_equal(results_of(sequential), results_of(pool))
    pd.testing.assert_frame_equal(results_of(sequential), results_of(dask))
    assert sequential["worker"].nunique() == 1
    assert pool["worker"].nunique() == 2 and dask["worker"].nunique() == 2


def test_the_command_line_runs_a_batch_on_a_local_dask_cluster(households, tmp_path, capsys):
    grid = write_grid(households, GRID.replace('"plan.band" = [0.03, 0.05]',
                                               '"plan.drift_penalty_bp" = [0, 3, 10, 30]'))
    status = main(["batch", str(grid), "--out", str(tmp_path), "--dask-local", "1"])
    assert status == 0
    runs = pd.read_parquet(tmp_path / RUNS_FILE)
    assert len(runs) == 16 and runs["run_id"].is_unique and (runs["status"] == "optimal").all()
    assert "plan.drift_penalty_bp" in runs.columns
    charts = sorted(p.name for p in (tmp_path / "charts").glob("*.png"))
    assert len(charts) == 4        # per household, one penalty sweep per short-term rate
    captured = capsys.readouterr()
    assert "16 of 16 runs stored" in captured.err and "runs/min" in captured.err


# ---- parameter reuse ---------------------------------------------------------------------------
def test_rate_and_penalty_changes_reuse_the_program_and_a_band_change_rebuilds(households, tmp_path):
    grid = Grid.from_dict({"households": ["households/smith"], "vary": {
        "plan.band": [0.03, 0.05], "tax.short_term_rate": [0.24, 0.37],
        "tax.long_term_rate": [0.15, 0.2], "plan.drift_penalty_bp": [1.0, 20.0]}}, base=households)
    warm = run_batch(grid, tmp_path / "warm", workers=1, progress=False, charts=False,
                     chunk_size=100)
    cold = run_batch(grid, tmp_path / "cold", workers=1, progress=False, charts=False,
                     chunk_size=100, reuse=False)
    settings = warm["settings"].map(json.loads)
    by_band = warm.assign(band=settings.map(lambda s: s["plan.band"])).sort_values("finished_at")
    assert by_band["band"].is_monotonic_increasing      # one structure after the other
    firsts = by_band.groupby("band").head(1)
    assert firsts["rebuilt"].all() and (~by_band.drop(firsts.index)["rebuilt"]).all()
    assert firsts["rebuild_reason"].tolist() == ["first run of its task", "changed plan.band"]
    assert warm["rebuilt"].sum() == 2 and cold["rebuilt"].all()
    # Reused programs answer as freshly built ones do (to the solver's gap).
    merged = warm.merge(cold, on="run_id", suffixes=("_warm", "_cold"))
    assert len(merged) == 16
    tolerance = merged[["gap_warm", "gap_cold"]].max(axis=1) + 1e-6
    assert (abs(merged["objective_warm"] - merged["objective_cold"]) <= tolerance).all()


def test_a_price_shock_rebuilds_once_per_shock(households, tmp_path):
    grid = Grid.from_dict({"households": ["households/smith"], "vary": {
        "prices.scale": [0.9, 1.1], "plan.drift_penalty_bp": [2.0, 10.0]}}, base=households)
    runs = run_batch(grid, tmp_path, workers=1, progress=False, charts=False)
    assert (runs["status"] == "optimal").all()
    assert runs["rebuilt"].sum() == 2
    assert set(runs.loc[runs["rebuilt"], "rebuild_reason"]) == {"first run of its task",
                                                                 "changed securities"}


# ---- failures are results ------------------------------------------------------------------------
def test_a_malformed_household_and_an_infeasible_scenario_fail_while_the_rest_finish(households, tmp_path):
    broken = tmp_path / "households" / "broken"
    shutil.copytree(households / "households" / "smith", broken)
    lots = pd.read_csv(broken / "lots.csv", dtype=str)
    lots.loc[2, "quantity"] = "-5"
    lots.to_csv(broken / "lots.csv", index=False)
    shutil.copytree(households / "households" / "lee", tmp_path / "households" / "lee")
    grid = write_grid(tmp_path, """
households = ["households/broken", "households/lee", "households/missing"]
[vary]
"plan.max_weight" = [0.5, 0.001]
"tax.short_term_rate" = [0.3, 0.4]
""")
    runs = run_batch(grid, tmp_path / "out", workers=2, progress=False)
    assert len(runs) == 12 and runs["run_id"].is_unique
    broken_runs = runs[runs["household"] == "broken"]
    assert (broken_runs["status"] == "error").all()
    assert broken_runs["error"].str.contains("lots.csv, row 4, column 'quantity'").all()
    assert (runs.loc[runs["household"] == "missing", "status"] == "error").all()
    lee = runs[runs["household"] == "lee"]
    weights = lee["settings"].map(lambda s: json.loads(s)["plan.max_weight"])
    assert (lee.loc[weights == 0.001, "status"] == "infeasible").all()
    assert lee.loc[weights == 0.001, "error"].str.contains("concentration").all()
    assert (lee.loc[weights == 0.5, "status"] == "optimal").all()
    assert lee.loc[weights == 0.5, "tax_cost"].notna().all()


# ---- nothing lost ----------------------------------------------------------------------------------
KILL_GRID = """
households = ["households/smith", "households/lee"]
[vary]
"plan.drift_penalty_bp" = [0, 1, 2, 3, 5, 8, 13, 21]
"tax.short_term_rate" = [0.24, 0.32, 0.37]
[batch]
chunk_size = 4
"""


def parts_of(out: Path) -> list[Path]:
    return [p for p in (out / PARTS).glob("*.parquet") if not p.name.startswith(".")] \
        if (out / PARTS).is_dir() else []


def test_a_batch_killed_half_way_completes_on_rerun_with_every_run_stored_once(households, tmp_path):
    grid = write_grid(households, KILL_GRID, "kill.toml")
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "planner", "batch", str(grid), "--out", str(out),
                             "--workers", "1", "--no-charts", "--quiet"],
                            env=env, start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    try:
        while len(parts_of(out)) < 5 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)      # the batch and everything it started
        proc.wait()
    stored = {p.stem for p in parts_of(out)}
    assert 5 <= len(stored) < 48, "the batch was not killed half-way"
    runs = run_batch(grid, out, workers=2, progress=False, charts=False)
    assert len(runs) == 48 and runs["run_id"].is_unique
    assert {p.stem for p in parts_of(out)} == set(runs["run_id"])
    assert (runs["status"] == "optimal").all()
    again = run_batch(grid, out, workers=2, progress=False, charts=False)    # nothing left to do
    pd.testing.assert_frame_equal(runs, again)


def test_lost_and_broken_parts_are_run_again_and_stored_runs_are_not(households, tmp_path):
    grid = write_grid(households, KILL_GRID, "kill.toml")
    out = tmp_path / "out"
    first = run_batch(grid, out, workers=1, progress=False, charts=False)
    parts = sorted(parts_of(out))
    for p in parts[:10]:
        p.unlink()
    parts[10].write_bytes(b"PAR1 half a file")                         # a broken part
    (out / PARTS / f".{parts[11].name}.123.tmp").write_bytes(b"PAR1")   # a kill mid-write
    (out / RUNS_FILE).unlink()
    rerun = run_batch(grid, out, workers=1, progress=False, charts=False)
    assert len(rerun) == 48 and rerun["run_id"].is_unique
    redone = {p.stem for p in parts[:11]}
    same = rerun[~rerun["run_id"].isin(redone)].set_index("run_id")
    before = first.set_index("run_id").loc[same.index]
    assert (same["finished_at"] == before["finished_at"]).all()            # skipped, not re-run
    assert (rerun.loc[rerun["run_id"].isin(redone), "finished_at"] >
            first["finished_at"].max()).all()
    pd.testing.assert_frame_equal(results_of(first).drop(columns=["rebuilt", "rebuild_reason"]),
                                  results_of(rerun).drop(columns=["rebuilt", "rebuild_reason"]))
    assert len(read_results(out)) == 48


def test_a_worker_that_cannot_see_the_results_hands_its_runs_to_the_driver(households, tmp_path):
    grid = Grid.from_dict({"households": ["households/smith"],
                           "vary": {"plan.drift_penalty_bp": [1, 5]}}, base=households)
    runs = plan_runs(grid, tmp_path)
    elsewhere = Task(runs[0].folder, tuple(runs), str(tmp_path), token="another-machine",
                     save_trades=True)
    payload = run_task(elsewhere)
    assert not (tmp_path / PARTS).exists()
    assert [row["status"] for row, _ in payload] == ["optimal", "optimal"]
    assert all(trades is not None and len(trades) == row["trades"] for row, trades in payload)
    for row, trades in payload:                     # what the driver does with them
        assert store(tmp_path, row, trades)
        assert not store(tmp_path, row, trades)     # once only
    assert len(read_results(tmp_path)) == 2
    assert len(list((tmp_path / "trades").glob("*.parquet"))) == 2


def test_generated_households_are_written_once_under_the_results(tmp_path):
    grid = write_grid(tmp_path, """
[[generate]]
lots = 40
seeds = [1, 2]
[vary]
"plan.partial" = ["none", 0.5]
""")
    runs = run_batch(grid, tmp_path / "out", workers=1, progress=False, charts=False)
    assert len(runs) == 4 and (runs["status"] != "error").all(), runs["error"].tolist()
    assert set(runs["household"]) == {"synthetic-40lots-seed1", "synthetic-40lots-seed2"}
    assert (tmp_path / "out" / "households" / "synthetic-40lots-seed1" / "lots.csv").is_file()
    assert runs["plan.partial"].isna().sum() == 2
    again = run_batch(grid, tmp_path / "out", workers=1, progress=False, charts=False)
    pd.testing.assert_frame_equal(runs, again)      # same files, same ids: nothing re-ran
