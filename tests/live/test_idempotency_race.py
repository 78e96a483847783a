"""Two first uses of one Idempotency-Key at once, on real transactions (committed, then removed):
both requests run, one commits, the other rolls its own writes back and answers with the first's
answer — the matter exists once, with one timeline entry."""

from __future__ import annotations

import threading

import psycopg2
import pytest

from api import ratelimit
from tests.conftest import DEMO_PASSWORD
from tests.live import libpq_dsn

MARK = "并发幂等测试"


@pytest.fixture
def dsn(app):
    dsn = libpq_dsn(app)
    yield dsn
    with psycopg2.connect(dsn) as conn, conn.cursor() as cursor:
        cursor.execute("DELETE FROM outbox WHERE payload::text LIKE %s", (f"%{MARK}%",))
        cursor.execute("DELETE FROM matters WHERE description = %s", (MARK,))
        cursor.execute("DELETE FROM idempotency_keys WHERE key = 'race-0001'")
    conn.close()


def test_two_first_uses_of_a_key_at_once_write_once(app, dsn, monkeypatch):
    with psycopg2.connect(dsn) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(boundary) p FROM places "
                       "WHERE kind = 'grid_cell' ORDER BY code LIMIT 1) c")
        lng, lat = cursor.fetchone()
    conn.close()
    token = app.test_client().post("/api/v1/auth/login",
                                   json={"username": "resident", "password": DEMO_PASSWORD}).get_json()["access_token"]
    both_inside = threading.Barrier(2, timeout=10)
    # both have looked the key up and found nothing before either goes on (the report limit's
    # counter, a row both would update, is left out: it would put one behind the other)
    monkeypatch.setattr(ratelimit, "hit", lambda *args, **kwargs: both_inside.wait())
    answers = [None, None]

    def post(index):
        answers[index] = app.test_client().post(
            "/api/v1/matters", json={"category": "ROAD-LIGHT", "description": MARK, "location": {"lng": lng, "lat": lat}},
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "race-0001"})

    threads = [threading.Thread(target=post, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert [a.status_code for a in answers] == [201, 201], [a.get_json() for a in answers]
    assert answers[0].get_json()["id"] == answers[1].get_json()["id"]
    assert sorted(a.headers.get("Idempotent-Replayed", "") for a in answers) == ["", "true"]
    with psycopg2.connect(dsn) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT count(*), (SELECT count(*) FROM matter_events e JOIN matters m ON m.id = e.matter_id "
                       "WHERE m.description = %s) FROM matters WHERE description = %s", (MARK, MARK))
        assert cursor.fetchone() == (1, 1)
    conn.close()
