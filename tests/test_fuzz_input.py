"""Fuzzing a valid household folder and trade list (issue 15).

Hypothesis corrupts one thing at a time — a cell, a row, an encoding, a whole file, a TOML value
— and runs ``planner evaluate``. Whatever it does, the command either

* exits 2 with one line on stderr naming a file of the folder (or the trade list), nothing on
  stdout; or
* exits 0 with strict JSON (no NaN, no Infinity), and where the corruption is harmless (a
  byte-order mark, CRLF line ends, blank lines, spaces, quotes, an unknown column) the very
  same JSON as the good folder;

never a traceback, never a file written. ``PLANNER_PROPERTY_EXAMPLES`` sets the number of
examples (default 100, derandomized: about 6 s alone, 15 s on a loaded machine).
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.cli import main

from tests.helpers import write_household, write_trades

EXAMPLES = int(os.environ.get("PLANNER_PROPERTY_EXAMPLES", "100"))
DERANDOMIZE = "PLANNER_PROPERTY_EXAMPLES" not in os.environ

ACCOUNTS = [("T1", "taxable", 5000.0, "pat", 100.0), ("IRA", "traditional", 200.0, "pat", 0.0)]
SECURITIES = [{"symbol": "VTI", "price": 100.0, "asset_class": "us_equity", "wash_group": "crsp",
               "spread_bps": 2.0},
              {"symbol": "ITOT", "price": 50.0, "asset_class": "us_equity", "wash_group": "sp_tmi",
               "spread_bps": 3.0},
              {"symbol": "BND", "price": 80.0, "asset_class": "bonds", "wash_group": "agg",
               "spread_bps": 1.0}]
LOTS = [("A", "T1", "VTI", 100, 12000.0, "2025-11-03"), ("B", "T1", "VTI", 50, 3000.0, "2019-05-01"),
        ("C", "T1", "ITOT", 80, 3600.0, "2026-07-01"), ("D", "IRA", "BND", 120, 9000.0, "2018-01-01")]
TARGETS = [{"asset_class": "us_equity", "weight": 0.6, "band": 0.05},
           {"asset_class": "bonds", "weight": 0.4, "band": ""}]
HISTORY = [("2026-11-10", "T1", "ITOT", "sell", 10, 40.0, "", -150.0, "short"),
           ("2026-11-20", "IRA", "BND", "buy", 5, 80.0, "", "", "")]
FLOWS = [("2026-12-05", "T1", 1000.0, ""), ("2026-12-15", "IRA", 100.0, "BND")]
ALLOWED = [("IRA", "BND"), ("IRA", "VTI")]
TRADES = [(None, "T1", "VTI", "sell", 100, 100.0, "A"), (None, "T1", "BND", "buy", 40, 80.0, "N1"),
          ("2026-12-10", "IRA", "BND", "sell", 20, 80.0, "D"), ("2026-12-10", "IRA", "VTI", "buy", 16, 100.0, "")]

CSV_FILES = ["accounts.csv", "securities.csv", "lots.csv", "targets.csv", "transactions.csv",
             "cashflows.csv", "allowed.csv", "trades.csv"]
FILES = ["household.toml"] + CSV_FILES
NUMERIC = {"cash", "reserve", "price", "spread_bps", "quantity", "cost_basis", "weight", "band",
           "amount", "realized_gain"}
OPTIONAL_NUMERIC = {"reserve", "spread_bps", "band", "realized_gain"}   # blank: the default
NOT_NUMBERS = ["nan", "NaN", "inf", "-inf", "Infinity", "1e400", "380,5", "5,26,30.00", "abc", "NA",
               "NULL", "None", "true", "0x10", "1_0", "$5", "1.2.3", "--1", "é", "五"]
CELLS = NOT_NUMBERS + ["", "  ", "0", "-1", "-0.0", "1,234.5", "2026-02-30", "2031-01-01", "1900-01-01",
                       "T1", "IRA", "VTI", "A", "buy", "sell", "taxable", '"', "'", "a,b", "\t", "😀"]
TOML_VALUES = ["nan", "inf", "-inf", "true", "false", '"x"', "-1", "37", "1e400", "[]", "{}", "",
               "2026-12-01", '"2026-12-01"', "0", "1"]


def _good(root: Path) -> tuple[Path, Path]:
    folder = write_household(root / "household", accounts=ACCOUNTS, securities=SECURITIES, lots=LOTS,
                             targets=TARGETS, transactions=HISTORY, cashflows=FLOWS, allowed=ALLOWED,
                             realized_short_term=2500.0, carryover_long_term=400.0)
    return folder, write_trades(root / "trades.csv", TRADES)


def _run(folder: Path, trades: Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(["evaluate", str(folder), "--trades", str(trades)])
    return status, out.getvalue(), err.getvalue()


def _strict(text: str) -> dict:
    def reject(constant):
        raise AssertionError(f"{constant} in the JSON output")
    return json.loads(text, parse_constant=reject)


_BASELINE: dict = {}


def _baseline() -> dict:
    if not _BASELINE:
        with tempfile.TemporaryDirectory() as root:
            status, out, err = _run(*_good(Path(root)))
            assert status == 0, err
            _BASELINE.update(_strict(out))
            assert _BASELINE["sales"] and _BASELINE["lots"]
    return _BASELINE


def _snapshot(root: Path) -> dict[str, tuple]:
    out = {}
    for p in sorted(root.rglob("*")):
        if p.is_symlink():
            out[str(p)] = ("link", os.readlink(p))
        elif p.is_file():
            out[str(p)] = ("file", p.read_bytes())
        elif p.is_dir():
            out[str(p)] = ("dir",)
    return out


# ---- corruptions: each returns (harmless, numeric_broken) after changing the folder ----------------
def _rows(data: bytes) -> list[bytes]:
    return data.split(b"\n")


def corrupt_cell(path: Path, draw) -> tuple[bool, bool]:
    lines = _rows(path.read_bytes())
    header = lines[0].decode().split(",")
    data_rows = [i for i in range(1, len(lines)) if lines[i].strip()]
    if not data_rows:
        return False, False
    i = draw(st.sampled_from(data_rows))
    fields = lines[i].decode().split(",")
    j = draw(st.integers(0, len(fields) - 1))
    value = draw(st.sampled_from(CELLS))
    quoted = '"' + value.replace('"', '""') + '"' if any(c in value for c in ',"\n') else value
    fields[j] = quoted
    lines[i] = ",".join(fields).encode()
    path.write_bytes(b"\n".join(lines))
    column = header[j] if j < len(header) else ""
    broken = column in NUMERIC and value in NOT_NUMBERS + ["  ", "", "\t"] and \
        not (column in OPTIONAL_NUMERIC and value.strip() == "")
    return False, broken


def corrupt_row(path: Path, draw) -> tuple[bool, bool]:
    lines = _rows(path.read_bytes())
    how = draw(st.sampled_from(["duplicate", "delete", "blank", "extra", "short", "junk", "header"]))
    i = draw(st.integers(1, max(1, len(lines) - 2)))
    if how == "duplicate":
        lines.insert(i, lines[i])
    elif how == "delete":
        del lines[i]
    elif how == "blank":   # a trade list's row numbers are in the result: blank lines go last
        lines.insert(len(lines) if path.name == "trades.csv" else i, b"")
        path.write_bytes(b"\n".join(lines))
        return True, False
    elif how == "extra":
        lines[i] += b",surplus"
    elif how == "short":
        lines[i] = lines[i].rsplit(b",", 1)[0]
    elif how == "junk":
        lines.insert(i, draw(st.sampled_from([b"garbage", b'"unterminated,1,2', b",,,,,,", b"\x00\x01"])))
    else:
        lines[0] = lines[0].replace(b",", b";", 1)
    path.write_bytes(b"\n".join(lines))
    return False, False


def corrupt_encoding(path: Path, draw) -> tuple[bool, bool]:
    data = path.read_bytes()
    how = draw(st.sampled_from(["bom", "crlf", "latin1-byte", "utf16", "nul", "spaces"]))
    if how == "bom":
        path.write_bytes(b"\xef\xbb\xbf" + data)
        return True, False
    if how == "crlf":
        path.write_bytes(data.replace(b"\n", b"\r\n"))
        return True, False
    if how == "spaces" and path.suffix == ".csv":
        path.write_bytes(data.replace(b",", b", "))
        return True, False
    if how == "utf16":
        path.write_bytes(data.decode().encode("utf-16"))
        return False, False
    at = draw(st.integers(0, max(0, len(data) - 1)))
    byte = b"\xff" if how == "latin1-byte" else b"\x00"
    path.write_bytes(data[:at] + byte + data[at:])
    return False, False


def corrupt_file(path: Path, draw) -> tuple[bool, bool]:
    how = draw(st.sampled_from(["delete", "folder", "dangling", "loop", "empty", "header-only",
                                "truncate", "unknown-column"]))
    data = path.read_bytes()
    if how == "unknown-column" and path.suffix == ".csv":
        lines = _rows(data)
        lines = [line + (b",note" if k == 0 else b",x") if line else line for k, line in enumerate(lines)]
        path.write_bytes(b"\n".join(lines))
        return True, False
    path.unlink()
    if how == "folder":
        path.mkdir()
    elif how == "dangling":
        path.symlink_to(path.parent / "nowhere.csv")
    elif how == "loop":
        path.symlink_to(path)
    elif how == "empty":
        path.write_bytes(b"")
    elif how == "header-only":
        path.write_bytes(data.split(b"\n")[0] + b"\n")
    elif how == "truncate":
        path.write_bytes(data[:draw(st.integers(0, max(0, len(data) - 1)))])
    return False, False


def corrupt_toml(path: Path, draw) -> tuple[bool, bool]:
    lines = path.read_text().split("\n")
    keyed = [i for i, line in enumerate(lines) if "=" in line]
    i = draw(st.sampled_from(keyed))
    how = draw(st.sampled_from(["value", "delete", "unknown", "comment"]))
    if how == "value":
        key = lines[i].split("=")[0].strip()
        lines[i] = f"{key} = {draw(st.sampled_from(TOML_VALUES))}"
    elif how == "delete":
        del lines[i]
    elif how == "unknown":
        lines.insert(i + 1, "surplus_key = 1")
    else:
        lines[i] += "  # a harmless comment"
        path.write_text("\n".join(lines))
        return True, False
    path.write_text("\n".join(lines))
    return False, False


CORRUPTIONS = {"cell": corrupt_cell, "row": corrupt_row, "encoding": corrupt_encoding,
               "file": corrupt_file, "toml": corrupt_toml}


@settings(max_examples=EXAMPLES, deadline=None, derandomize=DERANDOMIZE,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_a_corrupted_folder_is_rejected_in_one_line_or_judged_the_same(data):
    baseline = _baseline()
    with tempfile.TemporaryDirectory() as root:
        root = Path(root)
        folder, trades = _good(root)
        kind = data.draw(st.sampled_from(sorted(CORRUPTIONS)), label="kind")
        name = "household.toml" if kind == "toml" else \
            data.draw(st.sampled_from(CSV_FILES if kind in ("cell", "row") else FILES), label="file")
        path = trades if name == "trades.csv" else folder / name
        harmless, broken = CORRUPTIONS[kind](path, data.draw)
        before = _snapshot(root)
        status, out, err = _run(folder, trades)     # an exception here is the traceback we forbid
        assert _snapshot(root) == before, "the command wrote something"
        if status == 2:
            assert out == "" and len(err.splitlines()) == 1, err
            assert any(f in err for f in FILES + ["household"]), err
            assert not harmless, f"a harmless {kind} change to {name} was rejected: {err}"
            return
        assert status == 0, (status, err)
        result = _strict(out)
        assert not broken, f"a cell that is not a number in {name} was accepted"
        if harmless:
            assert result == baseline, f"a harmless {kind} change to {name} changed the result"
