"""The live stream (实时推送): Server-Sent Events for responders' phones and the console.

Writers call :func:`publish` inside the transaction of the change: the event row commits with it
(a transactional outbox) and ``NOTIFY gridgov_stream`` wakes the readers when it commits.

Nothing is skipped, nothing waits on a slow transaction. Rows are ordered by (transaction id, id).
A reader's *safe position* only moves past rows of transactions older than the oldest one still
running (``pg_snapshot_xmin``): a slow transaction that took an id early cannot commit behind it.
Rows committed above that line are sent at once all the same, marked with the safe position as
their SSE id, and remembered so they are not sent twice when the line passes them. A client that
reconnects with ``Last-Event-ID`` gets everything after the position it names — so at least once:
an event sent early may come again (receivers tolerate repeats; every payload carries its ids).

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
from collections.abc import Callable, Iterator
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

    @property
    def position(self) -> tuple[int, int]:
        return self.xid, self.id

    @property
    def fanout_key(self) -> tuple:
        """An event published to several areas in one transaction (a responder's position to their
        team's area and their incident's) is one row per area with the same topic and payload: a
        client whose area covers two of them gets it once."""
        return self.xid, self.topic, json.dumps(self.payload, sort_keys=True)

    def sse(self, resume: tuple[int, int]) -> str:
        """The event, with ``resume`` (the position to continue after it) as its id."""
        data = json.dumps({"topic": self.topic, "at": self.at, **self.payload}, ensure_ascii=False,
                          separators=(",", ":"))
        return f"id: {format_position(resume)}\nevent: {self.topic}\ndata: {data}\n\n"


def format_position(position: tuple[int, int]) -> str:
    return f"{position[0]}-{position[1]}"


def parse_position(raw: str) -> tuple[int, int] | int:
    """``"<xid>-<id>"`` as sent, or a bare event id; ValueError otherwise."""
    if "-" in raw:
        xid, _, event_id = raw.partition("-")
        return int(xid), int(event_id)
    return int(raw)


_COLUMNS = "id, xid, topic, user_id::text, place_path, payload, to_char(at AT TIME ZONE 'UTC', " \
           "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
_XMIN = "(pg_snapshot_xmin(pg_current_snapshot())::text)::bigint"


def _rows(cursor) -> list[Row]:
    return [Row(r[0], r[1], r[2], r[3], r[4], r[5], r[6]) for r in cursor.fetchall()]


def fetch_after(cursor, position: tuple[int, int], *, settled: bool = True, audience_sql: str = "TRUE",
                params: dict | None = None, limit: int = FETCH_LIMIT) -> list[Row]:
    """Committed rows after ``position`` in (xid, id) order: ``settled`` those of transactions older
    than every running one (the safe position may pass them), else those above that line."""
    gate = f"xid < {_XMIN}" if settled else f"xid >= {_XMIN}"
    cursor.execute(f"SELECT {_COLUMNS} FROM stream_events WHERE (xid, id) > (%(xid)s, %(id)s) AND {gate} "
                   f"AND ({audience_sql}) ORDER BY xid, id LIMIT %(limit)s",
                   {"xid": position[0], "id": position[1], "limit": limit, **(params or {})})
    return _rows(cursor)


def position_of(cursor, event_id: int) -> tuple[int, int] | None:
    """The (xid, id) of an event by its id; None when unknown (past the retention)."""
    cursor.execute("SELECT xid, id FROM stream_events WHERE id = %s", (event_id,))
    found = cursor.fetchone()
    return (found[0], found[1]) if found else None


def head(cursor) -> tuple[int, int]:
    """The safe position after every settled event: where a client without history starts."""
    cursor.execute(f"SELECT xid, id FROM stream_events WHERE xid < {_XMIN} ORDER BY xid DESC, id DESC LIMIT 1")
    found = cursor.fetchone()
    return (found[0], found[1]) if found else (0, 0)


class Reader:
    """Walks the events: settled rows in order (moving the safe position), then rows committed
    above the line at once (remembered, so they are not sent again when the line passes them)."""

    def __init__(self, position: tuple[int, int]):
        self.position = position
        self.early: set[int] = set()

    def read(self, cursor, **audience) -> list[tuple[Row, tuple[int, int]]]:
        """New rows, each with the position a client continues after it."""
        out = []
        while True:
            rows = fetch_after(cursor, self.position, **audience)
            for row in rows:
                self.position = row.position
                if row.id in self.early:
                    self.early.discard(row.id)
                else:
                    out.append((row, row.position))
            if len(rows) < FETCH_LIMIT:
                break
        for row in fetch_after(cursor, self.position, settled=False, **audience):
            if row.id not in self.early:
                self.early.add(row.id)
                out.append((row, self.position))
        return out


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

    def offer(self, row: Row, resume: tuple[int, int]) -> None:
        try:
            self.events.put_nowait((row, resume))
        except queue.Full:  # a client that stopped reading: it reconnects and resumes from its last id
            self.overflowed = True


class Hub:
    """One per process: listens, reads each new event once, and fans it out to subscribers."""

    def __init__(self, dsn: str):
        self.dsn = dsn
        self.subscribers: set[Subscriber] = set()
        self.lock = threading.Lock()
        self.reader: Reader | None = None
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
                if self.reader is None:
                    self.reader = Reader(head(cursor))
                self.ready.set()
                while True:
                    self.drain(cursor)
                    if select.select([conn], [], [], POLL_SECONDS) != ([], [], []):
                        conn.poll()
                        conn.notifies.clear()
        finally:
            conn.close()

    def drain(self, cursor) -> None:
        found = self.reader.read(cursor)
        if not found:
            return
        with self.lock:
            subscribers = list(self.subscribers)
        for row, resume in found:
            for subscriber in subscribers:
                if subscriber.wants(row):
                    subscriber.offer(row, resume)


_hubs: dict[str, Hub] = {}
_hubs_lock = threading.Lock()


def hub_for(dsn: str) -> Hub:
    with _hubs_lock:
        hub = _hubs.get(dsn)
        if hub is None:
            hub = _hubs[dsn] = Hub(dsn)
    hub.start()
    return hub


def events(dsn: str, subscriber: Subscriber, last_event_id: str | None, *, keepalive: float, until: float,
           connect: Callable[[], object], still_valid: Callable[[], bool] = lambda: True) -> Iterator[str]:
    """The SSE body: what the client missed after ``last_event_id`` (read on a pooled connection
    from ``connect``), then live events, a comment every ``keepalive`` seconds, and an end at
    ``until`` (the token's expiry: reconnect with a new one and ``Last-Event-ID``) or as soon as a
    keep-alive finds ``still_valid()`` false (logged out, account disabled)."""
    hub = hub_for(dsn)
    hub.subscribe(subscriber)  # before reading the backlog, so nothing falls between the two
    try:
        yield f"retry: 2000\n: {len(hub.subscribers)} streams\n\n"
        sent: set[int] = set()
        fanned: set[tuple] = set()  # the current transaction's events already sent (see Row.fanout_key)

        def first_copy(row: Row) -> bool:
            if fanned and next(iter(fanned))[0] != row.xid:
                fanned.clear()
            if row.fanout_key in fanned:
                return False
            fanned.add(row.fanout_key)
            return True

        start = None
        if last_event_id is not None:
            conn = connect()
            try:
                cursor = conn.cursor()
                given = parse_position(last_event_id)
                start = given if isinstance(given, tuple) else position_of(cursor, given)
                if start is None:  # past the retention: the client reloads its state
                    yield "event: reset\ndata: {}\n\n"
                else:
                    audience, params = subscriber.audience_sql()
                    for row, resume in Reader(start).read(cursor, audience_sql=audience, params=params):
                        sent.add(row.id)
                        if first_copy(row):
                            yield row.sse(resume)
                cursor.close()
            finally:
                conn.close()
        while time.monotonic() < until and not subscriber.overflowed:
            try:
                row, resume = subscriber.events.get(timeout=min(keepalive, max(until - time.monotonic(), 0.01)))
            except queue.Empty:
                if not still_valid():
                    return
                yield ": keep-alive\n\n"
                continue
            if row.id in sent or (start is not None and row.position <= start):
                continue  # sent from the backlog, or known to the client before it reconnected
            if first_copy(row):
                yield row.sse(resume)
    finally:
        hub.unsubscribe(subscriber)
