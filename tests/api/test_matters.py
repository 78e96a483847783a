"""Resident matters, first part of issue 4: categories, reporting, scoped reading, timeline."""

from __future__ import annotations

import pytest
from geoalchemy2.shape import to_shape
from sqlalchemy import func, select

from api.geo.coords import wgs84_to_gcj02
from models import GridCell, Matter, MatterEvent

pytestmark = pytest.mark.usefixtures("clean_matters")

LIJIANGLU_1 = "411104001001001"


def _point(db, code=LIJIANGLU_1):
    point = to_shape(db.scalars(select(GridCell).where(GridCell.code == code)).one().boundary).representative_point()
    return point.x, point.y


def _report(client, headers, db, **overrides):
    lng, lat = _point(db)
    body = {"category": "PROP-STAIR-LIGHT", "description": "楼道灯坏了一个星期了",
            "location": {"lng": lng, "lat": lat}, "address": "漓江路 3 号楼 2 单元"}
    body.update(overrides)
    return client.post("/api/v1/matters", json=body, headers=headers)


def test_categories_are_two_levels_with_time_limits(client, as_user):
    """Every secondary has a primary and inherits or overrides its per-stage hours."""
    categories = client.get("/api/v1/matter-categories", headers=as_user("resident")).get_json()
    by_code = {c["code"]: c for c in categories}
    assert {"ENV", "ROAD", "SECURITY", "DISPUTE", "PROPERTY", "LIVELIHOOD"} <= {c["code"] for c in categories
                                                                               if c["level"] == "primary"}
    light = by_code["PROP-STAIR-LIGHT"]
    assert light["parent"] == "PROPERTY" and light["handle_hours"] == 48
    assert light["accept_hours"] == by_code["PROPERTY"]["accept_hours"]  # inherited
    assert by_code["SEC-GAS"]["handle_hours"] == 2


def test_district_admin_edits_a_category(client, as_user):
    """Admins change time limits with If-Match; others may not."""
    admin = as_user("district_admin")
    url = "/api/v1/matter-categories/ROAD-LIGHT"
    etag = client.get(url, headers=admin).headers["ETag"]
    response = client.patch(url, json={"handle_hours": 12}, headers={**admin, "If-Match": etag})
    assert response.status_code == 200 and response.get_json()["handle_hours"] == 12
    assert client.patch(url, json={"handle_hours": 1}, headers={**as_user("community_staff"), "If-Match": etag}).status_code == 403
    created = client.post("/api/v1/matter-categories", headers=admin, json={
        "code": "ROAD-SIGN", "parent": "ROAD", "name": "路牌损坏", "name_en": "Damaged road sign"})
    assert created.status_code == 201 and created.get_json()["accept_hours"] == 2


def test_resident_reports_from_gcj02_and_gets_the_cell_and_a_deadline(client, as_user, db):
    """The app's AMap point is converted, the matter lands in the right cell, submitted, due within the category's hours."""
    lng, lat = _point(db)
    g_lng, g_lat = wgs84_to_gcj02(lng, lat)
    response = _report(client, as_user("resident"), db, location={"lng": g_lng, "lat": g_lat, "coord_system": "gcj02"})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["status"] == "submitted" and body["grid_cell"]["code"] == LIJIANGLU_1
    assert body["location"]["lng"] == pytest.approx(lng, abs=1e-7)
    assert body["deadline"] and body["deadline_colour"] == "green" and body["source"] == "app"
    timeline = client.get(f"/api/v1/matters/{body['id']}/timeline", headers=as_user("resident")).get_json()
    assert [(e["action"], e["to_status"]) for e in timeline] == [("submit", "submitted")]


def test_a_retried_report_exists_once(client, as_user, db):
    """Same Idempotency-Key and body: one matter, the same answer twice."""
    headers = {**as_user("resident"), "Idempotency-Key": "report-42"}
    first, second = _report(client, headers, db), _report(client, headers, db)
    assert first.get_json()["id"] == second.get_json()["id"]
    assert db.scalar(select(func.count(Matter.id))) == 1
    assert _report(client, headers, db, description="另一件事").status_code == 422


def test_point_outside_every_cell_is_kept_and_flagged(client, as_user, db):
    """A report from outside the district is not refused: it waits for the district to place it."""
    response = _report(client, as_user("resident"), db, location={"lng": 121.47, "lat": 31.23})
    assert response.status_code == 201
    body = response.get_json()
    assert body["grid_cell"] is None and body["needs_placement"] is True
    unplaced = client.get("/api/v1/matters?needs_placement=true", headers=as_user("district_admin")).get_json()
    assert [m["id"] for m in unplaced] == [body["id"]]
    assert client.get(f"/api/v1/matters/{body['id']}", headers=as_user("street_admin")).status_code == 404


@pytest.mark.parametrize("overrides, field", [
    ({"category": "NOPE"}, "category"),
    ({"category": "PROPERTY"}, "category"),
    ({"location": {"lng": 200, "lat": 33}}, "location"),
    ({"location": None}, "location"),
    ({"description": "x" * 2001}, "description"),
    ({"description": "   "}, "description"),
    ({"source": "hotline_12345"}, "source"),
])
def test_bad_reports_are_422_and_nothing_is_written(client, as_user, db, overrides, field):
    """Unknown category, bad or missing location, long or blank description, a source the role may not use."""
    response = _report(client, as_user("resident"), db, **overrides)
    assert response.status_code == 422 and field in response.get_json()["errors"], response.get_json()
    assert db.scalar(select(func.count(Matter.id))) == 0
    assert db.scalar(select(func.count(MatterEvent.id))) == 0


def test_scoping_of_matters(client, as_user, db):
    """The reporter and the cell's grid member see it; another grid member and another resident do not."""
    matter = _report(client, as_user("resident"), db).get_json()
    url = f"/api/v1/matters/{matter['id']}"
    for username, status in (("resident", 200), ("grid_member", 200), ("community_staff", 200), ("street_admin", 200),
                             ("district_admin", 200), ("grid_member_2", 404), ("unit_staff", 404),
                             ("responder", 404)):
        assert client.get(url, headers=as_user(username)).status_code == status, username
    staff_list = client.get("/api/v1/matters?category=PROPERTY", headers=as_user("community_staff")).get_json()
    assert [m["id"] for m in staff_list] == [matter["id"]]
    assert client.get("/api/v1/matters", headers=as_user("grid_member_2")).get_json() == []


def test_anonymous_reports_hide_the_reporter_except_from_staff(client, as_user, db):
    """An anonymous report shows the reporter to its reporter and to staff only."""
    matter = _report(client, as_user("resident"), db, anonymous=True).get_json()
    assert matter["reporter"]["display_name"] == "居民（演示）"
    staff = client.get(f"/api/v1/matters/{matter['id']}", headers=as_user("community_staff")).get_json()
    assert staff["reporter"] is not None


def test_console_entry_of_a_hotline_call(client, as_user, db):
    """Community staff enter a 12345 hotline call; residents may not claim that source."""
    response = _report(client, as_user("community_staff"), db, source="hotline_12345")
    assert response.status_code == 201 and response.get_json()["source"] == "hotline_12345"
