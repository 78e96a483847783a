"""Door-knock visits: offline sync with per-visit results, repeats, scope, stale edits; the plan."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from geoalchemy2.shape import to_shape
from sqlalchemy import func, select

from api.visits.service import iso_week
from models import AuditEvent, Building, GridCell, Household, Photo, Visit
from tests.api.matter_helpers import photo

LIJIANGLU_1 = "411104001001001"

pytestmark = pytest.mark.usefixtures("clean_activity", "clean_governance")


def _households(db, code=LIJIANGLU_1, n=3):
    cell = db.scalars(select(GridCell).where(GridCell.code == code)).one()
    return db.scalars(select(Household).where(Household.grid_cell_id == cell.id).order_by(Household.address).limit(n)).unique().all()


def _visit(household, **overrides):
    body = {"id": str(uuid.uuid4()), "household_id": str(household.id),
            "visited_at": (datetime.now(UTC) - timedelta(hours=2)).isoformat(), "result": "met",
            "findings": [{"tag": "information_change", "needs_action": False, "note": "新生儿"}], "notes": "一切正常"}
    body.update(overrides)
    return body


def _sync(client, headers, visits):
    return client.post("/api/v1/visits/sync", json={"visits": visits}, headers=headers)


def test_a_batch_syncs_and_a_repeat_changes_nothing(client, as_user, db):
    """Three visits are created; sending the same batch again answers unchanged and duplicates nothing."""
    headers = as_user("grid_member")
    batch = [_visit(h) for h in _households(db)]
    first = _sync(client, headers, batch)
    assert first.status_code == 200
    assert [r["status"] for r in first.get_json()["results"]] == ["created"] * 3
    again = _sync(client, headers, batch).get_json()["results"]
    assert [r["status"] for r in again] == ["unchanged"] * 3
    assert db.scalar(select(func.count(Visit.id))) == 3


def test_a_batch_sent_again_with_its_idempotency_key_gets_the_first_answer(client, as_user, db):
    """The phone lost the answer and sends the batch again with its key: "created" again (the first
    answer, marked replayed), nothing written or audited twice; the key with another batch → 422."""
    headers = {**as_user("grid_member"), "Idempotency-Key": "visit-batch-0001"}
    batch = [_visit(h) for h in _households(db, n=2)]
    first = _sync(client, headers, batch)
    again = _sync(client, headers, batch)
    assert first.status_code == again.status_code == 200
    assert [r["status"] for r in again.get_json()["results"]] == ["created"] * 2
    assert again.get_json() == first.get_json() and again.headers["Idempotent-Replayed"] == "true"
    assert db.scalar(select(func.count(Visit.id))) == 2
    assert db.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "visit.sync",
                                                            AuditEvent.outcome == "success")) == 1
    other = _sync(client, headers, [_visit(h) for h in _households(db, n=1)])
    assert other.status_code == 422 and other.get_json()["error"] == "idempotency_key_reused"


def test_a_partly_acknowledged_batch_is_replayed_safely(client, as_user, db):
    """The phone lost the answer after two of four visits were stored: resending all four creates only the two missing."""
    headers = as_user("grid_member")
    households = _households(db, n=4)
    batch = [_visit(h) for h in households]
    _sync(client, headers, batch[:2])
    results = _sync(client, headers, batch).get_json()["results"]
    assert [r["status"] for r in results] == ["unchanged", "unchanged", "created", "created"]
    assert db.scalar(select(func.count(Visit.id))) == 4


def test_bad_visits_are_rejected_alone(client, as_user, db):
    """A future visit, another grid's household, a duplicate id and a malformed one are rejected; the good one is kept."""
    headers = as_user("grid_member")
    mine = _households(db, n=1)[0]
    foreign = _households(db, code="411104002001001", n=1)[0]
    good = _visit(mine)
    batch = [
        good,
        _visit(mine, visited_at=(datetime.now(UTC) + timedelta(days=1)).isoformat()),
        _visit(foreign),
        dict(good),
        {"id": str(uuid.uuid4()), "household_id": str(mine.id), "result": "maybe"},
        _visit(mine, location={"lng": 500, "lat": 33}),
    ]
    results = _sync(client, headers, batch).get_json()["results"]
    assert [r["status"] for r in results] == ["created"] + ["rejected"] * 5
    # the reasons are shown on the phone: Chinese by default, English when asked
    assert "晚于当前时间" in results[1]["reason"] and "网格内没有该户" in results[2]["reason"]
    assert "重复" in results[3]["reason"] and results[4]["reason"] == "visited_at: 缺少必填字段。"
    english = _sync(client, {**headers, "Accept-Language": "en"}, batch).get_json()["results"]
    assert [r["status"] for r in english] == ["unchanged"] + ["rejected"] * 5
    assert "future" in english[1]["reason"] and "your cells" in english[2]["reason"]
    assert "duplicate" in english[3]["reason"] and english[4]["reason"].startswith("visited_at: ")
    assert db.scalar(select(func.count(Visit.id))) == 1


