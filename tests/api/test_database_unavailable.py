"""A database that is stopped, restarting or cutting the connection gets a 503 with Retry-After,
not a 500 with a stack trace: nothing the client did and no bug, and a retry (a create with its
Idempotency-Key) is answered once the database is back. The errors are real ones, taken from a
port where nothing listens and from a connection the server terminated."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from api.errors import database_unavailable
from api.matters import service
from models import AuditEvent
from models.db import get_engine
from scripts.serving import free_port
from tests.api.matter_helpers import inside


def _error(statement, url=None) -> DBAPIError:
    engine = create_engine(url or get_engine().url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            statement(conn)
    except DBAPIError as exc:
        return exc
    finally:
        engine.dispose()
    raise AssertionError("no error")


def refused() -> DBAPIError:
    """Connecting while the database is stopped."""
    return _error(lambda conn: None, get_engine().url.set(port=free_port()))


def terminated() -> DBAPIError:
    """A statement on a connection the server has ended (as a fast or immediate stop does)."""
    def statement(conn):
        pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        with get_engine().connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        conn.exec_driver_sql("SELECT 1")
    return _error(statement)


@pytest.mark.parametrize("cause", [refused, terminated])
def test_a_report_while_the_database_is_away_is_503(client, as_user, db, monkeypatch, caplog, cause):
    """The resident's phone gets 503 and Retry-After, the log a one-line warning, and the failed
    report is still audited once the database answers."""
    error = cause()
    assert database_unavailable(error)

    def submit(*args, **kwargs):
        raise error

    monkeypatch.setattr(service, "submit", submit)
    point = inside(db)
    with caplog.at_level(logging.WARNING):
        answer = client.post("/api/v1/matters", headers={**as_user("resident"), "Idempotency-Key": "away-0001"},
                             json={"category": "ROAD-LIGHT", "description": "路灯不亮",
                                   "location": {"lng": point.x, "lat": point.y}})
    assert answer.status_code == 503, answer.get_json()
    assert answer.get_json()["error"] == "database_unavailable" and answer.headers["Retry-After"] == "1"
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info] == []
    assert any("database unavailable on POST /api/v1/matters" in r.getMessage() for r in caplog.records)
    assert db.scalar(select(AuditEvent.outcome).where(AuditEvent.action == "matters.Matters",
                                                      AuditEvent.detail["status"].as_integer() == 503)) == "error"


def test_errors_of_a_working_database_are_not_unavailability(db):
    """A bad statement, a value out of range or a lock not granted is the request's or the code's
    doing (409, 422 or 500 as before), not a database away."""
    assert not database_unavailable(_error(lambda conn: conn.exec_driver_sql("SELEC 1")))
    assert not database_unavailable(_error(lambda conn: conn.exec_driver_sql("SELECT 1 / 0")))
    with get_engine().connect() as holder:
        holder.exec_driver_sql("LOCK TABLE rate_counters IN ACCESS EXCLUSIVE MODE")
        busy = _error(lambda conn: conn.exec_driver_sql("LOCK TABLE rate_counters NOWAIT"))
        holder.rollback()
    assert busy.orig.pgcode == "55P03" and not database_unavailable(busy)
