# ToonSite's everyday commands. A fresh machine needs only Python 3.11.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install run test test-fast bench lint weights cascades clean

install: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

## make run: migrate, create a login if there is none, start gunicorn and one Celery worker, print the URL.
run: install
	bash scripts/run.sh

## make test: start PostgreSQL and Redis when they are installed but down, then run the whole suite.
test: install
	bash scripts/test.sh

## make test-fast: the same, without the tests marked slow (browser, worker processes, training, > ~3 s).
test-fast: install
	bash scripts/test.sh -m "not slow"

## make bench: measure and write BENCHMARKS.md.
bench: install
	$(PY) -m benchmarks.run

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

## make weights: retrain the shipped emotion weights from studio faces (see README).
weights: install
	bash scripts/train_weights.sh

## make cascades: retrain the shipped cast's cascades from studio episodes (see README).
cascades: install
	bash scripts/train_cascades.sh

clean:
	rm -rf $(VENV) data .pytest_cache
