#!/usr/bin/env bash
# `make backup` / `make restore`: whole-database backups with pg_dump's custom format.
#
#   scripts/backup.sh backup            dump the database into BACKUP_DIR, print the dump's path
#   scripts/backup.sh restore [DUMP]    check DUMP's checksum (default: the newest dump in BACKUP_DIR),
#                                       then restore it into RESTORE_DATABASE_URL's database
#
# The database: DATABASE_OWNER_URL, else DATABASE_URL, else the private cluster's gridgov (scripts/pg.sh).
# A dump is BACKUP_DIR/gridgov-<UTC time>.dump, mode 0600 (it holds personal data; identity numbers
# are in it encrypted, their keys are not), with a sha256sum sidecar <dump>.sha256.
#
# Settings:
#   BACKUP_DIR            where dumps go (default ./var/backups; created with mode 0700)
#   BACKUP_KEEP           dumps kept in BACKUP_DIR after a backup, older ones deleted (default 14; 0 keeps all)
#   BACKUP                the dump `restore` reads (or its argument; default the newest in BACKUP_DIR)
#   RESTORE_DATABASE_URL  the database `restore` writes (default: the one `backup` reads); created when missing
#   RESTORE_FORCE=1       replace the contents of a database that is not empty (pg_restore --clean --if-exists)
#   PG_BIN                folder of pg_dump/pg_restore/psql (default: those of the server's major version,
#                         from /usr/lib/postgresql/N/bin or pg_config --bindir)
#
# The restore runs in one transaction (all or nothing) as the connecting role, which should be the schema's
# owner: ownership and privileges come back as they were (no --no-owner, no --no-acl), so the application's
# role still can only INSERT and SELECT audit_events (models/grants.py). The roles the dump names must exist.
set -euo pipefail

CALLER_PWD=$PWD
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# scripts/dbtool.py conninfo needs only the standard library: the virtualenv's Python, or the system's
PY="$ROOT/.venv/bin/python"
[ -x "$PY" ] || PY=python3
PREFIX=gridgov

TAG=backup
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"

