"""Rate limits shared by every worker process: counted in Redis when ``REDIS_URL`` is set, in the
database (table ``rate_counters``) otherwise. The backend is chosen once, when the app is created
(``app.extensions["gridgov.ratelimit"]``).

Both keep the same sliding-window estimate over two fixed windows: this window's count plus the
previous window's weighted by how much of it still lies within the last ``window_seconds``. No
burst of twice the limit across a window boundary, and no reset that a client can time. Both check
before they count, atomically: a request that would pass the limit is refused (429 with
``Retry-After``) and not counted, so a client hammering a limit is let in again as the window
slides, like one that waits.

The database counts inside the request's transaction (one statement): a request that fails after
being counted rolls its count back with everything else, so the database counts the requests that
went through. Redis counts a request the moment it is let in (one Lua script).

When Redis is configured but does not answer (down, timing out, refusing the password), the
request is counted in the database instead and a warning is logged; Redis is tried again after
``REDIS_RETRY_SECONDS``. A limit is never lifted and a request never fails because Redis did: at
worst, across the switch, each side's count starts afresh.
"""

from __future__ import annotations

import logging
import random
import time
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import delete, text

from api import audit
from api.context import actor
from api.errors import TooManyRequests
from models import RateCounter
from models.db import db_session

log = logging.getLogger(__name__)

# Counters are kept this long: at least two of the longest window (an hour), so that the previous
# window an hourly limit weighs in is never swept away under it.
KEEP = timedelta(days=1)
REDIS_PREFIX = "gridgov:rl:"
# A Redis that does not answer within this long is taken as down for this request.
REDIS_TIMEOUT_SECONDS = 0.5
# After a failure, the database counts for this long before Redis is tried again.
REDIS_RETRY_SECONDS = 30


class DatabaseCounter:
    """Counters in ``rate_counters``, in the request's transaction."""

    name = "database"

    # One round trip: the previous window's count read, and this window's counter inserted or
    # incremented only if the request stays within the limit; no row back means refused. Plain SQL:
    # the same text on every request, with nothing for the ORM to build. Concurrent requests of
    # one key queue on the counter's row, and each sees the count the one before it left.
    _HIT = text("""
WITH previous AS (
    SELECT coalesce((SELECT count FROM rate_counters WHERE key = :key AND window_start = :previous), 0) AS count)
INSERT INTO rate_counters (key, window_start, count)
SELECT :key, :start, 1 FROM previous WHERE 1 + previous.count * :weight <= :limit
ON CONFLICT (key, window_start) DO UPDATE SET count = rate_counters.count + 1
    WHERE rate_counters.count + 1 + (SELECT count FROM previous) * :weight <= :limit
RETURNING count
""")

    def allow(self, key: str, *, window_start: int, window_seconds: int, weight: float, limit: int) -> bool:
        start = datetime.fromtimestamp(window_start, UTC)
        counted = db_session.execute(self._HIT, {
            "key": key[:100], "start": start, "previous": start - timedelta(seconds=window_seconds),
            "weight": weight, "limit": limit}).first()
        if random.random() < 0.01:  # keep the table small without a separate job
            db_session.execute(delete(RateCounter).where(RateCounter.window_start < datetime.now(UTC) - KEEP))
        return counted is not None


# KEYS[1]: this window's counter, KEYS[2]: the previous window's. ARGV: the limit, the previous
# window's weight, and the counter's lifetime (two windows, so it is still there to be weighed as
# the previous one). 1: counted and let in; 0: refused, nothing counted.
_LUA_HIT = """
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local previous = tonumber(redis.call('GET', KEYS[2]) or '0')
if current + 1 + previous * tonumber(ARGV[2]) > tonumber(ARGV[1]) then
  return 0
end
redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
return 1
"""


class RedisCounter:
    """Counters in Redis under ``gridgov:rl:{key}:<window start>`` (the braces keep a key's two
    windows in one Redis Cluster slot), falling back to the database while Redis does not answer."""

    name = "redis"

    def __init__(self, url: str, *, fallback: DatabaseCounter | None = None,
                 timeout: float = REDIS_TIMEOUT_SECONDS, retry_seconds: float = REDIS_RETRY_SECONDS):
        import redis

        self._errors = (redis.RedisError, OSError)
        self.client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout,
                                           health_check_interval=30)
        self._script = self.client.register_script(_LUA_HIT)
        self.fallback = fallback or DatabaseCounter()
        self.retry_seconds = retry_seconds
        self._down_until = 0.0

    @staticmethod
    def redis_key(key: str, window_start: int) -> str:
        return f"{REDIS_PREFIX}{{{key}}}:{window_start}"

    def allow(self, key: str, *, window_start: int, window_seconds: int, weight: float, limit: int) -> bool:
        if time.monotonic() >= self._down_until:
            try:
                allowed = self._script(
                    keys=[self.redis_key(key, window_start), self.redis_key(key, window_start - window_seconds)],
                    args=[limit, repr(weight), 2 * window_seconds])
            except self._errors as exc:
                self._down_until = time.monotonic() + self.retry_seconds
                log.warning("rate limits: Redis did not answer (%s: %s); counting in the database for %g s",
                            type(exc).__name__, exc, self.retry_seconds)
            else:
                return bool(allowed)
        return self.fallback.allow(key, window_start=window_start, window_seconds=window_seconds, weight=weight,
                                   limit=limit)


def make_counter(config) -> DatabaseCounter | RedisCounter:
    """The backend the settings ask for: Redis with ``REDIS_URL``, else the database."""
    url = config.get("REDIS_URL") or ""
    return RedisCounter(url) if url else DatabaseCounter()


def counter() -> DatabaseCounter | RedisCounter:
    return current_app.extensions["gridgov.ratelimit"]


def hit(key: str, *, limit: int, window_seconds: int, error: str = "too_many_requests") -> None:
    """Count one request under ``key``; 429 (with ``Retry-After``) when it would pass ``limit``
    within the window."""
    now = time.time()
    window_start = int(now) // window_seconds * window_seconds
    weight = 1 - (now - window_start) / window_seconds  # what of the previous window is still in view
    if not counter().allow(key, window_start=window_start, window_seconds=window_seconds, weight=weight,
                           limit=limit):
        raise TooManyRequests(error, retry_after=window_start + window_seconds - int(now))


def per_user(kind: str, limit: int, *, window_seconds: int = 3600, audit_action: str | None = None,
             object_type: str | None = None, object_id=None) -> None:
    """Count one request of the acting user under ``kind`` (one budget per user and kind).

    With ``audit_action`` a refusal is written to the audit log (outcome ``rejected``, reason
    ``too_many_requests``): who hit the limit on reveals and exports is what an auditor asks."""
    try:
        hit(f"{kind}:{actor().id}", limit=limit, window_seconds=window_seconds)
    except TooManyRequests:
        if audit_action is not None:
            db_session.rollback()
            audit.record(audit_action, outcome="rejected", object_type=object_type, object_id=object_id,
                         detail={"reason": "too_many_requests", "limit": limit, "window_seconds": window_seconds})
            db_session.commit()
        raise
