"""Rate limits kept in the database, so every worker process shares them.

Sliding-window estimate over two fixed windows (current count + previous count weighted by how
much of it still lies within the last ``window_seconds``): no burst of twice the limit across a
window boundary, and no reset that a client can time.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert

from api.errors import TooManyRequests
from models import RateCounter
from models.db import db_session

# Counters are kept this long: at least two of the longest window (an hour), so that the previous
# window an hourly limit weighs in is never swept away under it.
KEEP = timedelta(days=1)


def hit(key: str, *, limit: int, window_seconds: int, error: str = "too_many_requests") -> None:
    """Count one request under ``key``; 429 once ``limit`` is passed within the window. One round
    trip: the upsert of this window's counter and the read of the previous one in one statement."""
    now = datetime.now(UTC)
    start_ts = int(now.timestamp()) // window_seconds * window_seconds
    window_start = datetime.fromtimestamp(start_ts, UTC)
    counted = (
        insert(RateCounter)
        .values(key=key[:100], window_start=window_start, count=1)
        .on_conflict_do_update(
            index_elements=[RateCounter.key, RateCounter.window_start],
            set_={"count": RateCounter.count + 1},
        )
        .returning(RateCounter.count)
        .cte("counted")
    )
    previous = select(RateCounter.count).where(
        RateCounter.key == key[:100], RateCounter.window_start == window_start - timedelta(seconds=window_seconds))
    count, before = db_session.execute(select(select(counted.c.count).scalar_subquery(),
                                              previous.scalar_subquery())).one()
    elapsed = (now.timestamp() - start_ts) / window_seconds
    if random.random() < 0.01:  # keep the table small without a separate job
        db_session.execute(delete(RateCounter).where(RateCounter.window_start < now - KEEP))
    if count + (before or 0) * (1 - elapsed) > limit:
        retry_after = start_ts + window_seconds - int(now.timestamp())
        raise TooManyRequests(error, retry_after=retry_after)