def test_the_servers_counter_decides_which_edit_is_newer(client, as_user, db):
    """An edit from the version the phone saw is applied; an edit from an older version is rejected as stale."""
    headers = as_user("grid_member")
    visit = _visit(_households(db, n=1)[0])
    version = _sync(client, headers, [visit]).get_json()["results"][0]["version"]
    edited = {**visit, "notes": "补充：老人独居", "version": version}
    result = _sync(client, headers, [edited]).get_json()["results"][0]
    assert result["status"] == "updated" and result["version"] > version
    stale = {**visit, "notes": "旧手机上的修改", "version": version}
    assert _sync(client, headers, [stale]).get_json()["results"][0]["status"] == "rejected"
    assert db.get(Visit, uuid.UUID(visit["id"])).notes == "补充：老人独居"


def test_oversize_batches_are_413(client, as_user, db):
    """More than 500 visits in one push is refused whole."""
    household = _households(db, n=1)[0]
    response = _sync(client, as_user("grid_member"), [_visit(household) for _ in range(501)])
    assert response.status_code == 413


def test_far_visits_are_flagged_not_refused(client, as_user, db, app, monkeypatch):
    """A visit recorded 1 km from the building is kept and flagged; the distance is configurable."""
    household = next(h for h in _households(db, n=10) if h.building is not None)
    b = to_shape(household.building.location)
    near = _sync(client, as_user("grid_member"), [_visit(household, location={"lng": b.x, "lat": b.y})]).get_json()
    far = _sync(client, as_user("grid_member"), [_visit(household, location={"lng": b.x + 0.01, "lat": b.y})]).get_json()
    monkeypatch.setitem(app.config, "VISIT_FAR_METRES", 2000)
    within = _sync(client, as_user("grid_member"), [_visit(household, location={"lng": b.x + 0.01, "lat": b.y})]).get_json()
    visits = {str(v.id): v for v in db.scalars(select(Visit))}
    assert visits[near["results"][0]["id"]].far_from_household is False
    assert visits[far["results"][0]["id"]].far_from_household is True
    assert visits[within["results"][0]["id"]].far_from_household is False


def test_the_weeks_plan_and_the_list(client, as_user, db):
    """After visiting two households, the plan shows them visited this week and the rest due; others' cells are not in it."""
    headers = as_user("grid_member")
    households = _households(db, n=2)
    _sync(client, headers, [_visit(h) for h in households])
    week = iso_week(datetime.now(UTC) - timedelta(hours=2))
    plan = client.get(f"/api/v1/visits/plan?week={week}&page_size=100", headers=headers).get_json()
    visited = {p["household_id"] for p in plan if p["visited"]}
    assert visited == {str(h.id) for h in households}
    assert all(p["due"] != p["visited"] for p in plan)
    assert {p["grid_cell"]["code"] for p in plan} == {LIJIANGLU_1}
    listed = client.get(f"/api/v1/visits?week={week}", headers=headers).get_json()
    assert len(listed) == 2
    assert client.get(f"/api/v1/visits?week={week}", headers=as_user("grid_member_2")).get_json() == []
    assert client.get("/api/v1/visits/plan?week=2026-W99", headers=headers).status_code == 422


