#!/usr/bin/env bash
# `make test`: a test database (TEST_DATABASE_URL; else DATABASE_URL's database + "_test"; else
# the private cluster's gridgov_test), a Redis for the Redis rate-limit backend's tests
# (TEST_REDIS_URL; else the private one of scripts/redis.sh), Debian's chromium for the browser
# tests, then pytest. Extra arguments go to pytest.
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
if [ -z "${TEST_REDIS_URL:-}" ]; then
  scripts/redis.sh ensure
  TEST_REDIS_URL=$(scripts/redis.sh url)
fi
export TEST_REDIS_URL
# the console's browser tests drive Debian's chromium (installed here when missing)
CHROMIUM=$(scripts/chromium.sh)
export CHROMIUM
exec .venv/bin/python -m pytest "$@"
