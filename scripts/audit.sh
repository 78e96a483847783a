#!/usr/bin/env bash
# `make audit`: known vulnerabilities in every pinned package (constraints.txt, transitive pins
# included), by pip-audit in its own virtual environment (var/audit-venv, so its dependencies never
# mix with the application's). --strict: a package pip-audit could not look up is a failure, not a
# silent skip (without it, pip-audit exits 0 having audited nothing when its service is out of reach).
#
# Exit status: 0 clean; 1 vulnerabilities found; 3 not proven (pip-audit could not reach PyPI's
# per-release JSON or OSV; scripts/pypi_advisories.py then checks what PyPI's project JSON can
# tell and lists the pins it could not cover).
set -euo pipefail
cd "$(dirname "$0")/.."

PIP_AUDIT_VERSION=2.10.1
VENV=var/audit-venv
REQ=${AUDIT_REQUIREMENTS:-constraints.txt}
PYTHON=${PYTHON:-python3}

if [ ! -x "$VENV/bin/pip-audit" ] || ! "$VENV/bin/pip-audit" --version 2>/dev/null | grep -q "$PIP_AUDIT_VERSION"; then
  echo "[audit] installing pip-audit $PIP_AUDIT_VERSION into $VENV" >&2
  mkdir -p var
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "pip-audit==$PIP_AUDIT_VERSION" 2>&1 \
    | grep -v "^WARNING: Location" >&2 || true
  [ -x "$VENV/bin/pip-audit" ] || { echo "[audit] error: pip-audit did not install" >&2; exit 1; }
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
"$VENV/bin/pip-audit" -r "$REQ" --no-deps --disable-pip --strict --progress-spinner off ${AUDIT_SERVICE:+-s "$AUDIT_SERVICE"} >"$log" 2>&1
status=$?
set -e
grep -v -e "users are encouraged to fully hash" -e "Consider using a tool like" "$log" || true

if [ "$status" -eq 0 ]; then
  echo "[audit] pip-audit: no known vulnerabilities in $REQ"
  exit 0
fi
if grep -q -e "could not be audited" -e "ConnectionError" -e "NameResolutionError" "$log" \
   && ! grep -q -E "^Found [0-9]+ known vulnerabilit" "$log"; then
  echo "[audit] pip-audit could not reach its vulnerability service from here; falling back to PyPI's project JSON (NOT a pip-audit result)" >&2
  exec "$PYTHON" scripts/pypi_advisories.py "$REQ"
fi
exit 1
