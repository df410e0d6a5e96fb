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
# renaming or deleting a source file (which changes its directory's mtime) triggers a compile. The
# Forge tests in contracts/test/ are not product sources (tools/compile.py leaves them out).
SOL_SOURCES := $(shell find contracts -path contracts/test -prune -o -name '*.sol' -print 2>/dev/null | sort)
SOL_DIRS := $(shell find contracts -path contracts/test -prune -o -type d -print 2>/dev/null | sort)

PYTEST_ARGS ?=
FORGE := node_modules/.bin/forge
FORGE_ARGS ?=
# CI runs the Forge campaigns with a fixed seed (as it derandomizes the Hypothesis state machine): a red
# CI then always means the change under test. Elsewhere each run draws new sequences; PA_FORGE_SEED
# replays one (Forge prints the seed of every run).
FORGE_SEED := $(or $(PA_FORGE_SEED),$(if $(filter-out false 0 no,$(CI)),0x5041))
MYPY_PATHS := pa_client tools/compile.py tools/slither_check.py benchmarks tests scripts ape_console_extras.py

# The embedded Anvil (node_modules/.bin) and the venv's tools for the recipes; the pinned solc
# wrapper for py-solc-x / Ape (they look for tools/solc/solc-v0.8.28).
export PATH := $(CURDIR)/$(VENV)/bin:$(CURDIR)/node_modules/.bin:$(PATH)
export SOLCX_BINARY_PATH := $(CURDIR)/tools/solc

.PHONY: help setup compile test lint slither forge demo bench fuzz faults fuzz-reader test-consortium test-consortium-short clean ape-env

help:
	@echo "make setup    create .venv, install Python and npm dependencies, compile if needed"
	@echo "make demo     run the demo (pa demo)"
	@echo "make test     run the test suite"
	@echo "make lint     ruff check, ruff format --check, mypy, the layers (import-linter), slither"
	@echo "make compile  recompile contracts/ into pa_client/contract/artifacts/"
	@echo "make bench    run the benchmarks"
	@echo "make fuzz     the stateful invariant test of the contracts at 10 000 steps (PA_FUZZ_STEPS), then"
	@echo "              the Forge invariant tests long (FOUNDRY_PROFILE=long: 1 000 runs of 100 calls)"
	@echo "make forge    the Forge tests of contracts/test/, short (32 runs of 32 calls; CI runs it)"
	@echo "make slither  static analysis of the contracts (run by make lint; tools/slither-triage.toml)"
	@echo "make faults   the long fault tests: 20 kills of a 5 000-entry submission, node kills, faulty RPC"
	@echo "make fuzz-reader  the file reader fuzzed with 500 inputs per strategy (PA_READER_EXAMPLES)"
	@echo "make test-consortium  the chain tests against a consortium-like node (docs/consortium.md)"
	@echo "make test-consortium-short  the CI subset of it, with half-second blocks"
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
		echo "CI: not regenerating pa_client/contract/artifacts (tests check them)"; \
	else \
		$(PY) tools/compile.py; \
	fi
	touch $@

compile: $(PIP_STAMP) $(NPM_STAMP)
	$(PY) tools/compile.py
	@mkdir -p build && touch $(ARTIFACTS_STAMP)

# pytest exits 5 when no test ran; like every non-zero status, that fails the target. The suite runs
# on every core (pytest-xdist; each worker starts its own Anvil on a free port), a module's tests on
# one worker so that its module-wide fixtures are made once; the slowest tests are listed at the end.
PYTEST_WORKERS ?= auto
test: setup
	$(PY) -m pytest -p no:cacheprovider -n $(PYTEST_WORKERS) --dist loadscope --durations=15 $(PYTEST_ARGS)

