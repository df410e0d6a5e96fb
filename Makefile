# PA Ledger developer commands (GNU make). `make setup` is idempotent and quick when nothing
# changed: each step is guarded by a stamp file and only reruns when its inputs change.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DELETE_ON_ERROR:
.DEFAULT_GOAL := help

PYTHON_BOOTSTRAP ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP_STAMP := $(VENV)/.pip-install.stamp
NPM_STAMP := node_modules/.npm-ci.stamp
ARTIFACTS_STAMP := build/artifacts.stamp
SOLC_WRAPPER := tools/solc/solc-v0.8.28

# Everything that can change the compiled artifacts. Directories are listed too so that adding,
# renaming or deleting a source file (which changes its directory's mtime) triggers a compile.
SOL_SOURCES := $(shell find contracts -name '*.sol' 2>/dev/null | sort)
SOL_DIRS := $(shell find contracts -type d 2>/dev/null | sort)

PYTEST_ARGS ?=
MYPY_PATHS := pa_client tools/compile.py benchmarks tests scripts ape_console_extras.py

# The embedded Anvil (node_modules/.bin) and the venv's tools for the recipes; the pinned solc
# wrapper for py-solc-x / Ape (they look for tools/solc/solc-v0.8.28).
export PATH := $(CURDIR)/$(VENV)/bin:$(CURDIR)/node_modules/.bin:$(PATH)
export SOLCX_BINARY_PATH := $(CURDIR)/tools/solc

.PHONY: help setup compile test lint demo bench fuzz clean ape-env

help:
	@echo "make setup    create .venv, install Python and npm dependencies, compile if needed"
	@echo "make demo     run the demo (pa demo)"
	@echo "make test     run the test suite"
	@echo "make lint     ruff check, ruff format --check, mypy"
	@echo "make compile  recompile contracts/ into pa_client/artifacts/"
	@echo "make bench    run the benchmarks"
	@echo "make fuzz     the stateful invariant test of the contracts at 10 000 steps (PA_FUZZ_STEPS)"
	@echo "make clean    remove build outputs and caches (keeps .venv and node_modules)"
	@echo "make ape-env  print the exports that Ape needs in your shell: eval \"\$$(make -s ape-env)\""

setup: $(PIP_STAMP) $(NPM_STAMP) $(if $(SOL_SOURCES),$(ARTIFACTS_STAMP))

$(PY):
	$(PYTHON_BOOTSTRAP) -m venv $(VENV)

$(PIP_STAMP): pyproject.toml constraints.txt | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev,ape]'
	touch $@

# npm ci (which deletes node_modules first) only when the installed tree, as recorded by npm in
# node_modules/.package-lock.json, differs from package-lock.json.
NPM_TREE_MATCHES_LOCK := node -e ' \
	const fs = require("fs"); \
	const want = JSON.parse(fs.readFileSync("package-lock.json", "utf8")).packages; \
	const have = JSON.parse(fs.readFileSync("node_modules/.package-lock.json", "utf8")).packages; \
	const keys = Object.keys(want).filter((k) => k !== ""); \
	const same = keys.length === Object.keys(have).length && \
		keys.every((k) => JSON.stringify(want[k]) === JSON.stringify(have[k])); \
	process.exit(same ? 0 : 1);'

$(NPM_STAMP): package.json package-lock.json
	@if $(NPM_TREE_MATCHES_LOCK) 2>/dev/null; then \
		echo "node_modules already matches package-lock.json"; \
	else \
		npm ci --no-audit --no-fund; \
	fi
	touch $@

# In CI (CI=true) the shipped artifacts are not regenerated: tests/test_artifacts.py must see
# exactly what was committed and fail if it differs from a fresh compile.
$(ARTIFACTS_STAMP): $(SOL_SOURCES) $(SOL_DIRS) tools/compile.py $(SOLC_WRAPPER) \
		package-lock.json | $(PIP_STAMP) $(NPM_STAMP)
	@mkdir -p $(@D)
	@if [ -n "$${CI:-}" ] && [ "$${CI}" != false ]; then \
		echo "CI: not regenerating pa_client/artifacts (tests check them)"; \
	else \
		$(PY) tools/compile.py; \
	fi
	touch $@

compile: $(PIP_STAMP) $(NPM_STAMP)
	$(PY) tools/compile.py
	@mkdir -p build && touch $(ARTIFACTS_STAMP)

# pytest exits 5 when no test ran; like every non-zero status, that fails the target.
test: setup
	$(PY) -m pytest -p no:cacheprovider $(PYTEST_ARGS)

lint: $(PIP_STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy $(MYPY_PATHS)

demo: setup
	$(VENV)/bin/pa demo

bench: setup
	$(PY) -m benchmarks

# The hypothesis state machine against a real Anvil, random and long (CI runs it short and fixed).
fuzz: setup
	PA_FUZZ_STEPS=$${PA_FUZZ_STEPS:-10000} $(PY) -m pytest -p no:cacheprovider tests/test_ledger_stateful.py

# Ape run from your shell (docs/developer-guide.md) needs what the recipes above get from this file:
# the venv's `ape`, node_modules' `anvil` and the pinned solc wrapper. `eval "$(make -s ape-env)"`.
ape-env:
	@echo 'export PATH="$(CURDIR)/$(VENV)/bin:$(CURDIR)/node_modules/.bin:$$PATH"'
	@echo 'export SOLCX_BINARY_PATH="$(CURDIR)/tools/solc"'

clean:
	rm -rf build .pytest_cache .mypy_cache .ruff_cache .hypothesis .build contracts/.cache
	find . -path ./$(VENV) -prune -o -path ./node_modules -prune -o \
		-name __pycache__ -type d -exec rm -rf {} +
