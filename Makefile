# kam — two commands: `make run` (set up and serve the demo) and `make test` (the whole suite).
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
KAM_DATA_DIR ?= $(CURDIR)/var
POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/test
# serve-prod: the operational database, where it listens, how many worker processes.
KAM_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/kam
HOST ?= 127.0.0.1
WORKERS ?= 4
FORWARDED_ALLOW_IPS ?= 127.0.0.1
# make test: pytest-xdist processes, each with a data directory of its own (docs/testing.md);
# the Spark tests share one of them (--dist loadgroup).
TEST_PROCESSES ?= 2
PYTEST_XDIST := -n $(TEST_PROCESSES) --dist loadgroup
export KAM_DATA_DIR
# Never let uv fetch a Python of its own: the machines have 3.11, and nothing else is reachable.
export UV_PYTHON_DOWNLOADS := never
# Some machines set PYTHONDONTWRITEBYTECODE: then every process (each test's `kam` command,
# each gunicorn worker) compiles Django, Plotly, SciPy and kam from source again, about
# 10 s of CPU each. Let Python keep the compiled files in the virtualenv and __pycache__.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: help run serve-prod test test-postgres lint check-chromium bench clean

help:
	@echo "make run            set everything up (venv, locked deps, migrations, demo data) and serve"
	@echo "make test           the whole suite: format, lint, types, import contracts, tests"
	@echo "make test-postgres  the database tests again against PostgreSQL ($(POSTGRES_URL))"
	@echo "make serve-prod     gunicorn, $(WORKERS) workers, PostgreSQL, KAM_ENV=production (docs/security.md)"

# uv is not on a fresh machine: bootstrap it with pip into a private tools venv.
$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet "uv==$(UV_VERSION)"

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen
	@touch $@

run: $(VENV)/.synced
	$(BIN)/kam setup
	$(BIN)/kam demo --if-empty
	@echo "Demo logins (password kam-demo, to be changed at the first sign-in):"
	@$(BIN)/kam user list
	$(BIN)/kam serve --port $(PORT)

# Production: gunicorn, several worker processes, PostgreSQL, every secret from the
# environment (docs/security.md). KAM_SECRET_KEY must be set; TLS ends at the proxy in front.
serve-prod: $(VENV)/.synced
	@test -n "$$KAM_SECRET_KEY" || { echo "serve-prod needs KAM_SECRET_KEY (docs/security.md)."; exit 1; }
	KAM_ENV=production KAM_DATABASE_URL=$(KAM_DATABASE_URL) $(BIN)/kam setup
	KAM_ENV=production KAM_DATABASE_URL=$(KAM_DATABASE_URL) $(BIN)/python manage.py collectstatic --noinput -v0
	KAM_ENV=production KAM_DATABASE_URL=$(KAM_DATABASE_URL) $(BIN)/gunicorn kam.wsgi \
	  --bind $(HOST):$(PORT) --workers $(WORKERS) --threads 4 --timeout 600 \
	  --forwarded-allow-ips="$(FORWARDED_ALLOW_IPS)" --access-logfile -

check-chromium:
	@test -x /usr/bin/chromium || { \
	  echo "Browser tests need Debian's Chromium at /usr/bin/chromium."; \
	  echo "Install it with: sudo apt-get install -y chromium chromium-driver"; \
	  exit 1; }

lint: $(VENV)/.synced
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy kam
	$(BIN)/lint-imports

test: lint check-chromium
	KAM_DATA_DIR=$(CURDIR)/var/test $(BIN)/pytest $(PYTEST_XDIST)

# The tests that touch the operational database, on PostgreSQL instead of SQLite.
test-postgres: $(VENV)/.synced
	KAM_DATA_DIR=$(CURDIR)/var/test KAM_DATABASE_URL=$(POSTGRES_URL) \
	  $(BIN)/pytest $(PYTEST_XDIST) -m "not browser and not spark" \
	  tests/people tests/accounts tests/relationships \
	  tests/plans tests/selection tests/cli tests/audit tests/engagement tests/opportunities \
	  tests/health tests/performance tests/api tests/test_permission_matrix.py \
	  tests/test_edit_conflicts.py tests/test_account_ids.py tests/test_datasets.py

bench: $(VENV)/.synced
	$(BIN)/python bench/import.py

clean:
	rm -rf $(VENV) $(TOOLS) var
