# Two commands (see README):
#   make demo   set up, write the sample, materialise every asset, serve on :$(PORT) (8050),
#               the Dagster UI on :$(DAGSTER_PORT) (3000); `make stop` stops both
#   make test   set up what the tests need (incl. Chromium, PostgreSQL) and run the whole suite
#   make audit  check the locked packages against known advisories, offline (docs/security.md)
SHELL := /bin/bash
PYTHON ?= python3.11
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
DATA ?= data
# the demo's ports: `make demo PORT=8060 DAGSTER_PORT=3010` beside another checkout's demo
PORT ?= 8050
DAGSTER_PORT ?= 3000
export UV_PYTHON_DOWNLOADS := never
# runs of the demo are recorded here, where the Dagster UI shows them (tests use a throwaway instance)
DAGSTER_HOME ?= $(abspath $(DATA)/dagster_home)

.PHONY: demo stop test setup dictionary browser postgres screenshots dagster instance clean audit refresh-advisories

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet uv==$(UV_VERSION)

$(VENV)/.synced: $(UV) pyproject.toml uv.lock setup.py $(wildcard pipelines/sources/*/*.pyx)
	$(UV) sync --frozen --python $(PYTHON)
	@touch $@

# dbt's manifest of sql/ (the asset graph Dagster reads), parsed again when a model changed
setup: $(VENV)/.synced
	@$(BIN)/python -m pipelines.dbt_project

# The demo's Dagster instance: telemetry off, and one run at a time. Every run writes the
# one DuckDB warehouse, so the daemon queues the UI's, the sensor's and the schedule's runs
# (Dagster 1.13 `concurrency: runs: max_concurrent_runs`); the warehouse's run lock
# (pipelines/operations.py) also queues them against `solidarity materialize`. An existing
# dagster.yaml is kept; the limit is added to it when missing.
instance:
	@mkdir -p $(DAGSTER_HOME)
	@test -f $(DAGSTER_HOME)/dagster.yaml || printf 'telemetry:\n  enabled: false\n' > $(DAGSTER_HOME)/dagster.yaml
	@grep -q '^ *max_concurrent_runs:' $(DAGSTER_HOME)/dagster.yaml \
	  || { grep -q '^concurrency:' $(DAGSTER_HOME)/dagster.yaml \
	       && echo "$(DAGSTER_HOME)/dagster.yaml has a concurrency block without runs.max_concurrent_runs: add 'runs: {max_concurrent_runs: 1}' to it" >&2; } \
	  || printf 'concurrency:\n  runs:\n    max_concurrent_runs: 1\n' >> $(DAGSTER_HOME)/dagster.yaml

demo: export DAGSTER_HOME := $(DAGSTER_HOME)
demo: setup instance
	$(BIN)/solidarity sample --out $(DATA)/sample
	$(BIN)/solidarity materialize --raw $(DATA)/sample --warehouse $(DATA)/warehouse.duckdb --serving $(DATA)/serving.duckdb
	@echo "Dagster UI: http://127.0.0.1:$(DAGSTER_PORT)  (started in the background, log in $(DATA)/dagster.log)"
	@SOLIDARITY_RAW_DIR=$(abspath $(DATA)/sample) SOLIDARITY_WAREHOUSE=$(abspath $(DATA)/warehouse.duckdb) \
	  SOLIDARITY_SERVING=$(abspath $(DATA)/serving.duckdb) \
	  nohup $(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p $(DAGSTER_PORT) > $(DATA)/dagster.log 2>&1 & \
	  echo $$! > $(DATA)/dagster.pid
	@echo "Dashboard:  http://127.0.0.1:$(PORT)  (make stop, or Ctrl-C here and make stop)"
	@# in the foreground (Ctrl-C stops it), its pid the shell's, which exec hands on
	@echo $$$$ > $(DATA)/dashboard.pid; exec $(BIN)/solidarity serve --serving $(DATA)/serving.duckdb --host 127.0.0.1 --port $(PORT)

# Stops what `make demo` started, by the process ids it recorded (never by name: another
# checkout's demo may be running); `dagster dev` stops its webserver and daemon with it.
stop:
	@for name in dashboard dagster; do \
	  pid_file=$(DATA)/$$name.pid; pid=$$(cat $$pid_file 2>/dev/null); \
	  if [ -n "$$pid" ] && kill -0 $$pid 2>/dev/null; then kill -TERM $$pid && echo "stopped $$name (pid $$pid)"; \
	  else echo "$$name: not running"; fi; \
	  rm -f $$pid_file; \
	done

browser:
	bash scripts/ensure-browser.sh

postgres:
	bash scripts/ensure-postgres.sh

test: setup browser postgres
	$(BIN)/python -m pytest

# offline: uv.lock against data/security/advisories.json, waivers in security/waivers.toml (docs/security.md)
audit: setup
	$(BIN)/python scripts/dependency_audit.py

# ADVISORY_DB: a git copy (bare or not) of https://github.com/pypa/advisory-database
refresh-advisories: setup
	@test -n "$(ADVISORY_DB)" || { echo "usage: make refresh-advisories ADVISORY_DB=/path/to/advisory-database"; exit 2; }
	$(BIN)/python scripts/refresh_advisories.py $(ADVISORY_DB)
	$(BIN)/python scripts/dependency_audit.py

# docs/data-dictionary.md, generated: the sample materialised in a scratch folder, then every
# published column with its type (from the snapshot) and meaning (from the dbt .yml)
dictionary: setup
	@scratch=$$(mktemp -d) && trap 'rm -rf "$$scratch"' EXIT && \
	  $(BIN)/solidarity sample --out $$scratch/sample > /dev/null && \
	  $(BIN)/solidarity materialize --raw $$scratch/sample --warehouse $$scratch/w.duckdb --serving $$scratch/s.duckdb > /dev/null && \
	  $(BIN)/python -m pipelines.dictionary $$scratch/s.duckdb --out docs/data-dictionary.md

screenshots: setup browser
	$(BIN)/python scripts/screenshots.py --out screenshots

dagster: export DAGSTER_HOME := $(DAGSTER_HOME)
dagster: setup instance
	$(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p $(DAGSTER_PORT)

clean:
	rm -rf $(DATA)/*.pid $(DATA)/sample $(DATA)/*.duckdb $(DATA)/dagster_home