def test_coverage_per_cell_community_and_street(client, as_user, db):
    """Coverage counts distinct visited households of the week, rolled up from cell to street."""
    headers = as_user("grid_member")
    households = _households(db, n=3)
    _sync(client, headers, [_visit(households[0]), _visit(households[0]), _visit(households[1])])
    week = iso_week(datetime.now(UTC) - timedelta(hours=2))
    rows = client.get(f"/api/v1/visits/coverage?week={week}", headers=as_user("street_admin")).get_json()
    by_code = {r["place"]["code"]: r for r in rows}
    cell = by_code[LIJIANGLU_1]
    total = db.scalar(select(func.count(Household.id)).where(Household.grid_cell_id == households[0].grid_cell_id))
    assert cell["households"] == total and cell["visited"] == 2
    assert cell["coverage_percent"] == round(2 / total * 100, 1) and cell["meets_target"] is False
    assert by_code["411104001001"]["visited"] == 2 and by_code["411104001"]["visited"] == 2
    mine = client.get(f"/api/v1/visits/coverage?week={week}", headers=headers).get_json()
    assert [r["place"]["code"] for r in mine] == [LIJIANGLU_1]
    streets = client.get(f"/api/v1/visits/coverage?week={week}&level=street", headers=as_user("district_admin")).get_json()
    assert {r["place"]["kind"] for r in streets} == {"street"} and len(streets) == 3
    assert next(r for r in streets if r["place"]["code"] == "411104001")["visited"] == 2
    assert client.get(f"/api/v1/visits/coverage?week={week}&level=district", headers=headers).status_code == 422


def test_findings_that_need_action_become_door_knock_matters_once(client, as_user, db):
    """A hazard found on a visit becomes one door_knock matter in the cell, linked both ways; repeats and edits keep it single."""
    from models import Matter, MatterEvent

    headers = as_user("grid_member")
    household = _households(db, n=1)[0]
    before = db.scalar(select(func.count(Matter.id)))
    visit = _visit(household, findings=[{"tag": "hazard", "needs_action": True, "note": "楼道堆放杂物堵塞"},
                                        {"tag": "information_change", "needs_action": False, "note": "新住户"}])
    result = _sync(client, headers, [visit]).get_json()["results"][0]
    _sync(client, headers, [visit])  # the phone sends it again
    stored = db.get(Visit, uuid.UUID(visit["id"]))
    matter_id = stored.findings[0]["matter_id"]
    assert "matter_id" not in stored.findings[1]
    matter = db.get(Matter, uuid.UUID(matter_id))
    assert matter.source.value == "door_knock" and matter.grid_cell_id == household.grid_cell_id
    assert matter.category.code == "SEC-HAZARD" and "楼道堆放杂物堵塞" in matter.description
    link = db.scalars(select(MatterEvent).where(MatterEvent.matter_id == matter.id, MatterEvent.action == "link_visit")).one()
    assert link.data == {"visit_id": visit["id"]}
    edited = {**visit, "notes": "复查", "version": result["version"]}
    assert _sync(client, headers, [edited]).get_json()["results"][0]["status"] == "updated"
    assert db.get(Visit, uuid.UUID(visit["id"])).findings[0]["matter_id"] == matter_id
    assert db.scalar(select(func.count(Matter.id))) == before + 1
    listed = client.get("/api/v1/matters?source=door_knock", headers=as_user("community_staff")).get_json()
    assert matter_id in {m["id"] for m in listed} and all(m["source"] == "door_knock" for m in listed)


def test_roster_changes_update_the_population_base_attributed_to_the_visit(client, as_user, db):
    """Someone moved in, someone moved out, a phone changed: the residents change, each change audited with the visit."""
    from models import AuditEvent, Resident

    headers = as_user("grid_member")
    household = next(h for h in _households(db, n=10) if h.members >= 2)
    leaving, staying = db.scalars(select(Resident).where(Resident.household_id == household.id)
                                  .order_by(Resident.name)).unique().all()[:2]
    visit = _visit(household, roster_changes=[
        {"change": "moved_in", "name": "新住户王某", "kind": "migrant", "phone": "13911112222"},
        {"change": "moved_out", "resident_id": str(leaving.id)},
        {"change": "phone_changed", "resident_id": str(staying.id), "phone": "13933334444"},
    ])
    assert _sync(client, headers, [visit]).get_json()["results"][0]["status"] == "created"
    assert _sync(client, headers, [visit]).get_json()["results"][0]["status"] == "unchanged"
    db.expire_all()
    newcomer = db.scalars(select(Resident).where(Resident.name == "新住户王某")).unique().one()
    assert newcomer.household_id == household.id and newcomer.kind.value == "migrant"
    assert db.get(Resident, leaving.id).moved_out_on is not None
    assert db.get(Resident, staying.id).phone == "13933334444"
    events = db.scalars(select(AuditEvent).where(AuditEvent.action.in_(
        ["resident.moved_in", "resident.moved_out", "resident.phone_changed"]))).all()
    assert len(events) == 3 and all(e.detail == {"visit_id": visit["id"]} for e in events)
    stored = db.get(Visit, uuid.UUID(visit["id"]))
    assert stored.roster_changes[0]["applied_to"] == str(newcomer.id)


