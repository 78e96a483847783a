"""GridGov served by gunicorn for the programs that need real sockets (the live and browser tests,
the crash test, the benchmarks): a free port, the gunicorn command, the health check."""

from __future__ import annotations

import http.client
import socket
import sys
from contextlib import closing
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A TCP port on 127.0.0.1 nothing listens on now."""
    with closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def gunicorn_command(app: str = "wsgi:app") -> list[str]:
    """gunicorn of this virtual environment with GridGov's settings (config/gunicorn.py), serving
    ``app``; run it with ``cwd=ROOT``, HOST and PORT in its environment."""
    return [str(Path(sys.executable).parent / "gunicorn"), "--config", "config/gunicorn.py", app]


def healthy(port: int) -> bool:
    """Whether the server on ``port`` answers ``GET /healthz`` with 200."""
    try:
        with closing(http.client.HTTPConnection("127.0.0.1", port, timeout=2)) as conn:
            conn.request("GET", "/healthz")
            return conn.getresponse().status == 200
    except (OSError, http.client.HTTPException):
        return False
