# PLATINIUM EDC — every task a newcomer needs. `make run` and `make test` do all the set-up.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | sha256sum | cut -c1-12)
export DJANGO_SETTINGS_MODULE ?= platinium.settings
# Port of `make run` (e.g. `make run PORT=8100` when 8000 is taken).
PORT ?= 8000

.PHONY: help install run test lint migrations-check pytest bench load fuzz messages clean-data worker backup restore

help:
	@echo "make run    - the app with demo data on http://127.0.0.1:$(PORT) (PORT=8100 for another port; embedded PostgreSQL unless DATABASE_URL is set)"
	@echo "make test   - lint + migrations check + the whole test suite"
	@echo "make bench  - latency benchmarks, written to bench/results.json"
	@echo "make load   - a trial day under gunicorn, then each page alone (SIZE=326 DURATION=600 PAGES=yes), to bench/results.json"
	@echo "make fuzz   - 10,000 generated hostile submissions over every form"

$(PY):
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@rm -f $(VENV)/.installed-* && touch $@

# A development .env (never committed) so `python manage.py …` works without exports.
.env:
	@printf '# Local development settings (see .env.example for every variable).\nDJANGO_DEBUG=true\nPLATINIUM_REQUIRE_2FA=false\n' > .env
	@echo "install: wrote a development .env (DJANGO_DEBUG=true)"

install: $(STAMP) .env

# The local development run: DEBUG on, 2FA optional, demo data, Celery worker when Redis answers.
run: export DJANGO_DEBUG = true
run: export PLATINIUM_REQUIRE_2FA ?= false
run: install
	@PORT=$(PORT) bash scripts/run.sh

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

migrations-check: install
	DJANGO_DEBUG=true $(PY) manage.py makemigrations --check --dry-run

# Two workers (these machines have two cores); each gets its own test database.
PYTEST_ARGS ?= -n 2 -p no:cacheprovider
pytest: install
	DJANGO_SETTINGS_MODULE=tests.settings $(PY) -m pytest $(PYTEST_ARGS)

test: lint migrations-check pytest

# ONLY=demo,crf runs those scenarios only (the others keep their figures in results.json).
bench: install
	BENCH_ONLY=$(ONLY) DJANGO_SETTINGS_MODULE=tests.settings $(PY) bench/run.py

# A trial day from outside: gunicorn (2 workers) on a copy of a SIZE-participant synthetic trial
# (built once into a template database), 23 sites x 3 users + monitor + data manager driven
# by locust over loopback for DURATION seconds; then each page alone on the same gunicorn
# (issue #13's method, 3 rounds, ~2 min; PAGES=no skips it); then 0 lost writes is checked.
SIZE ?= 326
DURATION ?= 600
WAIT ?= 5,15
PAGES ?= yes
load: install
	DJANGO_SETTINGS_MODULE=tests.settings $(PY) -m bench.loadtest.scenario \
		--size $(SIZE) --duration $(DURATION) --wait $(WAIT) $(if $(filter no 0 false,$(PAGES)),--no-pages)

# 10,000 generated hostile submissions over every form (make test runs 300 fixed ones).
fuzz: install
	PLATINIUM_FUZZ_EXAMPLES=10000 PLATINIUM_FUZZ_SEED=$${PLATINIUM_FUZZ_SEED:-$$RANDOM} \
	DJANGO_SETTINGS_MODULE=tests.settings $(PY) -m pytest tests/fuzz -p no:cacheprovider -q

messages: install
	cd $(CURDIR) && DJANGO_DEBUG=true $(PY) manage.py makemessages -l fr -l en --no-location --ignore=.venv --ignore=.data --ignore=tests --ignore=bench
	DJANGO_DEBUG=true $(PY) manage.py compilemessages --ignore=.venv

worker: install
	DJANGO_DEBUG=true $(VENV)/bin/celery -A platinium worker -B --loglevel=INFO

# Backups: pg_dump custom format in .data/backups (or DIR=…), the arm key in its own file.
backup: install
	$(PY) manage.py backup_database $(if $(DIR),--output "$(DIR)") $(if $(KEY_DIR),--key-output "$(KEY_DIR)")

# Restore into a new (or empty) database; a database holding data is never written over.
restore: install
	@test -n "$(FILE)" || { echo "usage: make restore FILE=path/to/platinium-<time>.dump [DATABASE=name]"; exit 2; }
	$(PY) manage.py restore_database "$(FILE)" $(if $(DATABASE),--database "$(DATABASE)")

clean-data:
	@echo "This deletes the embedded database under .data/. Ctrl-C to cancel."; sleep 3; rm -rf .data
