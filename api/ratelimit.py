"""Fixed-window rate limits kept in the database, so every worker process shares them."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert

from api.errors import TooManyRequests
from models import RateCounter
from models.db import db_session


def hit(key: str, *, limit: int, window_seconds: int, error: str = "too_many_requests") -> None:
    """Count one request under ``key``; 429 once ``limit`` is passed within the window."""
    now = datetime.now(UTC)
    start_ts = int(now.timestamp()) // window_seconds * window_seconds
    window_start = datetime.fromtimestamp(start_ts, UTC)
    stmt = (
        insert(RateCounter)
        .values(key=key[:100], window_start=window_start, count=1)
        .on_conflict_do_update(
            index_elements=[RateCounter.key, RateCounter.window_start],
            set_={"count": RateCounter.count + 1},
        )
        .returning(RateCounter.count)
    )
    count = db_session.execute(stmt).scalar_one()
    if random.random() < 0.01:  # keep the table small without a separate job
        db_session.execute(delete(RateCounter).where(RateCounter.window_start < now - timedelta(hours=1)))
    if count > limit:
        retry_after = start_ts + window_seconds - int(now.timestamp())
        raise TooManyRequests(error, retry_after=retry_after)
