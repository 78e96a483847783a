# GridGov: `make run` serves the API, `make test` runs the test suite. Both provision what they
# need: a virtual environment in .venv and, unless DATABASE_URL is set, a private PostgreSQL +
# PostGIS cluster under ./var (stopped by `make stop`, with the tests' private Redis).

VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run stop test bench venv dev-venv lint clean-var

run: venv
	@scripts/run.sh

stop:
	@scripts/pg.sh stop
	@scripts/redis.sh stop

test: dev-venv
	@scripts/test.sh

bench: dev-venv
	@scripts/bench.sh

lint: dev-venv
	@$(VENV)/bin/ruff check api models config tests scripts migrations bench wsgi.py

venv: $(VENV)/.runtime-installed

dev-venv: $(VENV)/.dev-installed

$(VENV)/.runtime-installed: requirements.txt constraints.txt scripts/venv.sh
	@scripts/venv.sh requirements.txt
	@touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt constraints.txt scripts/venv.sh
	@scripts/venv.sh requirements-dev.txt
	@touch $(VENV)/.runtime-installed $@

clean-var: stop
	rm -rf var
