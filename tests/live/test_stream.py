"""The live stream end to end: GridGov served by gunicorn with its production worker class (gevent)
on the test database, phones and the console connected over real sockets.

A responder's phone gets a dispatch within 2 seconds of the commander's request; the console sees
the acknowledgement and the responder moving; a phone that reconnects with ``Last-Event-ID`` gets
what it missed; many open streams do not stop the API from answering. Everything this module
writes is committed (it runs in other processes), so it removes it at the end."""

from __future__ import annotations

import http.client
import json
import math
import queue
import socket
import threading
import time

import pytest
from sqlalchemy import create_engine, text

from tests.live_server import running_server

CELL_1 = "411104001001001"


@pytest.fixture(scope="module")
def server(app, tmp_path_factory):
    log = tmp_path_factory.mktemp("live") / "gunicorn.log"
    try:
        with running_server(app.config["DATABASE_URL"], log, STREAM_KEEPALIVE_SECONDS="1") as port:
            yield port
    finally:
        engine = create_engine(app.config["DATABASE_URL"])
        with engine.begin() as conn:  # what this module committed
            conn.execute(text("DELETE FROM incidents WHERE title LIKE '直播测试%'"))
            conn.execute(text("DELETE FROM stream_events"))
            conn.execute(text("DELETE FROM outbox WHERE topic LIKE 'incident.%'"))
            conn.execute(text("DELETE FROM notifications WHERE topic LIKE 'incident.%'"))
            conn.execute(text("DELETE FROM responder_tracks"))
            conn.execute(text("UPDATE responders SET duty_status = 'off_duty', position = NULL, position_at = NULL "
                              "WHERE user_id = (SELECT id FROM users WHERE username = 'responder')"))
        engine.dispose()


def _call(port, method, path, body=None, token=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, body=json.dumps(body) if body is not None else None, headers={
            "Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {}),
            **(headers or {})})
        response = conn.getresponse()
        raw = response.read()
        return response.status, json.loads(raw) if raw else None
    finally:
        conn.close()


def _login(port, username):
    status, body = _call(port, "POST", "/api/v1/auth/login", {"username": username, "password": "Demo-pass-2026"})
    assert status == 200, body
    return body["access_token"]


class Listener:
    """An SSE client in a thread: every event (id, name, data, arrival time) lands on a queue."""

    def __init__(self, port, token, last_event_id=None):
        self.events: queue.Queue = queue.Queue()
        self.received: list[dict] = []  # everything, for checking what a client must never get
        self.connected = threading.Event()
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Authorization": f"Bearer {token}", "Accept": "text/event-stream"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        self.conn.request("GET", "/api/v1/stream", headers=headers)
        self.response = self.conn.getresponse()
        self.sock = self.conn.sock
        assert self.response.status == 200, self.response.read()
        assert self.response.getheader("Content-Type").startswith("text/event-stream")
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()
        assert self.connected.wait(10)

    def _read(self):
        event = {}
        try:
            for raw in self.response:
                line = raw.decode("utf-8").rstrip("\n")
                if line.startswith("retry:"):
                    self.connected.set()
                if line == "":
                    if "data" in event:
                        parsed = {**event, "data": json.loads(event["data"]), "arrived": time.monotonic()}
                        self.received.append(parsed)
                        self.events.put(parsed)
                    event = {}
                elif not line.startswith(":"):
                    name, _, value = line.partition(": ")
                    event[name] = value
        except (OSError, ValueError, AttributeError, http.client.HTTPException):
            pass  # closed by the test

    def next(self, topic, timeout=5.0):
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {topic} event within {timeout} s")
            try:
                event = self.events.get(timeout=left)
            except queue.Empty:
                continue
            if event.get("event") == topic:
                return event

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.conn.close()
        self.thread.join(timeout=5)


