"""Two first uses of one Idempotency-Key at once, on real transactions (committed, then removed).
The first holds the key's lock while it runs, so the second answers 409 idempotency_in_progress
and, sent again once the first is done, gets the first's answer. Should both still run (a view
that commits early lets go of the lock), only one inserts the key: the other rolls its own writes
back and answers with the first's answer. Either way the matter exists once, with one timeline
entry."""

from __future__ import annotations

import threading

import psycopg2
import pytest

from api import idempotency, ratelimit
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


def _grid_point(dsn):
    with psycopg2.connect(dsn) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(boundary) p FROM places "
                       "WHERE kind = 'grid_cell' ORDER BY code LIMIT 1) c")
        point = cursor.fetchone()
    conn.close()
    return point


def _reporter(app, dsn):
    """A function that reports the test's matter as resident with the key race-0001."""
    lng, lat = _grid_point(dsn)
    token = app.test_client().post("/api/v1/auth/login",
                                   json={"username": "resident", "password": DEMO_PASSWORD}).get_json()["access_token"]

    def post():
        return app.test_client().post(
            "/api/v1/matters", json={"category": "ROAD-LIGHT", "description": MARK, "location": {"lng": lng, "lat": lat}},
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "race-0001"})
    return post


def _written_once(dsn):
    with psycopg2.connect(dsn) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT count(*), (SELECT count(*) FROM matter_events e JOIN matters m ON m.id = e.matter_id "
                       "WHERE m.description = %s) FROM matters WHERE description = %s", (MARK, MARK))
        assert cursor.fetchone() == (1, 1)
    conn.close()


def test_a_retry_while_the_first_runs_is_409_then_gets_the_first_answer(app, dsn, monkeypatch):
    post = _reporter(app, dsn)
    inside, release = threading.Event(), threading.Event()

    def held(*args, **kwargs):  # the first request stops here, its key's lock taken
        inside.set()
        assert release.wait(10)
    monkeypatch.setattr(ratelimit, "hit", held)
    answers = {}
    first = threading.Thread(target=lambda: answers.setdefault("first", post()))
    first.start()
    assert inside.wait(10)
    retry = post()
    assert retry.status_code == 409 and retry.get_json()["error"] == "idempotency_in_progress", retry.get_json()
    release.set()
    first.join(30)
    assert answers["first"].status_code == 201, answers["first"].get_json()
    again = post()
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["id"] == answers["first"].get_json()["id"]
    _written_once(dsn)


def test_two_first_uses_that_both_run_write_once(app, dsn, monkeypatch):
    """The second line of defence: with the lock out of the way (as after a view's early commit),
    both run; the key's primary key lets one commit and the other replays its answer."""
    post = _reporter(app, dsn)
    monkeypatch.setattr(idempotency, "_claim", lambda user_id, key: True)
    both_inside = threading.Barrier(2, timeout=10)
    # both have looked the key up and found nothing before either goes on (the report limit's
    # counter, a row both would update, is left out: it would put one behind the other)
    monkeypatch.setattr(ratelimit, "hit", lambda *args, **kwargs: both_inside.wait())
    answers = [None, None]

    def run(index):
        answers[index] = post()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert [a.status_code for a in answers] == [201, 201], [a.get_json() for a in answers]
    assert answers[0].get_json()["id"] == answers[1].get_json()["id"]
    assert sorted(a.headers.get("Idempotent-Replayed", "") for a in answers) == ["", "true"]
    _written_once(dsn)