# A path as the caller meant it (relative to where they ran us, not to the checkout).
absolute() { case "$1" in /*) printf '%s' "$1" ;; *) printf '%s/%s' "$CALLER_PWD" "$1" ;; esac; }

BACKUP_DIR=$(absolute "${BACKUP_DIR:-$ROOT/var/backups}")

# The database `backup` reads and, by default, `restore` writes. The private cluster is started when
# it is not running; `restore` also makes it on a machine that has none yet.
database_url() {
  if [ -n "${DATABASE_OWNER_URL:-}" ]; then printf '%s' "$DATABASE_OWNER_URL"
  elif [ -n "${DATABASE_URL:-}" ]; then printf '%s' "$DATABASE_URL"
  else
    [ "$1" = restore ] || scripts/pg.sh url gridgov >/dev/null  # no cluster: nothing to back up
    scripts/pg.sh ensure >&2
    scripts/pg.sh url gridgov
  fi
}

# Split URL for libpq (scripts/dbtool.py conninfo): DB_URL without password, PGPASSWORD, DB_NAME,
# ADMIN_URL (the server's postgres database). The URL goes through stdin, never onto a command line.
connect_to() {
  local lines
  lines=$(printf '%s' "$1" | "$PY" scripts/dbtool.py conninfo) || die "cannot read the database URL"
  { read -r DB_URL; read -r PGPASSWORD; read -r DB_NAME; read -r ADMIN_URL; } <<<"$lines"
  if [ -n "$PGPASSWORD" ]; then export PGPASSWORD; else unset PGPASSWORD; fi
}

# PostgreSQL's tools in BIN, of the server's major version: pg_dump refuses a newer server, and a dump
# made by a newer pg_dump may not restore into an older server. Where that version's client is not
# installed, the newest one that is newer than the server.
pick_bin() {
  local url=$1 candidates=() dir major server best="" best_major=0
  if [ -n "${PG_BIN:-}" ]; then
    candidates=("$PG_BIN")
  else
    for dir in /usr/lib/postgresql/*/bin; do [ -x "$dir/pg_dump" ] && candidates+=("$dir"); done
    if command -v pg_config >/dev/null 2>&1; then candidates+=("$(pg_config --bindir)"); fi
  fi
  [ ${#candidates[@]} -gt 0 ] || die "no pg_dump found: install PostgreSQL's client (postgresql-client-N) or set PG_BIN"
  server=$("${candidates[0]}/psql" -X -w -At -d "$url" -c "SELECT current_setting('server_version_num')::int / 10000") \
    || die "cannot connect to the database server"
  for dir in "${candidates[@]}"; do
    [ -x "$dir/pg_dump" ] && [ -x "$dir/pg_restore" ] && [ -x "$dir/psql" ] || continue
    major=$("$dir/pg_dump" --version | sed -E 's/.* ([0-9]+)(\.[0-9]+)?.*/\1/')
    if [ "$major" -eq "$server" ]; then best=$dir; best_major=$major; break; fi
    if [ "$major" -gt "$server" ] && [ "$major" -gt "$best_major" ]; then best=$dir; best_major=$major; fi
  done
  [ -n "$best" ] || die "the server is PostgreSQL $server and no pg_dump of that version or newer is installed (postgresql-client-$server)"
  [ "$best_major" -eq "$server" ] || log "the server is PostgreSQL $server; using the tools of PostgreSQL $best_major"
  BIN=$best
}

# Seconds since a `date +%s.%N`, to a tenth.
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

psql_at() {
  local url=$1; shift
  "$BIN/psql" -X -w -q -At -v ON_ERROR_STOP=1 -d "$url" "$@"
}

backup() {
  local url
  url=$(database_url backup)
  connect_to "$url"
  pick_bin "$DB_URL"
  local keep=${BACKUP_KEEP:-14}
  [[ "$keep" =~ ^[0-9]+$ ]] || die "BACKUP_KEEP must be a number of dumps (0: keep all), not '$keep'"
  mkdir -p "$(dirname "$BACKUP_DIR")"
  umask 077  # the folder (when made here), the dump and its checksum: the owner's only
  mkdir -p "$BACKUP_DIR"
  local stamp name final started size
  stamp=$(date -u +%Y%m%dT%H%M%SZ)
  name="$PREFIX-$stamp.dump"
  final="$BACKUP_DIR/$name"
  [ ! -e "$final" ] || die "$final already exists (two backups in the same second?)"
  # written under a temporary name, renamed once complete: a dump that is there is a whole one
  TMP="$BACKUP_DIR/.$name.partial"
  trap 'rm -f "$TMP" "$TMP.sha256"' EXIT
  started=$(date +%s.%N)
  log "dumping $DB_NAME with $BIN/pg_dump"
  "$BIN/pg_dump" --format=custom --no-password --file="$TMP" --dbname="$DB_URL" \
    || die "pg_dump failed; nothing written"
  chmod 600 "$TMP"
  sync "$TMP"
  # the checksum first: a dump without its sidecar would be refused by restore
  printf '%s  %s\n' "$(sha256sum <"$TMP" | cut -d' ' -f1)" "$name" >"$TMP.sha256"
  chmod 600 "$TMP.sha256"
  mv "$TMP.sha256" "$final.sha256"
  mv "$TMP" "$final"
  sync "$BACKUP_DIR"
  trap - EXIT
  size=$(du -h "$final" | cut -f1)
  log "$name: ${size}B in $(since "$started") s"
  if [ "$keep" -gt 0 ]; then
    local old
    while read -r old; do
      [ -n "$old" ] || continue
      log "pruning $old (BACKUP_KEEP=$keep)"
      rm -f "$BACKUP_DIR/$old" "$BACKUP_DIR/$old.sha256"
    done < <(dumps_newest_first | tail -n +$((keep + 1)))
  fi
  printf '%s\n' "$final"
}

# The names of this script's dumps in BACKUP_DIR, the newest first (their names sort by time).
dumps_newest_first() {
  (cd "$BACKUP_DIR" 2>/dev/null && ls -1 | grep -E "^$PREFIX-[0-9]{8}T[0-9]{6}Z\.dump\$" | sort -r) || true
}

# The dump's content matches the checksum taken when it was written.
verify() {
  local dump=$1 sidecar="$1.sha256" expected actual
  [ -f "$sidecar" ] || die "no checksum file $sidecar: refusing to restore an unchecked dump (if you trust it: sha256sum FILE > FILE.sha256)"
  expected=$(awk 'NR == 1 { print $1 }' "$sidecar")
  actual=$(sha256sum <"$dump" | cut -d' ' -f1)
  [ "$expected" = "$actual" ] \
    || die "checksum mismatch: $dump is damaged or is not the file that was backed up (sha256 $actual, expected $expected); nothing restored"
  log "checksum verified: $dump"
}

# Roles a dump's schema script ($1, from pg_restore --schema-only) names: `owners` (of its objects),
# or `grants` (those and the ones given privileges), PUBLIC aside, one a line.
dump_roles() {
  # each expression reads the line as it was (h: keep it, g: take it back)
  local pattern='h;s/^ALTER .* OWNER TO (.+);$/\1/p'
  if [ "$2" = grants ]; then
    pattern="$pattern;"'g;s/^(GRANT|REVOKE|ALTER DEFAULT PRIVILEGES) .* (TO|FROM) (.+);$/\3/p'
    pattern="$pattern;"'g;s/^ALTER DEFAULT PRIVILEGES FOR ROLE ([^ ]+) .*/\1/p'
  fi
  sed -nE "$pattern" "$1" \
    | sed -E 's/ WITH GRANT OPTION$//; s/^"(.*)"$/\1/' | { grep -vx PUBLIC || true; } | sort -u
}

# Tables, views, sequences and functions in the target database that are not part of an extension
# (PostGIS's spatial_ref_sys and its functions do not count).
user_objects() {
  psql_at "$DB_URL" -c "
    SELECT (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
               AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
               AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                               AND d.objid = c.oid AND d.deptype = 'e'))
         + (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
             WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
               AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
                               AND d.objid = p.oid AND d.deptype = 'e'))"
}

