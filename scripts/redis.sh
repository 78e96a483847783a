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
# one server per port: a second one (another GRIDGOV_REDIS_PORT) never takes the first's pid file
CONF="$BASE/redis-$PORT.conf"
PIDFILE="$BASE/redis-$PORT.pid"
LOGFILE="$BASE/redis-$PORT.log"
# (a server started before the files were per port keeps running under the new names)
if [ -s "$BASE/redis.pid" ] && [ ! -e "$PIDFILE" ] && grep -qx "port $PORT" "$BASE/redis.conf" 2>/dev/null; then
  mv "$BASE/redis.pid" "$PIDFILE"
fi

TAG=redis
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"

ensure_packages() {
  command -v redis-server >/dev/null && command -v redis-cli >/dev/null && return 0
  apt_install "set TEST_REDIS_URL to a Redis server." redis-server
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
  new_secret "$PWFILE"
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
