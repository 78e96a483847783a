#!/usr/bin/env bash
# Create .venv (with Debian's python3-venv when it is missing and we may install it) and
# install the pinned requirements file given as $1.
set -euo pipefail
cd "$(dirname "$0")/.."
REQ=${1:-requirements.txt}
PYTHON=${PYTHON:-python3}

command -v "$PYTHON" >/dev/null || { echo "[venv] error: $PYTHON not found (Python 3.11+ is needed)" >&2; exit 1; }
"$PYTHON" - <<'PY' || { echo "[venv] error: Python 3.11 or newer is needed" >&2; exit 1; }
import sys
sys.exit(0 if sys.version_info >= (3, 11) else 1)
PY

if [ ! -x .venv/bin/python ]; then
  if ! "$PYTHON" -m venv .venv >/dev/null 2>&1; then
    rm -rf .venv
    ver=$("$PYTHON" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
    if command -v apt-get >/dev/null && { [ "$(id -u)" -eq 0 ] || sudo -n true 2>/dev/null; }; then
      echo "[venv] installing python$ver-venv" >&2
      SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
      $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
      $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "python$ver-venv" >/dev/null \
        || $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
      "$PYTHON" -m venv .venv
    else
      echo "[venv] error: '$PYTHON -m venv' failed; install python3-venv" >&2; exit 1
    fi
  fi
fi
echo "[venv] installing $REQ into .venv" >&2
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$REQ" -c constraints.txt
