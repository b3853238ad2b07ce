# Exhale: two commands on a fresh machine with Python 3.11+ and git.
#   make run   - create .venv, install, migrate, seed the demo, start web + worker + beat
#   make test  - create .venv, install the dev requirements, run the whole test suite
#                (PYTEST_ARGS="-n 2 --dist worksteal": in two processes, as CI does; README)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: run test check lint format e2e bench-fanout migrate seed clean help

help:
	@echo "make run    start Exhale on http://localhost:$(PORT) with demo data"
	@echo "make test   run the whole test suite"
	@echo "make check  ruff, djlint, migrations and deployment checks (CI runs these too)"

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Exhale needs Python 3.11 or newer"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

run: $(VENV)/.runtime
	DJANGO_DEBUG=true $(BIN)/python manage.py migrate --no-input
	DJANGO_DEBUG=true $(BIN)/python manage.py seed_demo
	@echo
	@echo "  Exhale is starting on http://localhost:$(PORT)  (Ctrl-C stops everything)"
	@echo
	DJANGO_DEBUG=true PORT=$(PORT) $(BIN)/honcho start -f Procfile.dev

test: $(VENV)/.dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

check: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/djlint templates --lint
	$(BIN)/djlint templates --check
	DJANGO_DEBUG=true $(BIN)/python manage.py makemigrations --check --dry-run

format: $(VENV)/.dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
	$(BIN)/djlint templates --reformat --quiet || true

e2e: $(VENV)/.dev
	$(BIN)/python -m pytest tests/e2e $(PYTEST_ARGS)

# 100,000 reminders due at once on the local PostgreSQL and Redis (its own database and Redis
# db 13); prints the fan-out and crisis-notice figures. BENCH_ARGS="--help" lists the options.
bench-fanout: $(VENV)/.dev
	$(BIN)/python bench/checkin_fanout.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
