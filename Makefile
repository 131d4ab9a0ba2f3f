# journeymart: two commands on a fresh machine — `make run` and `make test`.
SHELL := /bin/bash
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
STAMP := $(VENV)/.synced-$(shell cat uv.lock pyproject.toml | sha1sum | cut -c1-12)
export JOURNEYMART_HOME ?= $(CURDIR)/.journeymart

.PHONY: setup run test lint bench airflow clean

setup: $(STAMP)

# Re-sync only when the lock or the project changes; a second run is a no-op.
$(STAMP): pyproject.toml uv.lock
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	@test -x $(BIN)/uv || $(BIN)/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	VIRTUAL_ENV=$(CURDIR)/$(VENV) $(BIN)/uv sync --frozen --active --quiet
	@rm -f $(VENV)/.synced-*
	@touch $@

run: setup
	$(BIN)/journeymart run

test: setup
	$(BIN)/python -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check src dags tests bench

clean:
	rm -rf $(VENV) .journeymart
