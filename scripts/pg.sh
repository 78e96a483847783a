#!/usr/bin/env bash
# The embedded database: a private PostgreSQL + PostGIS cluster under ./var/pg, on its own port,
# for development and tests. Used by `make run` / `make test` when DATABASE_URL is not set.
#
#   scripts/pg.sh ensure DBNAME...   install what is missing, start the cluster, create the databases
#   scripts/pg.sh url DBNAME         print the owner's connection URL of a database in the cluster
#   scripts/pg.sh app-url DBNAME     the same for the application's role (owns nothing; see models/grants.py)
#   scripts/pg.sh stop [immediate]   stop the cluster (data stays under ./var/pg); `immediate` is
#                                    pg_ctl's immediate mode, a crash of the database software
#   scripts/pg.sh start              start a cluster that `ensure` made before
#   scripts/pg.sh status
#
# Settings: GRIDGOV_PG_PORT (default 55432); GRIDGOV_PG_DIR (default ./var/pg), where the cluster,
# its passwords and its log live: another folder is another cluster (the crash test keeps its own
# in ./var/crash-pg, so stopping it never touches the one `make run` uses). Debian/Ubuntu packages
# (postgresql, postgresql-N-postgis-3) are installed with apt-get when missing and we are root or
# have password-less sudo.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BASE="${GRIDGOV_PG_DIR:-$ROOT/var/pg}"
case "$BASE" in /*) ;; *) BASE="$PWD/$BASE" ;; esac
# The cluster itself: data/ and run/ (socket, server log). A real folder under ./var/pg, or, when
# the cluster's owner cannot reach ./var (a checkout under a private home folder, e.g. /root),
# a link to /var/lib/gridgov/<hash of this checkout's path>.
CLUSTER="$BASE/cluster"
PGDATA="$CLUSTER/data"
RUN="$CLUSTER/run"

# The owner may not be able to pass through ./var (see above): give it the link's real target.
resolve_paths() {
  if [ -e "$CLUSTER" ]; then
    local real
    real=$(readlink -f "$CLUSTER")
    PGDATA="$real/data"
    RUN="$real/run"
  fi
}
resolve_paths
PORT="${GRIDGOV_PG_PORT:-55432}"
SUPERUSER=gridgov
PWFILE="$BASE/password"
APP_ROLE=gridgov_app
APP_PWFILE="$BASE/app_password"

TAG=pg
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
NO_APT="set DATABASE_URL to a PostgreSQL server with PostGIS."

# Newest PostgreSQL server installed, as its major version.
server_version() {
  local v best=""
  for d in /usr/lib/postgresql/*/bin/initdb; do
    [ -x "$d" ] || continue
    v=$(basename "$(dirname "$(dirname "$d")")")
    if [ -z "$best" ] || [ "$v" -gt "$best" ]; then best=$v; fi
  done
  printf '%s' "$best"
}

ensure_packages() {
  local ver
  ver=$(server_version)
  if [ -z "$ver" ]; then
    apt_install "$NO_APT" postgresql
    ver=$(server_version)
    [ -n "$ver" ] || die "PostgreSQL server still missing after install"
  fi
  if [ ! -f "/usr/share/postgresql/$ver/extension/postgis.control" ]; then
    apt_install "$NO_APT" "postgresql-$ver-postgis-3"
    [ -f "/usr/share/postgresql/$ver/extension/postgis.control" ] || die "PostGIS still missing after install"
  fi
  BIN="/usr/lib/postgresql/$ver/bin"
}

# initdb refuses to run as root, so as root the cluster belongs to the 'postgres' system user.
OWNER=""
as_owner() {
  if [ -n "$OWNER" ]; then runuser -u "$OWNER" -- "$@"; else "$@"; fi
}

pick_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    OWNER=postgres
    id -u "$OWNER" >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash "$OWNER"
  fi
}

password() { cat "$PWFILE"; }

make_cluster_dir() {
  mkdir -p "$BASE"
  if [ -z "$OWNER" ]; then mkdir -p "$CLUSTER"; return 0; fi
  chmod 755 "$BASE"
  if as_owner test -x "$BASE"; then
    mkdir -p "$CLUSTER"
  else
    local outside
    # named by this checkout's path (by the folder's, for a GRIDGOV_PG_DIR of its own)
    local key="$ROOT"
    [ "$BASE" = "$ROOT/var/pg" ] || key="$BASE"
    outside="/var/lib/gridgov/$(printf '%s' "$key" | sha1sum | cut -c1-12)"
    log "'$OWNER' cannot reach $BASE; keeping the cluster in $outside (linked from $CLUSTER)"
    if [ -e "$outside/data/PG_VERSION" ] && [ ! -s "$PWFILE" ]; then
      # left by an earlier checkout at this same path, whose password went with it: keep it aside
      log "moving an orphaned cluster aside: $outside.orphaned-$(date +%s)"
      mv "$outside" "$outside.orphaned-$(date +%s)"
    fi
    mkdir -p "$outside"
    chmod 755 /var/lib/gridgov
    ln -sfn "$outside" "$CLUSTER"
  fi
  chown "$OWNER" "$CLUSTER/"
  resolve_paths
}

