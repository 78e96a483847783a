"""The floor (底线) for intake: the least work this stack can do to take a report — a bare WSGI
callable, psycopg2, and ONE SQL statement that inserts the matter with its cell located by
``ST_Covers`` — served by the same gunicorn settings (config/gunicorn.py, gevent workers with
cooperative psycopg2) as GridGov, into the same ``matters`` table (its indexes and its deferred
per-day trigger included). No authentication, no validation beyond parsing, no idempotency, audit,
outbox or timeline: what GridGov adds on top is what the ratio measures (bench/intake_bench.py).

    gunicorn --config config/gunicorn.py bench.floor:app     (BENCH_DATABASE_URL, FLOOR_REPORTER_ID)
"""

from __future__ import annotations

import json
import os
import queue

import psycopg2

INSERT = """
INSERT INTO matters (category_id, description, location, grid_cell_id, place_path, needs_placement, source, status,
                     stage_started_at, stage_due_at, reporter_id)
SELECT (SELECT id FROM matter_categories WHERE code = %(category)s), %(description)s, p.pt, c.id, c.path,
       c.id IS NULL, 'app', 'submitted', now(), now() + interval '24 hours', %(reporter)s
FROM (SELECT ST_SetSRID(ST_MakePoint(%(lng)s, %(lat)s), 4326) AS pt) p
LEFT JOIN LATERAL (SELECT id, path FROM places WHERE kind = 'grid_cell' AND ST_Covers(boundary, p.pt) LIMIT 1) c ON true
RETURNING id, number
"""

_pool: queue.LifoQueue | None = None
POOL_SIZE = 2 * int(os.environ.get("DB_POOL_SIZE", "5"))  # GridGov's pool: DB_POOL_SIZE plus as many overflow


def _connection():
    global _pool
    if _pool is None:
        _pool = queue.LifoQueue()
        for _ in range(POOL_SIZE):
            _pool.put(None)
    conn = _pool.get()
    if conn is None or conn.closed:
        conn = psycopg2.connect(os.environ["BENCH_DATABASE_URL"], application_name="floor")
    return conn


def app(environ, start_response):
    if environ["REQUEST_METHOD"] != "POST":
        start_response("405 Method Not Allowed", [("Content-Type", "text/plain")])
        return [b""]
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = json.loads(environ["wsgi.input"].read(length))
    conn = _connection()
    try:
        with conn, conn.cursor() as cur:  # one transaction, committed here
            cur.execute(INSERT, {"category": body["category"], "description": body["description"],
                                 "lng": body["location"]["lng"], "lat": body["location"]["lat"],
                                 "reporter": os.environ["FLOOR_REPORTER_ID"]})
            matter_id, number = cur.fetchone()
    finally:
        _pool.put(conn)
    answer = json.dumps({"id": str(matter_id), "number": number}).encode()
    start_response("201 Created", [("Content-Type", "application/json"), ("Content-Length", str(len(answer)))])
    return [answer]
