"""A matter tells each caller the steps they may take now, as the flow would allow them."""

from __future__ import annotations

import pytest
from sqlalchemy import text

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


def test_matter_tiles_hold_each_open_matter_and_count_them_below_zoom_14(client, as_user, db):
    """Zoom 14 and up: a point per open matter with its properties, in scope only; below: squares
    with counts, overdue ones counted red. Closed matters are in neither."""
    import mapbox_vector_tile

    from api.geo.tiles import tile_of
    from tests.api.matter_helpers import inside

    point = inside(db)
    first, second, closed = (report(client, as_user, db) for _ in range(3))
    staff = as_user("community_staff")
    act(client, staff, closed, "reject", note="重复")
    db.execute(text("UPDATE matters SET stage_due_at = now() - interval '1 hour' WHERE id = :id"), {"id": second})
    db.commit()  # released into the test's transaction: a GET's end rolls back what is pending
    x, y = tile_of(point.x, point.y, 16)
    url = f"/api/v1/tiles/matters/16/{x}/{y}.mvt"
    response = client.get(url, headers=staff)
    assert response.status_code == 200 and response.mimetype == "application/vnd.mapbox-vector-tile"
    features = {f["properties"]["id"]: f["properties"] for f in mapbox_vector_tile.decode(response.data)["matters"]["features"]}
    assert set(features) == {first, second}
    assert features[first]["status"] == "submitted" and features[first]["category"] == "ROAD-LIGHT"
    assert features[first]["deadline_colour"] == "green" and features[second]["deadline_colour"] == "red"
    assert client.get(url, headers={**staff, "If-None-Match": response.headers["ETag"]}).status_code == 304
    assert client.get(url, headers=as_user("grid_member_2")).data == b""  # another cell's member: nothing
    act(client, staff, first, "accept")
    accepted = mapbox_vector_tile.decode(client.get(url + "?status=accepted", headers=staff).data)["matters"]
    assert [f["properties"]["id"] for f in accepted["features"]] == [first]
    assert client.get(url + "?status=closed", headers=staff).status_code == 422
    x, y = tile_of(point.x, point.y, 12)
    low = mapbox_vector_tile.decode(client.get(f"/api/v1/tiles/matters/12/{x}/{y}.mvt", headers=staff).data)
    assert "matters" not in low
    squares = low["matter_clusters"]["features"]
    assert sum(f["properties"]["count"] for f in squares) >= 2 and sum(f["properties"]["red"] for f in squares) >= 1
    assert client.get("/api/v1/tiles/matters/3/8/0.mvt", headers=staff).status_code == 422


def test_text_search_finds_words_in_the_description_or_the_address_whatever_their_length(client, as_user, db):
    """q= is the LIKE it always was; the bigram index in front of it (two characters and more)
    loses nothing: a word in the address, one character, % taken literally, across no field."""
    from tests.api.matter_helpers import inside

    point = inside(db)
    resident = as_user("resident")
    made = {}
    for key, body in {"lamp": {"description": "路灯不亮已经三天", "address": "漓江路12号"},
                      "well": {"description": "井盖缺失，井盖下沉", "address": "黄河路5号院"},
                      "pct": {"description": "噪音超过90%分贝", "address": None}}.items():
        response = client.post("/api/v1/matters", headers=resident, json={
            "category": "ROAD-LIGHT", "location": {"lng": point.x, "lat": point.y},
            **{k: v for k, v in body.items() if v is not None}})
        assert response.status_code == 201, response.get_json()
        made[key] = response.get_json()["id"]
    staff = as_user("community_staff")

    def found(q):
        listed = client.get("/api/v1/matters", query_string={"q": q, "page_size": 100}, headers=staff).get_json()
        return {m["id"] for m in listed} & set(made.values())

    assert found("路灯不亮") == {made["lamp"]}
    assert found("黄河路") == {made["well"]}  # the address
    assert found("漓") == {made["lamp"]}  # one character: no bigram, the LIKE alone
    assert found("90%") == {made["pct"]} and found("0%分") == {made["pct"]}  # % is a character, not a wildcard
    assert found("三天漓江") == set()  # description and address are not one text
    assert found("井盖下沉") == {made["well"]}
    assert found("失，井盖缺失") == set()  # its every bigram is in the text, but not as one run: the LIKE decides
