"""Petitions (信访), registration: the statutory dates from the received date, collective and
repeat flags, the petitioner sealed and shown to petition staff only, the accused never see it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from api.petitions.service import today
from models import AuditEvent, GridCell, Petition, User

CELL_1 = "411104001001001"

pytestmark = pytest.mark.usefixtures("clean_petitions")
PEOPLE = [{"name": "王某（合成）", "phone": "13922223333"}]


def _cell(db):
    return str(db.scalar(select(GridCell.id).where(GridCell.code == CELL_1)))


def _register(client, headers, db, **overrides):
    body = {"channel": "letter", "received_on": (today() - timedelta(days=5)).isoformat(), "kind": "claim",
            "summary": "小区供暖不达标，多次反映未解决", "grid_cell_id": _cell(db), "petitioners": PEOPLE}
    body.update(overrides)
    return client.post("/api/v1/petitions", json=body, headers=headers)


def test_registration_sets_the_acceptance_deadline_from_the_received_date(client, as_user, db):
    created = _register(client, as_user("community_staff"), db)
    assert created.status_code == 201, created.get_json()
    petition = created.get_json()
    received = today() - timedelta(days=5)
    assert petition["accept_due"] == (received + timedelta(days=15)).isoformat()
    assert petition["running_deadline"] == "accept_due" and petition["days_left"] == 10 and not petition["overdue"]
    assert petition["reply_due"] is None and petition["review_due"] is None
    assert petition["collective"] is False and petition["petitioners"] == PEOPLE
    assert petition["timeline"][0]["action"] == "register"
    late = _register(client, as_user("community_staff"), db, received_on=(today() - timedelta(days=16)).isoformat())
    assert late.get_json()["overdue"] is True and late.get_json()["days_left"] == -1
    overdue = client.get("/api/v1/petitions?overdue=true", headers=as_user("community_staff")).get_json()
    assert [p["id"] for p in overdue] == [late.get_json()["id"]]


def test_collective_repeat_and_bad_input(client, as_user, db):
    staff = as_user("community_staff")
    many = [{"name": f"居民{i}（合成）"} for i in range(5)]
    first = _register(client, staff, db, petitioners=many).get_json()
    assert first["collective"] is True and first["petitioner_count"] == 5
    repeat = _register(client, staff, db, repeat_of_id=first["id"]).get_json()
    assert repeat["repeat_of_id"] == first["id"]
    before = db.scalar(select(func.count()).select_from(Petition))
    for overrides, field in (({"received_on": (today() + timedelta(days=1)).isoformat()}, "received_on"),
                             ({"channel": "pigeon"}, "channel"), ({"kind": "rumour"}, "kind"),
                             ({"petitioners": []}, "petitioners")):
        response = _register(client, staff, db, **overrides)
        assert response.status_code == 422 and field in response.get_json()["errors"], response.get_json()
    foreign = _register(client, as_user("community_staff"), db,
                        grid_cell_id=str(db.scalar(select(GridCell.id).where(GridCell.code == "411104002001001"))))
    assert foreign.status_code == 404 and "grid_cell_id" in foreign.get_json()["errors"]
    assert db.scalar(select(func.count()).select_from(Petition)) == before


def test_who_sees_what(client, as_user, db):
    staff = as_user("community_staff")
    accused = db.scalar(select(User.id).where(User.username == "street_admin"))
    petition = _register(client, staff, db, kind="accusation", accused_user_ids=[str(accused)]).get_json()
    url = f"/api/v1/petitions/{petition['id']}"
    assert client.get(url, headers=as_user("district_admin")).get_json()["petitioners"] == PEOPLE
    assert client.get(url, headers=as_user("street_admin")).status_code == 404  # the accused
    assert petition["id"] not in {p["id"] for p in client.get("/api/v1/petitions", headers=as_user("street_admin")).get_json()}
    assert client.get(url, headers=as_user("unit_staff")).status_code == 404  # not assigned to its unit
    for role in ("resident", "grid_member", "responder", "audit_admin", "system_admin", "security_admin"):
        assert client.get(url, headers=as_user(role)).status_code == 403, role
        assert client.get("/api/v1/petitions", headers=as_user(role)).status_code == 403, role
    # assigned to the unit (the flow comes later): the unit sees the matter, never the petitioner
    unit_id = db.scalar(select(User.unit_id).where(User.username == "unit_staff"))
    db.execute(text("UPDATE petitions SET unit_id = :u, status = 'assigned' WHERE id = :p"),
               {"u": unit_id, "p": petition["id"]})
    db.commit()
    seen = client.get(url, headers=as_user("unit_staff")).get_json()
    assert seen["summary"] and seen["petitioners"] is None
    dump = " ".join(db.scalars(text("SELECT row_to_json(t)::text FROM petitions t")))
    assert "王某" not in dump and "13922223333" not in dump
    assert db.scalar(select(func.count()).where(AuditEvent.action == "petition.read")) >= 2


def _step(client, headers, petition_id, action, **body):
    return client.post(f"/api/v1/petitions/{petition_id}/transitions", json={"action": action, **body}, headers=headers)


def test_the_flow_end_to_end_with_its_dates(client, as_user, db):
    staff, unit = as_user("community_staff"), as_user("unit_staff")
    received = today() - timedelta(days=40)
    petition = _register(client, staff, db, received_on=received.isoformat()).get_json()
    pid = petition["id"]
    accepted_on = received + timedelta(days=10)
    accepted = _step(client, staff, pid, "accept", on=accepted_on.isoformat()).get_json()
    assert accepted["status"] == "accepted" and accepted["reply_due"] == (accepted_on + timedelta(days=60)).isoformat()
    assert _step(client, unit, pid, "reply", note="已处理").status_code == 404  # not assigned to it: not visible
    unit_id = str(db.scalar(select(User.unit_id).where(User.username == "unit_staff")))
    assert _step(client, staff, pid, "assign", unit_id=unit_id).get_json()["status"] == "assigned"
    too_long = _step(client, staff, pid, "extend", days=31, note="情况复杂")
    assert too_long.status_code == 422 and "days" in too_long.get_json()["errors"]
    extended = _step(client, staff, pid, "extend", days=30, note="需多部门会商").get_json()
    assert extended["reply_due"] == (accepted_on + timedelta(days=90)).isoformat() and extended["extension_days"] == 30
    assert _step(client, staff, pid, "extend", days=5, note="再延").status_code == 409  # only once
    assert _step(client, staff, pid, "accept").status_code == 409  # out of order
    replied = _step(client, unit, pid, "reply", note="已书面答复（合成）")
    assert replied.status_code == 200, replied.get_json()
    replied = replied.get_json()
    assert replied["status"] == "replied" and replied["petitioners"] is None  # the unit never sees them
    assert replied["review_request_due"] == (today() + timedelta(days=30)).isoformat()
    reviewed = _step(client, staff, pid, "request_review")
    assert reviewed.get_json()["review_due"] == (today() + timedelta(days=30)).isoformat()
    assert _step(client, staff, pid, "review_reply", note="维持原处理意见").get_json()["status"] == "reviewed"
    closed = _step(client, staff, pid, "close", satisfaction="basically_satisfied").get_json()
    assert closed["status"] == "closed" and closed["running_deadline"] is None and closed["overdue"] is False
    assert [e["action"] for e in closed["timeline"]] == ["register", "accept", "assign", "extend", "reply",
                                                         "request_review", "review_reply", "close"]


def test_a_review_asked_after_its_window_is_refused(client, as_user, db):
    staff = as_user("community_staff")
    received = today() - timedelta(days=80)
    pid = _register(client, staff, db, received_on=received.isoformat()).get_json()["id"]
    _step(client, staff, pid, "accept", on=(received + timedelta(days=3)).isoformat())
    replied_on = received + timedelta(days=40)
    _step(client, staff, pid, "reply", on=replied_on.isoformat(), note="已答复")
    late = _step(client, staff, pid, "request_review", on=(replied_on + timedelta(days=31)).isoformat())
    assert late.status_code == 422 and "on" in late.get_json()["errors"]
    in_time = _step(client, staff, pid, "request_review", on=(replied_on + timedelta(days=30)).isoformat())
    assert in_time.status_code == 200 and in_time.get_json()["status"] == "review_requested"
    assert _step(client, staff, pid, "not_accept", note="x").status_code == 409
    assert _step(client, staff, pid, "reply").status_code == 409
    before_receipt = _step(client, staff, pid, "review_reply", note="x", on=(received - timedelta(days=1)).isoformat())
    assert before_receipt.status_code == 422


def test_after_a_re_review_the_same_facts_are_not_accepted_again(client, as_user, db):
    staff = as_user("community_staff")
    received = today() - timedelta(days=150)
    pid = _register(client, staff, db, received_on=received.isoformat()).get_json()["id"]
    for action, day in (("accept", 2), ("reply", 40), ("request_review", 50), ("review_reply", 60),
                        ("request_re_review", 70), ("re_review_reply", 80)):
        response = _step(client, staff, pid, action, on=(received + timedelta(days=day)).isoformat(), note="意见")
        assert response.status_code == 200, (action, response.get_json())
    again = _register(client, staff, db, repeat_of_id=pid).get_json()
    assert again["repeats_final"] is True
    refused = _step(client, staff, again["id"], "accept")
    assert refused.status_code == 409 and "action" in refused.get_json()["errors"]
    assert _step(client, staff, again["id"], "not_accept", note="已复核终结，不再受理").get_json()["status"] == "not_accepted"
    third = _register(client, staff, db, repeat_of_id=again["id"]).get_json()
    assert third["repeats_final"] is True  # up the chain
    fresh = _register(client, staff, db).get_json()
    assert fresh["repeats_final"] is False


def test_statistics_per_community_and_street(client, as_user, db):
    staff = as_user("community_staff")
    _register(client, staff, db, petitioners=[{"name": f"居民{i}"} for i in range(6)])
    _register(client, staff, db, channel="online", kind="suggestion",
              received_on=(today() - timedelta(days=20)).isoformat())
    accused = db.scalar(select(User.id).where(User.username == "street_admin"))
    _register(client, staff, db, kind="accusation", accused_user_ids=[str(accused)])
    rows = {r["place"]["code"]: r for r in client.get("/api/v1/petitions/stats", headers=staff).get_json()}
    community = rows["411104001001"]
    assert (community["registered"], community["collective"], community["overdue"]) == (3, 1, 1)
    assert (community["kind_claim"], community["kind_suggestion"], community["kind_accusation"]) == (1, 1, 1)
    assert community["channel_online"] == 1 and community["channel_letter"] == 2
    street = {r["place"]["code"]: r for r in client.get("/api/v1/petitions/stats?level=street",
                                                         headers=as_user("street_admin")).get_json()}
    assert street["411104001"]["registered"] == 2  # the one accusing the street admin is left out
    assert client.get("/api/v1/petitions/stats", headers=as_user("unit_staff")).status_code == 403
