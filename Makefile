PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/planner plan examples/scenario_a --out out/scenario_a --report
	@echo "client report: out/scenario_a/report.html   orders for the desk: out/scenario_a/orders.csv"

test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/pip install --quiet -e ".[bench]"   # taxrebalance, side by side in the benchmark
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) out
