"""The audit log: every login attempt and write, append-only in the database (issue 2 point 10)."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from models import AuditEvent, User


def _events(db, **filters) -> list[AuditEvent]:
    stmt = select(AuditEvent).order_by(AuditEvent.id)
    for key, value in filters.items():
        stmt = stmt.where(getattr(AuditEvent, key) == value)
    return db.scalars(stmt).all()


def test_login_attempts_are_audited(client, db):
    """Success and failure of a login each leave a row with actor, address and outcome."""
    client.login("grid_member")
    client.login("grid_member", "Wrong-pass-2026")
    client.login("nobody_at_all", "Wrong-pass-2026")
    rows = _events(db, action="auth.login")
    assert [r.outcome for r in rows] == ["success", "failure", "failure"]
    assert rows[0].actor_username == "grid_member" and rows[0].actor_role == "grid_member"
    assert rows[2].actor_id is None and rows[2].actor_username == "nobody_at_all"
    assert all(str(r.ip) == "127.0.0.1" and r.at.tzinfo is not None for r in rows)
    assert not any("Wrong-pass-2026" in str(r.detail) for r in rows)  # never the secret itself


def test_successful_write_is_audited_in_the_same_transaction(client, as_user, db):
    """Creating an account writes a user.create row naming the new account."""
    headers = as_user("system_admin")
    place = db.scalars(select(User.place_id).where(User.username == "resident")).first()
    response = client.post("/api/v1/users", headers=headers, json={
        "username": "audited", "display_name": "审计", "role": "resident", "place_id": str(place),
        "password": "Strong-pass-2026"})
    assert response.status_code == 201
    rows = _events(db, action="user.create")
    assert len(rows) == 1
    assert rows[0].object_id == response.get_json()["id"] and rows[0].actor_username == "system_admin"


def test_refused_write_is_audited(client, as_user, db):
    """A write refused for lack of permission is recorded as denied."""
    client.post("/api/v1/users", json={}, headers=as_user("grid_member"))
    rows = _events(db, outcome="denied")
    assert rows[-1].actor_username == "grid_member"
    assert rows[-1].detail == {"method": "POST", "path": "/api/v1/users", "status": 403}


def test_invalid_write_is_audited_as_rejected(client, as_user, db):
    """A write refused by validation is recorded as rejected, with its status."""
    client.post("/api/v1/users", json={"username": 1}, headers=as_user("system_admin"))
    rows = _events(db, outcome="rejected")
    assert rows and rows[-1].detail["status"] == 422


@pytest.mark.parametrize("statement", [
    "UPDATE audit_events SET outcome = 'success'",
    "DELETE FROM audit_events",
    "TRUNCATE audit_events",
])
def test_audit_rows_cannot_be_changed_or_removed(client, db, statement):
    """The database itself refuses UPDATE, DELETE and TRUNCATE on the audit log."""
    client.login("grid_member")
    db.commit()
    with pytest.raises(DBAPIError, match="append-only"):
        with db.begin_nested():
            db.execute(text(statement))


def test_audit_admin_reads_the_log(client, as_user):
    """The audit administrator lists events, newest first, filtered by action."""
    client.login("grid_member", "Wrong-pass-2026")
    response = client.get("/api/v1/audit-events?action=auth.login&outcome=failure", headers=as_user("audit_admin"))
    assert response.status_code == 200
    events = response.get_json()
    assert events and all(e["action"] == "auth.login" and e["outcome"] == "failure" for e in events)
    assert set(events[0]) >= {"action", "object_type", "object_id", "actor_id", "at", "outcome"}


@pytest.mark.parametrize("username", ["district_admin", "system_admin", "security_admin", "grid_member", "resident"])
def test_only_the_audit_admin_reads_the_log(client, as_user, username):
    """Separated duties: no other role reads the audit log."""
    assert client.get("/api/v1/audit-events", headers=as_user(username)).status_code == 403


def test_a_write_refused_by_the_database_is_still_audited(client, as_user, db, monkeypatch):
    """When the commit itself fails (a unique race answered 409), the refusal is still in the audit log."""
    from api.users import service as users_service

    monkeypatch.setattr(users_service, "_check_unique", lambda *a, **k: None)  # let the database decide
    place = db.scalars(select(User.place_id).where(User.username == "resident")).first()
    response = client.post("/api/v1/users", headers=as_user("system_admin"), json={
        "username": "grid_member", "display_name": "重名", "role": "resident", "place_id": str(place),
        "password": "Strong-pass-2026"})
    assert response.status_code == 409
    rows = _events(db, action="users.Users")
    assert rows and rows[-1].outcome == "rejected" and rows[-1].detail["status"] == 409
    assert not _events(db, action="user.create")


def test_roster_reads_are_audited(client, as_user, db):
    """Listing residents leaves an audit row with the filters used."""
    client.get("/api/v1/residents?tag=elderly_alone", headers=as_user("grid_member"))
    row = _events(db, action="resident.list")[-1]
    assert row.actor_username == "grid_member" and row.detail == {"filters": ["tag"]}


def test_the_application_role_can_only_append_to_the_audit_log(db):
    """As the role `flask db upgrade` grants, the app writes business rows and audit rows, but cannot
    change or remove audit rows, nor switch the guard triggers off (it owns nothing)."""
    from models.grants import grant_app_role

    db.execute(text("CREATE ROLE gridgov_grant_test NOLOGIN"))
    grant_app_role(db.connection(), "gridgov_grant_test")
    db.execute(text("SET LOCAL ROLE gridgov_grant_test"))
    db.execute(text("INSERT INTO audit_events (action, outcome) VALUES ('test.append', 'success')"))
    db.execute(text("UPDATE users SET display_name = display_name WHERE username = 'resident'"))
    for statement in ("UPDATE audit_events SET outcome = 'x'", "DELETE FROM audit_events",
                      "TRUNCATE audit_events", "ALTER TABLE audit_events DISABLE TRIGGER ALL"):
        with pytest.raises(DBAPIError, match="permission denied|must be owner"):
            with db.begin_nested():
                db.execute(text(statement))
