"""Petitions (信访), registration: the statutory dates from the received date, collective and
repeat flags, the petitioner sealed and shown to petition staff only, the accused never see it."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, text

from api.petitions.service import today
from models import AuditEvent, GridCell, Petition, User

CELL_1 = "411104001001001"
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
    for role in ("resident", "grid_member", "responder"):
        assert client.get(url, headers=as_user(role)).status_code == 403
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
