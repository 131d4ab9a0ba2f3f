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
# --compile-bytecode: every Airflow task, dbt run and CLI process imports Airflow, dbt and GE;
# where PYTHONDONTWRITEBYTECODE is set (it is on these build machines) nothing caches .pyc files and
# each process compiled them again: 11.7 s vs 6.0 s to import the three, measured here.
$(STAMP): pyproject.toml uv.lock
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	@test -x $(BIN)/uv || $(BIN)/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	VIRTUAL_ENV=$(CURDIR)/$(VENV) $(BIN)/uv sync --frozen --active --quiet --compile-bytecode
	@rm -f $(VENV)/.synced-*
	@touch $@

run: setup
	$(BIN)/journeymart run

test: setup
	$(BIN)/python -m pytest -n 2 --dist loadgroup --durations=25 $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check src dags tests bench

# journeymart vs DuckDB's readers, pandas and dlt (BENCHMARKS.md). Installs the bench extra
# (dlt, duckdb-engine); a later `make setup` removes it again. Size: BENCH_ARGS, e.g.
# BENCH_ARGS="--days 30 --customers 5000"; results in $(BENCH_OUT)/results.{md,json}.
BENCH_OUT ?= $(JOURNEYMART_HOME)/bench
bench: setup
	VIRTUAL_ENV=$(CURDIR)/.venv .venv/bin/uv sync --frozen --active --extra bench --compile-bytecode
	$(BIN)/python -m bench.run --out $(BENCH_OUT) $(BENCH_ARGS)

# Airflow UI on localhost with the project's DAGs (standalone: SQLite metadata under
# $JOURNEYMART_HOME/airflow). Port: JOURNEYMART_AIRFLOW_PORT (8080). Ctrl-C stops it.
airflow: setup
	$(BIN)/journeymart bootstrap
	$(BIN)/python -m journeymart.airflow_env standalone

clean:
	rm -rf $(VENV) .journeymart
