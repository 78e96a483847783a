"""Accounts: created and changed by the system administrator, in scope, with ETags."""

from __future__ import annotations

from sqlalchemy import select

from models import GridCell, HandlingUnit, Place, User
from tests.factories import place_chain


def _place(db, name) -> Place:
    return db.scalars(select(Place).where(Place.name == name)).one()


def _new_user(db, client, as_user, **overrides):
    body = {
        "username": "new_staff",
        "display_name": "新同事",
        "phone": "13900000001",
        "role": "community_staff",
        "place_id": str(_place(db, "漓江路社区").id),
        "password": "Strong-pass-2026",
    }
    body.update(overrides)
    return client.post("/api/v1/users", json=body, headers=as_user("system_admin"))


def test_system_admin_creates_an_account_that_can_log_in(client, as_user, db):
    """A created account logs in with its password and sees its place."""
    response = _new_user(db, client, as_user)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["place"]["name"] == "漓江路社区"
    token = client.login("new_staff", "Strong-pass-2026").get_json()["access_token"]
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).get_json()["role"] == "community_staff"


def test_only_the_system_admin_creates_accounts(client, as_user, db):
    """Separated duties: the district admin and the security admin may not create accounts."""
    for username in ("district_admin", "security_admin", "audit_admin"):
        body = {"username": "x_user", "display_name": "x", "role": "resident",
                "place_id": str(_place(db, "漓江路社区第1网格").id), "password": "Strong-pass-2026"}
        assert client.post("/api/v1/users", json=body, headers=as_user(username)).status_code == 403


def test_role_and_place_must_fit(client, as_user, db):
    """A street admin placed in a community is refused, naming place_id."""
    response = _new_user(db, client, as_user, role="street_admin")
    assert response.status_code == 422
    assert "place_id" in response.get_json()["errors"]


def test_grid_member_needs_cells_of_their_community(client, as_user, db):
    """A grid member's cells must be in the member's community."""
    other_cell = db.scalars(select(GridCell).where(GridCell.name == "漓江路社区第1网格")).one()
    foreign = db.scalars(select(GridCell).where(GridCell.code.startswith("411104002"))).first()
    missing = _new_user(db, client, as_user, role="grid_member")
    assert missing.status_code == 422 and "grid_cell_ids" in missing.get_json()["errors"]
    wrong = _new_user(db, client, as_user, role="grid_member", grid_cell_ids=[str(foreign.id)])
    assert wrong.status_code == 422 and "grid_cell_ids" in wrong.get_json()["errors"]
    ok = _new_user(db, client, as_user, role="grid_member", grid_cell_ids=[str(other_cell.id)])
    assert ok.status_code == 201
    assert [c["name"] for c in ok.get_json()["grid_cells"]] == ["漓江路社区第1网格"]


def test_unit_staff_need_a_unit_in_scope(client, as_user, db):
    """Handling-unit staff get a unit; a unit of another district is 404 naming unit_id."""
    district = _place(db, "召陵区")
    unit = db.scalars(select(HandlingUnit)).first()
    ok = _new_user(db, client, as_user, role="unit_staff", place_id=str(district.id), unit_id=str(unit.id))
    assert ok.status_code == 201 and ok.get_json()["unit"]["name"] == unit.name
    other = place_chain()
    foreign_unit = HandlingUnit(name="外区单位", place_id=other["district"].id)
    db.add(foreign_unit)
    db.commit()
    refused = _new_user(db, client, as_user, username="unit2", phone=None, role="unit_staff",
                        place_id=str(district.id), unit_id=str(foreign_unit.id))
    assert refused.status_code == 404 and "unit_id" in refused.get_json()["errors"]


def test_place_outside_scope_is_404_naming_the_field(client, as_user, db):
    """An id in the body outside the caller's scope is refused like a missing one."""
    other = place_chain()
    db.commit()
    response = _new_user(db, client, as_user, place_id=str(other["community"].id))
    assert response.status_code == 404
    assert "place_id" in response.get_json()["errors"]


def test_weak_password_is_refused(client, as_user, db):
    """等保 complexity: short or single-class passwords are 422 weak_password."""
    response = _new_user(db, client, as_user, password="abcdefgh")
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "weak_password" and "password" in body["errors"]


