"""The statement timeout (DB_STATEMENT_TIMEOUT_MS): a statement running past it is cancelled by
PostgreSQL, and the request answers a clean 503 with Retry-After, its transaction rolled back."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError

from api.matters import service as matters
from models import AuditEvent, Matter
from models.db import get_engine, make_engine
from tests.api.matter_helpers import ERROR_SHAPE, inside

TIMEOUT = text("SELECT setting FROM pg_settings WHERE name = 'statement_timeout'")  # in ms


def test_every_connection_runs_with_the_timeout(app):
    """The app's connections carry statement_timeout from the setting; a longer statement is cancelled."""
    engine = make_engine(app.config["DATABASE_URL"], pool_size=1, statement_timeout_ms=200)
    try:
        with engine.connect() as conn:
            assert conn.scalar(TIMEOUT) == "200"
            with pytest.raises(OperationalError) as cancelled:
                conn.execute(text("SELECT pg_sleep(2)"))
        assert cancelled.value.orig.pgcode == "57014"
    finally:
        engine.dispose()
    with get_engine().connect() as conn:
        assert conn.scalar(TIMEOUT) == str(app.config["DB_STATEMENT_TIMEOUT_MS"])


def test_a_request_past_the_timeout_answers_503_and_writes_nothing(client, as_user, db, monkeypatch):
    """A report whose last statement runs past the timeout: 503 statement_timeout with Retry-After
    in the one error shape, no stack trace; the matter it had inserted is rolled back and the
    failure is in the audit log."""
    headers = as_user("resident")
    before = db.scalar(select(func.count()).select_from(Matter))
    db.execute(text("SET LOCAL statement_timeout = '300ms'"))  # this test's transaction only
    real_submit = matters.submit

    def slow_submit(session, *args, **kwargs):
        matter = real_submit(session, *args, **kwargs)
        session.flush()  # the matter is in the transaction...
        session.execute(text("SELECT pg_sleep(5)"))  # ...when a statement overruns
        return matter

    monkeypatch.setattr(matters, "submit", slow_submit)
    point = inside(db)
    response = client.post("/api/v1/matters", headers=headers, json={
        "category": "ROAD-LIGHT", "description": "路灯不亮", "location": {"lng": point.x, "lat": point.y}})
    assert response.status_code == 503
    body = response.get_json()
    assert body["error"] == "statement_timeout" and set(body) == ERROR_SHAPE
    assert response.headers["Retry-After"] == "30" and "30 秒" in body["message"]
    assert "Traceback" not in response.get_data(as_text=True) and "pg_sleep" not in response.get_data(as_text=True)
    db.execute(text("SET LOCAL statement_timeout = '15s'"))
    assert db.scalar(select(func.count()).select_from(Matter)) == before
    failed = db.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).one()
    assert failed.outcome == "error" and failed.detail["status"] == 503
