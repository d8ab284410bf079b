# One-word targets. `make run` and `make test` set everything up on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test test-unit lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.run-installed: pyproject.toml setup.py gateway/_fanout.c | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

# The test set-up asks for the C write loop (setup.py: the build fails without a compiler) and the tests then
# require it: in CI it can never be silently missing. `make test NEWSWIRE_BUILD_EXTENSION=` makes it optional.
test test-unit $(VENV)/.test-installed: export NEWSWIRE_BUILD_EXTENSION ?= yes

$(VENV)/.test-installed: pyproject.toml setup.py gateway/_fanout.c | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $@ $(VENV)/.run-installed

## run: the whole pipeline on the embedded broker, with a demo live blog (Ctrl-C stops it)
run: $(VENV)/.run-installed
	$(BIN)/newswire up --demo

## test: lint, type check and the whole suite (unit, integration on the embedded broker, browser end to end)
test: $(VENV)/.test-installed
	$(BIN)/ruff check .
	$(BIN)/python tests/typecheck.py
	bash tests/setup-system.sh
	$(BIN)/python -m pytest

## test-unit: only the tests that need no broker
test-unit: $(VENV)/.test-installed
	$(BIN)/python -m pytest tests/unit

## lint: ruff and mypy (strict on the pure cores), as make test runs them
lint: $(VENV)/.test-installed
	$(BIN)/ruff check .
	$(BIN)/python tests/typecheck.py

## bench: every benchmark, printing its figures
bench: $(VENV)/.test-installed
	bash bench/run-all.sh

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
