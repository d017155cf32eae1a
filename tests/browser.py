"""Headless Chromium for the report's tests: render, screenshot, print, and the net log.

The network is off for the page: a dead proxy and a resolver that resolves nothing, and the
net log shows which requests the page itself started (their ``initiator`` is the page's
origin, ``null`` for a file) apart from the browser's own (``not an origin``).
"""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

CHROMIUM = next((p for p in (shutil.which("chromium"), shutil.which("chromium-browser"))
                 if p), None)
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--proxy-server=http://127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND",
         "--hide-scrollbars"]


def run(page: Path, work: Path, *action: str, window: str = "1000,2400") -> subprocess.CompletedProcess:
    """Open ``page`` in a fresh profile under ``work`` and do one headless ``action``."""
    profile = work / f"profile-{len(list(work.glob('profile-*')))}"
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", f"--window-size={window}",
                           *action, page.resolve().as_uri()],
                          capture_output=True, text=True, timeout=120)


def page_requests(net_log: Path) -> list[str]:
    """URLs the page asked for (not the browser's own background requests)."""
    log = json.loads(net_log.read_text())
    start = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    return [e["params"]["url"] for e in log["events"]
            if e["type"] == start and "url" in e.get("params", {})
            and e["params"].get("initiator") != "not an origin"]
