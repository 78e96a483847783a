"""Key persons (重点人员) and care targets (关爱对象): who sees what, audited reads, reveal, sealed
details, bad input, closing."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select, text

from api.governance.service import today
from api.visits.service import CHINA
from models import AuditEvent, FollowedPerson, GridCell, Resident
from tests.factories import grid_member

CELL_1 = "411104001001001"

pytestmark = pytest.mark.usefixtures("clean_governance")
DIAGNOSIS = "测试用诊断（合成数据）"


def _resident(db, code=CELL_1, n=0):
    """A resident of the cell with an identity number, as plain values (requests end the session)."""
    cell = db.scalars(select(GridCell).where(GridCell.code == code)).one()
    row = db.execute(select(Resident.id, Resident.id_number_masked).where(
        Resident.grid_cell_id == cell.id, Resident.id_number_cipher.isnot(None), Resident.moved_out_on.is_(None))
        .order_by(Resident.name, Resident.id).offset(n).limit(1)).one()
    return SimpleNamespace(id=row.id, id_number_masked=row.id_number_masked)


def _register(client, headers, resident, **overrides):
    body = {"resident_id": str(resident.id), "category": "severe_mental_disorder", "attention_level": "high",
            "details": {"diagnosis": DIAGNOSIS, "risk_grade": 3, "guardian_name": "监护人甲",
                        "guardian_phone": "13912345678", "on_medication": True}}
    body.update(overrides)
    return client.post("/api/v1/key-persons", json={k: v for k, v in body.items() if v is not None}, headers=headers)


def test_each_role_sees_what_it_should(client, as_user, db):
    staff = as_user("community_staff")
    resident = _resident(db)
    created = _register(client, staff, resident)
    assert created.status_code == 201, created.get_json()
    person = created.get_json()
    assert person["follow_up_days"] == 7 and person["next_follow_up_on"] == (today() + timedelta(days=7)).isoformat()
    assert person["responsible"]["display_name"] == "漓江路社区网格员（演示）"  # the cell's grid member by default
    assert person["details"]["diagnosis"] == DIAGNOSIS and person["details_visible"] is True
    assert person["resident"]["id_number_masked"] == resident.id_number_masked
    url = f"/api/v1/key-persons/{person['id']}"

    mine = client.get(url, headers=as_user("grid_member")).get_json()  # the responsible grid member
    assert mine["details"]["risk_grade"] == 3
    colleague = grid_member(db.scalars(select(GridCell).where(GridCell.code == CELL_1)).one())
    db.commit()
    token = client.login(colleague.username, "Test-pass-2026").get_json()["access_token"]
    seen = client.get(url, headers={"Authorization": f"Bearer {token}"}).get_json()
    assert seen["category"] == "severe_mental_disorder" and seen["details"] is None and seen["details_visible"] is False
    listed = client.get("/api/v1/key-persons", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert [p["id"] for p in listed] == [person["id"]] and listed[0]["details"] is None
    assert "*" in listed[0]["resident"]["id_number_masked"]

    assert client.get(url, headers=as_user("grid_member_2")).status_code == 404  # another cell
    for role in ("resident", "unit_staff", "responder"):
        assert client.get(url, headers=as_user(role)).status_code == 403
        assert client.get("/api/v1/key-persons", headers=as_user(role)).status_code == 403
    assert client.get(url, headers=as_user("district_admin")).get_json()["details_visible"] is True
    assert client.post("/api/v1/key-persons", json={}, headers=as_user("grid_member")).status_code == 403


def test_every_read_is_audited_without_the_data(client, as_user, db):
    person = _register(client, as_user("community_staff"), _resident(db)).get_json()
    headers = as_user("grid_member")
    client.get(f"/api/v1/key-persons/{person['id']}", headers=headers)
    client.get("/api/v1/key-persons", headers=headers)
    read = db.scalars(select(AuditEvent).where(AuditEvent.action == "key_person.read")).one()
    assert read.object_id == person["id"] and read.actor_username == "grid_member"
    listed = db.scalars(select(AuditEvent).where(AuditEvent.action == "key_person.list")).one()
    assert listed.detail == {"ids": [person["id"]]}
    everything = json.dumps([e.detail for e in db.scalars(select(AuditEvent))], ensure_ascii=False)
    assert DIAGNOSIS not in everything and "监护人甲" not in everything
    seen = client.get("/api/v1/audit-events?action=key_person.read", headers=as_user("audit_admin")).get_json()
    assert [e["object_id"] for e in seen] == [person["id"]]
    assert client.get("/api/v1/audit-events", headers=as_user("community_staff")).status_code == 403


def test_reveal_needs_a_reason_and_an_authorised_role(client, as_user, db):
    resident = _resident(db)
    person = _register(client, as_user("community_staff"), resident).get_json()
    url = f"/api/v1/key-persons/{person['id']}/reveal"
    assert client.post(url, json={"reason": "核实身份"}, headers=as_user("grid_member")).status_code == 403
    missing = client.post(url, json={}, headers=as_user("community_staff"))
    assert missing.status_code == 422 and "reason" in missing.get_json()["errors"]
    revealed = client.post(url, json={"reason": "核实身份"}, headers=as_user("community_staff"))
    assert revealed.status_code == 200 and revealed.headers["Cache-Control"] == "no-store"
    number = revealed.get_json()["id_number"]
    assert number[:4] + "*" * 10 + number[-4:] == resident.id_number_masked
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "key_person.reveal_id_number")).one()
    assert event.detail == {"reason": "核实身份"} and event.object_id == person["id"]


def test_nothing_sensitive_is_stored_in_clear(client, as_user, db):
    resident = _resident(db)
    number = client.post(f"/api/v1/residents/{resident.id}/reveal", json={"reason": "测试"},
                         headers=as_user("community_staff")).get_json()["id_number"]
    _register(client, as_user("community_staff"), resident)
    dump = " ".join(db.scalars(text("SELECT row_to_json(t)::text FROM followed_persons t")))
    dump += " ".join(db.scalars(text("SELECT row_to_json(t)::text FROM residents t")))
    assert dump and DIAGNOSIS not in dump and "监护人甲" not in dump and "13912345678" not in dump
    assert number not in dump


def test_bad_input_is_refused_and_nothing_is_stored(client, as_user, db):
    staff = as_user("community_staff")
    resident = _resident(db)

    def refused(status, field, **overrides):
        response = _register(client, staff, resident, **overrides)
        assert response.status_code == status, response.get_json()
        assert field in response.get_json()["errors"], response.get_json()

    refused(422, "category", category="fortune_teller")
    refused(422, "category", category="elderly_alone")  # a care category is not a key-person one
    refused(422, "follow_up_days", follow_up_days=0)
    refused(422, "details", details={"diagnosis": "x", "release_date": "2020-01-01"})  # another category's field
    refused(422, "details", details={"risk_grade": 9})
    refused(422, "id_number", resident_id=None, id_number="411104199001011235")  # bad check digit
    refused(422, "resident_id", id_number="411104199001011234")  # both
    other = _resident(db, code="411104002001001")
    refused(404, "resident_id", resident_id=str(other.id))
    assert db.scalar(select(func.count()).select_from(FollowedPerson)) == 0
    assert _register(client, staff, resident).status_code == 201
    refused(409, "category")  # the same category twice


def test_care_targets_are_kept_apart(client, as_user, db):
    staff = as_user("community_staff")
    key_person = _register(client, staff, _resident(db)).get_json()
    care = client.post("/api/v1/care-targets", headers=staff, json={
        "resident_id": str(_resident(db, n=1).id), "category": "elderly_alone", "attention_level": "medium",
        "details": {"health_note": "腿脚不便", "children_contact": "女儿在郑州"}})
    assert care.status_code == 201, care.get_json()
    assert care.get_json()["follow_up_days"] == 14
    assert client.get(f"/api/v1/care-targets/{key_person['id']}", headers=staff).status_code == 404
    assert client.get(f"/api/v1/key-persons/{care.get_json()['id']}", headers=staff).status_code == 404
    assert [p["id"] for p in client.get("/api/v1/care-targets", headers=staff).get_json()] == [care.get_json()["id"]]
    assert [p["id"] for p in client.get("/api/v1/key-persons", headers=staff).get_json()] == [key_person["id"]]
    wrong = client.post("/api/v1/care-targets", headers=staff, json={
        "resident_id": str(_resident(db, n=2).id), "category": "drug_user", "attention_level": "low"})
    assert wrong.status_code == 422 and "category" in wrong.get_json()["errors"]
    assert client.get("/api/v1/care-targets?category=drug_user", headers=staff).status_code == 422
    assert db.scalar(select(func.count()).where(AuditEvent.action == "care_target.list")) == 1
    care_url = f"/api/v1/care-targets/{care.get_json()['id']}"
    for role in ("resident", "unit_staff", "responder"):
        assert client.get(care_url, headers=as_user(role)).status_code == 403
    assert client.get(care_url, headers=as_user("grid_member_2")).status_code == 404
    assert client.get(care_url, headers=as_user("grid_member")).get_json()["details"] is not None  # responsible


def test_level_changes_move_the_interval_and_closing_ends_the_record(client, as_user, db):
    staff = as_user("community_staff")
    person = _register(client, staff, _resident(db)).get_json()
    url = f"/api/v1/key-persons/{person['id']}"

    def patch(body):
        etag = client.get(url, headers=staff).headers["ETag"]
        return client.patch(url, json=body, headers={**staff, "If-Match": etag})

    lowered = patch({"attention_level": "low"})
    assert lowered.status_code == 200, lowered.get_json()
    assert lowered.get_json()["follow_up_days"] == 30
    assert patch({"status": "closed"}).status_code == 422
    closed = patch({"status": "closed", "close_reason": "病情稳定，经评估解除关注"}).get_json()
    assert closed["status"] == "closed" and closed["closed_on"] == today().isoformat()
    assert patch({"attention_level": "high"}).status_code == 409
    assert client.get("/api/v1/key-persons", headers=staff).get_json() == []
    assert [p["id"] for p in client.get("/api/v1/key-persons?status=closed", headers=staff).get_json()] == [person["id"]]
    assert uuid.UUID(person["id"])


def _household_resident(db):
    """A resident with an identity number who lives in a household of cell 1, and the household id."""
    cell = db.scalars(select(GridCell).where(GridCell.code == CELL_1)).one()
    row = db.execute(select(Resident.id, Resident.id_number_masked, Resident.household_id).where(
        Resident.grid_cell_id == cell.id, Resident.household_id.isnot(None), Resident.id_number_cipher.isnot(None),
        Resident.moved_out_on.is_(None)).order_by(Resident.name, Resident.id).limit(1)).one()
    return SimpleNamespace(id=row.id, id_number_masked=row.id_number_masked, household_id=row.household_id)


def test_a_follow_up_rides_on_a_visit_and_moves_the_next_date(client, as_user, db):
    """The door-knock sync carries follow-ups: the next date moves by the interval from the visit,
    a repeat records nothing twice, observations are sealed; the plan shows the household first
    while the follow-up is due, and the alerts count overdue ones per cell, community and street."""
    from datetime import UTC, datetime

    from api.visits.service import iso_week
    from models import FollowUp

    resident = _household_resident(db)
    staff, member = as_user("community_staff"), as_user("grid_member")
    person = _register(client, staff, resident, next_follow_up_on=(today() - timedelta(days=3)).isoformat()).get_json()
    week = iso_week(datetime.now(UTC))
    plan = client.get(f"/api/v1/visits/plan?week={week}&page_size=100", headers=member).get_json()
    # the household is among the first: only those followed weekly or with a follow-up due come before it
    at = next(i for i, item in enumerate(plan) if item["household_id"] == str(resident.household_id))
    assert plan[at]["follow_up_due"] is True
    assert all(item["weekly_follow_up"] or item["follow_up_due"] for item in plan[:at])
    assert not (plan[-1]["weekly_follow_up"] or plan[-1]["follow_up_due"])
    alerts = client.get("/api/v1/key-persons/alerts", headers=as_user("street_admin")).get_json()
    by_code = {a["place"]["code"]: a for a in alerts}
    assert by_code[CELL_1]["overdue"] == 1 and by_code["411104001001"]["overdue"] == 1
    assert by_code["411104001"]["high_attention_overdue"] == 1
    assert [a["place"]["code"] for a in client.get("/api/v1/key-persons/alerts", headers=member).get_json()] == [CELL_1]

    visited_at = datetime.now(UTC) - timedelta(hours=1)
    visit = {"id": str(uuid.uuid4()), "household_id": str(resident.household_id), "visited_at": visited_at.isoformat(),
             "result": "met", "follow_ups": [{"person_id": person["id"], "assessment": "stable",
                                              "observations": "按时服药，情绪平稳（合成）"}]}
    for _ in range(2):
        answer = client.post("/api/v1/visits/sync", json={"visits": [visit]}, headers=member).get_json()
    assert answer["results"][0]["status"] == "unchanged"
    assert db.scalar(select(func.count()).select_from(FollowUp)) == 1
    after = client.get(f"/api/v1/key-persons/{person['id']}", headers=staff).get_json()
    assert after["next_follow_up_on"] == (visited_at.astimezone(CHINA).date() + timedelta(days=7)).isoformat()
    assert after["overdue"] is False and after["last_follow_up_at"] is not None
    dump = " ".join(db.scalars(text("SELECT row_to_json(t)::text FROM follow_ups t")))
    assert "按时服药" not in dump
    assert client.get("/api/v1/key-persons/alerts?level=grid_cell", headers=staff).get_json()[0]["overdue"] == 0

    elsewhere = {**visit, "id": str(uuid.uuid4()), "household_id": str(_other_household(db, resident.household_id))}
    rejected = client.post("/api/v1/visits/sync", json={"visits": [elsewhere]}, headers=member).get_json()["results"][0]
    assert rejected["status"] == "rejected" and "不住在本户" in rejected["reason"]
    foreign = client.post("/api/v1/visits/sync", headers=as_user("grid_member_2"), json={"visits": [
        {**visit, "id": str(uuid.uuid4())}]}).get_json()["results"][0]
    assert foreign["status"] == "rejected"


def _other_household(db, household_id):
    from models import Household

    cell = db.scalars(select(GridCell).where(GridCell.code == CELL_1)).one()
    return db.scalar(select(Household.id).where(Household.grid_cell_id == cell.id, Household.id != household_id).limit(1))


def test_closed_records_lose_their_details_after_the_retention_period(client, as_user, db):
    """The worker's retention step deletes the sealed details and follow-up observations of records
    closed longer than FOLLOWED_RETENTION_DAYS, once, and logs which records without their contents."""
    from datetime import UTC, datetime

    from api.governance.service import purge_expired
    from models import FollowedPerson

    staff = as_user("community_staff")
    person = _register(client, staff, _resident(db)).get_json()
    url = f"/api/v1/key-persons/{person['id']}"
    etag = client.get(url, headers=staff).headers["ETag"]
    client.patch(url, json={"status": "closed", "close_reason": "矫正期满"}, headers={**staff, "If-Match": etag})
    now = datetime.now(UTC)
    assert purge_expired(db, 180, now) == {}  # closed today: kept
    later = now + timedelta(days=181)
    assert purge_expired(db, 180, later) == {"purged": 1}
    assert purge_expired(db, 180, later) == {}  # once
    db.commit()
    stored = db.get(FollowedPerson, uuid.UUID(person["id"]))
    db.refresh(stored)
    assert stored.details_sealed is None and stored.details_purged_at is not None
    assert client.get(url, headers=staff).get_json()["details"] == {}
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "followed_person.purge")).one()
    assert event.detail["ids"] == [person["id"]]
