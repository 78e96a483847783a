"""Disputes (矛盾纠纷): registration from a cell, a matter or a visit finding; sessions; closing;
the success rate; parties and notes sealed; scope and roles."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select, text

from models import Dispute, GridCell, Household, MatterEvent

CELL_1 = "411104001001001"
PARTIES = [{"name": "张甲（合成）", "phone": "13911112222"}, {"name": "李乙（合成）"}]


def _cell(db, code=CELL_1):
    return db.scalar(select(GridCell.id).where(GridCell.code == code))


def _register(client, headers, **overrides):
    body = {"kind": "neighbour", "summary": "楼上漏水引发争执", "parties": PARTIES, "risk_level": "medium"}
    body.update(overrides)
    return client.post("/api/v1/disputes", json=body, headers=headers)


def test_a_dispute_is_registered_mediated_and_closed(client, as_user, db):
    member, staff = as_user("grid_member"), as_user("community_staff")
    created = _register(client, member, grid_cell_id=str(_cell(db)), mediation_team="矛盾调解队")
    assert created.status_code == 201, created.get_json()
    dispute = created.get_json()
    assert dispute["status"] == "registered" and dispute["party_count"] == 2 and dispute["parties"][0]["name"] == "张甲（合成）"
    url = f"/api/v1/disputes/{dispute['id']}"
    session = client.post(f"{url}/sessions", json={"held_on": date.today().isoformat(), "notes": "双方同意修缮（合成）"},
                          headers=member)
    assert session.status_code == 201
    assert client.get(url, headers=staff).get_json()["status"] == "mediating"
    assert client.post(f"{url}/close", json={"outcome": "agreement"}, headers=member).status_code == 403  # not its mediator
    closed = client.post(f"{url}/close", json={"outcome": "agreement", "note": "签订调解协议"}, headers=staff)
    assert closed.status_code == 200 and closed.get_json()["status"] == "closed"
    assert client.post(f"{url}/close", json={"outcome": "court"}, headers=staff).status_code == 409
    assert client.post(f"{url}/sessions", json={"held_on": "2026-11-01", "notes": "再次调解"}, headers=staff).status_code == 409
    detail = client.get(url, headers=staff).get_json()
    assert detail["sessions"][0]["notes"] == "双方同意修缮（合成）" and detail["outcome"] == "agreement"

    dump = " ".join(db.scalars(text("SELECT row_to_json(t)::text FROM disputes t")))
    dump += " ".join(db.scalars(text("SELECT row_to_json(t)::text FROM mediation_sessions t")))
    assert "张甲" not in dump and "13911112222" not in dump and "双方同意修缮" not in dump

    stats = {r["place"]["code"]: r for r in client.get("/api/v1/disputes/stats", headers=as_user("street_admin")).get_json()}
    community = stats["411104001001"]
    assert community["agreements"] >= 1 and community["success_rate_percent"] == round(
        community["agreements"] / community["closed"] * 100, 1)


def test_scope_and_roles(client, as_user, db):
    dispute = _register(client, as_user("community_staff"), grid_cell_id=str(_cell(db))).get_json()
    url = f"/api/v1/disputes/{dispute['id']}"
    assert client.get(url, headers=as_user("grid_member_2")).status_code == 404
    for role in ("resident", "unit_staff", "responder"):
        assert client.get(url, headers=as_user(role)).status_code == 403
    foreign = _register(client, as_user("grid_member_2"), grid_cell_id=str(_cell(db)))
    assert foreign.status_code == 404 and "grid_cell_id" in foreign.get_json()["errors"]
    listed = client.get("/api/v1/disputes?page_size=100", headers=as_user("grid_member_2")).get_json()
    assert dispute["id"] not in {d["id"] for d in listed}
    assert dispute["id"] in {d["id"] for d in client.get("/api/v1/disputes?page_size=100", headers=as_user("grid_member")).get_json()}


def test_from_a_matter_or_a_door_knock_finding(client, as_user, db):
    member = as_user("grid_member")
    matter = client.get("/api/v1/matters?page_size=1", headers=as_user("community_staff")).get_json()[0]
    from_matter = _register(client, member, matter_id=matter["id"])
    assert from_matter.status_code == 201, from_matter.get_json()
    assert from_matter.get_json()["grid_cell"]["id"] == matter["grid_cell"]["id"]
    assert db.scalar(select(func.count()).where(MatterEvent.action == "link_dispute",
                                                MatterEvent.matter_id == uuid.UUID(matter["id"]))) == 1

    household = db.scalar(select(Household.id).where(Household.grid_cell_id == _cell(db)).limit(1))
    visit = {"id": str(uuid.uuid4()), "household_id": str(household), "result": "met",
             "visited_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
             "findings": [{"tag": "dispute", "needs_action": False, "note": "邻里噪音"}]}
    client.post("/api/v1/visits/sync", json={"visits": [visit]}, headers=member)
    from_visit = _register(client, member, visit_id=visit["id"])
    assert from_visit.status_code == 201 and from_visit.get_json()["visit_id"] == visit["id"]
    plain = {**visit, "id": str(uuid.uuid4()), "findings": []}
    client.post("/api/v1/visits/sync", json={"visits": [plain]}, headers=member)
    refused = _register(client, member, visit_id=plain["id"])
    assert refused.status_code == 422 and "visit_id" in refused.get_json()["errors"]


def test_bad_input(client, as_user, db):
    member = as_user("grid_member")
    before = db.scalar(select(func.count()).select_from(Dispute))
    for overrides, field in (({"parties": PARTIES[:1]}, "parties"), ({"kind": "feud"}, "kind"),
                             ({}, "grid_cell_id"), ({"risk_level": "extreme"}, "risk_level"),
                             ({"parties": [{"name": "甲", "phone": "123"}, {"name": "乙"}]}, "parties")):
        response = _register(client, member, **overrides)
        assert response.status_code == 422 and field in response.get_json()["errors"], response.get_json()
    assert db.scalar(select(func.count()).select_from(Dispute)) == before
