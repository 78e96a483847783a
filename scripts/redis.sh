#!/usr/bin/env bash
# A private Redis for the tests of the Redis rate-limit backend (and for trying REDIS_URL by hand):
# one redis-server under ./var/redis, on its own port, with a password, keeping nothing on disk
# (rate counters are worth nothing after a restart). Used by `make test`; `make run` does not need
# Redis (without REDIS_URL the rate limits count in the database).
#
#   scripts/redis.sh ensure    install what is missing, start the server (a no-op when it runs)
#   scripts/redis.sh url       print its URL (redis://:password@127.0.0.1:PORT/0)
#   scripts/redis.sh stop      stop it
#   scripts/redis.sh status
#
# Settings: GRIDGOV_REDIS_PORT (default 56379). Debian's redis-server package is installed with
# apt-get when missing and we are root or have password-less sudo.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BASE="$ROOT/var/redis"
PORT="${GRIDGOV_REDIS_PORT:-56379}"
PWFILE="$BASE/password"
CONF="$BASE/redis.conf"
PIDFILE="$BASE/redis.pid"
LOGFILE="$BASE/redis.log"

log() { printf '[redis] %s\n' "$*" >&2; }
die() { printf '[redis] error: %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@";
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo "$@";
  else return 1; fi
}

ensure_packages() {
  command -v redis-server >/dev/null && command -v redis-cli >/dev/null && return 0
  command -v apt-get >/dev/null || die "redis-server is missing and there is no apt-get: install Redis, or set TEST_REDIS_URL"
  log "installing Debian's redis-server"
  mkdir -p "$ROOT/var"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >>"$ROOT/var/apt.log" 2>&1 \
    || die "cannot run apt-get (not root, no password-less sudo). Install redis-server yourself, or set TEST_REDIS_URL."
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server \
    >>"$ROOT/var/apt.log" 2>&1 || { tail -n 20 "$ROOT/var/apt.log" >&2; die "apt-get install redis-server failed (log: var/apt.log)"; }
  command -v redis-server >/dev/null || die "redis-server still missing after install"
}

password() { cat "$PWFILE"; }

cli() { REDISCLI_AUTH="$(password)" redis-cli -h 127.0.0.1 -p "$PORT" "$@"; }

is_running() {
  [ -s "$PWFILE" ] && [ -s "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null \
    && [ "$(cli ping 2>/dev/null)" = "PONG" ]
}

write_config() {
  mkdir -p "$BASE"
  chmod 700 "$BASE"
  if [ ! -s "$PWFILE" ]; then
    (umask 077; head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$PWFILE")
  fi
  (umask 077; cat > "$CONF" <<CONF
# GridGov's private Redis (scripts/redis.sh); rewritten on every start
bind 127.0.0.1
port $PORT
protected-mode yes
requirepass $(password)
daemonize yes
pidfile $PIDFILE
logfile $LOGFILE
dir $BASE
save ""
appendonly no
maxmemory 64mb
maxmemory-policy volatile-ttl
CONF
)
}

start() {
  is_running && return 0
  write_config
  log "starting redis-server on 127.0.0.1:$PORT"
  redis-server "$CONF" >/dev/null || die "redis-server did not start (log: $LOGFILE)"
  for _ in $(seq 1 50); do
    is_running && return 0
    sleep 0.1
  done
  tail -n 20 "$LOGFILE" >&2 || true
  die "redis-server did not answer on port $PORT (is the port taken? set GRIDGOV_REDIS_PORT)"
}

stop() {
  if [ -s "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
    cli shutdown nosave >/dev/null 2>&1 || kill "$(cat "$PIDFILE")"
    log "stopped"
  else
    log "not running"
  fi
}

cmd=${1:-}
case "$cmd" in
  ensure) ensure_packages; start ;;
  url)
    [ -s "$PWFILE" ] || die "no private Redis yet: run 'scripts/redis.sh ensure'"
    printf 'redis://:%s@127.0.0.1:%s/0\n' "$(password)" "$PORT" ;;
  stop) stop ;;
  status)
    if is_running; then log "running on 127.0.0.1:$PORT"; else log "not running"; exit 3; fi ;;
  *) die "usage: scripts/redis.sh ensure | url | stop | status" ;;
esac