def test_a_bad_roster_change_rejects_its_visit_alone(client, as_user, db):
    """A move-out of someone not in the household rejects that visit; the other visit of the batch is kept."""
    households = _households(db, n=2)
    bad = _visit(households[0], roster_changes=[{"change": "moved_out", "resident_id": str(uuid.uuid4())}])
    results = _sync(client, as_user("grid_member"), [bad, _visit(households[1])]).get_json()["results"]
    assert [r["status"] for r in results] == ["rejected", "created"] and "本户没有该居民" in results[0]["reason"]


def test_photos_go_with_their_visit_and_a_repeat_keeps_them(client, as_user, db):
    """photo_ids attach the visitor's uploads to the visit; a replay is unchanged; another user's photo
    or one already used rejects that visit alone; staff in scope see the photo, a resident does not."""
    headers = as_user("grid_member")
    first, second = photo(client, headers), photo(client, headers)
    household, other = _households(db, n=2)
    visit = _visit(household, photo_ids=[first, second])
    assert _sync(client, headers, [visit]).get_json()["results"][0]["status"] == "created"
    assert _sync(client, headers, [{**visit, "photo_ids": [second, first]}]).get_json()["results"][0]["status"] == "unchanged"
    listed = client.get(f"/api/v1/visits?household_id={household.id}", headers=headers).get_json()
    assert sorted(listed[0]["photo_ids"]) == sorted([first, second])
    assert db.scalar(select(func.count()).select_from(Photo).where(Photo.visit_id == uuid.UUID(visit["id"]),
                                                                  Photo.purpose == "visit")) == 2

    reused = _visit(other, photo_ids=[first])
    strangers = _visit(other, photo_ids=[photo(client, as_user("grid_member_2"))])
    results = _sync(client, headers, [reused, strangers]).get_json()["results"]
    assert [r["status"] for r in results] == ["rejected", "rejected"]
    assert all(r["reason"].startswith("photo_ids") for r in results)

    staff, resident = as_user("community_staff"), as_user("resident")
    assert client.get(f"/api/v1/photos/{first}", headers=staff).status_code == 200
    assert client.get(f"/api/v1/photos/{first}", headers=resident).status_code == 404

    # an edit that drops a photo returns it to the visitor's uploads, free to use again
    stored = db.get(Visit, uuid.UUID(visit["id"]))
    edited = {**visit, "photo_ids": [first], "version": stored.version}
    assert _sync(client, headers, [edited]).get_json()["results"][0]["status"] == "updated"
    assert db.get(Photo, uuid.UUID(second)).visit_id is None


