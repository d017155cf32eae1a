"""How a planner process takes memory from the operating system: small pages for numpy.

numpy asks Linux for transparent huge pages (``madvise(MADV_HUGEPAGE)``) on every array of
4 MB or more. Where the kernel's THP defrag policy is ``madvise`` (the common default) each
such 2 MB page may wait for the kernel to compact memory, and on a virtual machine for the host
to back it: measured on the 2-core VMs this project runs on, touching a fresh 400 MB array took
3.8 s with the advice and 0.24 s without it, and a 1e6-lot plan (1.7 GB) spent 2-7 s of its
20 s in those faults. Small pages cost a little more TLB work later, far less than that.

numpy's switch is the ``NUMPY_MADVISE_HUGEPAGE`` environment variable, read when numpy is first
imported. The planner's own processes (the command line, the benchmarks) set it to 0 here before
numpy loads, so their child processes inherit it; a user's explicit setting is left as it is.
Library callers keep numpy's default unless they call :func:`use_small_pages` themselves.
"""
from __future__ import annotations

import os
import sys

SWITCH = "NUMPY_MADVISE_HUGEPAGE"


def use_small_pages() -> None:
    """numpy advises no huge pages in this process and its children, unless the user chose.

    Best called before numpy is imported. After, numpy has read its switch already and the
    toggle its import applies it with (``_set_madvise_hugepage``) is called directly.
    """
    if SWITCH in os.environ:
        return
    os.environ[SWITCH] = "0"
    if "numpy" in sys.modules:
        try:
            from numpy._core import multiarray
        except ImportError:              # numpy 1.x
            from numpy.core import multiarray
        toggle = getattr(multiarray, "_set_madvise_hugepage", None)
        if toggle is not None:
            toggle(False)
