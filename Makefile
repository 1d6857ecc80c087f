# DataABS: the two commands a newcomer runs are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
# The suite runs on every core; tests of the shared PostgreSQL/Redis services run one at a time (tests/conftest.py).
PYTEST_XDIST ?= -n auto --dist loadgroup

.PHONY: install run serve migrate seed test worker beat lint typecheck fmt bench messages clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed_demo

## make run: install, migrate, load the demo data (idempotent), resume jobs a restart interrupted, serve on :8000
run: seed
	$(BIN)/python manage.py jobs_recover
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

## make test: the whole suite on every core (PostgreSQL/Redis tests skip unless DATABASE_URL/REDIS_URL are set);
## PYTEST_XDIST= runs it in one process
test: install
	$(BIN)/python -m pytest -q $(PYTEST_XDIST) $(PYTEST_ARGS)

## make worker: a Celery worker on every queue, against REDIS_URL and DATABASE_URL; it also sweeps stale jobs
worker: install
	$(BIN)/celery -A config worker --loglevel=INFO --queues=default,valuation,matching --concurrency=$${CONCURRENCY:-2}

## make beat: the nightly jobs only (recovery does not need it: every worker sweeps)
beat: install
	$(BIN)/celery -A config beat --loglevel=INFO

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python manage.py makemigrations --check --dry-run

## make typecheck: mypy (django-stubs, DRF stubs) on the files pyproject.toml's [tool.mypy] names: strict on the engines, services and workflow
typecheck: install
	$(BIN)/mypy

fmt: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install
	@for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

## make messages: refresh and compile the Simplified Chinese translations (needs GNU gettext)
messages: install
	$(BIN)/python manage.py makemessages --locale=zh_Hans --ignore=.venv --ignore=staticfiles
	$(BIN)/python manage.py compilemessages --locale=zh_Hans --ignore=.venv

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
