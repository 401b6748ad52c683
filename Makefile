# Two commands matter: `make run` and `make test`. Both set themselves up first.
.PHONY: run test bench lint setup setup-test clean

VENV := .venv
PY := $(VENV)/bin/python

setup:
	@scripts/bootstrap.sh run

setup-test:
	@scripts/bootstrap.sh test

run: setup
	$(PY) -m calmline

test: setup-test
	$(PY) -m pytest -q

bench: setup-test
	$(PY) -m pytest tests/bench -s -p no:cacheprovider --benchmark-columns=min,median,mean,max,rounds

lint: setup-test
	$(PY) -m ruff check desktop tests
	$(PY) -m ruff format --check desktop tests
	$(PY) -m mypy

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
