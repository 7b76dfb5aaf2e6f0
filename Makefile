# Pathwise developer commands. Needs GNU make and a Python >= 3.12; everything else is
# installed into .venv from pyproject.toml. `make help` lists the targets.

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000
PYTEST_ARGS ?=
# Set PYTHON=/path/to/python3.12 to skip the search below.
PYTHON ?=

# Shell snippet that prints the first Python >= 3.12 it can really run: the usual names on
# PATH (a pyenv shim that fails for the selected version is skipped), then pyenv's versions,
# newest first. Prints nothing when there is none.
define FIND_PYTHON
ok() { "$$1" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; }; \
for name in python3.13 python3.12 python3 python; do \
	cand=$$(command -v $$name 2>/dev/null) || continue; \
	if ok "$$cand"; then echo "$$cand"; exit 0; fi; \
done; \
if command -v pyenv >/dev/null 2>&1; then root=$$(pyenv root 2>/dev/null); fi; \
root=$${root:-$$HOME/.pyenv}; \
for cand in $$(ls -d "$$root"/versions/3.1[2-9]* 2>/dev/null | sort -rV); do \
	if ok "$$cand/bin/python3"; then echo "$$cand/bin/python3"; exit 0; fi; \
done
endef

.PHONY: help venv run debug test lint format worker bench load clean

help:
	@echo "Pathwise make targets:"
	@echo "  make run      migrate, load demo data, serve on http://127.0.0.1:$(PORT) (PORT=...)"
	@echo "               as the product runs: its own 404/500 pages, static files via WhiteNoise"
	@echo "  make debug    the same with DJANGO_DEBUG=1 (Django's debug pages, auto-reload)"
	@echo "  make test     ruff check, ruff format --check, mypy, pytest (PYTEST_ARGS=...)"
	@echo "  make worker   Celery worker with beat (needs REDIS_URL)"
	@echo "  make bench    run the benchmarks in bench/"
	@echo "  make load     gunicorn + a bounded Locust profile on 127.0.0.1 (BENCH_DATABASE_URL)"
	@echo "  make lint     ruff check, ruff format --check and mypy"
	@echo "  make format   ruff format and ruff check --fix"
	@echo "  make venv     create .venv and install pyproject.toml's dependencies (with dev)"
	@echo "  make clean    remove .venv, caches and collected static files"

venv: $(STAMP)

# Re-runs only when pyproject.toml changes. An existing .venv on a Python older than 3.12
# (or a broken one) is replaced.
$(STAMP): pyproject.toml
	@set -e; \
	if [ -x "$(BIN)/python" ] && "$(BIN)/python" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then \
		echo "Using existing $(VENV) ($$("$(BIN)/python" -V))"; \
	else \
		py="$(PYTHON)"; \
		if [ -z "$$py" ]; then py=$$( $(FIND_PYTHON) ); fi; \
		if [ -n "$$py" ] && ! "$$py" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then \
			echo "error: PYTHON=$$py does not run as Python >= 3.12, which Pathwise needs." >&2; \
			exit 1; \
		fi; \
		if [ -z "$$py" ]; then \
			echo "error: Pathwise needs Python >= 3.12, and none was found." >&2; \
			echo "  Looked for python3.13, python3.12, python3 and python on PATH, and for" >&2; \
			echo "  pyenv's versions/3.12+ ; install one, or run: make PYTHON=/path/to/python3.12 ..." >&2; \
			exit 1; \
		fi; \
		echo "Creating $(VENV) with $$py ($$("$$py" -V))"; \
		rm -rf "$(VENV)"; \
		"$$py" -m venv "$(VENV)"; \
	fi
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# The demo runs as the product does (DEBUG off: the product's own 404 and 500 pages, hashed and
# compressed static files served by WhiteNoise); a local key, plain HTTP (no redirect to HTTPS,
# no HSTS) and plain-http cookies, since it only listens on 127.0.0.1. `make debug` is for
# development.
run: export DJANGO_DEBUG ?= 0
run: export DJANGO_SECRET_KEY ?= pathwise-local-demo-key-not-for-production
run: export DJANGO_SECURE_COOKIES ?= 0
run: export DJANGO_HTTPS ?= 0
run: $(STAMP)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python manage.py runserver --nostatic 127.0.0.1:$(PORT)

debug: export DJANGO_DEBUG = 1
debug: $(STAMP)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	PATHWISE_TESTING=1 $(BIN)/mypy

test: lint
	$(BIN)/pytest $(PYTEST_ARGS)

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# A development worker, like `make run`: debug settings (so no DJANGO_SECRET_KEY is needed) and
# the broker from REDIS_URL, which it must have: without one there is nothing to consume.
worker: export DJANGO_DEBUG ?= 1
worker: $(STAMP)
	@if [ -z "$$REDIS_URL" ]; then \
		echo "error: make worker needs REDIS_URL, e.g. REDIS_URL=redis://127.0.0.1:6379/0 make worker" >&2; \
		echo "  (without it, make run executes tasks eagerly in the web process)" >&2; \
		exit 1; \
	fi
	$(BIN)/celery -A config worker -B -l info

bench: $(STAMP)
	$(BIN)/python bench/run.py

# gunicorn (one sync worker per core) against BENCH_DATABASE_URL, a PostgreSQL database seeded
# by seed_demo, and Locust headless on loopback: 16 learners closed loop, then a 60 s mix of
# 50 people at 1 s think time; prints a table per phase (bench/load.py).
load: $(STAMP)
	$(BIN)/python bench/load.py

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache .mypy_cache test-artifacts build *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
