# Two entry points for a fresh machine: `make demo` and `make test`.
# Both use the virtual environment in .venv; the demo installs imarray alone (numpy, tifffile, Pillow),
# the tests add the `test` extra.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CORE_STAMP := $(VENV)/.installed-core

.PHONY: demo test lint fuzz bench bench-env clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# tests/plugins/imarray-pnm: a real plugin distribution (binary PGM/PPM) the plugin tests and the matrix use
PLUGIN := tests/plugins/imarray-pnm

$(STAMP): pyproject.toml $(PLUGIN)/pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]" -e $(PLUGIN)
	touch $(STAMP)

$(CORE_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $(CORE_STAMP)

demo: $(CORE_STAMP)
	$(BIN)/imarray demo --out demo-output

lint: $(STAMP)
	$(BIN)/ruff check .

test: $(STAMP) lint
	$(BIN)/python -m pytest -q

# A long mutation-fuzzing campaign (1,000 damaged files per format); its table goes to benchmarks/RESULTS.md.
fuzz: $(STAMP)
	$(BIN)/python tests/fuzzing.py --cases 1000 --keep fuzz-cases --results

# CalSciPy, a peer in the I/O benchmark, lives in its own environment: its own
# requirements do not install (a pinned dependency fails), its io_tools need only these.
CALSCIPY_ENV := benchmarks/.venv-calscipy

$(CALSCIPY_ENV)/.installed:
	$(PYTHON) -m venv $(CALSCIPY_ENV)
	$(CALSCIPY_ENV)/bin/python -m pip install --quiet --no-deps calscipy
	$(CALSCIPY_ENV)/bin/python -m pip install --quiet imageio opencv-python-headless pillow tifffile numpy \
		importlib-metadata joblib tqdm
	touch $@

bench-env: $(CALSCIPY_ENV)/.installed

bench: $(STAMP) bench-env
	$(BIN)/python benchmarks/bench_io.py

clean:
	rm -rf $(VENV) demo-output fuzz-cases .pytest_cache .ruff_cache
