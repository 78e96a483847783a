"""Rate limits on what a thief or a phone gone wild would do: reveals of identity numbers, ledger
exports and submissions, per user and hour; each answers 429 in the one error shape with
Retry-After, and refused reveals and exports are in the audit log."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from api.population.identity import check_character
from models import AuditEvent, GridCell, Resident
from tests.api.matter_helpers import ERROR_SHAPE, now_iso

CELL_1 = "411104001001001"


def _residents(db, n: int) -> list[str]:
    cell = db.scalar(select(GridCell.id).where(GridCell.code == CELL_1))
    return [str(i) for i in db.scalars(select(Resident.id).where(
        Resident.grid_cell_id == cell, Resident.id_number_cipher.isnot(None)).order_by(Resident.id).limit(n))]


def _refused(response, lang: str = "zh") -> dict:
    assert response.status_code == 429, response.get_json()
    body = response.get_json()
    assert body["error"] == "too_many_requests" and set(body) == ERROR_SHAPE
    retry_after = int(response.headers["Retry-After"])
    assert 1 <= retry_after <= 3600
    expected = f"Too many requests; try again in {retry_after} s." if lang == "en" else f"请求过于频繁，请 {retry_after} 秒后再试。"
    assert body["message"] == expected
    return body


def test_reveals_share_one_hourly_budget_and_refusals_are_audited(app, client, as_user, db, monkeypatch):
    """Two reveals an hour here: residents' and key persons' and care targets' count together; the
    third is refused (Chinese, or English on request) before anything is looked up, and audited."""
    monkeypatch.setitem(app.config, "REVEALS_PER_HOUR", 2)
    staff = as_user("community_staff")
    for resident_id in _residents(db, 2):
        assert client.post(f"/api/v1/residents/{resident_id}/reveal", json={"reason": "核实身份"},
                           headers=staff).status_code == 200
    someone = str(uuid.uuid4())  # refused before the lookup: no 404 to tell whether it exists
    _refused(client.post(f"/api/v1/key-persons/{someone}/reveal", json={"reason": "核实身份"}, headers=staff))
    _refused(client.post(f"/api/v1/care-targets/{someone}/reveal", json={"reason": "核实"},
                         headers={**staff, "Accept-Language": "en"}), lang="en")
    refusals = db.scalars(select(AuditEvent).where(AuditEvent.outcome == "rejected",
                                                   AuditEvent.action.like("%.reveal_id_number"))).all()
    assert sorted(e.action for e in refusals) == ["care_target.reveal_id_number", "key_person.reveal_id_number"]
    assert all(e.object_id == someone and e.actor_username == "community_staff"
               and e.detail["reason"] == "too_many_requests" for e in refusals)
    # another user has a budget of their own
    assert client.post(f"/api/v1/residents/{_residents(db, 1)[0]}/reveal", json={"reason": "核实身份"},
                       headers=as_user("street_admin")).status_code == 200


def test_the_reveal_limit_comes_after_the_role_check(app, client, as_user, db, monkeypatch):
    """A role that may not reveal gets 403, not a 429 that would use up nothing."""
    monkeypatch.setitem(app.config, "REVEALS_PER_HOUR", 0)
    response = client.post(f"/api/v1/residents/{_residents(db, 1)[0]}/reveal", json={"reason": "x"},
                           headers=as_user("grid_member"))
    assert response.status_code == 403


def test_identity_number_lookups_are_limited_after_the_role_check_and_refusals_audited(app, client, as_user, db,
                                                                                      monkeypatch):
    """A lookup by full identity number says whether that number lives in the caller's scope: two
    an hour here, the third refused (audited) whatever the number; a role without the read gets 403."""
    monkeypatch.setitem(app.config, "LOOKUPS_PER_HOUR", 2)
    member = as_user("grid_member")
    for body17 in ("41110419850312123", "41110419900101002"):
        number = body17 + check_character(body17)
        assert client.post("/api/v1/residents/lookup", json={"id_number": number}, headers=member).status_code == 200
    number = "41110419700101001" + check_character("41110419700101001")
    _refused(client.post("/api/v1/residents/lookup", json={"id_number": number}, headers=member))
    refusal = db.scalars(select(AuditEvent).where(AuditEvent.action == "resident.lookup_by_id_number",
                                                  AuditEvent.outcome == "rejected")).one()
    assert refusal.actor_username == "grid_member" and refusal.detail["reason"] == "too_many_requests"
    assert number not in str(refusal.detail)
    assert client.post("/api/v1/residents/lookup", json={"id_number": number},
                       headers=as_user("grid_member_2")).status_code == 200  # a budget of their own
    monkeypatch.setitem(app.config, "LOOKUPS_PER_HOUR", 0)
    assert client.post("/api/v1/residents/lookup", json={"id_number": number},
                       headers=as_user("resident")).status_code == 403


EXPORTS = ["/api/v1/matters/export.xlsx", "/api/v1/matters/export.csv", "/api/v1/visits/export.xlsx",
           "/api/v1/key-persons/export.xlsx", "/api/v1/care-targets/export.xlsx", "/api/v1/disputes/export.xlsx",
           "/api/v1/petitions/export.xlsx", "/api/v1/incidents/export.xlsx", "/api/v1/grid-cells/export"]


def test_every_export_of_the_api_is_listed_here(app, client):
    """The OpenAPI document's export paths are exactly those checked below: a new export gets a limit."""
    spec = client.get("/api/openapi.json").get_json()
    assert sorted(p for p in spec["paths"] if "export" in p) == sorted(EXPORTS)


