# pdkit: two commands on a fresh machine with python3, pip, make and git:
#   make demo   -> set up .venv from requirements.lock and run every report on data_samples/
#   make test   -> set up .venv and run the whole test suite (unit, templates, notebooks, browser)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.pdkit-installed
DEMO   ?= pdkit-demo
PYTEST_ARGS ?=

.PHONY: setup demo test test-fast notebooks site samples lab benchmarks clean

setup: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv --copies $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $@

demo: setup
	$(BIN)/pdkit demo -o $(DEMO)

test: setup
	$(BIN)/python -m pytest tests notebooks -p no:cacheprovider $(PYTEST_ARGS)

test-fast: setup
	$(BIN)/python -m pytest tests -m "not slow and not browser" $(PYTEST_ARGS)

# execute the text notebooks (jupyter-cache: only what changed) and refresh tests/expected/notebooks
notebooks: setup
	$(BIN)/python -m pdkit.publish execute --update-expected

# the offline static site of worked examples and course in build/site
site: setup
	$(BIN)/python -m pdkit.publish site -o build/site

samples: setup
	@for s in scripts/samples/make_*.py; do echo "$$s"; $(BIN)/python $$s || exit 1; done

lab: setup
	$(BIN)/pdkit lab

benchmarks: setup
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(DEMO) reports .pytest_cache
