"""The live stream (实时推送): Server-Sent Events for responders' phones and the console.

Writers call :func:`publish` inside the transaction of the change: the event row commits with it
(a transactional outbox) and ``NOTIFY gridgov_stream`` wakes the readers when it commits.

Readers never skip a row. Rows are read in (transaction id, id) order and only from transactions
older than the oldest one still running (``pg_snapshot_xmin``): a slow transaction that took an
id early cannot commit "behind" a reader's cursor. An event's SSE id is its row id; a client that
reconnects with ``Last-Event-ID`` resumes right after it.

Each server process keeps one :class:`Hub`: one database connection listening, one reader that
fetches new rows once and hands each to the subscribers it is meant for. A subscriber is a queue,
not a worker: under gunicorn's gevent workers (config/gunicorn.py) thousands of open streams cost
greenlets, and the request workers stay free.
"""

from __future__ import annotations

import json
import logging
import queue
import select
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import psycopg2
from sqlalchemy import text
from sqlalchemy.orm import Session

from api.policy import Scope
from models import Role, StreamEvent

CHANNEL = "gridgov_stream"
STAFF = (Role.grid_member, Role.community_staff, Role.street_admin, Role.district_admin)
FETCH_LIMIT = 1000
POLL_SECONDS = 1.0  # a missed NOTIFY costs at most this long
log = logging.getLogger("gridgov.stream")


def publish(db: Session, topic: str, payload: dict, *, user_id: uuid.UUID | None = None,
            place_path: str | None = None) -> None:
    """Queue an event for one user, or for staff whose area covers ``place_path``; it is sent when
    (and only if) the current transaction commits."""
    payload = json.loads(json.dumps(payload, default=_plain))  # ids and times as strings
    db.add(StreamEvent(topic=topic, payload=payload, user_id=user_id, place_path=place_path))
    db.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})


def _plain(value):
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def prune(db: Session, retention_hours: int) -> int:
    """Drop events older than the retention (a client resuming from one gets a ``reset``)."""
    return db.execute(text("DELETE FROM stream_events WHERE at < now() - make_interval(hours => :h)"),
                      {"h": retention_hours}).rowcount


@dataclass(frozen=True)
class Row:
    id: int
    xid: int
    topic: str
    user_id: str | None
    place_path: str | None
    payload: dict
    at: str

    def sse(self) -> str:
        data = json.dumps({"topic": self.topic, "at": self.at, **self.payload}, ensure_ascii=False,
                          separators=(",", ":"))
        return f"id: {self.id}\nevent: {self.topic}\ndata: {data}\n\n"


_COLUMNS = "id, xid, topic, user_id::text, place_path, payload, to_char(at AT TIME ZONE 'UTC', " \
           "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
_GATE = "xid < (pg_snapshot_xmin(pg_current_snapshot())::text)::bigint"


def _rows(cursor) -> list[Row]:
    return [Row(r[0], r[1], r[2], r[3], r[4], r[5], r[6]) for r in cursor.fetchall()]


def fetch_after(cursor, position: tuple[int, int], *, audience_sql: str = "TRUE", params: dict | None = None,
                limit: int = FETCH_LIMIT) -> list[Row]:
    """Rows after ``position`` (xid, id) from finished transactions, in order."""
    cursor.execute(f"SELECT {_COLUMNS} FROM stream_events WHERE (xid, id) > (%(xid)s, %(id)s) AND {_GATE} "
                   f"AND ({audience_sql}) ORDER BY xid, id LIMIT %(limit)s",
                   {"xid": position[0], "id": position[1], "limit": limit, **(params or {})})
    return _rows(cursor)


def position_of(cursor, event_id: int | None) -> tuple[int, int] | None:
    """The (xid, id) of an event a client last saw; None when unknown (too old or never)."""
    if event_id is None:
        return None
    cursor.execute("SELECT xid, id FROM stream_events WHERE id = %s", (event_id,))
    found = cursor.fetchone()
    return (found[0], found[1]) if found else None


def head(cursor) -> tuple[int, int]:
    """The position after every finished event: where a new client without history starts."""
    cursor.execute(f"SELECT xid, id FROM stream_events WHERE {_GATE} ORDER BY xid DESC, id DESC LIMIT 1")
    found = cursor.fetchone()
    return (found[0], found[1]) if found else (0, 0)


