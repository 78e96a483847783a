#!/usr/bin/env bash
# Vendor the console's front-end libraries from the npm registry into web/console/vendor/ (committed,
# so that running GridGov needs no Node.js). Run this only to change a version: it needs npm.
# Each package is fetched with `npm pack` at a pinned version and checked against its pinned
# integrity (sha512) before anything is copied.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v npm >/dev/null || { echo "[vendor] npm is needed to re-vendor (not to run GridGov)" >&2; exit 1; }

# name version integrity: files to keep (from the package's folder) -> web/console/vendor/<name>/
PACKAGES=(
  "maplibre-gl 6.17.0 sha512-2chIZwpLGenoUQOcnm9Pk4SLbA8ppNFq8jlpXiq9vcYm3Y1wJ3fc82FL0GLwBaPYJCLzPv/mC46KEupVov75rQ== dist/maplibre-gl.mjs dist/maplibre-gl-worker.mjs dist/maplibre-gl-shared.mjs dist/maplibre-gl.css LICENSE.txt"
  "echarts 6.1.0 sha512-q0yaFPggC9FUdsWH4blavRWFmxdrIodbkoKNAjJudAI6CA9gNPxHtV2RcZNEepZVlk4yvBYkOkbk6HIVpIyHZA== dist/echarts.min.js LICENSE"
)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
{
  echo "# Vendored by scripts/vendor.sh from the npm registry; do not edit by hand."
  for spec in "${PACKAGES[@]}"; do
    read -r name version integrity files <<<"$spec"
    packed=$(cd "$work" && npm pack "$name@$version" --json --silent)
    got=$(printf '%s' "$packed" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["integrity"])')
    file=$(printf '%s' "$packed" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["filename"])')
    if [ "$got" != "$integrity" ]; then
      echo "[vendor] $name@$version: integrity $got is not the pinned $integrity" >&2
      exit 1
    fi
    mkdir -p "$work/$name" "web/console/vendor/$name"
    tar xzf "$work/$file" -C "$work/$name"
    for f in $files; do
      src="$work/$name/package/$f"
      [ -f "$src" ] || src="$work/$name/package/$(basename "$f" .txt)"  # LICENSE or LICENSE.txt
      cp "$src" "web/console/vendor/$name/$(basename "$f")"
    done
    echo "$name@$version $integrity"
  done
} > web/console/vendor/VERSIONS.txt
echo "[vendor] done: web/console/vendor/ (see VERSIONS.txt)"
