"""Cooperative psycopg2 under gevent (gunicorn's gevent workers, config/gunicorn.py).

psycopg2 blocks in C while it waits for the server; with this wait callback it waits through
gevent instead, so one greenlet's query does not stall the others (an open live stream, other
requests). The same few lines psycogreen ships, kept here rather than as a dependency."""

from __future__ import annotations

import psycopg2
from psycopg2 import extensions


def gevent_wait_callback(conn, timeout=None):
    from gevent.socket import wait_read, wait_write

    while True:
        state = conn.poll()
        if state == extensions.POLL_OK:
            return
        if state == extensions.POLL_READ:
            wait_read(conn.fileno(), timeout=timeout)
        elif state == extensions.POLL_WRITE:
            wait_write(conn.fileno(), timeout=timeout)
        else:
            raise psycopg2.OperationalError(f"Bad result from poll: {state!r}")


def patch_psycopg() -> None:
    extensions.set_wait_callback(gevent_wait_callback)
