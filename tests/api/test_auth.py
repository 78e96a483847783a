"""Login, tokens, sessions, lockout: issue 2 point 6 and RELIABILITY.md API2."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import jwt
from sqlalchemy import select, update

from api.auth import passwords
from models import AuthSession, LoginThrottle, User

LOGIN = "/api/v1/auth/login"


def _user(db, username) -> User:
    return db.scalars(select(User).where(User.username == username)).unique().one()


def test_login_returns_tokens(client):
    """The contract's login answer: access_token, refresh_token, expires_in; the token opens /me."""
    response = client.login("community_staff")
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) >= {"access_token", "refresh_token", "expires_in"}
    assert body["expires_in"] == 900
    assert response.headers["Cache-Control"] == "no-store"
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"}).get_json()
    assert me["username"] == "community_staff"
    assert me["place"]["name"] == "漓江路社区"


def test_phone_number_works_as_username(client):
    """A grid member may log in with their mobile number."""
    assert client.login("13800000004").status_code == 200


def test_username_is_case_insensitive(client):
    """'Grid_Member' is the same account as 'grid_member'."""
    assert client.login("Grid_Member").status_code == 200


def test_passwords_are_argon2id(db, client):
    """Stored hashes are argon2id, never the password."""
    assert _user(db, "resident").password_hash.startswith("$argon2id$")


def test_hash_is_upgraded_when_parameters_change(app, db, client):
    """A login with a hash made under weaker parameters rewrites it under the current ones."""
    user = _user(db, "resident")
    user.password_hash = passwords.hash_password(passwords.hasher(1, 512, 1), "Demo-pass-2026")
    db.commit()
    old = user.password_hash
    assert client.login("resident").status_code == 200
    db.expire_all()
    new = _user(db, "resident").password_hash
    assert new != old and "m=1024" in new


def test_wrong_password_and_unknown_user_answer_the_same(client):
    """An attacker cannot tell a wrong password from a missing account."""
    wrong = client.login("grid_member", "Wrong-pass-2026")
    unknown = client.login("nobody_here", "Wrong-pass-2026")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.get_json() == unknown.get_json()
    assert wrong.get_json()["error"] == "invalid_credentials"


def test_five_failures_lock_the_account(app, client):
    """After 5 failed logins even the right password is refused with 429 and Retry-After."""
    for _ in range(5):
        assert client.login("grid_member", "Wrong-pass-2026").status_code == 401
    locked = client.login("grid_member")
    assert locked.status_code == 429
    assert locked.get_json()["error"] == "login_locked"
    assert 0 < int(locked.headers["Retry-After"]) <= app.config["LOGIN_LOCK_SECONDS"] + 1


def test_a_lock_on_one_name_does_not_reveal_others(client):
    """Locking the username does not lock the phone: a lock never links a phone number to an account."""
    for _ in range(6):
        client.login("grid_member", "Wrong-pass-2026")
    assert client.login("grid_member").status_code == 429
    assert client.login("13800000004").status_code == 200


def test_attempts_are_counted_before_the_password_is_checked(app, db):
    """Parallel guesses cannot slip past the limit: each attempt takes its slot first, atomically."""
    from api.auth import service

    settings = service.AuthSettings.from_config(app.config)
    slots = [service.reserve_attempt(db, "login:someone", settings) for _ in range(settings.max_failures + 2)]
    assert slots[: settings.max_failures] == [0] * settings.max_failures
    assert all(seconds > 0 for seconds in slots[settings.max_failures:])


def test_unknown_names_lock_like_real_ones(client):
    """The lock does not reveal whether an account exists: unknown names lock too."""
    for _ in range(5):
        client.login("ghost_account", "Wrong-pass-2026")
    for _ in range(5):
        client.login("grid_member", "Wrong-pass-2026")
    ghost, real = client.login("ghost_account", "x"), client.login("grid_member", "x")
    assert ghost.status_code == real.status_code == 429
    assert ghost.get_json()["error"] == real.get_json()["error"] == "login_locked"


def test_lock_ends_after_the_lock_period(db, client):
    """Once the lock period has passed, the right password works again."""
    for _ in range(6):
        client.login("grid_member", "Wrong-pass-2026")
    assert client.login("grid_member").status_code == 429
    db.execute(update(LoginThrottle).where(LoginThrottle.key == "login:grid_member")
               .values(locked_until=datetime.now(UTC) - timedelta(seconds=1)))
    db.commit()
    assert client.login("grid_member").status_code == 200


def test_security_admin_can_unlock(client, as_user, db):
    """The security administrator lifts a lock before it runs out."""
    for _ in range(5):
        client.login("grid_member", "Wrong-pass-2026")
    user_id = _user(db, "grid_member").id
    response = client.post(f"/api/v1/users/{user_id}/unlock", headers=as_user("security_admin"))
    assert response.status_code == 204
    assert client.login("grid_member").status_code == 200


def test_login_attempts_per_address_are_rate_limited(app, client):
    """Past LOGIN_RATE_PER_MINUTE attempts from one address in a minute answer 429."""
    limit = app.config["LOGIN_RATE_PER_MINUTE"]
    statuses = [client.login(f"someone{i}", "x").status_code for i in range(limit + 1)]
    assert statuses[:limit] == [401] * limit
    assert statuses[-1] == 429
    assert client.login("grid_member").status_code == 429


