# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
CONFIG ?= config.toml
# tests/conformance/test_litellm.py runs a real LiteLLM proxy; it lives in a venv of its
# own (hundreds of dependencies that are not ours), built once.
GATEWAY := .venv-litellm
LITELLM := litellm[proxy]>=1.100,<2

.PHONY: run test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.test-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/aistatus --config $(CONFIG) db upgrade
	$(BIN)/aistatus --config $(CONFIG) run

$(GATEWAY)/.installed:
	$(PYTHON) -m venv $(GATEWAY)
	$(GATEWAY)/bin/pip install --quiet '$(LITELLM)'
	touch $@

test: $(VENV)/.test-installed $(GATEWAY)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/pytest

lint: $(VENV)/.test-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) $(GATEWAY) aistatus.db aistatus.db-wal aistatus.db-shm
