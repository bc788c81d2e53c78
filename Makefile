# The two set-up commands of the README (`make report`, `make test`) build everything they need from nothing
# and are safe to run again.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
RAW ?= data/raw
KERNEL := plan171
# pytest-xdist workers: one per core; a module's tests stay on one worker (its fixtures are built once), and the
# session's costly fixtures are built once for all workers (tests/conftest.py `once`). TEST_WORKERS=0: one process.
TEST_WORKERS ?= auto
# Modules are handed out in the suite's own order, the longest first (tests/conftest.py `FIRST`), not xdist's.
XDIST := -n $(TEST_WORKERS) --dist loadscope --no-loadscope-reorder

.PHONY: help venv sample report run test test-fast screenshots lab bench bench-growth clean-outputs

help:
	@echo "make report   build the environment, make sample data if $(RAW) has none, run the pipeline"
	@echo "make test     build the environment and run every test"
	@echo "make lab      open JupyterLab on notebooks/"
	@echo "make screenshots  the browser tests, keeping a full-page screenshot of every page they open in tests/artifacts/"
	@echo "make sample   (re)write the sample into $(RAW) with seed 7"
	@echo "make bench    every stage on the province sample and on a tenth and the whole national set; figures to benchmarks/results.md"
	@echo "make bench-growth  the national set at three sizes and one province's partition: growth toward ten times"

# The stamp is rebuilt when the pins change; pip is quiet so a CI log stays readable.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	$(BIN)/python -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Plan 171 (analysis)" >/dev/null
	touch $(STAMP)

venv: $(STAMP)

sample: venv
	$(BIN)/python -m analysis sample --raw $(RAW) --seed 7

# Sample data only when the raw folder holds nothing but its README: real data is never overwritten.
report: venv
	@if [ -z "$$(find $(RAW) -type f ! -name README.md 2>/dev/null | head -n 1)" ]; then \
		echo "$(RAW) holds no data: writing the sample (seed 7)"; \
		$(BIN)/python -m analysis sample --raw $(RAW) --seed 7; \
	fi
	$(BIN)/python -m analysis run --raw $(RAW)

run: report

test: venv
	@command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || { \
		echo "************************************************************************************"; \
		echo "* chromium is not installed: the browser tests of the pages will be SKIPPED.        *"; \
		echo "* Install Debian's chromium (apt-get install chromium), or run .ci/run as CI does.  *"; \
		echo "************************************************************************************"; }
	$(BIN)/python -m pytest $(XDIST)

# The browser tests alone, keeping what a person looks at: every page they open, at each width, as a PNG.
screenshots: venv
	SCREENSHOTS=1 $(BIN)/python -m pytest -p no:xdist -q tests/end_to_end/test_browser.py

test-fast: venv
	HYPOTHESIS_PROFILE=fast $(BIN)/python -m pytest $(XDIST) -m "not slow"

# Speed and memory are measured here, never in a timed test: appends a line to benchmarks/results.md.
bench: venv
	$(BIN)/python benchmarks/bench.py

# How time and memory grow with the national set and what a partition by province costs (about 40 minutes and
# 17 GB of disk the first time, for the three sets): lines to benchmarks/results.md.
bench-growth: venv
	$(BIN)/python benchmarks/growth.py

lab: venv
	$(BIN)/jupyter lab notebooks/

clean-outputs:
	rm -rf data/processed/*.parquet data/processed/*.json data/processed/validation data/processed/.stamps.json data/processed/.cache reports/
