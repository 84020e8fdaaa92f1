# Two commands: `make run` (serve with demo data on SQLite) and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint typecheck pytest install install-runtime clients clean bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Re-install only when the requirement files change. `make run` needs the runtime set
# alone (requirements.txt); `make test` and its parts add the dev tools on top.
$(VENV)/.installed-runtime: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

install-runtime: $(VENV)/.installed-runtime
install: $(VENV)/.installed

# openapi-typescript (clients/package.json) for tests/api/test_generated_clients.py, which
# skips it where there is no npm. Re-installed only when the lock file changes.
NPM := $(shell command -v npm 2>/dev/null)
clients/node_modules/.installed: clients/package.json clients/package-lock.json
	cd clients && npm ci --no-audit --no-fund --loglevel=error
	touch $@

clients: $(if $(NPM),clients/node_modules/.installed)

run: export DEBUG ?= 1
run: install-runtime
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py ensure_local_admin
	@echo "Serving on http://$(HOST):$(PORT)/  (API docs: /api/docs/, admin: /admin/)"
	$(BIN)/daphne -b $(HOST) -p $(PORT) bufdir_project.asgi:application

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(CHECK_ENV) $(BIN)/mypy .

# Checks that import settings need some SECRET_KEY; this one is never used to sign anything.
CHECK_ENV := SECRET_KEY=checks-only-not-secret

pytest: install clients
	$(CHECK_ENV) $(BIN)/python manage.py check --fail-level WARNING
	$(CHECK_ENV) $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest $(PYTEST_ARGS)

test: lint typecheck pytest

bench: install
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) clients/node_modules staticfiles .mypy_cache .ruff_cache .pytest_cache
