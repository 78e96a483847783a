"""The case flow: one explicit transition table, 403 for the wrong role, 409 for the wrong state."""

from __future__ import annotations

import pytest
from geoalchemy2.shape import to_shape
from sqlalchemy import select

from models import GridCell, HandlingUnit, User
from tests.api.matter_helpers import LIJIANGLU_1, act, report

pytestmark = pytest.mark.usefixtures("clean_matters")


def test_a_matter_goes_from_report_to_rated_closure(client, as_user, db):
    """Resident → staff accept/register/dispatch → unit handles → grid member verifies → staff closes → resident rates."""
    matter = report(client, as_user, db)
    staff, unit_staff, member, resident = (as_user(u) for u in ("community_staff", "unit_staff", "grid_member", "resident"))
    unit = db.scalars(select(HandlingUnit)).first()
    assert client.get(f"/api/v1/matters/{matter}", headers=unit_staff).status_code == 404  # not yet theirs
    steps = [
        (staff, "accept", {}, "accepted"),
        (staff, "register", {}, "registered"),
        (staff, "dispatch", {"unit_id": str(unit.id)}, "dispatched"),
        (unit_staff, "handle", {"note": "已更换灯泡"}, "handled"),
        (member, "verify", {}, "verified"),
        (staff, "close", {}, "closed"),
    ]
    for headers, action, body, status in steps:
        response = act(client, headers, matter, action, **body)
        assert response.status_code == 200, (action, response.get_json())
        assert response.get_json()["status"] == status
    closed = client.get(f"/api/v1/matters/{matter}", headers=resident).get_json()
    assert closed["closed_at"] and closed["deadline"] is None and closed["unit"]["name"] == unit.name
    rated = act(client, resident, matter, "rate", rating="satisfied")
    assert rated.status_code == 200 and rated.get_json()["rating"] == "satisfied"
    timeline = client.get(f"/api/v1/matters/{matter}/timeline", headers=resident).get_json()
    assert [e["action"] for e in timeline] == ["submit", "accept", "register", "dispatch", "handle", "verify",
                                               "close", "rate"]
    assert timeline[4]["note"] == "已更换灯泡" and timeline[4]["actor_role"] == "unit_staff"


def test_wrong_state_is_409_and_wrong_role_is_403(client, as_user, db):
    """Closing a submitted matter does not fit the state; a resident may not accept."""
    matter = report(client, as_user, db)
    wrong_state = act(client, as_user("community_staff"), matter, "close")
    assert wrong_state.status_code == 409 and wrong_state.get_json()["error"] == "invalid_transition"
    assert act(client, as_user("resident"), matter, "accept").status_code == 403
    assert act(client, as_user("community_staff"), matter, "fly").status_code == 422


def test_rejection_needs_a_reason_the_reporter_sees(client, as_user, db):
    """Reject without a note is 422; with one, the reporter reads it on the timeline."""
    matter = report(client, as_user, db)
    staff = as_user("community_staff")
    assert act(client, staff, matter, "reject").status_code == 422
    assert act(client, staff, matter, "reject", note="不属于本社区管辖").get_json()["status"] == "rejected"
    timeline = client.get(f"/api/v1/matters/{matter}/timeline", headers=as_user("resident")).get_json()
    assert timeline[-1]["note"] == "不属于本社区管辖"


def test_return_then_redispatch(client, as_user, db):
    """A unit returns a case that is not its job; staff dispatch it to the grid member, who handles it."""
    matter = report(client, as_user, db)
    staff = as_user("community_staff")
    unit = db.scalars(select(HandlingUnit)).first()
    member = db.scalars(select(User).where(User.username == "grid_member")).unique().one()
    for action in ("accept", "register"):
        act(client, staff, matter, action)
    act(client, staff, matter, "dispatch", unit_id=str(unit.id))
    returned = act(client, as_user("unit_staff"), matter, "return", note="非本单位职责")
    assert returned.get_json()["status"] == "registered" and returned.get_json()["unit"] is None
    assert act(client, staff, matter, "dispatch", assignee_id=str(member.id)).get_json()["assignee"]["id"] == str(member.id)
    assert act(client, as_user("unit_staff"), matter, "handle", note="x").status_code == 404  # no longer theirs
    assert act(client, as_user("grid_member"), matter, "handle", note="已修好").get_json()["status"] == "handled"


def test_dispatch_needs_exactly_one_target(client, as_user, db):
    """Neither or both of unit and assignee is 422."""
    matter = report(client, as_user, db)
    staff = as_user("community_staff")
    act(client, staff, matter, "accept")
    act(client, staff, matter, "register")
    response = act(client, staff, matter, "dispatch")
    assert response.status_code == 422 and "unit_id" in response.get_json()["errors"]


def test_failed_verification_sends_it_back(client, as_user, db):
    """rework returns a handled matter to the handler with a fresh handling deadline."""
    matter = report(client, as_user, db)
    staff = as_user("community_staff")
    member = db.scalars(select(User).where(User.username == "grid_member")).unique().one()
    for action, body in (("accept", {}), ("register", {}), ("dispatch", {"assignee_id": str(member.id)})):
        act(client, staff, matter, action, **body)
    act(client, as_user("grid_member"), matter, "handle", note="修了")
    reworked = act(client, staff, matter, "rework", note="灯还是不亮")
    assert reworked.get_json()["status"] == "dispatched" and reworked.get_json()["deadline_colour"] == "green"


