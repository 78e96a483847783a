#!/usr/bin/env bash
# The browser for the console's tests: Debian's chromium package, installed when missing (as root,
# or with passwordless sudo), with a Chinese font for legible screenshots. Prints the browser's path.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TAG=chromium
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"

BROWSER=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$BROWSER" ]; then
  apt_install "set CHROMIUM to a Chromium binary." chromium
  [ -x "$BROWSER" ] || die "$BROWSER still missing after install"
fi
# a Chinese font, so that screenshots of the console are legible (not boxes)
if ! fc-list 2>/dev/null | grep -qi "wenquanyi\|noto sans cjk"; then
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei >/dev/null 2>&1 \
    || log "could not install fonts-wqy-microhei: screenshots will show boxes for Chinese"
fi
echo "$BROWSER"
