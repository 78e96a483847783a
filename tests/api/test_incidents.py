"""Emergencies (事件 + 应急处理): incidents opened directly or from a matter, the nearest available
responders by PostGIS KNN, dispatches answered from the phone, the unacknowledged sweep, positions
and tracks, and who may do what."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from api.emergency import dispatch as dispatch_service
from api.geo.coords import wgs84_to_gcj02
from models import Dispatch, GridCell, Incident, OutboxMessage, Responder, ResponderTrack, StreamEvent, User
from tests.api.matter_helpers import report

CELL_1 = "411104001001001"
METRES_PER_DEGREE = 111_320


@pytest.fixture
def clean_emergency(db):
    """No incidents; every responder off duty and nowhere (tests place those they need)."""
    db.execute(text("DELETE FROM incidents"))
    db.execute(text("UPDATE responders SET duty_status = 'off_duty', position = NULL, position_at = NULL"))
    db.execute(text("DELETE FROM outbox"))
    db.commit()


pytestmark = pytest.mark.usefixtures("clean_emergency")


def _centre(db):
    return db.execute(select(func.ST_X(func.ST_PointOnSurface(GridCell.boundary)),
                             func.ST_Y(func.ST_PointOnSurface(GridCell.boundary)))
                      .where(GridCell.code == CELL_1)).one()


def _east(lng, lat, metres):
    return lng + metres / (METRES_PER_DEGREE * math.cos(math.radians(lat))), lat


def _put(db, username, lng, lat, *, duty="on_duty", age_seconds=0):
    user_id = db.scalar(select(User.id).where(User.username == username))
    db.execute(text("UPDATE responders SET duty_status = :duty, position = ST_SetSRID(ST_MakePoint(:lng, :lat), 4326)"
                    "::geography, position_at = now() - make_interval(secs => :age) WHERE user_id = :id"),
               {"duty": duty, "lng": lng, "lat": lat, "age": age_seconds, "id": user_id})
    db.commit()
    return str(user_id)


def _team_of(db, username):
    return db.scalar(text("SELECT t.kind FROM responders r JOIN teams t ON t.id = r.team_id JOIN users u "
                          "ON u.id = r.user_id WHERE u.username = :u"), {"u": username})


def _open(client, headers, db, **overrides):
    lng, lat = _centre(db)
    body = {"title": "楼道燃气泄漏", "kind": "accident", "subtype": "gas_leak", "level": "III",
            "location": {"lng": lng, "lat": lat}}
    body.update(overrides)
    return client.post("/api/v1/incidents", json=body, headers=headers)


def test_an_incident_opened_directly_with_a_gcj02_position(client, as_user, db):
    staff = as_user("community_staff")
    lng, lat = _centre(db)
    g_lng, g_lat = wgs84_to_gcj02(lng, lat)
    created = _open(client, staff, db, location={"lng": g_lng, "lat": g_lat, "coord_system": "gcj02"})
    assert created.status_code == 201, created.get_json()
    incident = created.get_json()
    assert incident["grid_cell"]["code"] == CELL_1 and incident["status"] == "open"
    assert abs(incident["location"]["lng"] - lng) < 1e-5 and abs(incident["location"]["lat"] - lat) < 1e-5
    assert (incident["level"], incident["colour"], incident["teams"]) == ("III", "yellow", ["rescue"])
    assert incident["commander_id"] == str(db.scalar(select(User.id).where(User.username == "community_staff")))
    assert [e["action"] for e in incident["timeline"]] == ["open"]
    for overrides, field in (({"subtype": "volcano"}, "subtype"), ({"level": "V"}, "level"),
                             ({"location": None}, "location"), ({"kind": "meteor"}, "kind"),
                             ({"teams": ["astronauts"]}, "teams")):
        response = _open(client, staff, db, **overrides)
        assert response.status_code == 422 and field in response.get_json()["errors"], (field, response.get_json())
    without_location = {k: v for k, v in {"kind": "accident", "level": "IV"}.items()}
    missing = client.post("/api/v1/incidents", json=without_location, headers=staff)
    assert missing.status_code == 422 and "location" in missing.get_json()["errors"]
    assert db.scalar(select(func.count()).select_from(Incident)) == 1
    levels = {"I": "red", "II": "orange", "IV": "blue"}
    for level, colour in levels.items():
        assert _open(client, staff, db, level=level).get_json()["colour"] == colour
    listed = client.get("/api/v1/incidents", headers=staff).get_json()
    assert [i["level"] for i in listed] == ["I", "II", "III", "IV"]  # the most serious first


def test_a_matter_becomes_an_incident_in_one_step(client, as_user, db):
    matter_id = report(client, as_user, db)
    member = as_user("grid_member")
    escalated = client.post(f"/api/v1/matters/{matter_id}/transitions", headers=member,
                            json={"action": "escalate", "level": "IV", "kind": "accident", "subtype": "electricity",
                                  "note": "路灯线路打火"})
    assert escalated.status_code == 200, escalated.get_json()
    incident_id = escalated.get_json()["incident_id"]
    incident = client.get(f"/api/v1/incidents/{incident_id}", headers=as_user("community_staff")).get_json()
    assert incident["matter_id"] == matter_id and incident["subtype"] == "electricity"
    assert incident["grid_cell"]["code"] == CELL_1 and incident["commander_id"] is None  # a grid member reported it
    timeline = client.get(f"/api/v1/matters/{matter_id}/timeline", headers=member).get_json()
    assert timeline[-1]["action"] == "escalate_incident"
    again = client.post("/api/v1/incidents", headers=as_user("community_staff"), json={"matter_id": matter_id,
                                                                                      "level": "III"})
    assert again.status_code == 409 and "matter_id" in again.get_json()["errors"]
    # without a kind, the matter's category decides: a neighbours' dispute becomes public security
    lng, lat = _centre(db)
    dispute = client.post("/api/v1/matters", headers=as_user("resident"), json={
        "category": "DISP-NEIGHBOUR", "description": "楼上楼下争吵升级", "location": {"lng": lng, "lat": lat}})
    assert dispute.status_code == 201, dispute.get_json()
    staff = as_user("community_staff")
    made = client.post("/api/v1/incidents", headers=staff, json={"matter_id": dispute.get_json()["id"],
                                                                 "level": "IV"}).get_json()
    assert (made["kind"], made["subtype"], made["teams"]) == ("public_security", "dispute", ["patrol", "mediation"])
    # a closed matter does not become an incident
    done = report(client, as_user, db)
    db.execute(text("UPDATE matters SET status = 'closed', closed_at = now(), stage_due_at = NULL WHERE id = :m"),
               {"m": done})
    db.commit()
    late = client.post("/api/v1/incidents", headers=staff, json={"matter_id": done, "level": "IV"})
    assert late.status_code == 409 and "matter_id" in late.get_json()["errors"]


def test_recommendations_are_the_nearest_available_of_the_right_teams(client, as_user, db):
    staff = as_user("community_staff")
    lng, lat = _centre(db)
    assert _team_of(db, "responder") == "rescue"
    rescuers = [u for u in (f"responder_{i:02d}" for i in range(1, 25)) if _team_of(db, u) == "rescue"]
    patrol = next(u for u in (f"responder_{i:02d}" for i in range(1, 25)) if _team_of(db, u) == "patrol")
    near = _put(db, "responder", *_east(lng, lat, 300))
    nearer = _put(db, rescuers[0], *_east(lng, lat, 120))
    _put(db, rescuers[1], *_east(lng, lat, 50), duty="off_duty")  # off duty
    _put(db, rescuers[2], *_east(lng, lat, 60), age_seconds=3600)  # position an hour old
    _put(db, patrol, *_east(lng, lat, 10))  # not a team this incident needs
    far = _put(db, rescuers[3], *_east(lng, lat, 7000))  # beyond the radius
    incident = _open(client, staff, db).get_json()
    found = client.get(f"/api/v1/incidents/{incident['id']}/recommendations", headers=staff).get_json()
    assert [r["user_id"] for r in found] == [nearer, near]
    assert abs(found[0]["distance_m"] - 120) < 2 and abs(found[1]["distance_m"] - 300) < 3
    assert found[0]["team"] == "rescue" and found[0]["name"]
    wider = client.get(f"/api/v1/incidents/{incident['id']}/recommendations?radius_m=10000", headers=staff).get_json()
    assert [r["user_id"] for r in wider][-1] == far
    # the commander may send whom the wider search offered; an off-duty one still not
    sent = client.post(f"/api/v1/incidents/{incident['id']}/dispatches", json={"responder_ids": [far]}, headers=staff)
    assert sent.status_code == 201 and sent.get_json()[0]["distance_m"] > 6900
    off = db.scalar(select(User.id).where(User.username == rescuers[1]))
    refused = client.post(f"/api/v1/incidents/{incident['id']}/dispatches", json={"responder_ids": [str(off)]},
                          headers=staff)
    assert refused.status_code == 422 and "responder_ids.0" in refused.get_json()["errors"]
    assert client.get(f"/api/v1/incidents/{incident['id']}/recommendations", headers=as_user("grid_member")
                      ).status_code == 403


def test_dispatch_answered_from_the_phone_to_done(client, as_user, db):
    staff, phone = as_user("community_staff"), as_user("responder")
    lng, lat = _centre(db)
    responder_id = _put(db, "responder", *_east(lng, lat, 200))
    incident = _open(client, staff, db).get_json()
    sent = client.post(f"/api/v1/incidents/{incident['id']}/dispatches", json={"responder_ids": [responder_id]},
                       headers=staff)
    assert sent.status_code == 201, sent.get_json()
    item = sent.get_json()[0]
    assert (item["incident_id"], item["status"], item["responder_id"]) == (incident["id"], "dispatched", responder_id)
    assert abs(item["distance_m"] - 200) < 3
    assert db.scalar(select(Responder.duty_status).where(Responder.user_id == responder_id)).value == "busy"
    again = client.post(f"/api/v1/incidents/{incident['id']}/dispatches", json={"responder_ids": [responder_id]},
                        headers=staff)
    assert again.status_code == 409
    assert client.get(f"/api/v1/incidents/{incident['id']}/recommendations", headers=staff).get_json() == []
    mine = client.get("/api/v1/responders/me/dispatches?active=true", headers=phone).get_json()
    assert [d["id"] for d in mine] == [item["id"]] and mine[0]["incident"]["title"] == "楼道燃气泄漏"
    # the responder now sees the incident; another responder does not
    assert client.get(f"/api/v1/incidents/{incident['id']}", headers=phone).status_code == 200
    url = f"/api/v1/dispatches/{item['id']}/transitions"
    assert client.post(url, json={"action": "on_scene"}, headers=phone).status_code == 409  # not yet acknowledged
    assert client.post(url, json={"action": "acknowledge"}, headers=as_user("grid_member")).status_code == 404
    for action in ("acknowledge", "acknowledge", "en_route", "on_scene", "done"):  # a retried step changes nothing
        response = client.post(url, json={"action": action}, headers=phone)
        assert response.status_code == 200, (action, response.get_json())
    assert response.get_json()["status"] == "done"
    assert db.scalar(select(Responder.duty_status).where(Responder.user_id == responder_id)).value == "on_duty"
    contained = client.post(f"/api/v1/incidents/{incident['id']}/transitions", json={"action": "contain"},
                            headers=staff).get_json()
    closed = client.post(f"/api/v1/incidents/{incident['id']}/transitions", json={"action": "close"}, headers=staff)
    assert contained["status"] == "contained" and closed.get_json()["status"] == "closed"
    detail = closed.get_json()
    actions = [e["action"] for e in detail["timeline"]]
    assert actions == ["open", "dispatch", "respond", "dispatch_acknowledge", "dispatch_en_route",
                       "dispatch_on_scene", "dispatch_done", "contain", "close"]
    summary = detail["summary"]
    assert summary["dispatches"] == 1 and summary["seconds_to_first_acknowledgement"] is not None
    assert summary["seconds_to_contain"] is not None and summary["seconds_to_close"] is not None
    assert client.post(f"/api/v1/incidents/{incident['id']}/transitions", json={"action": "contain"},
                       headers=staff).status_code == 409
    # everything went onto the stream for the phone and for the area's console
    topics = db.scalars(select(StreamEvent.topic).where(StreamEvent.user_id == responder_id,
                                                        StreamEvent.payload["id"].astext == item["id"])
                        .order_by(StreamEvent.id))
    assert list(topics) == ["dispatch.created", "dispatch.acknowledge", "dispatch.en_route", "dispatch.on_scene",
                            "dispatch.done"]


def test_a_declined_dispatch_frees_the_responder_and_tells_the_commander(client, as_user, db):
    staff, phone = as_user("community_staff"), as_user("responder")
    lng, lat = _centre(db)
    responder_id = _put(db, "responder", *_east(lng, lat, 200))
    incident = _open(client, staff, db).get_json()
    item = client.post(f"/api/v1/incidents/{incident['id']}/dispatches", json={"responder_ids": [responder_id]},
                       headers=staff).get_json()[0]
    url = f"/api/v1/dispatches/{item['id']}/transitions"
    no_reason = client.post(url, json={"action": "decline"}, headers=phone)
    assert no_reason.status_code == 422 and "note" in no_reason.get_json()["errors"]
    assert client.post(url, json={"action": "decline", "note": "车辆故障"}, headers=phone).get_json()["status"] == "declined"
    commander = db.scalar(select(User.id).where(User.username == "community_staff"))
    assert db.scalar(select(func.count()).where(OutboxMessage.topic == "incident.declined",
                                                OutboxMessage.recipient_id == commander)) == 1
    assert db.scalar(select(Responder.duty_status).where(Responder.user_id == responder_id)).value == "on_duty"


def test_an_unacknowledged_dispatch_is_flagged_and_the_next_nearest_sent(client, as_user, db, app):
    staff = as_user("community_staff")
    lng, lat = _centre(db)
    rescuers = [u for u in (f"responder_{i:02d}" for i in range(1, 25)) if _team_of(db, u) == "rescue"]
    first = _put(db, "responder", *_east(lng, lat, 100))
    second = _put(db, rescuers[0], *_east(lng, lat, 400))
    incident = _open(client, staff, db, level="II").get_json()
    client.post(f"/api/v1/incidents/{incident['id']}/dispatches", json={"responder_ids": [first]}, headers=staff)
    settings = {"ack_minutes": app.config["DISPATCH_ACK_MINUTES"], "radius_m": 5000, "fresh_seconds": 600}
    assert dispatch_service.sweep_unacknowledged(db, **settings, auto_replace=True) == \
        {"flagged": 0, "replaced": 0, "suggested": 0}  # not late yet
    later = datetime.now(UTC) + timedelta(minutes=app.config["DISPATCH_ACK_MINUTES"]["II"], seconds=1)
    result = dispatch_service.sweep_unacknowledged(db, **settings, auto_replace=True, now=later)
    db.commit()
    assert result == {"flagged": 1, "replaced": 1, "suggested": 0}
    dispatches = db.scalars(select(Dispatch).where(Dispatch.incident_id == incident["id"])
                            .order_by(Dispatch.dispatched_at)).all()
    assert [(str(d.responder_id), d.automatic, d.overdue_at is not None) for d in dispatches] == \
        [(first, False, True), (second, True, False)]
    assert dispatches[1].replaces_id == dispatches[0].id
    # level II: the district's leaders are told, and the commander
    told = set(db.scalars(select(OutboxMessage.recipient_id).where(OutboxMessage.topic == "incident.unacknowledged")))
    district_admin, commander = (db.scalar(select(User.id).where(User.username == u))
                                 for u in ("district_admin", "community_staff"))
    assert told == {district_admin, commander}
    assert dispatch_service.sweep_unacknowledged(db, **settings, auto_replace=True, now=later)["flagged"] == 0
    # the flagged one can still be answered: the responder was late, not gone
    late = client.post(f"/api/v1/dispatches/{dispatches[0].id}/transitions", json={"action": "acknowledge"},
                       headers=as_user("responder"))
    assert late.status_code == 200 and late.get_json()["overdue"] is True


def test_positions_from_the_phone_rate_limited_and_kept_as_a_bounded_track(client, as_user, db):
    phone = as_user("responder")
    lng, lat = _centre(db)
    g_lng, g_lat = wgs84_to_gcj02(lng, lat)
    first = client.post("/api/v1/responders/me/position", json={"lng": g_lng, "lat": g_lat, "coord_system": "gcj02",
                                                                "accuracy_m": 6}, headers=phone)
    assert first.status_code == 200, first.get_json()
    assert abs(first.get_json()["position"]["lng"] - lng) < 1e-5
    too_soon = client.post("/api/v1/responders/me/position", json={"lng": lng, "lat": lat}, headers=phone)
    assert too_soon.status_code == 429 and too_soon.headers["Retry-After"] == "3"
    # a fix taken earlier that arrives late goes on the track without moving the latest point
    earlier = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    assert client.post("/api/v1/responders/me/position", json={"lng": lng + 0.01, "lat": lat, "at": earlier},
                       headers=phone).status_code == 200
    me = client.get("/api/v1/responders/me", headers=phone).get_json()
    assert abs(me["position"]["lng"] - lng) < 1e-5
    user_id = db.scalar(select(User.id).where(User.username == "responder"))
    db.add(ResponderTrack(user_id=user_id, at=datetime.now(UTC) - timedelta(hours=30),
                          position="SRID=4326;POINT(114 33.5)"))
    db.commit()
    later = (datetime.now(UTC) + timedelta(seconds=5)).isoformat()
    assert client.post("/api/v1/responders/me/position", json={"lng": lng, "lat": lat + 0.001, "at": later},
                       headers=phone).status_code == 200
    assert db.scalar(select(func.count()).where(ResponderTrack.user_id == user_id,
                                                ResponderTrack.at < datetime.now(UTC) - timedelta(hours=24))) == 0
    track = client.get(f"/api/v1/responders/{user_id}/track", headers=as_user("street_admin")).get_json()
    assert len(track) == 3
    bad = client.post("/api/v1/responders/me/position", json={"lng": 200, "lat": lat}, headers=phone)
    assert bad.status_code == 422 and "lng" in bad.get_json()["errors"]
    assert client.post("/api/v1/responders/me/position", json={"lng": lng, "lat": lat},
                       headers=as_user("resident")).status_code == 403
    assert client.post("/api/v1/responders/me/position", json={"lng": lng, "lat": lat},
                       headers=as_user("grid_member")).status_code == 404  # not on a team


def test_duty_teams_and_who_may_do_what(client, as_user, db):
    phone = as_user("responder")
    assert client.post("/api/v1/responders/me/duty", json={"duty_status": "on_duty"},
                       headers=phone).get_json()["duty_status"] == "on_duty"
    teams = client.get("/api/v1/teams", headers=as_user("community_staff")).get_json()
    assert {t["kind"] for t in teams} == {"governance", "mediation", "patrol", "rescue"}
    assert any(t["place"]["kind"] == "street" for t in teams) and all(t["members"] >= 0 for t in teams)
    community = db.scalar(select(User.place_id).where(User.username == "community_staff"))
    twice = client.post("/api/v1/teams", json={"place_id": str(community), "kind": "patrol", "name": "第二巡防队"},
                        headers=as_user("community_staff"))
    assert twice.status_code == 409
    rescue = client.post("/api/v1/teams", json={"place_id": str(community), "kind": "rescue", "name": "漓江路应急救援队"},
                         headers=as_user("community_staff"))
    assert rescue.status_code == 201, rescue.get_json()
    member = db.scalar(select(User.id).where(User.username == "grid_member"))
    added = client.post(f"/api/v1/teams/{rescue.get_json()['id']}/members",
                        json={"user_id": str(member), "skills": ["first_aid"]}, headers=as_user("community_staff"))
    assert added.status_code == 200 and added.get_json()["team"] == "rescue"
    resident = db.scalar(select(User.id).where(User.username == "resident"))
    refused = client.post(f"/api/v1/teams/{rescue.get_json()['id']}/members", json={"user_id": str(resident)},
                          headers=as_user("community_staff"))
    assert refused.status_code == 422 and "user_id" in refused.get_json()["errors"]
    incident = _open(client, as_user("community_staff"), db).get_json()
    for role in ("resident", "unit_staff", "audit_admin", "system_admin"):
        assert client.get("/api/v1/incidents", headers=as_user(role)).status_code == 403, role
        assert client.get(f"/api/v1/incidents/{incident['id']}", headers=as_user(role)).status_code == 403, role
    assert client.get(f"/api/v1/incidents/{incident['id']}", headers=phone).status_code == 404  # not dispatched
    assert client.get(f"/api/v1/incidents/{incident['id']}", headers=as_user("grid_member_2")).status_code == 404
    assert client.post(f"/api/v1/incidents/{incident['id']}/transitions", json={"action": "contain"},
                       headers=as_user("grid_member")).status_code == 403
    message = client.post(f"/api/v1/incidents/{incident['id']}/messages", json={"message": "已通知燃气公司"},
                          headers=as_user("street_admin")).get_json()
    assert message["timeline"][-1]["action"] == "message" and message["timeline"][-1]["message"] == "已通知燃气公司"


def test_bad_input_is_refused_naming_the_field_and_changes_nothing(client, as_user, db):
    staff = as_user("community_staff")
    incident = _open(client, staff, db).get_json()
    url = f"/api/v1/incidents/{incident['id']}"
    resident = str(db.scalar(select(User.id).where(User.username == "resident")))
    lng, lat = _centre(db)
    cases = [
        ("post", "/api/v1/incidents", {"level": "IV", "matter_id": "00000000-0000-0000-0000-000000000000"}, 404,
         "matter_id"),
        ("post", "/api/v1/incidents", {"kind": "accident", "level": "IV", "commander_id": resident,
                                       "location": {"lng": lng, "lat": lat}}, 422, "commander_id"),
        ("post", "/api/v1/incidents", {"kind": "accident", "level": "IV", "teams": [],
                                       "location": {"lng": lng, "lat": lat}}, 422, "teams"),
        ("post", "/api/v1/incidents", {"kind": "accident", "level": "IV",
                                       "location": {"lng": lng, "lat": 95}}, 422, "location"),
        ("get", f"{url}/recommendations?limit=0", None, 422, "limit"),
        ("get", f"{url}/recommendations?radius_m=10", None, 422, "radius_m"),
        ("post", f"{url}/dispatches", {"responder_ids": []}, 422, "responder_ids"),
        ("post", f"{url}/dispatches", {"responder_ids": [resident]}, 422, "responder_ids.0"),
        ("post", f"{url}/transitions", {"action": "explode"}, 422, "action"),
        ("post", f"{url}/transitions", {"action": "regrade"}, 422, "level"),
        ("post", f"{url}/transitions", {"action": "command", "commander_id": resident}, 422, "commander_id"),
        ("post", f"{url}/messages", {"message": ""}, 422, "message"),
        ("post", "/api/v1/teams", {"place_id": resident, "kind": "rescue", "name": "队"}, 422, "name"),
    ]
    for method, path, body, status, field in cases:
        response = getattr(client, method)(path, json=body, headers=staff) if body is not None else \
            getattr(client, method)(path, headers=staff)
        assert response.status_code == status and field in response.get_json()["errors"], (path, body,
                                                                                            response.get_json())
    stream = client.get("/api/v1/stream", headers={**staff, "Last-Event-ID": "abc"})
    assert stream.status_code == 422 and "Last-Event-ID" in stream.get_json()["errors"]
    assert db.scalar(select(func.count()).select_from(Incident)) == 1
    assert db.scalar(select(func.count()).select_from(Dispatch)) == 0


def test_closing_ends_live_dispatches_and_frees_their_responders(client, as_user, db):
    staff, phone = as_user("community_staff"), as_user("responder")
    lng, lat = _centre(db)
    responder_id = _put(db, "responder", *_east(lng, lat, 200))
    incident = _open(client, staff, db).get_json()
    item = client.post(f"/api/v1/incidents/{incident['id']}/dispatches", json={"responder_ids": [responder_id]},
                       headers=staff).get_json()[0]
    client.post(f"/api/v1/dispatches/{item['id']}/transitions", json={"action": "acknowledge"}, headers=phone)
    closed = client.post(f"/api/v1/incidents/{incident['id']}/transitions", json={"action": "close"}, headers=staff)
    assert closed.status_code == 200 and closed.get_json()["dispatches"][0]["status"] == "cancelled"
    assert db.scalar(select(Responder.duty_status).where(Responder.user_id == responder_id)).value == "on_duty"
    assert db.scalar(select(func.count()).where(StreamEvent.user_id == responder_id,
                                                StreamEvent.topic == "dispatch.cancelled")) == 1
    assert client.post(f"/api/v1/dispatches/{item['id']}/transitions", json={"action": "en_route"},
                       headers=phone).status_code == 409
    # a phone cannot make itself busy to dodge dispatches
    busy = client.post("/api/v1/responders/me/duty", json={"duty_status": "busy"}, headers=phone)
    assert busy.status_code == 422 and "duty_status" in busy.get_json()["errors"]


def test_staff_act_only_within_their_area(client, as_user, db):
    staff = as_user("community_staff")
    other_cell = db.scalar(select(func.ST_AsText(func.ST_PointOnSurface(GridCell.boundary)))
                           .where(GridCell.code == "411104002001001"))
    lng, lat = (float(v) for v in other_cell[6:-1].split())
    elsewhere = _open(client, staff, db, location={"lng": lng, "lat": lat})
    assert elsewhere.status_code == 422 and "location" in elsewhere.get_json()["errors"]
    # the street's teams are seen by community staff, but managed by the street
    street_team = next(t for t in client.get("/api/v1/teams", headers=staff).get_json() if t["place"]["kind"] == "street")
    member = db.scalar(select(User.id).where(User.username == "grid_member"))
    assert client.post(f"/api/v1/teams/{street_team['id']}/members", json={"user_id": str(member)},
                       headers=staff).status_code == 404
    assert client.post(f"/api/v1/teams/{street_team['id']}/members", json={"user_id": str(member)},
                       headers=as_user("street_admin")).status_code == 200


def test_the_command_log_is_written_by_commanders_and_those_sent(client, as_user, db):
    """A grid member reads their cell's incidents but writes nothing into the command log (403,
    after the incident was found); a responder sent to it does; out of scope stays 404."""
    staff, phone = as_user("community_staff"), as_user("responder")
    incident = _open(client, staff, db).get_json()
    url = f"/api/v1/incidents/{incident['id']}/messages"
    member = as_user("grid_member")
    assert client.get(f"/api/v1/incidents/{incident['id']}", headers=member).status_code == 200
    refused = client.post(url, json={"message": "现场有烟"}, headers=member)
    assert refused.status_code == 403 and refused.get_json()["error"] == "forbidden"
    assert client.post(url, json={"message": "现场有烟"}, headers=as_user("grid_member_2")).status_code == 404
    assert client.post(url, json={"message": "现场有烟"}, headers=phone).status_code == 404  # not sent to it
    lng, lat = _centre(db)
    sent = _put(db, "responder", lng, lat)
    assert client.post(f"/api/v1/incidents/{incident['id']}/dispatches", json={"responder_ids": [sent]},
                       headers=staff).status_code == 201
    said = client.post(url, json={"message": "已到达楼下"}, headers=phone)
    assert said.status_code == 201 and said.get_json()["timeline"][-1]["message"] == "已到达楼下"
    assert client.post(url, json={"message": "疏散完毕"}, headers=staff).status_code == 201