def test_grid_member_fast_path(client, as_user, db):
    """The cell's grid member resolves a simple matter on the spot; another grid member may not."""
    matter = report(client, as_user, db)
    assert act(client, as_user("grid_member_2"), matter, "resolve_on_spot", note="x").status_code == 404
    done = act(client, as_user("grid_member"), matter, "resolve_on_spot", note="当场更换")
    assert done.status_code == 200 and done.get_json()["status"] == "closed"


def test_dissatisfied_reporter_reopens(client, as_user, db):
    """Only the reporter rates; dissatisfied, they reopen it for re-dispatch; rating twice is 409."""
    matter = report(client, as_user, db)
    act(client, as_user("grid_member"), matter, "resolve_on_spot", note="当场处理")
    assert act(client, as_user("community_staff"), matter, "rate", rating="satisfied").status_code == 403
    resident = as_user("resident")
    assert act(client, resident, matter, "reopen", note="没修好").status_code == 409  # not rated yet
    assert act(client, resident, matter, "rate", rating="dissatisfied").status_code == 200
    assert act(client, resident, matter, "rate", rating="satisfied").status_code == 409
    reopened = act(client, resident, matter, "reopen", note="灯还是不亮")
    assert reopened.status_code == 200
    body = reopened.get_json()
    assert body["status"] == "registered" and body["reopen_count"] == 1 and body["rating"] is None


def test_escalation_goes_up_one_level_at_a_time(client, as_user, db):
    """grid → community → street → district, then 409; a grid member cannot escalate what is above them."""
    matter = report(client, as_user, db)
    assert act(client, as_user("grid_member"), matter, "escalate", note="需要社区协调").get_json()["level"] == "community"
    assert act(client, as_user("grid_member"), matter, "escalate", note="再上报").status_code == 403
    assert act(client, as_user("community_staff"), matter, "escalate", note="需要街道").get_json()["level"] == "street"
    assert act(client, as_user("street_admin"), matter, "escalate", note="需要区里").get_json()["level"] == "district"
    assert act(client, as_user("district_admin"), matter, "escalate", note="x").status_code == 409


def test_the_handler_may_not_verify_their_own_work(client, as_user, db):
    """A grid member who handled a matter dispatched to them cannot verify it; staff can."""
    matter = report(client, as_user, db)
    staff = as_user("community_staff")
    member = db.scalars(select(User).where(User.username == "grid_member")).unique().one()
    for action, body in (("accept", {}), ("register", {}), ("dispatch", {"assignee_id": str(member.id)})):
        act(client, staff, matter, action, **body)
    act(client, as_user("grid_member"), matter, "handle", note="修好了")
    assert act(client, as_user("grid_member"), matter, "verify").status_code == 403
    assert act(client, staff, matter, "verify").status_code == 200


def test_district_places_a_matter_reported_outside_every_cell(client, as_user, db):
    """A flagged matter gets its cell by hand, and then the cell's staff see it."""
    response = client.post("/api/v1/matters", headers=as_user("resident"), json={
        "category": "ROAD-LIGHT", "description": "边界外", "location": {"lng": 121.47, "lat": 31.23}})
    matter = response.get_json()["id"]
    cell = db.scalars(select(GridCell).where(GridCell.code == LIJIANGLU_1)).one()
    assert client.get(f"/api/v1/matters/{matter}", headers=as_user("community_staff")).status_code == 404
    placed = act(client, as_user("district_admin"), matter, "place", grid_cell_id=str(cell.id))
    assert placed.status_code == 200 and placed.get_json()["grid_cell"]["code"] == LIJIANGLU_1
    assert placed.get_json()["needs_placement"] is False
    assert client.get(f"/api/v1/matters/{matter}", headers=as_user("community_staff")).status_code == 200


def test_anonymous_reporter_is_hidden_from_the_handling_unit(client, as_user, db):
    """The unit a matter is dispatched to sees it, but not who reported it anonymously; staff do."""
    point = to_shape(db.scalars(select(GridCell).where(GridCell.code == LIJIANGLU_1)).one().boundary).representative_point()
    matter = client.post("/api/v1/matters", headers=as_user("resident"), json={
        "category": "ROAD-LIGHT", "description": "匿名", "location": {"lng": point.x, "lat": point.y},
        "anonymous": True}).get_json()["id"]
    staff = as_user("community_staff")
    unit = db.scalars(select(HandlingUnit)).first()
    for action, body in (("accept", {}), ("register", {}), ("dispatch", {"unit_id": str(unit.id)})):
        act(client, staff, matter, action, **body)
    assert client.get(f"/api/v1/matters/{matter}", headers=as_user("unit_staff")).get_json()["reporter"] is None
    assert client.get(f"/api/v1/matters/{matter}", headers=staff).get_json()["reporter"] is not None
