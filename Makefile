# Attain: the two commands are `make demo` and `make test` (see README.md).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
ATTAIN := $(BIN)/attain
DEMO_ENV := ATTAIN_DEBUG=1

.PHONY: demo serve test lint typecheck bench browser clean help

help:
	@echo "make demo   - install, migrate, load demo data, serve on http://127.0.0.1:8000"
	@echo "make test   - install dev extras, run ruff, mypy and the test suite (SQLite + PostgreSQL)"
	@echo "make serve  - serve the web app on the existing database"
	@echo "make lint   - ruff lint and format check, mypy"
	@echo "make bench  - run the benchmarks under bench/ (writes docs/benchmarks.md figures)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	$(DEMO_ENV) $(ATTAIN) migrate --verbosity 0
	$(DEMO_ENV) $(ATTAIN) demo

serve: $(VENV)/.installed
	$(DEMO_ENV) $(ATTAIN) migrate --verbosity 0
	$(DEMO_ENV) $(ATTAIN) serve

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

typecheck: lint

# Browser tests drive Debian's Chromium; install it when we can (root with apt), else they skip.
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian's chromium for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is not installed and cannot be installed here: browser tests will skip"; fi; \
	fi

test: $(VENV)/.installed-dev browser lint
	$(BIN)/python tools/run_tests.py

bench: $(VENV)/.installed-dev
	$(BIN)/pip install --quiet -e '.[bench]'
	$(DEMO_ENV) $(BIN)/python bench/demo_load.py
	$(DEMO_ENV) $(BIN)/python bench/metrics.py --db sqlite --size medium --generate
	$(DEMO_ENV) $(BIN)/python bench/pages.py --db sqlite
	$(DEMO_ENV) $(BIN)/python bench/import.py --db sqlite

clean:
	rm -rf $(VENV) var build *.egg-info .mypy_cache .ruff_cache .pytest_cache
