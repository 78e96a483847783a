"""Rate limits kept in the database, so every worker process shares them.

Sliding-window estimate over two fixed windows (current count + previous count weighted by how
much of it still lies within the last ``window_seconds``): no burst of twice the limit across a
window boundary, and no reset that a client can time.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, text

from api.errors import TooManyRequests
from models import RateCounter
from models.db import db_session

# Counters are kept this long: at least two of the longest window (an hour), so that the previous
# window an hourly limit weighs in is never swept away under it.
KEEP = timedelta(days=1)


# One round trip: this window's counter upserted and the previous window's read in one statement.
# Plain SQL: the statement is the same text on every request, with nothing for the ORM to build.
_HIT = text("""
WITH counted AS (
    INSERT INTO rate_counters (key, window_start, count) VALUES (:key, :start, 1)
    ON CONFLICT (key, window_start) DO UPDATE SET count = rate_counters.count + 1
    RETURNING count)
SELECT (SELECT count FROM counted),
       (SELECT count FROM rate_counters WHERE key = :key AND window_start = :previous)
""")


def hit(key: str, *, limit: int, window_seconds: int, error: str = "too_many_requests") -> None:
    """Count one request under ``key``; 429 once ``limit`` is passed within the window."""
    now = datetime.now(UTC)
    start_ts = int(now.timestamp()) // window_seconds * window_seconds
    window_start = datetime.fromtimestamp(start_ts, UTC)
    count, before = db_session.execute(_HIT, {
        "key": key[:100], "start": window_start, "previous": window_start - timedelta(seconds=window_seconds)}).one()
    elapsed = (now.timestamp() - start_ts) / window_seconds
    if random.random() < 0.01:  # keep the table small without a separate job
        db_session.execute(delete(RateCounter).where(RateCounter.window_start < now - KEEP))
    if count + (before or 0) * (1 - elapsed) > limit:
        retry_after = start_ts + window_seconds - int(now.timestamp())
        raise TooManyRequests(error, retry_after=retry_after)
