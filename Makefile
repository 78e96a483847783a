# GridGov: `make run` serves the API, `make test` runs the test suite. Both provision what they
# need: a virtual environment in .venv and, unless DATABASE_URL is set, a private PostgreSQL +
# PostGIS cluster under ./var (stopped by `make stop`, with the tests' private Redis). `make backup`
# dumps the database into ./var/backups, `make restore [BACKUP=file]` restores one (README "Backups").

VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run stop test fuzz bench backup restore crash-test audit venv dev-venv lint clean-var

run: venv
	@scripts/run.sh

stop:
	@scripts/pg.sh stop
	@scripts/redis.sh stop

test: dev-venv
	@scripts/test.sh

# Schemathesis against the OpenAPI document, every operation as every role: FUZZ_PROFILE=long
# (25 valid + 25 invalid cases per operation, role and mode) unless set; prints the counts.
fuzz: dev-venv
	@FUZZ_PROFILE=$${FUZZ_PROFILE:-long} scripts/test.sh tests/fuzz -p no:randomly -p no:logging -q

bench: dev-venv
	@scripts/bench.sh

backup:
	@scripts/backup.sh backup

# BACKUP=file (default: the newest dump in BACKUP_DIR); RESTORE_FORCE=1 to replace a database's contents
restore:
	@scripts/backup.sh restore

# SIGKILLs of the app server and immediate stops of PostgreSQL under retrying clients, then every
# acknowledged write checked exactly once (scripts/crash_test.py; its own cluster in ./var/crash-pg).
# CRASH_CYCLES=20 for a quick run (default 300 kills and 50 database stops, 20-25 minutes on 2 idle cores).
crash-test: venv
	@$(PY) -m scripts.crash_test

# pip-audit --strict over every pin in constraints.txt (its own venv in ./var/audit-venv). Exit 3 =
# not proven: pip-audit's service was out of reach and only PyPI's project JSON could be read.
audit:
	@scripts/audit.sh

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
	@[ ! -d var/crash-pg ] || GRIDGOV_PG_DIR=var/crash-pg scripts/pg.sh stop
	rm -rf var
