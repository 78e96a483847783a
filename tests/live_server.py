"""GridGov served for real — gunicorn with its production worker class (gevent) on the test
database — for the tests that need real sockets: the live stream, the browser."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from contextlib import closing, contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(port: int) -> bool:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        conn.request("GET", "/healthz")
        return conn.getresponse().status == 200
    except OSError:
        return False
    finally:
        conn.close()


@contextmanager
def running_server(database_url: str, log: Path, **settings: str):
    """Start gunicorn on a free port with ``settings`` as environment; yield the port; stop it."""
    port = free_port()
    env = {**os.environ, "GRIDGOV_ENV": "testing", "HOST": "127.0.0.1", "PORT": str(port), "WEB_CONCURRENCY": "1",
           "DATABASE_URL": database_url, "TEST_DATABASE_URL": database_url, "LOGIN_RATE_PER_MINUTE": "1000",
           **settings}
    with open(log, "wb") as out:
        proc = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "--config", "config/gunicorn.py",
                                 "wsgi:app"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while not _healthy(port):
            if time.monotonic() > deadline or proc.poll() is not None:
                pytest.fail(f"gunicorn did not start: {log.read_text()[-3000:]}")
            time.sleep(0.2)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
