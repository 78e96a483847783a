"""Check-ins and patrol tracks: resends, bad points, per-day time, the cells a track covered, scope."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from geoalchemy2.shape import to_shape
from sqlalchemy import func, select

from api.china_time import CHINA
from api.geo.coords import wgs84_to_gcj02
from api.patrols.service import split_by_day
from models import GridCell, PatrolCell, PatrolDay

CELL_1, CELL_2 = "411104001001001", "411104001001002"

pytestmark = pytest.mark.usefixtures("clean_activity")


def _inside(db, code):
    point = to_shape(db.scalar(select(func.ST_PointOnSurface(GridCell.boundary)).where(GridCell.code == code)))
    return point.x, point.y


def _track(db, start: datetime, minutes=(0, 2, 4, 20)):
    """From inside cell 1 to inside cell 2, in steps; the last gap (16 min) is longer than the 5-minute cap."""
    (x1, y1), (x2, y2) = _inside(db, CELL_1), _inside(db, CELL_2)
    steps = len(minutes) - 1
    return [{"lng": x1 + (x2 - x1) * i / steps, "lat": y1 + (y2 - y1) * i / steps,
             "at": (start + timedelta(minutes=m)).isoformat()} for i, m in enumerate(minutes)]


def test_a_check_in_is_located_and_a_resend_answers_it_again(client, as_user, db):
    headers = as_user("grid_member")
    lng, lat = wgs84_to_gcj02(*_inside(db, CELL_1))  # the phone's map app speaks GCJ-02
    body = {"id": str(uuid.uuid4()), "at": datetime.now(UTC).isoformat(),
            "location": {"lng": lng, "lat": lat, "coord_system": "gcj02"}}
    first = client.post("/api/v1/check-ins", json=body, headers=headers)
    assert first.status_code == 201, first.get_json()
    answer = first.get_json()
    assert answer["grid_cell"]["code"] == CELL_1 and answer["in_own_cells"] is True
    assert answer["kind"] == "check_in"
    assert abs(answer["location"]["lng"] - _inside(db, CELL_1)[0]) < 1e-5  # stored as WGS-84
    again = client.post("/api/v1/check-ins", json=body, headers=headers)
    assert again.status_code == 200 and again.get_json()["id"] == body["id"]
    moved = client.post("/api/v1/check-ins", json={**body, "at": (datetime.now(UTC) - timedelta(hours=1)).isoformat()},
                        headers=headers)
    assert moved.status_code == 409 and "id" in moved.get_json()["errors"]
    future = client.post("/api/v1/check-ins", headers=headers, json={
        **body, "id": str(uuid.uuid4()), "at": (datetime.now(UTC) + timedelta(hours=2)).isoformat()})
    assert future.status_code == 422 and "at" in future.get_json()["errors"]
    bad = client.post("/api/v1/check-ins", headers=headers, json={**body, "id": str(uuid.uuid4()),
                                                                   "location": {"lng": 200, "lat": 33}})
    assert bad.status_code == 422 and "location" in bad.get_json()["errors"]
    assert client.post("/api/v1/check-ins", json=body, headers=as_user("resident")).status_code == 403


def test_a_patrol_gives_its_length_active_time_and_cells(client, as_user, db):
    headers = as_user("grid_member")
    start = datetime.now(UTC) - timedelta(hours=3)
    body = {"id": str(uuid.uuid4()), "points": _track(db, start)}
    response = client.post("/api/v1/patrols", json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    patrol = response.get_json()
    assert patrol["point_count"] == 4
    assert patrol["active_seconds"] == 240  # the 16-minute gap does not count
    assert 400 < patrol["length_m"] < 800
    cells = {c["grid_cell"]["code"]: c["length_m"] for c in patrol["cells"]}
    assert set(cells) >= {CELL_1, CELL_2}
    assert abs(sum(cells.values()) - patrol["length_m"]) < 5  # PostGIS and the haversine agree
    assert db.scalar(select(func.count()).select_from(PatrolCell).where(PatrolCell.patrol_id == uuid.UUID(body["id"]))) == len(cells)

    assert client.post("/api/v1/patrols", json=body, headers=headers).status_code == 200
    changed = {**body, "points": _track(db, start, minutes=(0, 1, 2, 3))}
    assert client.post("/api/v1/patrols", json=changed, headers=headers).status_code == 409

    detail = client.get(f"/api/v1/patrols/{body['id']}", headers=headers).get_json()
    assert detail["track"]["type"] == "LineString" and len(detail["track"]["coordinates"]) == 4
    assert len(detail["point_times"]) == 4
    assert client.get(f"/api/v1/patrols/{body['id']}", headers=as_user("community_staff")).status_code == 200
    assert client.get(f"/api/v1/patrols/{body['id']}", headers=as_user("grid_member_2")).status_code == 404
    listed = client.get("/api/v1/patrols", headers=headers).get_json()
    assert [p["id"] for p in listed] == [body["id"]] and listed[0]["cells"]


def test_bad_tracks_are_refused_naming_the_point(client, as_user, db):
    headers = as_user("grid_member")
    start = datetime.now(UTC) - timedelta(hours=1)
    points = _track(db, start)
    points[1], points[2] = points[2], points[1]
    out_of_order = client.post("/api/v1/patrols", json={"id": str(uuid.uuid4()), "points": points}, headers=headers)
    assert out_of_order.status_code == 422 and "points.2.at" in out_of_order.get_json()["errors"]
    future = _track(db, datetime.now(UTC) + timedelta(hours=1))
    answer = client.post("/api/v1/patrols", json={"id": str(uuid.uuid4()), "points": future}, headers=headers)
    assert answer.status_code == 422 and "points.3.at" in answer.get_json()["errors"]
    one = client.post("/api/v1/patrols", json={"id": str(uuid.uuid4()), "points": points[:1]}, headers=headers)
    assert one.status_code == 422 and "points" in one.get_json()["errors"]
    broken = [{**points[0], "lat": "north"}, points[1]]
    answer = client.post("/api/v1/patrols", json={"id": str(uuid.uuid4()), "points": broken}, headers=headers)
    assert answer.status_code == 422 and "points" in answer.get_json()["errors"]
    many = [{**points[0], "at": (start + timedelta(seconds=i)).isoformat()} for i in range(10_001)]
    assert client.post("/api/v1/patrols", json={"id": str(uuid.uuid4()), "points": many}, headers=headers).status_code == 413
    long = _track(db, start - timedelta(days=2), minutes=(0, 60, 120, 60 * 25))
    assert client.post("/api/v1/patrols", json={"id": str(uuid.uuid4()), "points": long}, headers=headers).status_code == 422


def test_time_and_distance_split_at_midnight_china_time():
    before = datetime(2026, 11, 26, 23, 58, tzinfo=CHINA)
    coords = [(114.0, 33.5), (114.0, 33.501), (114.0, 33.502)]
    days = split_by_day(coords, [before, before + timedelta(minutes=4), before + timedelta(minutes=30)],
                        max_gap=timedelta(minutes=5))
    first, second = before.date(), before.date() + timedelta(days=1)
    assert days[first][0] == 120 and days[second][0] == 120  # the 26-minute gap is not patrol time
    assert abs(days[first][1] - 55.6) < 1  # half of the first 111 m before midnight
    assert abs(days[second][1] - 166.8) < 1  # the other half and all of the second after it
    assert abs(sum(m for _, m in days.values()) - 222.4) < 1


def test_daily_patrol_time_with_check_ins_and_scope(client, as_user, db):
    headers = as_user("grid_member")
    day_start = datetime.combine(datetime.now(CHINA).date() - timedelta(days=1), datetime.min.time(), CHINA)
    morning = day_start + timedelta(hours=9)
    for kind, at in (("check_in", morning - timedelta(minutes=10)), ("check_out", morning + timedelta(hours=8))):
        assert client.post("/api/v1/check-ins", headers=headers, json={
            "id": str(uuid.uuid4()), "kind": kind, "at": at.isoformat(),
            "location": dict(zip(("lng", "lat"), _inside(db, CELL_1), strict=True))}).status_code == 201
    for offset in (0, 3):
        assert client.post("/api/v1/patrols", headers=headers, json={
            "id": str(uuid.uuid4()), "points": _track(db, morning + timedelta(hours=offset))}).status_code == 201
    day = day_start.date().isoformat()
    rows = client.get(f"/api/v1/patrols/daily?from={day}&to={day}", headers=headers).get_json()
    assert len(rows) == 1
    row = rows[0]
    assert row["patrols"] == 2 and row["active_minutes"] == 8.0
    assert {c["code"] for c in row["cells"]} >= {CELL_1, CELL_2}
    assert datetime.fromisoformat(row["first_check_in"]) == morning - timedelta(minutes=10)
    assert datetime.fromisoformat(row["last_check_out"]) == morning + timedelta(hours=8)
    assert db.scalar(select(func.sum(PatrolDay.active_seconds)).where(PatrolDay.day == day_start.date())) >= 480

    staff = client.get(f"/api/v1/patrols/daily?from={day}&to={day}", headers=as_user("community_staff")).get_json()
    assert [r["user"]["display_name"] for r in staff] == [row["user"]["display_name"]]
    assert client.get(f"/api/v1/patrols/daily?from={day}&to={day}", headers=as_user("grid_member_2")).get_json() == []
    other = client.get("/api/v1/users?page_size=1", headers=as_user("grid_member_2")).get_json()[0]["id"]
    answer = client.get(f"/api/v1/patrols/daily?user_id={other}", headers=headers)
    assert answer.status_code == 404 and "user_id" in answer.get_json()["errors"]
    assert client.get("/api/v1/patrols/daily?from=2026-01-01&to=2026-06-01", headers=headers).status_code == 422
    assert client.get("/api/v1/check-ins", headers=as_user("community_staff")).get_json()[0]["kind"] == "check_out"
