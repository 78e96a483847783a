#!/usr/bin/env bash
# `make test`: a test database (TEST_DATABASE_URL; else DATABASE_URL's database + "_test"; else
# the private cluster's gridgov_test), Debian's chromium for the browser tests, then pytest. Extra
# arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${TEST_DATABASE_URL:-}" ]; then
  if [ -n "${DATABASE_URL:-}" ]; then
    TEST_DATABASE_URL=$(.venv/bin/python scripts/dbtool.py derive-test-url "$DATABASE_URL")
  else
    scripts/pg.sh ensure gridgov_test
    TEST_DATABASE_URL=$(scripts/pg.sh url gridgov_test)
  fi
fi
.venv/bin/python scripts/dbtool.py ensure "$TEST_DATABASE_URL"
export TEST_DATABASE_URL
export GRIDGOV_ENV=testing
# the console's browser tests drive Debian's chromium (installed here when missing)
CHROMIUM=$(scripts/chromium.sh)
export CHROMIUM
exec .venv/bin/python -m pytest "$@"
