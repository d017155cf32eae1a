"""Benchmarks of the planner: ``make bench`` (or ``.venv/bin/python benchmarks/run.py``).

Runs the scale benchmark of issue 5 (``benchmarks/scale.py``) at 1e3, 1e4, 1e5 and 1e6 lots by
default; every option of scale.py passes through:

    .venv/bin/python benchmarks/run.py --sizes 1e3,1e4,1e5,1e6
    .venv/bin/python benchmarks/run.py --quick                 # 1e3 and 1e4 only, short timeouts
    .venv/bin/python benchmarks/run.py --sizes 1e5 --profile h1e5

taxrebalance (the PyPI comparison) is a benchmark-only dependency: ``pip install -e '.[bench]'``.
Results: benchmarks/results/ (scale.csv, scale.png, scale.txt, the generated households).
The batch throughput benchmark is separate: benchmarks/batch_throughput.py.
"""
from __future__ import annotations

import os
import sys

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"           # before anything imports numpy

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import scale  # noqa: E402

if __name__ == "__main__":
    sys.exit(scale.main())
