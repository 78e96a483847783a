#!/usr/bin/env bash
# `make run`: database (DATABASE_URL, or the private cluster), migrations, demo district on an
# empty database, then gunicorn on HOST:PORT.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${DATABASE_URL:-}" ]; then
  scripts/pg.sh ensure gridgov
  # migrations as the owner; the app as a role that owns nothing and may only append to the audit log
  DATABASE_OWNER_URL=$(scripts/pg.sh url gridgov)
  DATABASE_URL=$(scripts/pg.sh app-url gridgov)
  export DATABASE_URL DATABASE_OWNER_URL
  echo "[run] database: the private PostgreSQL + PostGIS cluster under ./var/pg (make stop stops it)"
else
  echo "[run] database: DATABASE_URL"
fi
export GRIDGOV_ENV=${GRIDGOV_ENV:-development}
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
export HOST PORT

.venv/bin/flask --app wsgi db upgrade
if [ "$GRIDGOV_ENV" != "production" ]; then
  .venv/bin/flask --app wsgi demo load --if-empty
fi

cat <<MSG

  GridGov is starting on http://$HOST:$PORT   (settings: $GRIDGOV_ENV)
    API docs (Swagger UI):  http://$HOST:$PORT/api/docs
    OpenAPI 3 document:     http://$HOST:$PORT/api/openapi.json
    Health / readiness:     http://$HOST:$PORT/healthz   http://$HOST:$PORT/readyz
MSG
if [ "$GRIDGOV_ENV" != "production" ]; then
cat <<MSG
    Demo accounts (password Demo-pass-2026), log in at POST /api/v1/auth/login:
      district_admin  street_admin (天桥街道)  community_staff (漓江路社区)
      grid_member (漓江路社区第1网格)  grid_member_2 (another community)  resident
      responder (and responder_01…24)  unit_staff (城市管理局)  audit_admin  system_admin  security_admin
    Live stream (SSE): GET /api/v1/stream with a bearer token. Demo responders' positions are as of
      loading; the README's "Emergencies" says how to make them current.
MSG
fi
echo
# The worker (outbox delivery, deadline reminders) runs beside the web server and stops with it.
.venv/bin/flask --app wsgi worker run &
WORKER=$!
trap 'kill "$WORKER" 2>/dev/null || true' EXIT INT TERM
.venv/bin/gunicorn --config config/gunicorn.py wsgi:app