def test_password_policy_follows_the_settings(app, client, as_user, db, monkeypatch):
    """PASSWORD_MIN_LENGTH / PASSWORD_MIN_CLASSES make the policy stricter (or, down to the 等保
    floor of 8, looser) without a code change; the message names the numbers."""
    monkeypatch.setitem(app.config, "PASSWORD_MIN_LENGTH", 12)
    monkeypatch.setitem(app.config, "PASSWORD_MIN_CLASSES", 4)
    response = _new_user(db, client, as_user, password="Abcdefg-123")  # 11 characters, four classes
    assert response.status_code == 422
    assert "12" in response.get_json()["errors"]["password"][0]
    response = _new_user(db, client, as_user, password="Abcdefgh1234")  # 12 characters, three classes
    assert response.status_code == 422 and "四类" in response.get_json()["errors"]["password"][0]
    assert _new_user(db, client, as_user, password="Abcdefg-1234").status_code == 201


def test_duplicate_username_or_phone_is_409(client, as_user, db):
    """Usernames (any case) and phones are unique."""
    assert _new_user(db, client, as_user, username="Grid_Member", phone=None).status_code == 409
    assert _new_user(db, client, as_user, phone="13800000004").status_code == 409


def test_admin_roles_are_not_created_through_the_api(client, as_user, db):
    """System/security/audit administrators come from the command line only."""
    response = _new_user(db, client, as_user, role="audit_admin", place_id=str(_place(db, "召陵区").id))
    assert response.status_code == 422 and "role" in response.get_json()["errors"]


def test_patch_needs_if_match(client, as_user, db):
    """Changing an account without If-Match is 428; with a stale ETag 412; with the right one 200."""
    user = db.scalars(select(User).where(User.username == "resident")).unique().one()
    headers = as_user("system_admin")
    url = f"/api/v1/users/{user.id}"
    assert client.patch(url, json={"display_name": "改名"}, headers=headers).status_code == 428
    stale = client.patch(url, json={"display_name": "改名"}, headers={**headers, "If-Match": '"stale"'})
    assert stale.status_code == 412 and stale.get_json()["error"] == "precondition_failed"
    etag = client.get(url, headers=headers).headers["ETag"]
    ok = client.patch(url, json={"display_name": "改名"}, headers={**headers, "If-Match": etag})
    assert ok.status_code == 200 and ok.get_json()["display_name"] == "改名"
    again = client.patch(url, json={"display_name": "再改"}, headers={**headers, "If-Match": etag})
    assert again.status_code == 412


def test_admin_password_reset_ends_sessions(client, as_user, db):
    """A password set by the administrator logs the user out everywhere."""
    user = db.scalars(select(User).where(User.username == "resident")).unique().one()
    resident = as_user("resident")
    headers = as_user("system_admin")
    url = f"/api/v1/users/{user.id}"
    etag = client.get(url, headers=headers).headers["ETag"]
    response = client.patch(url, json={"password": "Reset-pass-2026"}, headers={**headers, "If-Match": etag})
    assert response.status_code == 200
    assert client.get("/api/v1/me", headers=resident).status_code == 401
    assert client.login("resident", "Reset-pass-2026").status_code == 200


def test_nothing_is_half_written(client, as_user, db, monkeypatch):
    """A request that fails after its user row was written leaves no account behind."""
    from api.users import resources

    def fail(*args, **kwargs):
        raise RuntimeError("audit store down")

    headers = as_user("system_admin")
    monkeypatch.setattr(resources.audit, "record", fail)
    response = _new_user(db, client, lambda _: headers)
    assert response.status_code == 500
    db.expire_all()
    assert db.scalars(select(User).where(User.username == "new_staff")).first() is None


def test_username_may_not_look_like_a_phone(client, as_user, db):
    """'13800000004' is grid_member's phone: nobody may take it as a username."""
    response = _new_user(db, client, as_user, username="13800000004", phone=None)
    assert response.status_code == 422
    assert response.get_json()["errors"]["username"] == ["用户名不能是手机号的形式。"]


def test_system_admin_cannot_touch_the_other_administrators(client, as_user, db):
    """三权分立: the system administrator may not change the audit or security administrator, nor itself."""
    headers = as_user("system_admin")
    for username in ("audit_admin", "security_admin", "system_admin"):
        target = db.scalars(select(User).where(User.username == username)).unique().one()
        url = f"/api/v1/users/{target.id}"
        etag = client.get(url, headers=headers).headers["ETag"]
        response = client.patch(url, json={"password": "Taken-over-2026"}, headers={**headers, "If-Match": etag})
        assert response.status_code == 403, username
    assert client.login("audit_admin").status_code == 200
