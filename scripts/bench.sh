#!/usr/bin/env bash
# `make bench`: benchmarks under bench/ against their own database (BENCH_DATABASE_URL; else
# DATABASE_URL's database + "_bench"; else gridgov_bench in the private cluster). Not part of make test.
# Arguments name the benchmarks to run (grid, visits, emergency, cockpit, intake); none runs them all.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${BENCH_DATABASE_URL:-}" ]; then
  if [ -n "${DATABASE_URL:-}" ]; then
    BENCH_DATABASE_URL=$(.venv/bin/python -c 'import sys; from scripts.dbtool import derive; print(derive(sys.argv[1], "_bench"))' "$DATABASE_URL")
  else
    scripts/pg.sh ensure gridgov_bench
    BENCH_DATABASE_URL=$(scripts/pg.sh url gridgov_bench)
  fi
fi
.venv/bin/python scripts/dbtool.py ensure "$BENCH_DATABASE_URL"
# the load generator of the intake benchmark: Debian's wrk, installed when missing (as root or with sudo)
if ! command -v wrk >/dev/null; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo -n"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null 2>&1 || {
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
  }
fi
export BENCH_DATABASE_URL GRIDGOV_ENV=testing LOG_LEVEL=WARNING
for name in "${@:-grid visits emergency cockpit intake}"; do
  for bench in $name; do
    echo "== bench: $bench"
    .venv/bin/python -m "bench.${bench}_bench"
  done
done
