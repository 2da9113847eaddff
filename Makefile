# pdkit: two commands on a fresh machine with python3, pip, make and git:
#   make demo   -> set up .venv from requirements.lock and run every report on data_samples/
#   make test   -> set up .venv and run the whole test suite (unit, templates, nbval, browser)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.pdkit-installed
DEMO   ?= pdkit-demo
PYTEST_ARGS ?=

.PHONY: setup demo test test-fast notebooks samples templates lab benchmarks clean

setup: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv --copies $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $@

demo: setup
	$(BIN)/pdkit demo -o $(DEMO)

test: setup
	$(BIN)/python -m pytest tests notebooks --nbval-lax --nbval-current-env \
	  --nbval-sanitize-with nbval_sanitize.cfg -p no:cacheprovider $(PYTEST_ARGS)

test-fast: setup
	$(BIN)/python -m pytest tests -m "not slow and not browser" $(PYTEST_ARGS)

notebooks: setup
	$(BIN)/python scripts/execute_notebooks.py

samples: setup
	@for s in scripts/samples/make_*.py; do echo "$$s"; $(BIN)/python $$s || exit 1; done

templates: setup
	@for s in scripts/templates/make_*.py; do echo "$$s"; $(BIN)/python $$s || exit 1; done

lab: setup
	$(BIN)/pdkit lab

benchmarks: setup
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(DEMO) reports .pytest_cache
