#!/usr/bin/env bash
# The browser for the console's tests: Debian's chromium package, installed when missing (as root,
# or with passwordless sudo), with a Chinese font for legible screenshots. Prints the browser's path.
set -euo pipefail
BROWSER=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$BROWSER" ]; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    sudo -n true 2>/dev/null || { echo "[chromium] $BROWSER is missing: install Debian's chromium package" >&2; exit 1; }
    SUDO="sudo"
  fi
  echo "[chromium] installing Debian's chromium package" >&2
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1 || {
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  }
fi
# a Chinese font, so that screenshots of the console are legible (not boxes)
if ! fc-list 2>/dev/null | grep -qi "wenquanyi\|noto sans cjk"; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo -n"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei >/dev/null 2>&1 \
    || echo "[chromium] could not install fonts-wqy-microhei: screenshots will show boxes for Chinese" >&2
fi
echo "$BROWSER"
