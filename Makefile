# The two commands of the README: `make app` and `make test`.
VENV    ?= .venv
PY      := $(VENV)/bin/python
PILOT   := $(VENV)/bin/pilot
PILOT_DB ?= pilot.duckdb
PORT    ?= 8501
# The suite runs shuffled (pytest-randomly) with a fresh seed each run, CI's included; the
# last lines name it: `make test SEED=N` repeats that order, `SEED=last` the last one.
SEED    ?=

.PHONY: app test mutate install install-test chromium lint format demo bench clean

$(VENV)/.installed-app: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@ $(VENV)/.installed-app

install: $(VENV)/.installed-app
install-test: $(VENV)/.installed-test

## Serve the app on the offline system, seeding the demo pilot the first time.
app: install
	@test -f $(PILOT_DB) || $(PILOT) --db $(PILOT_DB) demo
	$(PILOT) --db $(PILOT_DB) app --port $(PORT)

## Run every test, browser tests included (installs Debian's chromium when missing).
test: install-test chromium
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m pytest -q -p randomly $(if $(SEED),--randomly-seed=$(SEED),)

## Mutation testing of the rule modules (not part of `make test`): `make mutate MODULE=verdicts`
## for one target, `make mutate MODULE=pilot/define/criteria.py` for one file of a target (several:
## commas); the targets are in tests/mutation_targets.py, the figures in docs/testing.md.
MODULE ?=
mutate: install-test
	$(PY) tools/mutate.py $(MODULE) $(if $(ONLY),--only $(ONLY))

chromium:
	@test -x /usr/bin/chromium || { apt-get update -qq && apt-get install -y -qq chromium; }
	@command -v pdftoppm >/dev/null || { apt-get update -qq && apt-get install -y -qq poppler-utils; }

lint:
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

format:
	$(VENV)/bin/ruff format . && $(VENV)/bin/ruff check --fix .

demo: install
	$(PILOT) --db $(PILOT_DB) demo

bench: install-test
	$(PY) benchmarks/bench_metrics.py
	$(PY) benchmarks/bench_run.py
	$(PY) benchmarks/bench_redaction.py
	$(PY) benchmarks/bench_review.py
	$(PY) benchmarks/bench_planner.py
	$(PY) benchmarks/bench_offline.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache mutants
