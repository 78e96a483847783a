"""Rate limits shared by every worker: in the database (rate_counters) by default, in Redis with
REDIS_URL, the same sliding window in both, and the database standing in while Redis is down.

The Redis tests need a real Redis: ``make test`` starts a private one (scripts/redis.sh) and sets
TEST_REDIS_URL; run by hand without it, they are skipped."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, func, select

from api import create_app, ratelimit
from api.errors import TooManyRequests
from config import TestingConfig as Settings
from models import RateCounter
from models.db import get_engine
from scripts.serving import ROOT, free_port


@pytest.fixture
def redis_url():
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        pytest.skip("TEST_REDIS_URL is not set: `make test` starts a private Redis (scripts/redis.sh) and sets it")
    return url


@pytest.fixture
def redis_counter(app, redis_url, monkeypatch):
    """The app counting in Redis for this test."""
    counter = ratelimit.RedisCounter(redis_url)
    monkeypatch.setitem(app.extensions, "gridgov.ratelimit", counter)
    yield counter
    counter.client.close()


def _hits(key: str, n: int, *, limit: int, window_seconds: int = 60) -> tuple[int, list[TooManyRequests]]:
    let_in, refused = 0, []
    for _ in range(n):
        try:
            ratelimit.hit(key, limit=limit, window_seconds=window_seconds)
            let_in += 1
        except TooManyRequests as exc:
            refused.append(exc)
    return let_in, refused


def test_a_limit_counts_and_refuses_above_it(db, app):
    """Three pass, the fourth is refused with a Retry-After within the window, and a refusal is
    not counted (a client that keeps knocking is let in again as the window slides)."""
    with app.test_request_context():  # the context's end closes the session: look inside it
        let_in, refused = _hits("test:counting", 5, limit=3)
        assert db.scalar(select(func.sum(RateCounter.count)).where(RateCounter.key == "test:counting")) == 3
    assert let_in == 3 and len(refused) == 2
    assert 1 <= refused[0].params["retry_after"] <= 60 and refused[0].status == 429
    assert refused[0].headers["Retry-After"] == str(refused[0].params["retry_after"])


def test_the_previous_hour_is_weighed_and_not_swept(db, app, monkeypatch):
    """A full previous hour refuses the first request of the next when little of the hour has
    passed; the table's sweep (forced here) keeps that previous window."""
    now = datetime.now(UTC)
    start = datetime.fromtimestamp(int(now.timestamp()) // 3600 * 3600, UTC)
    monkeypatch.setattr(ratelimit.random, "random", lambda: 0.0)  # sweep on this hit
    with app.test_request_context():
        db.add(RateCounter(key="test:hourly", window_start=start - timedelta(hours=1), count=1_000_000))
        db.flush()
        with pytest.raises(TooManyRequests):
            ratelimit.hit("test:hourly", limit=60, window_seconds=3600)  # 1 + 1,000,000 × (what is left of the hour) > 60
        assert db.scalar(select(RateCounter.count).where(
            RateCounter.key == "test:hourly", RateCounter.window_start == start - timedelta(hours=1))) == 1_000_000


def test_the_backend_is_chosen_once_from_the_settings(app, redis_url):
    """No REDIS_URL: the database counts; with one, Redis (the app's extension, made at creation)."""
    assert app.extensions["gridgov.ratelimit"].name == "database"
    config = Settings()
    config.DATABASE_URL = app.config["DATABASE_URL"]
    config.REDIS_URL = redis_url
    assert create_app(config).extensions["gridgov.ratelimit"].name == "redis"


def test_redis_counts_the_same_window(app, redis_counter):
    """In Redis: the limit holds, refusals are not counted, keys are prefixed gridgov:rl: and
    expire after two windows (the previous one is still there to be weighed)."""
    key = f"test:{uuid.uuid4()}"
    with app.test_request_context():
        let_in, refused = _hits(key, 5, limit=3)
    assert let_in == 3 and len(refused) == 2 and 1 <= refused[0].params["retry_after"] <= 60
    stored = list(redis_counter.client.scan_iter(match=f"gridgov:rl:{{{key}}}:*"))
    assert len(stored) == 1 and int(redis_counter.client.get(stored[0])) == 3
    assert 60 < redis_counter.client.ttl(stored[0]) <= 120


def test_redis_weighs_the_previous_window(app, redis_counter):
    """A full previous hour in Redis refuses the next hour's first request, as in the database."""
    key = f"test:{uuid.uuid4()}"
    start = int(time.time()) // 3600 * 3600
    redis_counter.client.set(ratelimit.RedisCounter.redis_key(key, start - 3600), 1_000_000, ex=7200)
    with app.test_request_context(), pytest.raises(TooManyRequests):
        ratelimit.hit(key, limit=60, window_seconds=3600)


def test_a_redis_that_does_not_answer_falls_back_to_the_database(db, app, monkeypatch, caplog):
    """Redis configured but down: each request is counted in the database instead, a warning is
    logged once, the limit still holds and nothing fails; Redis is tried again after a while."""
    counter = ratelimit.RedisCounter(f"redis://127.0.0.1:{free_port()}/0", timeout=0.2, retry_seconds=0.5)
    monkeypatch.setitem(app.extensions, "gridgov.ratelimit", counter)
    caplog.set_level(logging.WARNING, logger="api.ratelimit")
    with app.test_request_context():
        let_in, refused = _hits("test:fallback", 4, limit=2)
        assert let_in == 2 and len(refused) == 2
        assert db.scalar(select(RateCounter.count).where(RateCounter.key == "test:fallback")) == 2
        db.commit()  # as the requests would
    warnings = [r for r in caplog.records if "Redis did not answer" in r.getMessage()]
    assert len(warnings) == 1  # not once per request: the database counts for a while
    time.sleep(0.6)
    with app.test_request_context(), pytest.raises(TooManyRequests):
        ratelimit.hit("test:fallback", limit=2, window_seconds=60)
    assert len([r for r in caplog.records if "Redis did not answer" in r.getMessage()]) == 2  # tried again


def test_a_redis_outage_answers_429_not_500_over_http(client, app, monkeypatch):
    """Through the API: with Redis down, logins are still limited per address (429, Retry-After)."""
    monkeypatch.setitem(app.extensions, "gridgov.ratelimit",
                        ratelimit.RedisCounter(f"redis://127.0.0.1:{free_port()}/0", timeout=0.2))
    monkeypatch.setitem(app.config, "LOGIN_RATE_PER_MINUTE", 2)
    statuses = [client.login("grid_member", "wrong").status_code for _ in range(3)]
    assert statuses == [401, 401, 429]


def _run_workers(key: str, *, limit: int, tries: int, redis: str = "") -> list[int]:
    env = {**os.environ, "WORKER_REDIS_URL": redis}
    # a pause between requests, so that the two really interleave (Redis answers in microseconds)
    workers = [subprocess.Popen([sys.executable, "-m", "tests.ratelimit_worker", key, str(limit), str(tries), "0.005"],
                                cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
               for _ in range(2)]
    try:
        for worker in workers:
            assert worker.stdout.readline().split() == ["ready", "redis" if redis else "database"]
        for worker in workers:  # both go at once
            worker.stdin.write("go\n")
            worker.stdin.flush()
        return [int(worker.communicate(timeout=120)[0].strip()) for worker in workers]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()


def test_two_processes_share_the_database_counter(app):
    """Two worker processes, each with its own connections, hitting one key at once: together
    they are let in exactly the limit's worth."""
    key = f"test-procs:{uuid.uuid4()}"
    try:
        let_in = _run_workers(key, limit=25, tries=40)
    finally:
        with get_engine().begin() as conn:  # the workers committed for real
            conn.execute(delete(RateCounter).where(RateCounter.key == key))
    assert sum(let_in) == 25 and all(n > 0 for n in let_in), let_in


def test_two_processes_share_the_redis_counter(app, redis_url):
    """The same with Redis: two processes, two Redis clients, one limit."""
    let_in = _run_workers(f"test-procs:{uuid.uuid4()}", limit=25, tries=40, redis=redis_url)
    assert sum(let_in) == 25 and all(n > 0 for n in let_in), let_in
