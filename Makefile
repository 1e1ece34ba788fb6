# Hicap: `make up` starts the platform, `make test` runs the default suite.
# Everything is installed from PyPI by these rules: uv into .tools/, then the locked
# workspace into .venv/. Python 3.11 must be on PATH; uv never downloads an interpreter.

PYTHON ?= python3.11
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := $(PYTHON)
export UV_PROJECT_ENVIRONMENT := $(VENV)
# Bytecode is compiled once at install: imports stay fast even where PYTHONDONTWRITEBYTECODE is set.
export UV_COMPILE_BYTECODE := 1

.PHONY: up test test-unit test-integration test-e2e bench lint typecheck proto lock sync clean help

help:
	@echo "make up      start the whole platform locally (installs on first run)"
	@echo "make test    run the default test suite (unit, integration, e2e)"
	@echo "make bench   run the benchmarks in tests/perf"
	@echo "make lint    ruff + mypy;  make proto  regenerate event code"

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

$(VENV)/.synced: $(UV) uv.lock pyproject.toml $(wildcard libs/*/pyproject.toml services/*/pyproject.toml)
	$(UV) sync --locked --all-packages
	@touch $@

sync: $(VENV)/.synced

up: sync
	$(VENV)/bin/hicap up $(ARGS)

test: lint
	$(VENV)/bin/python -m pytest tests/unit tests/integration tests/e2e $(ARGS)

test-unit: sync
	$(VENV)/bin/python -m pytest tests/unit $(ARGS)

test-integration: sync
	$(VENV)/bin/python -m pytest tests/integration $(ARGS)

test-e2e: sync
	$(VENV)/bin/python -m pytest tests/e2e $(ARGS)

bench: sync
	$(VENV)/bin/python -m tests.perf $(ARGS)

lint: sync
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

typecheck: sync
	$(VENV)/bin/mypy

proto: sync
	$(VENV)/bin/python tools/gen_proto.py

lock: $(UV)
	$(UV) lock

clean:
	rm -rf $(VENV) $(TOOLS)
