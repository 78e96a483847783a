#!/usr/bin/env bash
# `make bench`: benchmarks under bench/ against their own database (BENCH_DATABASE_URL; else
# DATABASE_URL's database + "_bench"; else gridgov_bench in the private cluster). Not part of make test.
# Arguments name the benchmarks to run (grid, visits, emergency, cockpit, intake, city, scaleout); none runs them all.
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
# Debian packages the benchmarks drive: wrk (the load of the intake and scale-out benchmarks) and
# nginx (the load balancer of the scale-out one), installed when missing (as root or with sudo).
# policy-rc.d keeps apt from starting the system nginx: the benchmark runs its own.
need=()
command -v wrk >/dev/null || need+=(wrk)
{ command -v nginx >/dev/null || [ -x /usr/sbin/nginx ]; } || need+=(nginx)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo -n"
  policy=/usr/sbin/policy-rc.d; added_policy=""
  if [ ! -e $policy ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee $policy >/dev/null && $SUDO chmod +x $policy && added_policy=1
  fi
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null 2>&1 || {
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  }
  [ -z "$added_policy" ] || $SUDO rm -f $policy
fi
export BENCH_DATABASE_URL GRIDGOV_ENV=testing LOG_LEVEL=WARNING
for name in "${@:-grid visits emergency cockpit intake scaleout city}"; do
  for bench in $name; do
    echo "== bench: $bench"
    .venv/bin/python -m "bench.${bench}_bench"
  done
done
