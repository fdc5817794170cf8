# Two entry points for a fresh machine: `make demo` and `make test`.
# Both use the virtual environment in .venv; the demo installs imarray alone (numpy, tifffile, Pillow),
# the tests add the `test` extra.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CORE_STAMP := $(VENV)/.installed-core

.PHONY: demo test lint fuzz xvfb chromium napari-screenshot serve-screenshot bench bench-env clean

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
	$(BIN)/mypy

test: $(STAMP) lint xvfb chromium
	$(BIN)/python -m pytest -q

# A long mutation-fuzzing campaign (1,000 damaged files per format); its table goes to benchmarks/RESULTS.md.
fuzz: $(STAMP)
	$(BIN)/python tests/fuzzing.py --cases 1000 --keep fuzz-cases --results

# napari's viewer tests (tests/test_napari.py) draw with OpenGL: Qt's offscreen platform takes GLX from an X
# display, which pytest-xvfb starts when Xvfb is installed. As root with apt-get (CI, a fresh machine) it is
# installed here with Mesa's software OpenGL; elsewhere the viewer tests skip and say why.
xvfb:
	@command -v Xvfb >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
		&& apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		xvfb xauth libgl1-mesa-dri libglx-mesa0 >/dev/null; } \
		|| echo "Xvfb is not installed and cannot be installed here: napari's viewer tests will skip"

# The `imarray digitize --serve` page is tested in a real headless browser (tests/test_digitize_serve.py): Playwright
# (the test extra) drives Debian's chromium, installed here as root with apt-get (Playwright's own browser download
# is not used); elsewhere the browser test skips and says why.
chromium:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
		&& apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		chromium >/dev/null; } \
		|| echo "chromium is not installed and cannot be installed here: the digitize --serve browser test will skip"

# docs/digitize-serve.png, the README's picture of the --serve page, taken by its browser test
serve-screenshot: $(STAMP) chromium
	IMARRAY_SERVE_SCREENSHOT=docs/digitize-serve.png $(BIN)/python -m pytest -q -p no:xvfb \
		tests/test_digitize_serve.py -k browser

# docs/napari-imarray.png, the README's picture of napari showing files opened through imarray
napari-screenshot: $(STAMP) xvfb
	xvfb-run -a $(BIN)/python docs/make_napari_screenshot.py

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