@pytest.mark.parametrize("path", EXPORTS)
def test_every_export_is_limited_and_the_refusal_audited(app, client, as_user, db, monkeypatch, path):
    """With the budget spent, each export answers 429 and runs no query; the refusal is audited."""
    monkeypatch.setitem(app.config, "EXPORTS_PER_HOUR", 0)
    _refused(client.get(path, headers=as_user("district_admin")))
    event = db.scalars(select(AuditEvent).where(AuditEvent.outcome == "rejected",
                                                AuditEvent.action.like("%.export"))).one()
    assert event.actor_username == "district_admin" and event.detail["reason"] == "too_many_requests"


def test_exports_share_one_hourly_budget(app, client, as_user, monkeypatch):
    """Two exports an hour here, of any ledgers together: the third is refused."""
    monkeypatch.setitem(app.config, "EXPORTS_PER_HOUR", 2)
    headers = as_user("community_staff")
    assert client.get("/api/v1/matters/export.csv", headers=headers).status_code == 200
    assert client.get("/api/v1/visits/export.xlsx", headers=headers).status_code == 200
    _refused(client.get("/api/v1/petitions/export.xlsx", headers=headers))


SUBMISSIONS = {
    "/api/v1/visits/sync": ("grid_member", lambda: {"visits": [{"id": str(uuid.uuid4())}]}),
    "/api/v1/check-ins": ("grid_member", lambda: {"id": str(uuid.uuid4()), "at": now_iso(),
                                                  "location": {"lng": 114.0, "lat": 33.58}}),
    "/api/v1/patrols": ("grid_member", lambda: {"id": str(uuid.uuid4()), "points": [
        {"lng": 114.0, "lat": 33.58, "at": now_iso()}, {"lng": 114.001, "lat": 33.58, "at": now_iso()}]}),
    "/api/v1/petitions": ("community_staff", lambda: {
        "channel": "letter", "received_on": datetime.now(UTC).date().isoformat(), "kind": "claim",
        "summary": "小区供暖不达标", "grid_cell_id": str(uuid.uuid4()), "petitioners": [{"name": "王某（合成）"}]}),
    "/api/v1/disputes": ("community_staff", lambda: {
        "kind": "neighbour", "summary": "楼上漏水引发争执", "risk_level": "medium", "grid_cell_id": str(uuid.uuid4()),
        "parties": [{"name": "张甲（合成）"}, {"name": "李乙（合成）"}]}),
    "/api/v1/matters": ("resident", lambda: {"category": "ENV-GARBAGE", "description": "垃圾满溢",
                                             "location": {"lng": 114.0, "lat": 33.58}}),
}


@pytest.mark.parametrize("path", SUBMISSIONS)
def test_every_submission_is_limited_per_user(app, client, as_user, db, monkeypatch, path):
    """With the hour's budget spent, each submission a phone can flood answers 429 (and the refused
    write is audited like any other)."""
    for setting in ("SUBMISSIONS_PER_HOUR", "MATTER_REPORTS_PER_HOUR"):
        monkeypatch.setitem(app.config, setting, 0)
    username, body = SUBMISSIONS[path]
    _refused(client.post(path, json=body(), headers=as_user(username)))
    event = db.scalars(select(AuditEvent).where(AuditEvent.outcome == "rejected")
                       .order_by(AuditEvent.id.desc()).limit(1)).one()
    assert event.actor_username == username and event.detail["status"] == 429


def test_submission_kinds_have_budgets_of_their_own(app, client, as_user, monkeypatch):
    """One check-in an hour here: the second is refused, while a patrol upload still goes through
    (a phone looping on one kind does not block the others), and a replayed Idempotency-Key is
    answered without counting."""
    monkeypatch.setitem(app.config, "SUBMISSIONS_PER_HOUR", 1)
    headers = as_user("grid_member")
    check_in = SUBMISSIONS["/api/v1/check-ins"][1]()
    keyed = {**headers, "Idempotency-Key": "check-in-1"}
    assert client.post("/api/v1/check-ins", json=check_in, headers=keyed).status_code == 201
    replay = client.post("/api/v1/check-ins", json=check_in, headers=keyed)
    assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
    _refused(client.post("/api/v1/check-ins", json=SUBMISSIONS["/api/v1/check-ins"][1](), headers=headers))
    patrol = client.post("/api/v1/patrols", json=SUBMISSIONS["/api/v1/patrols"][1](), headers=headers)
    assert patrol.status_code != 429