@dataclass(eq=False)
class Subscriber:
    """One open stream: who it is for and the queue of its events."""

    user_id: str
    role: Role
    place_paths: tuple[str, ...]
    events: queue.Queue = field(default_factory=lambda: queue.Queue(maxsize=10_000))
    overflowed: bool = False

    @classmethod
    def for_scope(cls, scope: Scope) -> Subscriber:
        return cls(str(scope.actor_id), scope.role, scope.place_paths if scope.role in STAFF else ())

    def wants(self, row: Row) -> bool:
        if row.user_id is not None:
            return row.user_id == self.user_id
        return row.place_path is not None and any(row.place_path.startswith(p) for p in self.place_paths)

    def audience_sql(self) -> tuple[str, dict]:
        clauses, params = ["user_id = %(me)s::uuid"], {"me": self.user_id}
        for index, path in enumerate(self.place_paths):
            clauses.append(f"starts_with(place_path, %(path{index})s)")
            params[f"path{index}"] = path
        return " OR ".join(clauses), params

    def offer(self, row: Row) -> None:
        try:
            self.events.put_nowait(row)
        except queue.Full:  # a client that stopped reading: it reconnects and resumes from its last id
            self.overflowed = True


class Hub:
    """One per process: listens, reads each new event once, and fans it out to subscribers."""

    def __init__(self, dsn: str):
        self.dsn = dsn
        self.subscribers: set[Subscriber] = set()
        self.lock = threading.Lock()
        self.position: tuple[int, int] | None = None
        self.ready = threading.Event()
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        with self.lock:
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._run, name="gridgov-stream-hub", daemon=True)
                self.thread.start()
        self.ready.wait(timeout=10)

    def subscribe(self, subscriber: Subscriber) -> None:
        with self.lock:
            self.subscribers.add(subscriber)

    def unsubscribe(self, subscriber: Subscriber) -> None:
        with self.lock:
            self.subscribers.discard(subscriber)

    def _run(self) -> None:
        while True:
            try:
                self._listen()
            except Exception:  # the database went away: retry, clients keep their place by event id
                log.exception("stream hub lost its connection; reconnecting")
                time.sleep(1)

    def _listen(self) -> None:
        conn = psycopg2.connect(self.dsn, application_name="gridgov-stream")
        conn.autocommit = True
        try:
            with conn.cursor() as cursor:
                cursor.execute(f"LISTEN {CHANNEL}")
                if self.position is None:
                    self.position = head(cursor)
                self.ready.set()
                while True:
                    self._drain(cursor)
                    if select.select([conn], [], [], POLL_SECONDS) != ([], [], []):
                        conn.poll()
                        conn.notifies.clear()
        finally:
            conn.close()

    def _drain(self, cursor) -> None:
        while True:
            rows = fetch_after(cursor, self.position)
            if not rows:
                return
            with self.lock:
                subscribers = list(self.subscribers)
            for row in rows:
                for subscriber in subscribers:
                    if subscriber.wants(row):
                        subscriber.offer(row)
            self.position = (rows[-1].xid, rows[-1].id)


_hubs: dict[str, Hub] = {}
_hubs_lock = threading.Lock()


def hub_for(dsn: str) -> Hub:
    with _hubs_lock:
        hub = _hubs.get(dsn)
        if hub is None:
            hub = _hubs[dsn] = Hub(dsn)
    hub.start()
    return hub


def events(dsn: str, subscriber: Subscriber, last_event_id: int | None, *, keepalive: float,
           until: float) -> Iterator[str]:
    """The SSE body: what the client missed since ``last_event_id``, then live events, a comment
    every ``keepalive`` seconds, and an end at ``until`` (the token's expiry: reconnect with a new
    one and ``Last-Event-ID``)."""
    hub = hub_for(dsn)
    hub.subscribe(subscriber)  # before reading the backlog, so nothing falls between the two
    try:
        yield f"retry: 2000\n: {len(hub.subscribers)} streams\n\n"
        seen = None
        if last_event_id is not None:
            conn = psycopg2.connect(dsn, application_name="gridgov-stream-resume")
            conn.autocommit = True
            try:
                with conn.cursor() as cursor:
                    start = position_of(cursor, last_event_id)
                    if start is None:  # past the retention: the client reloads its state
                        yield "event: reset\ndata: {}\n\n"
                    audience, params = subscriber.audience_sql()
                    while start is not None:
                        rows = fetch_after(cursor, start, audience_sql=audience, params=params)
                        for row in rows:
                            yield row.sse()
                        if rows:
                            start = (rows[-1].xid, rows[-1].id)
                        if len(rows) < FETCH_LIMIT:
                            break
                    seen = start
            finally:
                conn.close()
        while time.monotonic() < until and not subscriber.overflowed:
            try:
                row = subscriber.events.get(timeout=min(keepalive, max(until - time.monotonic(), 0.01)))
            except queue.Empty:
                yield ": keep-alive\n\n"
                continue
            if seen is not None and (row.xid, row.id) <= seen:
                continue  # already sent from the backlog
            yield row.sse()
    finally:
        hub.unsubscribe(subscriber)
