"""GridGov served for real — gunicorn with its production worker class (gevent) on the test
database — for the tests that need real sockets: the live stream, the browser."""

from __future__ import annotations

import os
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from scripts.serving import ROOT, free_port, gunicorn_command, healthy


@contextmanager
def running_server(database_url: str, log: Path, **settings: str):
    """Start gunicorn on a free port with ``settings`` as environment; yield the port; stop it.

    The rate counters its requests committed are deleted afterwards (the transactional tests start
    from none: a login counter left for 127.0.0.1 would refuse their first login)."""
    port = free_port()
    env = {**os.environ, "GRIDGOV_ENV": "testing", "HOST": "127.0.0.1", "PORT": str(port), "WEB_CONCURRENCY": "1",
           "DATABASE_URL": database_url, "TEST_DATABASE_URL": database_url, "LOGIN_RATE_PER_MINUTE": "1000",
           **settings}
    with open(log, "wb") as out:
        proc = subprocess.Popen(gunicorn_command(), cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while not healthy(port):
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
        engine = create_engine(database_url, poolclass=NullPool)
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM rate_counters"))
        engine.dispose()
