"""Pool workers die with the process that started them.

A ``planner batch`` driver killed with SIGKILL cannot tell its pool to stop: its workers were
left alive (parent pid 1), blocked forever on the pipe of tasks. Each worker runs
:func:`die_with_parent` as its pool initializer: on Linux the kernel sends it SIGKILL when the
parent dies (``prctl(PR_SET_PDEATHSIG)``), and everywhere a daemon thread checks twice a second
that its parent is still the one that started it, and ends the worker if not.
"""
from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time

PR_SET_PDEATHSIG = 1
POLL_SECONDS = 0.5


def die_with_parent(parent: int) -> None:
    """Pool initializer: end this process when ``parent`` (the driver's pid) is gone."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        except (OSError, AttributeError):
            pass   # no prctl: the watch below still ends the worker
    if os.getppid() != parent:   # the parent died before the signal was asked for
        os._exit(1)
    threading.Thread(target=_watch, args=(parent,), name="lifeline", daemon=True).start()


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(POLL_SECONDS)
    os._exit(1)