lint: $(PIP_STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy $(MYPY_PATHS)
	$(VENV)/bin/lint-imports --no-cache
	$(MAKE) --no-print-directory slither

# Slither on the contracts: fails on a high or medium finding not explained in tools/slither-triage.toml.
slither: $(PIP_STAMP) $(NPM_STAMP)
	$(PY) tools/slither_check.py

demo: setup
	$(VENV)/bin/pa demo

bench: setup
	$(PY) -m benchmarks

# The hypothesis state machine against a real Anvil, random and long (CI runs it short and fixed);
# -s: the test prints its figures (runs, steps, records, steps/s, rules taken) for docs/reliability.md.
# Then the Forge invariant tests of contracts/test/ with the long profile of foundry.toml.
fuzz: setup
	@mkdir -p build/reliability
	PA_FUZZ_STEPS=$${PA_FUZZ_STEPS:-10000} $(PY) -m pytest -p no:cacheprovider -s tests/test_ledger_stateful.py \
		| tee build/reliability/fuzz.log
	FOUNDRY_PROFILE=long $(FORGE) test $(if $(FORGE_SEED),--fuzz-seed $(FORGE_SEED)) $(FORGE_ARGS) \
		| tee build/reliability/forge-long.log

# The Forge tests of contracts/test/ (foundry.toml's default profile: short), offline with the pinned
# solc; they deploy the shipped artifacts. CI runs this target.
forge: setup
	$(FORGE) test $(if $(FORGE_SEED),--fuzz-seed $(FORGE_SEED)) $(FORGE_ARGS)

# The long fault tests of docs/reliability.md (CI runs short variants of the same tests): the
# submitting process SIGKILLed at 20 random points of a 5 000-entry submission, the node SIGKILLed 5
# times during one, and every fault of the RPC proxy on 5 000 entries. -s prints the figures.
FAULT_REPORT := build/reliability
faults: setup
	@mkdir -p $(FAULT_REPORT)
	PA_KILL_RUNS=$${PA_KILL_RUNS:-20} PA_KILL_ENTRIES=$${PA_KILL_ENTRIES:-5000} \
	PA_NODE_KILLS=$${PA_NODE_KILLS:-5} PA_NODE_ENTRIES=$${PA_NODE_ENTRIES:-5000} \
	PA_FAULT_ENTRIES=$${PA_FAULT_ENTRIES:-5000} \
		$(PY) -m pytest -p no:cacheprovider -s tests/test_faults_kill.py tests/test_faults_rpc.py \
		| tee $(FAULT_REPORT)/faults.log

fuzz-reader: setup
	@mkdir -p $(FAULT_REPORT)
	PA_READER_EXAMPLES=$${PA_READER_EXAMPLES:-500} $(PY) -m pytest -p no:cacheprovider -s \
		tests/test_fuzz_reader.py | tee $(FAULT_REPORT)/fuzz-reader.log

# The contract, submission and audit tests against Anvil configured like a consortium node (no
# unlocked accounts, zero gas price, a block every PA_TEST_BLOCK_TIME s (1), an eth_getLogs range limit
# enforced by a proxy): docs/consortium.md. CI runs the short set with half-second blocks.
CONSORTIUM_SHORT := tests/test_consortium.py tests/test_submission.py tests/test_batches.py \
	tests/test_auditing.py
CONSORTIUM_TESTS := $(CONSORTIUM_SHORT) tests/test_submit_cli.py tests/test_integrity.py tests/test_ledger_roles.py \
	tests/test_ledger_entries.py tests/test_registry.py tests/test_rules_chain.py \
	tests/test_worked_example.py tests/test_cli_ledger.py
test-consortium: setup
	PA_TEST_CONSORTIUM=1 $(PY) -m pytest -p no:cacheprovider $(PYTEST_ARGS) $(CONSORTIUM_TESTS)

test-consortium-short: setup
	PA_TEST_CONSORTIUM=1 PA_TEST_BLOCK_TIME=$${PA_TEST_BLOCK_TIME:-0.5} \
		$(PY) -m pytest -p no:cacheprovider $(PYTEST_ARGS) $(CONSORTIUM_SHORT)

# Ape run from your shell (docs/developer-guide.md) needs what the recipes above get from this file:
# the venv's `ape`, node_modules' `anvil` and the pinned solc wrapper. `eval "$(make -s ape-env)"`.
ape-env:
	@echo 'export PATH="$(CURDIR)/$(VENV)/bin:$(CURDIR)/node_modules/.bin:$$PATH"'
	@echo 'export SOLCX_BINARY_PATH="$(CURDIR)/tools/solc"'

clean:
	rm -rf build .pytest_cache .mypy_cache .ruff_cache .hypothesis .build contracts/.cache
	find . -path ./$(VENV) -prune -o -path ./node_modules -prune -o \
		-name __pycache__ -type d -exec rm -rf {} +
