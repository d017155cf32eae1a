"""planner import: each fixture imports, plans and evaluates; an update says which lots it adds,
changes and removes; every unreadable cell is an input error naming file, row and column, and
nothing is written."""
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from planner import load_household
from planner.cli import main

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "import"
SCHWAB = sorted(str(p) for p in FIXTURES.glob("schwab_*.csv"))


@pytest.fixture
def folder(tmp_path):
    """The fixtures' household before any import: tax profile, targets, securities."""
    out = tmp_path / "household"
    shutil.copytree(FIXTURES / "household", out)
    return out


def plans_and_evaluates(folder: Path, tmp_path: Path, capsys) -> dict:
    assert main(["plan", str(folder), "--out", str(tmp_path / "plan"), "--format", "json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["status"] == "optimal" and summary["violations"] == []
    assert main(["evaluate", str(folder), "--trades", str(tmp_path / "plan" / "trades.csv")]) == 0
    evaluation = json.loads(capsys.readouterr().out)
    assert evaluation["tax_cost"] == summary["tax_cost"]
    return summary


def test_schwab_lot_details_import_plan_and_evaluate(folder, tmp_path, capsys):
    assert main(["import", str(folder), *SCHWAB]) == 0
    out = capsys.readouterr().out
    assert "lots: 9 added, 0 changed, 0 removed, 0 unchanged" in out
    assert "312.50 of disallowed" in out                 # the Disallowed Loss column, read and said
    h = load_household(folder)
    types = dict(zip(h.accounts.id, h.accounts.type))
    assert types == {"Individual_123": "taxable", "Rollover_IRA_456": "traditional",
                     "Roth_Contributory_IRA_789": "roth"}
    lots = pd.read_csv(folder / "lots.csv").set_index("lot_id")
    # "$52,630.00" and "380" from the VTI file's first lot; the Total row is not a lot.
    first = lots.loc["Individual_123-VTI-20180312"]
    assert (first["quantity"], first["cost_basis"], first["acquired"]) == (380, 52630.0, "2018-03-12")
    assert lots.loc["Rollover_IRA_456-BND-20160111", "quantity"] == 2650   # "2,650"; basis "--" in an IRA
    assert len(lots) == 9
    summary = plans_and_evaluates(folder, tmp_path, capsys)
    assert summary["tax_cost"] < 0          # losses harvested against the year's $65,000 of gains


def test_importing_the_same_export_again_changes_nothing(folder, capsys):
    assert main(["import", str(folder), *SCHWAB]) == 0
    first = (folder / "lots.csv").read_text()
    capsys.readouterr()
    assert main(["import", str(folder), *SCHWAB]) == 0
    assert "lots: 0 added, 0 changed, 0 removed, 9 unchanged" in capsys.readouterr().out
    assert (folder / "lots.csv").read_text() == first


def test_an_update_names_every_lot_it_removes_or_changes_and_keeps_other_positions(folder, tmp_path, capsys):
    assert main(["import", str(folder), *SCHWAB]) == 0
    capsys.readouterr()
    # A later VTI export: the 2025-09-15 lot sold, the 2018 lot partly sold (380 -> 300 shares).
    lines = Path(FIXTURES / "schwab_VTI_individual.csv").read_text().splitlines()
    lines = [ln for ln in lines if not ln.startswith('"09/15/2025"')]
    lines = [ln.replace('"03/12/2018","380","$312.40","$138.50","$118,712.00","$52,630.00"',
                        '"03/12/2018","300","$312.40","$138.50","$93,720.00","$41,550.00"') for ln in lines]
    lines[-1] = lines[-1].replace('"860"', '"660"')
    later = tmp_path / "vti_later.csv"
    later.write_text("\n".join(lines) + "\n")
    assert main(["import", str(folder), str(later)]) == 0
    out = capsys.readouterr().out
    assert "lots: 0 added, 1 changed, 1 removed, 2 unchanged" in out
    assert "REMOVED  Individual_123-VTI-20250915" in out
    assert "changed  Individual_123-VTI-20180312: quantity 380 -> 300, basis 52,630.00 -> 41,550.00" in out
    lots = pd.read_csv(folder / "lots.csv")
    assert len(lots) == 8 and (lots["symbol"] == "VXUS").sum() == 3     # other positions kept


def test_a_fidelity_style_export_through_a_mapping_imports_plans_and_evaluates(tmp_path, capsys):
    folder = tmp_path / "new"
    folder.mkdir()
    shutil.copy(FIXTURES / "household" / "targets.csv", folder)
    assert main(["import", str(folder), str(FIXTURES / "fidelity_lots.csv"), "--mapping",
                 str(FIXTURES / "fidelity.toml"), "--asset-class", "VTI=us_equity",
                 "--asset-class", "VXUS=intl_equity", "--asset-class", "BND=bonds"]) == 0
    out = capsys.readouterr().out
    assert "accounts added: TAX (taxable), ROTH (roth)" in out
    h = load_household(folder)
    assert dict(zip(h.accounts.id, h.accounts.cash)) == {"TAX": 3200.0, "ROTH": 380.0}   # SPAXX** rows
    assert len(h.lots.id) == 4 and str(h.as_of) == "2026-12-01"
    plans_and_evaluates(folder, tmp_path, capsys)


def test_a_spreadsheet_through_a_mapping_imports_plans_and_evaluates(folder, tmp_path, capsys):
    assert main(["import", str(folder), *SCHWAB]) == 0
    assert main(["import", str(folder), str(FIXTURES / "spreadsheet.csv"), "--mapping",
                 str(FIXTURES / "spreadsheet.toml")]) == 0
    h = load_household(folder)
    types = dict(zip(h.accounts.id, h.accounts.type))
    assert types["K401"] == "traditional" and types["HSA-1"] == "hsa"
    assert dict(zip(h.accounts.id, h.accounts.cash))["K401"] == 250.0
    lots = pd.read_csv(folder / "lots.csv").set_index("lot_id")
    assert lots.loc["K401-AGG-20191104", "quantity"] == 1200.5                  # "1,200.5"
    assert lots.loc["HSA-1-VTI-20240501", "cost_basis"] == 3100.0
    capsys.readouterr()
    plans_and_evaluates(folder, tmp_path, capsys)


SCHWAB_ROW = '"03/12/2018","380","$312.40","$138.50","$118,712.00","$52,630.00","$66,082.00","125.56%","Long Term"'


@pytest.mark.parametrize("bad, column, says", [
    (SCHWAB_ROW.replace('"380"', '"380,5"'), "Quantity", "three digits"),
    (SCHWAB_ROW.replace('"380"', '"38o"'), "Quantity", "38o"),
    (SCHWAB_ROW.replace('"03/12/2018"', '"2018-03-12"'), "Open Date", "MM/DD/YYYY"),
    (SCHWAB_ROW.replace('"03/12/2018"', '"13/45/2018"'), "Open Date", "13/45/2018"),
    (SCHWAB_ROW.replace('"$52,630.00"', '"$52,63.00"'), "Cost Basis", "$52,63.00"),
    (SCHWAB_ROW.replace('"$52,630.00"', '"--"').replace('"$138.50"', '"--"'), "Cost Basis", "cost basis"),
    (SCHWAB_ROW.replace('"380"', '"-380"'), "Quantity", "positive"),
])
def test_an_unreadable_schwab_row_names_file_row_and_column_and_writes_nothing(folder, tmp_path, capsys,
                                                                               bad, column, says):
    text = (FIXTURES / "schwab_VTI_individual.csv").read_text().replace(SCHWAB_ROW, bad)
    export = tmp_path / "VTI.csv"
    export.write_text(text)
    before = sorted(p.name for p in folder.iterdir())
    assert main(["import", str(folder), export.as_posix()]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"planner: error: VTI.csv, row 3, column '{column}'"), err
    assert says in err and len(err.splitlines()) == 1
    assert sorted(p.name for p in folder.iterdir()) == before      # nothing written


def test_a_cut_off_schwab_export_is_caught_by_its_total_row(folder, tmp_path, capsys):
    text = (FIXTURES / "schwab_VTI_individual.csv").read_text().replace(SCHWAB_ROW + "\n", "")
    (tmp_path / "VTI.csv").write_text(text)
    assert main(["import", str(folder), str(tmp_path / "VTI.csv")]) == 2
    assert "VTI.csv, row 6, column 'Quantity'" in capsys.readouterr().err


def test_an_unknown_account_type_and_a_mapped_column_missing_are_located(folder, tmp_path, capsys):
    sheet = (FIXTURES / "spreadsheet.csv").read_text().replace("Health Savings Account", "Piggy bank")
    (tmp_path / "sheet.csv").write_text(sheet)
    assert main(["import", str(folder), str(tmp_path / "sheet.csv"), "--mapping",
                 str(FIXTURES / "spreadsheet.toml")]) == 2
    assert "sheet.csv, row 4, column 'Type': unknown account type 'Piggy bank'" in capsys.readouterr().err
    (tmp_path / "sheet.csv").write_text(sheet.replace("Total cost", "Cost"))
    assert main(["import", str(folder), str(tmp_path / "sheet.csv"), "--mapping",
                 str(FIXTURES / "spreadsheet.toml")]) == 2
    assert "sheet.csv, row 1, column 'Total cost': missing column" in capsys.readouterr().err