def test_a_dispatch_reaches_the_phone_within_two_seconds_and_the_console_follows(server, app):
    port = server
    staff, phone, leader = (_login(port, u) for u in ("community_staff", "responder", "street_admin"))
    engine = create_engine(app.config["DATABASE_URL"])
    with engine.connect() as conn:
        lng, lat = conn.execute(text("SELECT ST_X(ST_PointOnSurface(boundary)), ST_Y(ST_PointOnSurface(boundary)) "
                                     "FROM places WHERE code = :c"), {"c": CELL_1}).one()
    engine.dispose()
    assert _call(port, "POST", "/api/v1/responders/me/duty", {"duty_status": "on_duty"}, phone)[0] == 200
    status, _ = _call(port, "POST", "/api/v1/responders/me/position",
                      {"lng": lng + 300 / (111_320 * math.cos(math.radians(lat))), "lat": lat}, phone)
    assert status == 200
    phone_stream, console, street = Listener(port, phone), Listener(port, staff), Listener(port, leader)
    try:
        status, incident = _call(port, "POST", "/api/v1/incidents", {
            "title": "直播测试：楼道燃气泄漏", "kind": "accident", "subtype": "gas_leak", "level": "III",
            "location": {"lng": lng, "lat": lat}}, staff)
        assert status == 201, incident
        status, found = _call(port, "GET", f"/api/v1/incidents/{incident['id']}/recommendations", token=staff)
        responder_id = found[0]["user_id"]
        assert status == 200 and abs(found[0]["distance_m"] - 300) < 5
        sent_at = time.monotonic()
        status, dispatches = _call(port, "POST", f"/api/v1/incidents/{incident['id']}/dispatches",
                                   {"responder_ids": [responder_id]}, staff)
        assert status == 201, dispatches
        created = phone_stream.next("dispatch.created", timeout=5)
        latency = created["arrived"] - sent_at
        assert latency < 2.0, f"the dispatch took {latency:.3f} s to reach the phone"
        assert created["data"]["id"] == dispatches[0]["id"] and created["data"]["incident"]["level"] == "III"
        assert console.next("dispatch.created")["data"]["id"] == dispatches[0]["id"]
        # the phone answers; the console sees it, and sees the responder move
        status, _ = _call(port, "POST", f"/api/v1/dispatches/{dispatches[0]['id']}/transitions",
                          {"action": "acknowledge"}, phone)
        assert status == 200
        assert console.next("dispatch.acknowledge")["data"]["status"] == "acknowledged"
        status, _ = _call(port, "POST", "/api/v1/responders/me/position", {"lng": lng, "lat": lat}, phone)
        assert status in (200, 429)
        if status == 429:  # within RESPONDER_POSITION_MIN_SECONDS of the last fix
            time.sleep(3.1)
            assert _call(port, "POST", "/api/v1/responders/me/position", {"lng": lng, "lat": lat}, phone)[0] == 200
        moved = console.next("responder.position")
        assert moved["data"]["user_id"] == responder_id and abs(moved["data"]["lng"] - lng) < 1e-5
        assert street.next("responder.position")["data"]["user_id"] == responder_id  # the team's street
        # the phone drops off and comes back: it gets what it missed, from the event after the last it saw
        phone_stream.close()
        status, _ = _call(port, "POST", f"/api/v1/dispatches/{dispatches[0]['id']}/transitions",
                          {"action": "en_route"}, phone)
        assert status == 200
        again = Listener(port, phone, last_event_id=created["id"])
        try:
            resumed = [again.next("dispatch.acknowledge")["data"]["status"],
                       again.next("dispatch.en_route")["data"]["status"]]
            assert resumed == ["acknowledged", "en_route"]
        finally:
            again.close()
        # a phone never gets another responder's events, nor the console's (positions, incident changes)
        on_phone = phone_stream.received + again.received
        assert on_phone and all(e["event"].startswith("dispatch.") for e in on_phone), on_phone
        assert all(e["data"]["responder_id"] == responder_id for e in on_phone)
        assert any(e["event"] == "incident.updated" for e in console.received)
    finally:
        for listener in (phone_stream, console, street):
            listener.close()


def test_open_streams_do_not_tie_up_the_api(server):
    port = server
    token = _login(port, "street_admin")
    streams = [Listener(port, token) for _ in range(40)]  # far more than a sync worker could hold (one)
    try:
        started = time.monotonic()
        for _ in range(5):
            assert _call(port, "GET", "/api/v1/me", token=token)[0] == 200
        assert time.monotonic() - started < 5
    finally:
        for stream in streams:
            stream.close()
    # without a token there is no stream
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/api/v1/stream")
    assert conn.getresponse().status == 401
    conn.close()
