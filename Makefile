# people_ml: `make build` sets up and builds the warehouse on the default data;
# `make test` sets up and runs every test (lint, dbt, pytest).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

export PEOPLE_ML_HOME := $(CURDIR)
export DBT_PROFILES_DIR := $(CURDIR)
export DO_NOT_TRACK := 1

# apt-get needs root: sudo when not running as root.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: setup data build docs lint browser storyboard test test-fast clean-state help

help:
	@echo "make build  - set up, generate the default HRIS extract if missing, dbt build"
	@echo "make test   - set up and run every test: lint, dbt build on test data, pytest"
	@echo "make storyboard - build, then open the storyboard on http://127.0.0.1:8501"

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet \
		--only-binary=dbt-core-experimental-parser \
		--constraint constraints.txt --editable '.[dev,storyboard]'
	touch $@

data: setup
	@test -f data/raw/hris/_manifest.json || $(BIN)/people-ml generate

build: data
	$(BIN)/dbt build

docs: build
	$(BIN)/dbt docs generate

storyboard: build
	$(BIN)/people-ml storyboard

# Debian's Chromium, for the real-browser test of the storyboard.
browser:
	@if [ -n "$$PEOPLE_ML_SKIP_BROWSER" ]; then echo "PEOPLE_ML_SKIP_BROWSER set: no Chromium"; exit 0; fi; \
	command -v chromium >/dev/null 2>&1 || { \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq \
			--no-install-recommends chromium >/dev/null; }
	@[ -n "$$PEOPLE_ML_SKIP_BROWSER" ] || chromium --version 2>/dev/null

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/sqlfluff lint models tests analyses

# Test files run on three workers (pytest-xdist; one file stays on one worker,
# so a module's shared scenario is built once): on 2 cores a third worker fills
# the gaps while the others wait on dbt's startup and I/O. The longest files
# start first (tests/python/conftest.py): pytest took 621 s on a quiet 2-core
# machine, against 785 s in xdist's own order. PYTEST_WORKERS=0 runs them in
# this process, one by one.
PYTEST_WORKERS ?= 3

test: lint browser
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder --durations=25

test-fast: setup
	$(BIN)/pytest -m "not dbt"