def test_disabled_account_cannot_log_in(db, client):
    """A disabled account with the right password gets 403 account_disabled, and no tokens."""
    _user(db, "resident").is_active = False
    db.commit()
    response = client.login("resident")
    assert response.status_code == 403
    assert response.get_json()["error"] == "account_disabled"


def test_refresh_rotates_and_reuse_ends_the_session(client):
    """Each refresh token works once; replaying a used one revokes the whole session."""
    first = client.login("grid_member").get_json()
    second = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    second = second.get_json()
    assert second["refresh_token"] != first["refresh_token"]
    headers = {"Authorization": f"Bearer {second['access_token']}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    replay = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert replay.status_code == 401
    assert replay.get_json()["error"] == "invalid_refresh_token"
    # the thief's replay ended the session: the newest tokens stop working too
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    assert client.post("/api/v1/auth/refresh", json={"refresh_token": second["refresh_token"]}).status_code == 401


def test_unknown_refresh_token_is_refused(client):
    """A made-up refresh token gets 401."""
    assert client.post("/api/v1/auth/refresh", json={"refresh_token": "made-up"}).status_code == 401


def test_logout_ends_the_session_at_once(client):
    """After logout neither the access token nor the refresh token works."""
    tokens = client.login("grid_member").get_json()
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    assert client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}).status_code == 401


def test_logout_leaves_other_sessions(client):
    """Logging out on one phone does not log the user out on another."""
    phone = client.login("grid_member").get_json()
    laptop = client.login("grid_member").get_json()
    client.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {phone['access_token']}"})
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {laptop['access_token']}"}).status_code == 200


def test_disabling_an_account_ends_all_its_sessions(client, as_user, db):
    """The system administrator disables an account: every token of it stops working at once."""
    sessions = [client.login("grid_member").get_json() for _ in range(2)]
    user_id = _user(db, "grid_member").id
    admin = as_user("system_admin")
    etag = client.get(f"/api/v1/users/{user_id}", headers=admin).headers["ETag"]
    response = client.patch(f"/api/v1/users/{user_id}", json={"is_active": False}, headers={**admin, "If-Match": etag})
    assert response.status_code == 200
    for tokens in sessions:
        assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}).status_code == 401
        assert client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}).status_code == 401


def test_idle_session_cannot_refresh(db, client):
    """A session idle past SESSION_IDLE_TIMEOUT is over (等保 idle timeout)."""
    tokens = client.login("grid_member").get_json()
    db.execute(update(AuthSession).values(idle_expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    db.commit()
    assert client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}).status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}).status_code == 401


def _claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_forged_tokens_are_refused(app, client):
    """A token signed with another key, an alg:none token and an expired token all get 401."""
    claims = _claims(client.token("district_admin"))
    forged = jwt.encode(claims, "another-key-another-key-another-key", algorithm="HS256")
    unsigned = jwt.encode(claims, None, algorithm="none")
    expired = jwt.encode({**claims, "exp": int(datetime.now(UTC).timestamp()) - 10},
                         app.config["SECRET_KEY"], algorithm="HS256")
    for token in (forged, unsigned, expired, "not-a-token"):
        response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, token
        assert response.get_json()["error"] == "invalid_token"


def test_missing_token_is_401_with_challenge(client):
    """No Authorization header: 401 unauthorized with a Bearer challenge."""
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_change_own_password(client, as_user):
    """A user changes their password: the old one stops working, the new one works."""
    headers = as_user("community_staff")
    weak = client.post("/api/v1/me/password", headers=headers,
                       json={"current_password": "Demo-pass-2026", "new_password": "short"})
    assert weak.status_code == 422 and "new_password" in weak.get_json()["errors"]
    wrong = client.post("/api/v1/me/password", headers=headers,
                        json={"current_password": "nope", "new_password": "Better-pass-2027"})
    assert wrong.status_code == 422 and "current_password" in wrong.get_json()["errors"]
    ok = client.post("/api/v1/me/password", headers=headers,
                     json={"current_password": "Demo-pass-2026", "new_password": "Better-pass-2027"})
    assert ok.status_code == 204, ok.get_json()
    assert ok.status_code == 204
    assert client.login("community_staff").status_code == 401
    assert client.login("community_staff", "Better-pass-2027").status_code == 200


def test_password_change_guesses_are_limited(client, as_user):
    """A stolen access token cannot guess the current password at leisure: 429 after the limit."""
    headers = as_user("community_staff")
    statuses = [client.post("/api/v1/me/password", headers=headers,
                            json={"current_password": f"guess-{i}", "new_password": "Better-pass-2027"}).status_code
                for i in range(6)]
    assert statuses == [422] * 5 + [429]


def test_failed_login_with_a_phone_is_audited_masked(client, db):
    """An unknown phone number typed at login is kept masked in the audit log."""
    from models import AuditEvent

    client.login("13999998888", "Wrong-pass-2026")
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "auth.login")).all()[-1]
    assert event.actor_username == "139****8888"
