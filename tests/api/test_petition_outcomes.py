"""Petitions (信访) beyond the main line: repeats found by the petitioner's keyed hash, attachments
for petition staff only, the 15-day decision kept after closing, going up a level (三零), the
statistics of outcomes, and the deadline reminders."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from api.petitions import reminders
from api.petitions.service import today
from models import AuditEvent, GridCell, OutboxMessage, Petition, PetitionerKey, Resident, User
from tests.api.matter_helpers import photo
from tests.api.test_petitions import _register, _step

pytestmark = pytest.mark.usefixtures("clean_petitions")


def _answer_on_re_review(client, staff, pid, received):
    for action, day in (("accept", 2), ("reply", 40), ("request_review", 50), ("review_reply", 60),
                        ("request_re_review", 70), ("re_review_reply", 80), ("close", 81)):
        response = _step(client, staff, pid, action, on=(received + timedelta(days=day)).isoformat(), note="意见")
        assert response.status_code == 200, (action, response.get_json())


def test_the_same_petitioner_is_recognised_without_unsealing(client, as_user, db):
    staff = as_user("community_staff")
    received = today() - timedelta(days=150)
    earlier = _register(client, staff, db, received_on=received.isoformat(),
                        petitioners=[{"name": "李某（合成）", "phone": "13511112222"}]).get_json()
    _answer_on_re_review(client, staff, earlier["id"], received)
    other = _register(client, staff, db, petitioners=[{"name": "赵某（合成）", "phone": "13600000000"}]).get_json()
    assert other["possible_repeats"] == [] and other["repeat_warning"] is None
    # a different name, the same phone: the system points at the earlier one and says it is final
    again = _register(client, staff, db, petitioners=[{"name": "李先生", "phone": "13511112222"}]).get_json()
    assert [p["id"] for p in again["possible_repeats"]] == [earlier["id"]]
    assert again["possible_repeats"][0]["answered_on_re_review"] is True
    assert "不再受理" in again["repeat_warning"]
    english = client.get(f"/api/v1/petitions/{again['id']}", headers={**staff, "Accept-Language": "en"}).get_json()
    assert "not accepted again" in english["repeat_warning"]
    assert again["repeats_final"] is False  # only linked by staff, who judge the facts
    # the earlier one does not list the later one
    assert client.get(f"/api/v1/petitions/{earlier['id']}", headers=staff).get_json()["possible_repeats"] == []
    linked = _step(client, staff, again["id"], "link_repeat", repeat_of_id=earlier["id"]).get_json()
    assert linked["repeat_of_id"] == earlier["id"] and linked["repeats_final"] is True
    assert _step(client, staff, again["id"], "accept").status_code == 409
    assert _step(client, staff, again["id"], "link_repeat", repeat_of_id=again["id"]).status_code == 422
    # the keys hold no phone in clear
    keys = " ".join(db.scalars(select(PetitionerKey.key)))
    assert "13511112222" not in keys and len(keys) > 64


def test_a_population_base_person_is_recognised_by_resident_id(client, as_user, db):
    staff = as_user("community_staff")
    resident = db.scalar(select(Resident.id).join(GridCell, GridCell.id == Resident.grid_cell_id)
                         .where(GridCell.code == "411104001001001").order_by(Resident.id).limit(1))
    first = _register(client, staff, db, petitioners=[{"name": "居民（合成）", "resident_id": str(resident)}],
                      received_on=(today() - timedelta(days=9)).isoformat())
    assert first.status_code == 201, first.get_json()
    second = _register(client, staff, db, petitioners=[{"name": "居民", "resident_id": str(resident),
                                                         "phone": "13700001111"}]).get_json()
    assert [p["id"] for p in second["possible_repeats"]] == [first.get_json()["id"]]
    assert "核实" in second["repeat_warning"]
    # petition staff of another community do not learn of petitions outside their area
    assert client.get(f"/api/v1/petitions/{second['id']}", headers=as_user("district_admin")).get_json()[
        "possible_repeats"][0]["id"] == first.get_json()["id"]


def test_attachments_are_for_petition_staff_only(client, as_user, db):
    staff = as_user("community_staff")
    photo_id = photo(client, staff)
    someone_elses = photo(client, as_user("grid_member"))
    refused = _register(client, staff, db, photo_ids=[someone_elses])
    assert refused.status_code == 404 and "photo_ids" in refused.get_json()["errors"]
    accused = db.scalar(select(User.id).where(User.username == "street_admin"))
    petition = _register(client, staff, db, photo_ids=[photo_id], accused_user_ids=[str(accused)]).get_json()
    assert petition["photo_ids"] == [photo_id]
    assert client.get(f"/api/v1/photos/{photo_id}", headers=as_user("district_admin")).status_code == 200
    assert db.scalar(select(func.count()).where(AuditEvent.action == "petition.photo.read",
                                                AuditEvent.object_id == petition["id"])) == 1
    assert client.get(f"/api/v1/photos/{photo_id}", headers=as_user("street_admin")).status_code == 404  # accused
    unit_id = str(db.scalar(select(User.unit_id).where(User.username == "unit_staff")))
    _step(client, staff, petition["id"], "accept")
    _step(client, staff, petition["id"], "assign", unit_id=unit_id)
    unit = as_user("unit_staff")
    seen = client.get(f"/api/v1/petitions/{petition['id']}", headers=unit).get_json()
    assert seen["petitioners"] is None and "photo_ids" not in seen and "possible_repeats" not in seen
    assert client.get(f"/api/v1/photos/{photo_id}", headers=unit).status_code == 404  # may name the petitioner
    # an attached photo cannot be attached again
    again = _register(client, staff, db, photo_ids=[photo_id])
    assert again.status_code == 404


def test_the_decision_is_kept_and_counted_with_going_up_a_level(client, as_user, db):
    staff = as_user("community_staff")
    routed = _register(client, staff, db).get_json()
    missing = _step(client, staff, routed["id"], "route", note="转法院")
    assert missing.status_code == 422 and "routed_to" in missing.get_json()["errors"]
    done = _step(client, staff, routed["id"], "route", routed_to="区人民法院").get_json()
    assert (done["decision"], done["routed_to"], done["decided_on"]) == ("routed", "区人民法院", today().isoformat())
    closed = _step(client, staff, routed["id"], "close").get_json()
    assert closed["status"] == "closed" and closed["decision"] == "routed"
    refused = _register(client, staff, db).get_json()
    assert _step(client, staff, refused["id"], "not_accept", reason="不属于信访事项").get_json()["decision"] == "not_accepted"
    accepted = _register(client, staff, db).get_json()
    _step(client, staff, accepted["id"], "accept")
    extended = _step(client, staff, accepted["id"], "extend", days=10, reason="需要现场勘查")  # the "reason"
    assert extended.status_code == 200 and extended.get_json()["extension_days"] == 10
    # the petitioner went to the district, then to the city: the highest level is kept
    bad_level = _step(client, staff, accepted["id"], "went_up", level="moon")
    assert bad_level.status_code == 422 and "level" in bad_level.get_json()["errors"]
    _step(client, staff, accepted["id"], "went_up", level="city")
    up = _step(client, staff, accepted["id"], "went_up", level="district").get_json()
    assert (up["went_up_to"], up["went_up_on"]) == ("city", today().isoformat())
    handed_down = _register(client, staff, db, went_up_to="street").get_json()
    assert handed_down["went_up_to"] == "street" and handed_down["went_up_on"] == handed_down["received_on"]
    late = _register(client, staff, db, went_up_to="street", went_up_on=(today() + timedelta(days=1)).isoformat())
    assert late.status_code == 422 and "went_up_on" in late.get_json()["errors"]
    rows = {r["place"]["code"]: r for r in client.get("/api/v1/petitions/stats?level=community",
                                                       headers=as_user("street_admin")).get_json()}
    mine = rows["411104001001"]
    assert (mine["registered"], mine["routed"], mine["not_accepted"], mine["accepted"]) == (4, 1, 1, 1)
    assert (mine["went_up"], mine["zero_went_up"]) == (2, False)
    # a community with no petitions at all is listed, and has reached the first zero of 三零
    others = [r for code, r in rows.items() if code != "411104001001"]
    assert others and all(r["registered"] == 0 and r["zero_went_up"] for r in others)
    period = {r["place"]["code"]: r for r in client.get(
        f"/api/v1/petitions/stats?level=community&received_to={(today() - timedelta(days=10)).isoformat()}",
        headers=as_user("street_admin")).get_json()}
    assert period["411104001001"]["registered"] == 0


def _outbox(db, petition_id):
    return [(m.topic, m.recipient_id) for m in db.scalars(select(OutboxMessage).where(
        OutboxMessage.payload["petition_id"].astext == petition_id).order_by(OutboxMessage.id))]


def test_deadline_reminders_once_each_to_the_right_people(client, as_user, db):
    staff = as_user("community_staff")
    users = {u.username: u.id for u in db.scalars(select(User).where(User.username.in_(
        ["community_staff", "street_admin", "unit_staff", "district_admin"])))}
    soon = _register(client, staff, db, received_on=(today() - timedelta(days=13)).isoformat()).get_json()
    late = _register(client, staff, db, received_on=(today() - timedelta(days=20)).isoformat()).get_json()
    quiet = _register(client, staff, db, received_on=(today() - timedelta(days=2)).isoformat()).get_json()
    accused = _register(client, staff, db, received_on=(today() - timedelta(days=20)).isoformat(),
                        accused_user_ids=[str(users["street_admin"])]).get_json()
    sent = reminders.sweep(db, warn_days=3)
    db.commit()
    assert sent == {"red": 2, "yellow": 1}
    assert _outbox(db, soon["id"]) == [("petition.due_soon", users["community_staff"])]
    assert sorted(_outbox(db, late["id"])) == sorted([("petition.overdue", users["community_staff"]),
                                                      ("petition.overdue", users["street_admin"])])
    assert _outbox(db, accused["id"]) == [("petition.overdue", users["community_staff"])]  # not the accused
    assert _outbox(db, quiet["id"]) == []
    assert reminders.sweep(db, warn_days=3) == {"red": 0, "yellow": 0}  # once per deadline
    # while the reply runs, the unit it is assigned to is told too; an extension is a new date
    unit_id = str(db.scalar(select(User.unit_id).where(User.username == "unit_staff")))
    _step(client, staff, late["id"], "accept", on=(today() - timedelta(days=19)).isoformat())
    _step(client, staff, late["id"], "assign", unit_id=unit_id)
    db.execute(Petition.__table__.update().where(Petition.id == late["id"]).values(
        reply_due=today() + timedelta(days=1)))
    db.commit()
    reminders.sweep(db, warn_days=3)
    db.commit()
    assert ("petition.due_soon", users["unit_staff"]) in _outbox(db, late["id"])
    payloads = db.scalars(select(OutboxMessage.payload).where(OutboxMessage.topic.like("petition.%")))
    assert all("王某" not in str(p) and "13922223333" not in str(p) for p in payloads)
    # the reader gets the text in their language and the petition to open
    from api.notifications.service import deliver_pending
    deliver_pending(db)
    db.commit()
    mine = client.get("/api/v1/notifications", headers=staff).get_json()
    reminder = next(n for n in mine if n["petition_id"] == soon["id"])
    assert reminder["title"] == "信访件即将到期" and "受理告知期限" in reminder["body"]