def test_weekly_follow_up_households_come_first_in_the_plan(client, as_user, db):
    """A household flagged for weekly follow-up (with why) heads the plan even after a recent visit."""
    headers = as_user("grid_member")
    first, flagged = _households(db, n=2)
    _sync(client, headers, [_visit(flagged)])
    response = client.patch(f"/api/v1/households/{flagged.id}", headers={**headers, "If-Match": _etag(client, headers, flagged)},
                            json={"weekly_follow_up": True, "follow_up_reason": "独居老人，血压高"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["weekly_follow_up"] is True
    week = iso_week(datetime.now(UTC))
    plan = client.get(f"/api/v1/visits/plan?week={week}&page_size=100", headers=headers).get_json()
    assert plan[0]["household_id"] == str(flagged.id)
    assert plan[0]["follow_up_reason"] == "独居老人，血压高"
    assert plan[0]["weeks_since_visit"] == 0
    assert all(not p["weekly_follow_up"] for p in plan[1:])
    flagged_only = client.get("/api/v1/households?weekly_follow_up=true", headers=headers).get_json()
    assert [h["id"] for h in flagged_only] == [str(flagged.id)]


def _etag(client, headers, household):
    return client.get(f"/api/v1/households/{household.id}", headers=headers).headers["ETag"]


def test_households_not_visited_for_n_weeks(client, as_user, db):
    """The list holds households never visited or last visited before N weeks ago, oldest first;
    a new visit takes a household off it; an edit moving a visit back in time puts it on again."""
    headers = as_user("grid_member")
    old, recent, never = _households(db, n=3)
    long_ago = _visit(old, visited_at=(datetime.now(UTC) - timedelta(weeks=6)).isoformat())
    _sync(client, headers, [long_ago, _visit(recent)])

    def listed(weeks):
        rows = client.get(f"/api/v1/visits/unvisited?weeks={weeks}&page_size=100", headers=headers).get_json()
        return {r["household_id"]: r for r in rows}

    four = listed(4)
    assert str(old.id) in four and str(never.id) in four and str(recent.id) not in four
    assert four[str(old.id)]["weeks_since_visit"] == 6
    assert four[str(never.id)]["weeks_since_visit"] is None
    assert str(old.id) not in listed(8)
    assert all(h["grid_cell"]["code"] == LIJIANGLU_1 for h in four.values())

    version = db.get(Visit, uuid.UUID(long_ago["id"])).version
    moved = {**long_ago, "visited_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(), "version": version}
    assert _sync(client, headers, [moved]).get_json()["results"][0]["status"] == "updated"
    assert str(old.id) not in listed(4)

    other_cell = client.get("/api/v1/places?kind=grid_cell&page_size=1", headers=as_user("grid_member_2")).get_json()[0]
    answer = client.get(f"/api/v1/visits/unvisited?grid_cell_id={other_cell['id']}", headers=headers)
    assert answer.status_code == 404 and "grid_cell_id" in answer.get_json()["errors"]
    assert client.get("/api/v1/visits/unvisited?weeks=0", headers=headers).status_code == 422


def test_plain_and_side_effect_records_mix_in_one_batch(client, as_user, db):
    """Plain visits are written together and side-effect ones in savepoints: a failing roster change
    between two plain visits loses only itself; far flags and last-visit times are set for the rest."""
    first, second, third, fourth = _households(db, n=4)
    building = to_shape(db.scalar(select(Building.location).where(Building.id == second.building_id)))
    far_away = {"lng": building.x + 0.01, "lat": building.y, "coord_system": "wgs84"}
    batch = [_visit(first),
             _visit(second, roster_changes=[{"change": "moved_out", "resident_id": str(uuid.uuid4())}]),
             _visit(third, location=far_away),
             _visit(fourth, roster_changes=[{"change": "moved_in", "name": "张新", "kind": "migrant"}])]
    results = _sync(client, as_user("grid_member"), batch).get_json()["results"]
    assert [r["status"] for r in results] == ["created", "rejected", "created", "created"]
    stored = {v.household_id: v for v in db.scalars(select(Visit)).unique()}
    assert set(stored) == {first.id, third.id, fourth.id}
    assert stored[third.id].far_from_household is True and stored[first.id].far_from_household is False
    last = dict(db.execute(select(Household.id, Household.last_visited_at)
                           .where(Household.id.in_([first.id, second.id, third.id, fourth.id]))).all())
    assert last == {first.id: stored[first.id].visited_at, second.id: None, third.id: stored[third.id].visited_at,
                    fourth.id: stored[fourth.id].visited_at}


def test_coverage_follows_a_visit_moved_to_another_week(client, as_user, db):
    """The per-cell counts are kept by the sync: a repeat does not count twice, and an edit that
    moves a visit to an earlier week moves it in the figures too."""
    headers, staff = as_user("grid_member"), as_user("community_staff")
    household, other = _households(db, n=2)
    visit = _visit(household)
    _sync(client, headers, [visit, _visit(other), _visit(other)])
    _sync(client, headers, [visit])
    now_week, earlier = iso_week(datetime.now(UTC) - timedelta(hours=2)), iso_week(datetime.now(UTC) - timedelta(weeks=2))

    def visited(week):
        rows = client.get(f"/api/v1/visits/coverage?week={week}&level=grid_cell", headers=staff).get_json()
        return next((r["visited"] for r in rows if r["place"]["code"] == LIJIANGLU_1), None)

    assert visited(now_week) == 2 and visited(earlier) == 0
    version = db.get(Visit, uuid.UUID(visit["id"])).version
    moved = {**visit, "visited_at": (datetime.now(UTC) - timedelta(weeks=2)).isoformat(), "version": version}
    assert _sync(client, headers, [moved]).get_json()["results"][0]["status"] == "updated"
    assert visited(now_week) == 1 and visited(earlier) == 1


def test_weeks_the_calendar_does_not_have_are_refused(client, as_user, db):
    """Found by the fuzzer: year 0000 and a 53rd week of a 52-week year were a 500."""
    headers = as_user("grid_member")
    for week in ("0000-W01", "2025-W53", "1999-W10", "", "W"):
        response = client.get(f"/api/v1/visits/plan?week={week}", headers=headers)
        assert response.status_code == 422, week
        assert "week" in response.get_json()["errors"]
    assert client.get("/api/v1/visits/plan?week=2020-W53", headers=headers).status_code == 200
