"""A matter tells each caller the steps they may take now, as the flow would allow them."""

from __future__ import annotations

import pytest

from tests.api.matter_helpers import act, report

pytestmark = pytest.mark.usefixtures("clean_matters")


def _actions(client, as_user, matter_id, username):
    return set(client.get(f"/api/v1/matters/{matter_id}", headers=as_user(username)).get_json()["actions"])


def test_each_role_is_offered_exactly_what_it_may_do(client, as_user, db):
    matter_id = report(client, as_user, db)
    staff = _actions(client, as_user, matter_id, "community_staff")
    assert {"accept", "reject", "merge", "urge", "escalate"} <= staff
    assert not staff & {"register", "dispatch", "close", "rate", "reopen", "supervise", "place"}
    assert "supervise" in _actions(client, as_user, matter_id, "street_admin")
    assert _actions(client, as_user, matter_id, "resident") == set()  # nothing to rate yet
    assert {"resolve_on_spot", "escalate"} <= _actions(client, as_user, matter_id, "grid_member")
    # every action offered is accepted by the flow (here: the first one offered to staff)
    act(client, as_user("community_staff"), matter_id, "accept")
    after = _actions(client, as_user, matter_id, "community_staff")
    assert "register" in after and "accept" not in after


def test_figures_per_cell_for_the_map_every_cell_listed(client, as_user, db):
    first = report(client, as_user, db)
    report(client, as_user, db)
    act(client, as_user("community_staff"), first, "accept")
    rows = client.get("/api/v1/matters/stats?level=grid_cell&page_size=100", headers=as_user("community_staff")).get_json()
    by_code = {r["place"]["code"]: r for r in rows}
    assert len(rows) == 12 and all(code.startswith("411104001001") for code in by_code)  # the community's cells
    cell = by_code["411104001001001"]
    assert (cell["open"], cell["to_accept"], cell["overdue"], cell["closed"]) == (2, 1, 0, 0)
    assert sum(r["open"] for r in rows) == 2  # the other cells are listed with zeros
    assert client.get("/api/v1/matters/stats", headers=as_user("resident")).status_code == 403


def test_the_units_staff_may_dispatch_to(client, as_user, db):
    units = client.get("/api/v1/handling-units", headers=as_user("community_staff")).get_json()
    assert [u["name"] for u in units] == ["召陵区城市管理局（演示）"]  # the district's bureau, above the community
    matter_id = report(client, as_user, db)
    staff = as_user("community_staff")
    act(client, staff, matter_id, "accept")
    act(client, staff, matter_id, "register")
    assert act(client, staff, matter_id, "dispatch", unit_id=units[0]["id"]).status_code == 200
    assert client.get("/api/v1/handling-units", headers=as_user("resident")).status_code == 403


def test_the_list_finds_a_number_and_the_open_ones(client, as_user, db):
    kept, rejected = report(client, as_user, db), report(client, as_user, db)
    staff = as_user("community_staff")
    act(client, staff, rejected, "reject", note="重复上报")
    number = client.get(f"/api/v1/matters/{kept}", headers=staff).get_json()["number"]
    assert [m["id"] for m in client.get(f"/api/v1/matters?number={number}", headers=staff).get_json()] == [kept]
    assert client.get(f"/api/v1/matters?number={number}", headers=as_user("grid_member_2")).get_json() == []  # not theirs
    open_ids = {m["id"] for m in client.get("/api/v1/matters?open=true&page_size=100", headers=staff).get_json()}
    done_ids = {m["id"] for m in client.get("/api/v1/matters?open=false&page_size=100", headers=staff).get_json()}
    assert kept in open_ids and rejected not in open_ids and rejected in done_ids and kept not in done_ids
    assert client.get("/api/v1/matters?number=0", headers=staff).status_code == 422


def test_the_map_layer_holds_the_open_matters_in_view(client, as_user, db, monkeypatch):
    from api.matters import resources
    from tests.api.matter_helpers import inside

    point = inside(db)
    box = f"{point.x - 0.01},{point.y - 0.01},{point.x + 0.01},{point.y + 0.01}"
    first, second, closed = (report(client, as_user, db) for _ in range(3))
    staff = as_user("community_staff")
    act(client, staff, closed, "reject", note="重复")
    layer = client.get(f"/api/v1/map/matters?bbox={box}", headers=staff).get_json()
    assert {f["id"] for f in layer["features"]} == {first, second} and layer["truncated"] is False
    feature = layer["features"][0]
    assert feature["geometry"]["coordinates"] == [point.x, point.y]
    assert feature["properties"]["status"] == "submitted" and feature["properties"]["deadline_colour"] == "green"
    far = client.get(f"/api/v1/map/matters?bbox={point.x + 1},{point.y + 1},{point.x + 2},{point.y + 2}", headers=staff)
    assert far.get_json()["features"] == []
    assert client.get(f"/api/v1/map/matters?bbox={box}", headers=as_user("grid_member_2")).get_json()["features"] == []
    act(client, staff, first, "accept")
    accepted = client.get(f"/api/v1/map/matters?bbox={box}&status=accepted", headers=staff).get_json()
    assert [f["id"] for f in accepted["features"]] == [first]
    assert client.get(f"/api/v1/map/matters?bbox={box}&status=closed", headers=staff).status_code == 422
    shifted = client.get(f"/api/v1/map/matters?bbox={box}&coord_system=gcj02", headers=staff).get_json()
    assert shifted["features"][0]["geometry"]["coordinates"] != [point.x, point.y]  # GCJ-02 for AMap base maps
    monkeypatch.setattr(resources, "MAP_MAX_MATTERS", 1)
    capped = client.get(f"/api/v1/map/matters?bbox={box}", headers=staff).get_json()
    assert len(capped["features"]) == 1 and capped["truncated"] is True
