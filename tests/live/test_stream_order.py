"""The stream's reading order: a row of a slow transaction is never skipped by a reader whose cursor
moved on past a faster one. Real transactions on real connections (committed, then removed)."""

from __future__ import annotations

import psycopg2
import pytest
from sqlalchemy.engine import make_url

from api.emergency import stream


@pytest.fixture
def dsn(app):
    url = make_url(app.config["DATABASE_URL"]).set(drivername="postgresql")
    dsn = url.render_as_string(hide_password=False)
    yield dsn
    with psycopg2.connect(dsn) as conn, conn.cursor() as cursor:
        cursor.execute("DELETE FROM stream_events WHERE topic LIKE 'test.%'")
    conn.close()


def _insert(conn, topic):
    with conn.cursor() as cursor:
        cursor.execute("INSERT INTO stream_events (topic, place_path, payload) VALUES (%s, '/', '{}') RETURNING id",
                       (topic,))
        return cursor.fetchone()[0]


def test_a_slow_transaction_is_not_skipped(dsn):
    slow, fast, reader = (psycopg2.connect(dsn) for _ in range(3))
    reader.autocommit = True
    try:
        with reader.cursor() as cursor:
            start = stream.head(cursor)
        slow_id = _insert(slow, "test.slow")  # takes the smaller id first, commits last
        fast_id = _insert(fast, "test.fast")
        fast.commit()
        with reader.cursor() as cursor:
            assert slow_id < fast_id
            # the fast one is committed, but a transaction older than it is still running: wait
            assert [r.topic for r in stream.fetch_after(cursor, start) if r.topic.startswith("test.")] == []
            slow.commit()
            rows = [r for r in stream.fetch_after(cursor, start) if r.topic.startswith("test.")]
            assert [r.id for r in rows] == [slow_id, fast_id]
            # resuming after the first gives the second, by its (transaction, id) position
            position = stream.position_of(cursor, slow_id)
            assert [r.id for r in stream.fetch_after(cursor, position) if r.topic.startswith("test.")] == [fast_id]
            assert f"id: {slow_id}\nevent: test.slow\n" in rows[0].sse()
    finally:
        for conn in (slow, fast, reader):
            conn.close()