init_cluster() {
  [ -f "$PGDATA/PG_VERSION" ] && return 0
  log "creating the private cluster in $CLUSTER (port $PORT)"
  make_cluster_dir
  [ -f "$PGDATA/PG_VERSION" ] && return 0  # the link was missing, the cluster was there
  umask 077
  new_secret "$PWFILE"
  as_owner mkdir -p "$PGDATA" "$RUN"
  local tmp_pw="$RUN/initdb-pw"
  as_owner tee "$tmp_pw" >/dev/null < "$PWFILE"
  as_owner "$BIN/initdb" -D "$PGDATA" -U "$SUPERUSER" --pwfile="$tmp_pw" -E UTF8 --locale=C.UTF-8 \
    --auth-local=scram-sha-256 --auth-host=scram-sha-256 >"$BASE/initdb.log" 2>&1 \
    || { rm -f "$tmp_pw"; cat "$BASE/initdb.log" >&2; die "initdb failed"; }
  rm -f "$tmp_pw"
  as_owner tee -a "$PGDATA/postgresql.conf" >/dev/null <<CONF
# GridGov private cluster
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$RUN'
max_connections = 100
shared_buffers = 256MB
timezone = 'UTC'
log_timezone = 'UTC'
CONF
}

is_running() { as_owner "$BIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; }

start_cluster() {
  is_running && return 0
  log "starting PostgreSQL on 127.0.0.1:$PORT"
  # the port given now, not only the one written into postgresql.conf when the cluster was made
  as_owner "$BIN/pg_ctl" -D "$PGDATA" -l "$RUN/server.log" -o "-p $PORT" -w -t 60 start >/dev/null \
    || { tail -n 20 "$RUN/server.log" >&2 || true; die "PostgreSQL did not start (is port $PORT taken? set GRIDGOV_PG_PORT)"; }
}

psql_admin() {
  PGPASSWORD="$(password)" "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U "$SUPERUSER" -d postgres "$@"
}

ensure_app_role() {
  new_secret "$APP_PWFILE"
  if [ -z "$(psql_admin -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$APP_ROLE'")" ]; then
    log "creating the application role $APP_ROLE"
    psql_admin -c "CREATE ROLE $APP_ROLE LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '$(cat "$APP_PWFILE")'"
  fi
}

ensure_db() {
  local db=$1
  [[ "$db" =~ ^[a-z_][a-z0-9_]*$ ]] || die "bad database name: $db"
  if [ -z "$(psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'")" ]; then
    log "creating database $db"
    psql_admin -c "CREATE DATABASE $db"
  fi
}

url() { printf 'postgresql://%s:%s@127.0.0.1:%s/%s\n' "$SUPERUSER" "$(password)" "$PORT" "$1"; }
app_url() { printf 'postgresql://%s:%s@127.0.0.1:%s/%s\n' "$APP_ROLE" "$(cat "$APP_PWFILE")" "$PORT" "$1"; }

cmd=${1:-}
shift || true
case "$cmd" in
  ensure)
    ensure_packages; pick_owner; init_cluster; start_cluster; ensure_app_role
    for db in "$@"; do ensure_db "$db"; done ;;
  url)
    [ -s "$PWFILE" ] || die "no private cluster yet: run 'scripts/pg.sh ensure'"
    url "${1:?database name}" ;;
  app-url)
    [ -s "$APP_PWFILE" ] || die "no application role yet: run 'scripts/pg.sh ensure'"
    app_url "${1:?database name}" ;;
  stop)
    mode=${1:-fast}
    [ "$mode" = fast ] || [ "$mode" = immediate ] || die "usage: scripts/pg.sh stop [fast|immediate]"
    if [ ! -f "$PGDATA/PG_VERSION" ]; then log "no private cluster under $PGDATA"; exit 0; fi
    ensure_packages; pick_owner
    if is_running; then as_owner "$BIN/pg_ctl" -D "$PGDATA" -m "$mode" -w stop >/dev/null; log "stopped ($mode)"; else log "not running"; fi ;;
  start)
    [ -f "$PGDATA/PG_VERSION" ] || die "no private cluster under $PGDATA: run 'scripts/pg.sh ensure'"
    ensure_packages; pick_owner; start_cluster ;;
  status)
    ensure_packages; pick_owner
    if is_running; then log "running on 127.0.0.1:$PORT"; else log "not running"; exit 3; fi ;;
  *) die "usage: scripts/pg.sh ensure DB... | url DB | app-url DB | start | stop [immediate] | status" ;;
esac
