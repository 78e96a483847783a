"""Rate limits shared by every worker (rate_counters): one round trip per hit, and the previous
window an hourly limit weighs in survives the table's sweeping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from api import ratelimit
from api.errors import TooManyRequests
from models import RateCounter


def test_a_limit_counts_and_refuses_above_it(db, app):
    with app.test_request_context():  # the context's end closes the session: look inside it
        for _ in range(3):
            ratelimit.hit("test:counting", limit=3, window_seconds=60)
        with pytest.raises(TooManyRequests) as refused:
            ratelimit.hit("test:counting", limit=3, window_seconds=60)
        assert db.scalar(select(func.sum(RateCounter.count)).where(RateCounter.key == "test:counting")) == 4
    assert 1 <= refused.value.params["retry_after"] <= 60 and refused.value.status == 429


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
