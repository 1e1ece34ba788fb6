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

# SDKs the e2e tests drive besides the dev group's: the first-generation anthropic SDK
# (it sends x-api-key and an older anthropic-version) and, where Node.js is installed,
# the openai Node SDK (pinned by tests/e2e/node/package-lock.json).
ANTHROPIC1 := $(TOOLS)/sdk/anthropic1
NODE_SDK := tests/e2e/node

.PHONY: up sdks test test-unit test-integration test-e2e bench lint typecheck proto lock sync clean help

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

$(ANTHROPIC1)/.installed: $(UV) tests/e2e/sdks.txt
	$(UV) pip install --quiet --no-deps --target $(ANTHROPIC1) -r tests/e2e/sdks.txt
	@touch $@

$(NODE_SDK)/node_modules/.installed: $(NODE_SDK)/package-lock.json
	@if command -v npm >/dev/null; then \
		npm ci --prefix $(NODE_SDK) --ignore-scripts --no-audit --no-fund --loglevel=error \
		&& touch $@; \
	else echo "npm not found: the Node SDK e2e tests will be skipped"; fi

sdks: $(ANTHROPIC1)/.installed $(NODE_SDK)/node_modules/.installed

up: sync
	$(VENV)/bin/hicap up $(ARGS)

test: lint sdks
	$(VENV)/bin/python -m pytest tests/unit tests/integration tests/e2e $(ARGS)

test-unit: sync
	$(VENV)/bin/python -m pytest tests/unit $(ARGS)

test-integration: sync
	$(VENV)/bin/python -m pytest tests/integration $(ARGS)

test-e2e: sync sdks
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
