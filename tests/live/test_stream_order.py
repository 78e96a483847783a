"""The stream's reading order on real transactions (committed on separate connections, then removed):
a slow transaction neither holds the others back nor gets skipped, and a client resuming from any
id it was sent misses nothing."""

from __future__ import annotations

import psycopg2
import pytest

from api.emergency import stream
from tests.live import libpq_dsn


@pytest.fixture
def dsn(app):
    dsn = libpq_dsn(app)
    yield dsn
    with psycopg2.connect(dsn) as conn, conn.cursor() as cursor:
        cursor.execute("DELETE FROM stream_events WHERE topic LIKE 'test.%'")
    conn.close()


def _insert(conn, topic):
    with conn.cursor() as cursor:
        cursor.execute("INSERT INTO stream_events (topic, place_path, payload) VALUES (%s, '/', '{}') RETURNING id",
                       (topic,))
        return cursor.fetchone()[0]


def _ours(found):
    return [(row.topic, resume) for row, resume in found if row.topic.startswith("test.")]


def test_a_slow_transaction_neither_holds_back_nor_is_skipped(dsn):
    slow, fast, reader_conn = (psycopg2.connect(dsn) for _ in range(3))
    reader_conn.autocommit = True
    try:
        cursor = reader_conn.cursor()
        reader = stream.Reader(stream.head(cursor))
        start = reader.position
        with slow.cursor() as c:  # the slow one starts first: the older transaction id
            c.execute("SELECT (pg_current_xact_id()::text)::bigint")
            slow_xid = c.fetchone()[0]
        fast_id = _insert(fast, "test.fast")  # a younger transaction takes an id and commits
        fast.commit()
        slow_id = _insert(slow, "test.slow")  # the older one takes a larger id, still open
        assert fast_id < slow_id
        # the fast one is sent at once, though an older transaction is still running; its id is
        # the safe position from before, so a client resuming from it gets it again rather than
        # missing anything the slow one may still write
        assert _ours(reader.read(cursor)) == [("test.fast", start)]
        assert _ours(reader.read(cursor)) == []  # not twice
        slow.commit()
        found = _ours(reader.read(cursor))
        assert [topic for topic, _ in found] == ["test.slow"]  # the fast one is not sent again
        slow_position = found[0][1]
        assert slow_position == (slow_xid, slow_id)  # in order: it may be resumed from exactly
        # resuming: from the early event's id, both (the fast one again: at least once); from
        # the slow one's position, the fast one, whose transaction is younger — nothing is lost
        assert [t for t, _ in _ours(stream.Reader(start).read(cursor))] == ["test.slow", "test.fast"]
        assert [t for t, _ in _ours(stream.Reader(slow_position).read(cursor))] == ["test.fast"]
        line = stream.Row(1, slow_xid, "test.slow", None, "/", {}, "t").sse(slow_position)
        assert line.startswith(f"id: {slow_xid}-{slow_id}\nevent: test.slow\n")
        assert stream.parse_position(f"{slow_xid}-{slow_id}") == slow_position
        with pytest.raises(ValueError):
            stream.parse_position("abc")
    finally:
        for conn in (slow, fast, reader_conn):
            conn.close()
