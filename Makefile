# golem-emu: every target installs what it needs, so `make demo` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup guests test check lint typecheck demo bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev,bench]"
	touch $@

include Makefile.guests

# Test processes: one per core (CI machines have 2); TEST_JOBS=0 runs in this process only.
TEST_JOBS ?= $(shell nproc 2>/dev/null || echo 2)
test: setup guests
	$(PY) -m pytest -q -n $(TEST_JOBS)

lint: setup
	$(VENV)/bin/ruff check emulator tests bench

typecheck: setup
	$(VENV)/bin/mypy

check: lint typecheck test

DEMO_DIR := $(CURDIR)/.golem-emu-demo
demo: setup guests
	rm -rf $(DEMO_DIR)
	@echo "== three invocations of the counter guest, each in its own process =="
	$(VENV)/bin/golem-emu --data-dir $(DEMO_DIR) invoke guests/build/counter.wasm --worker demo increment
	$(VENV)/bin/golem-emu --data-dir $(DEMO_DIR) invoke guests/build/counter.wasm --worker demo increment
	$(VENV)/bin/golem-emu --data-dir $(DEMO_DIR) invoke guests/build/counter.wasm --worker demo increment
	@echo "== the worker and its oplog =="
	$(VENV)/bin/golem-emu --data-dir $(DEMO_DIR) workers
	$(VENV)/bin/golem-emu --data-dir $(DEMO_DIR) oplog demo
	@echo "== crash testing: kill -9 and recovery of an HTTP workflow, then explore every crash point =="
	$(PY) examples/demo.py

bench: setup guests
	$(PY) -m bench

clean:
	rm -rf guests/build .golem-emu .golem-emu-demo .pytest_cache .mypy_cache .ruff_cache