restore() {
  local dump=${1:-${BACKUP:-}}
  if [ -z "$dump" ]; then
    dump=$(dumps_newest_first | head -n 1)
    [ -n "$dump" ] || die "no $PREFIX-*.dump in $BACKUP_DIR: give BACKUP=path"
    dump="$BACKUP_DIR/$dump"
  else
    dump=$(absolute "$dump")
  fi
  [ -f "$dump" ] || die "no such dump: $dump"
  verify "$dump"

  local url=${RESTORE_DATABASE_URL:-}
  [ -n "$url" ] || url=$(database_url restore)
  connect_to "$url"
  pick_bin "$ADMIN_URL"
  WORK=$(mktemp -d)
  trap 'rm -rf "$WORK"' EXIT
  "$BIN/pg_restore" --list "$dump" >"$WORK/toc" || die "$dump is not a dump that $BIN/pg_restore can read"

  # Ownership and grants are restored as dumped, so their roles must exist (they belong to the cluster,
  # not to the dump), and the restoring role must be able to act as the owners.
  local missing roles owners
  "$BIN/pg_restore" --schema-only --file="$WORK/schema.sql" "$dump"
  roles=$(dump_roles "$WORK/schema.sql" grants | paste -sd, -)
  owners=$(dump_roles "$WORK/schema.sql" owners | paste -sd, -)
  missing=$(psql_at "$ADMIN_URL" -v roles="$roles" <<'SQL'
SELECT string_agg(r, ', ' ORDER BY r) FROM unnest(string_to_array(:'roles', ',')) AS r
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r);
SQL
)
  [ -z "$missing" ] || die "the dump's objects belong or are granted to roles this server does not have: $missing (create them first, e.g. CREATE ROLE gridgov_app LOGIN PASSWORD '…'); nothing restored"
  missing=$(psql_at "$ADMIN_URL" -v roles="$owners" <<'SQL'
SELECT string_agg(r, ', ' ORDER BY r) FROM unnest(string_to_array(:'roles', ',')) AS r
WHERE NOT pg_has_role(current_user, r, 'MEMBER');
SQL
)
  [ -z "$missing" ] || die "the dump's objects belong to $missing, which $(psql_at "$ADMIN_URL" -c 'SELECT current_user') is not (restore as the schema's owner, DATABASE_OWNER_URL); nothing restored"

  local created=""
  if [ -z "$(psql_at "$ADMIN_URL" -v db="$DB_NAME" <<<"SELECT 1 FROM pg_database WHERE datname = :'db'")" ]; then
    log "creating database $DB_NAME"
    psql_at "$ADMIN_URL" -c "CREATE DATABASE \"$DB_NAME\""
    created=1
  fi

  local options=() objects
  objects=$(user_objects)
  if [ "$objects" -gt 0 ]; then
    [ "${RESTORE_FORCE:-}" = 1 ] \
      || die "database $DB_NAME is not empty ($objects tables, sequences, functions…): RESTORE_FORCE=1 replaces its contents with the dump's; nothing restored"
    log "RESTORE_FORCE=1: replacing the contents of $DB_NAME ($objects objects)"
    options+=(--clean --if-exists)
  fi
  # Extensions the database already has stay as they are, with the rows of their own tables (PostGIS's
  # spatial_ref_sys): with --clean they would be dropped, and both need the extension's owner, usually
  # a superuser (a DBA may have made PostGIS in an empty database for a restoring owner who is not one).
  # The others are created from the dump. Comments on extensions are left out: CREATE EXTENSION sets
  # them, and only the extension's owner may.
  local existing config
  existing=$(psql_at "$DB_URL" -c "SELECT string_agg(extname, '|') FROM pg_extension")
  config=$(psql_at "$DB_URL" -c "
    SELECT string_agg(n.nspname || ' ' || c.relname, '|') FROM pg_extension e CROSS JOIN unnest(e.extconfig) AS x(oid)
    JOIN pg_class c ON c.oid = x.oid JOIN pg_namespace n ON n.oid = c.relnamespace")
  grep -vE "^[0-9]+; [0-9]+ [0-9]+ (COMMENT - EXTENSION |EXTENSION - (${existing:-#}) |TABLE DATA (${config:-#}) )" \
    "$WORK/toc" >"$WORK/list" || true
  case "|$existing|" in *"|postgis|"*) log "keeping the PostGIS that $DB_NAME has" ;; esac

  local started
  started=$(date +%s.%N)
  log "restoring $(basename "$dump") into $DB_NAME with $BIN/pg_restore (one transaction)"
  if ! "$BIN/pg_restore" --single-transaction --exit-on-error --no-password "${options[@]}" \
      --use-list="$WORK/list" --dbname="$DB_URL" "$dump"; then
    if [ -n "$created" ]; then
      psql_at "$ADMIN_URL" -c "DROP DATABASE \"$DB_NAME\""
      die "pg_restore failed: the transaction was rolled back and the database $DB_NAME made for it dropped"
    fi
    die "pg_restore failed: the transaction was rolled back, $DB_NAME is as it was"
  fi
  # planner statistics are not in a dump (quietly: an owner who is no superuser may not analyze the catalogs)
  psql_at "$DB_URL" -c "SET client_min_messages = error" -c "ANALYZE"
  local version
  version=$(psql_at "$DB_URL" -c "SELECT string_agg(version_num, ',') FROM alembic_version" 2>/dev/null || true)
  log "restored into $DB_NAME in $(since "$started") s (migration ${version:-unknown}; run 'flask --app wsgi db upgrade' if the code is newer)"
}

cmd=${1:-}
shift || true
case "$cmd" in
  backup) [ $# -eq 0 ] || die "usage: scripts/backup.sh backup"; backup ;;
  restore) [ $# -le 1 ] || die "usage: scripts/backup.sh restore [DUMP]"; restore "$@" ;;
  *) die "usage: scripts/backup.sh backup | restore [DUMP]" ;;
esac
