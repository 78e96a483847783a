"""Grid cells: locate, coordinate systems, writes with their checks, import/export, coverage, map layers."""

from __future__ import annotations

import json

import mapbox_vector_tile
import pytest
from geoalchemy2.shape import to_shape
from shapely.geometry import box, mapping, shape
from sqlalchemy import select, text

from api.geo.coords import wgs84_to_bd09, wgs84_to_gcj02
from api.geo.tiles import tile_of
from models import GridCell, Place

LIJIANGLU_1 = "411104001001001"


def _cell(db, code) -> GridCell:
    return db.scalars(select(GridCell).where(GridCell.code == code)).one()


def _inside(db, code) -> tuple[float, float]:
    point = to_shape(_cell(db, code).boundary).representative_point()
    return point.x, point.y


# --- locate ---------------------------------------------------------------------------------

def test_locate_finds_the_cell_with_its_hierarchy(client, as_user, db):
    """A WGS-84 point inside 漓江路社区第1网格 locates it, with community, street and district."""
    lng, lat = _inside(db, LIJIANGLU_1)
    body = client.get(f"/api/v1/grid-cells/locate?lng={lng}&lat={lat}", headers=as_user("resident")).get_json()
    assert body["code"] == LIJIANGLU_1
    assert (body["community"]["name"], body["street"]["name"], body["district"]["name"]) == ("漓江路社区", "天桥街道", "召陵区")
    assert body["point"] == {"lng": lng, "lat": lat, "coord_system": "wgs84"}


@pytest.mark.parametrize("system, convert", [("gcj02", wgs84_to_gcj02), ("bd09", wgs84_to_bd09)])
def test_locate_converts_map_sdk_coordinates(client, as_user, db, system, convert):
    """A GCJ-02 or BD-09 point from a map SDK lands in the right cell; read as WGS-84 it would be hundreds of metres off."""
    lng, lat = _inside(db, LIJIANGLU_1)
    shifted = convert(lng, lat)
    headers = as_user("resident")
    body = client.get(f"/api/v1/grid-cells/locate?lng={shifted[0]}&lat={shifted[1]}&coord_system={system}",
                      headers=headers).get_json()
    assert body["code"] == LIJIANGLU_1
    assert abs(body["point"]["lng"] - lng) < 1e-7 and abs(body["point"]["lat"] - lat) < 1e-7
    naive = client.get(f"/api/v1/grid-cells/locate?lng={shifted[0]}&lat={shifted[1]}", headers=headers)
    assert naive.status_code == 404 or naive.get_json()["code"] != LIJIANGLU_1


def test_point_on_a_shared_edge_always_goes_to_the_same_cell(client, as_user, db):
    """A vertex shared by neighbouring cells goes to the lowest code among them, every time."""
    lng, lat, codes = db.execute(text("""
        SELECT ST_X(v.geom), ST_Y(v.geom), array_agg(c.code ORDER BY c.code)
        FROM (SELECT (ST_DumpPoints(ST_Intersection(a.boundary, b.boundary))).geom
              FROM places a JOIN places b ON a.code = :a AND b.parent_id = a.parent_id AND b.id <> a.id
              WHERE ST_Touches(a.boundary, b.boundary) LIMIT 1) v
        JOIN places c ON c.kind = 'grid_cell' AND ST_Covers(c.boundary, v.geom)
        GROUP BY v.geom"""), {"a": LIJIANGLU_1}).one()
    assert len(codes) >= 2
    headers = as_user("district_admin")
    found = {client.get(f"/api/v1/grid-cells/locate?lng={lng!r}&lat={lat!r}", headers=headers).get_json()["code"]
             for _ in range(5)}
    assert found == {codes[0]}


def test_locate_outside_every_cell_is_404(client, as_user):
    """A point in Shanghai is in no cell of this district."""
    response = client.get("/api/v1/grid-cells/locate?lng=121.47&lat=31.23", headers=as_user("resident"))
    assert response.status_code == 404


@pytest.mark.parametrize("query, field", [
    ("lng=200&lat=33.5", "lng"), ("lng=114&lat=-91", "lat"), ("lng=114&lat=33.5&coord_system=mars", "coord_system"),
    ("lng=abc&lat=33.5", "lng"), ("lat=33.5", "lng"), ("lng=nan&lat=33.5", "lng"),
])
def test_locate_refuses_bad_input_naming_the_field(client, as_user, query, field):
    """Out-of-range coordinates, unknown systems and garbage are 422 naming the field."""
    response = client.get(f"/api/v1/grid-cells/locate?{query}", headers=as_user("resident"))
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


# --- writes ---------------------------------------------------------------------------------

def _split_cell(db, code):
    """The cell's polygon cut in two by its centroid's meridian: (west half, east half)."""
    geom = to_shape(_cell(db, code).boundary)
    minx, miny, maxx, maxy = geom.bounds
    mid = geom.centroid.x
    return geom.intersection(box(minx - 1, miny - 1, mid, maxy + 1)), geom.intersection(box(mid, miny - 1, maxx + 1, maxy + 1))


def test_shrink_a_cell_then_fill_the_gap_with_a_new_one(client, as_user, db):
    """Shrink a cell: the coverage report shows the gap; a new cell filling it brings the gap to zero."""
    headers = as_user("community_staff")
    cell = _cell(db, LIJIANGLU_1)
    whole = to_shape(cell.boundary)
    west = whole.buffer(-0.0002)  # about 20 m in from every edge: no building stands there
    east = whole.difference(west)
    url = f"/api/v1/grid-cells/{cell.id}"
    etag = client.get(url, headers=headers).headers["ETag"]
    shrunk = client.patch(url, json={"boundary": mapping(west)}, headers={**headers, "If-Match": etag})
    assert shrunk.status_code == 200, shrunk.get_json()
    community_id = shrunk.get_json()["community"]["id"]
    report = client.get(f"/api/v1/places/{community_id}/coverage", headers=headers).get_json()
    assert report["uncovered_m2"] == pytest.approx(db.scalar(
        text("SELECT ST_Area(ST_GeomFromText(:w, 4326)::geography)"), {"w": east.wkt}), rel=1e-3)
    assert report["uncovered"]["type"] in ("Polygon", "MultiPolygon")
    created = client.post("/api/v1/grid-cells", headers=headers, json={
        "code": "411104001001099", "name": "漓江路社区第99网格", "kind": "mixed", "boundary": mapping(east)})
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["community"]["name"] == "漓江路社区"
    report = client.get(f"/api/v1/places/{community_id}/coverage", headers=headers).get_json()
    assert report["uncovered_m2"] == 0 and report["cells"] == 13


def test_overlapping_a_sibling_is_refused_naming_it(client, as_user, db):
    """A new cell drawn over an existing one is 422 naming boundary and the sibling's code; nothing is stored."""
    headers = as_user("community_staff")
    geom = to_shape(_cell(db, LIJIANGLU_1).boundary)
    response = client.post("/api/v1/grid-cells", headers=headers, json={
        "code": "411104001001099", "name": "重叠网格", "kind": "residential", "boundary": mapping(geom)})
    assert response.status_code == 422
    messages = response.get_json()["errors"]["boundary"]
    assert any(LIJIANGLU_1 in m and "重叠" in m for m in messages)
    assert db.scalar(select(GridCell.id).where(GridCell.code == "411104001001099")) is None


def test_a_cell_outside_its_community_is_refused(client, as_user, db):
    """Redrawing a cell to spill into the next community is 422, in English on request."""
    headers = {**as_user("community_staff"), "Accept-Language": "en"}
    cell = _cell(db, LIJIANGLU_1)
    grown = to_shape(cell.boundary).buffer(0.01)
    url = f"/api/v1/grid-cells/{cell.id}"
    etag = client.get(url, headers=headers).headers["ETag"]
    response = client.patch(url, json={"boundary": mapping(grown)}, headers={**headers, "If-Match": etag})
    assert response.status_code == 422
    assert any("beyond its parent" in m for m in response.get_json()["errors"]["boundary"])


@pytest.mark.parametrize("boundary, expected", [
    ({"type": "Polygon", "coordinates": [[[114.0, 33.58], [114.01, 33.59], [114.01, 33.58], [114.0, 33.59], [114.0, 33.58]]]}, "自相交"),
    ({"type": "Point", "coordinates": [114.0, 33.58]}, "Polygon"),
    ({"type": "Polygon", "coordinates": "nonsense"}, "GeoJSON"),
    ({"type": "Polygon", "coordinates": [[[114.0, 33.58], [190.0, 33.59], [114.01, 33.58], [114.0, 33.58]]]}, "超出范围"),
])
def test_broken_geometry_is_422_naming_boundary(client, as_user, boundary, expected):
    """Self-intersections, wrong types, malformed coordinates and out-of-range points are refused clearly."""
    response = client.post("/api/v1/grid-cells", headers=as_user("community_staff"), json={
        "code": "411104001001099", "name": "坏网格", "kind": "residential", "boundary": boundary})
    assert response.status_code == 422
    assert any(expected in m for m in response.get_json()["errors"]["boundary"])


def test_writes_need_the_right_role_and_scope(client, as_user, db):
    """Grid members may not draw cells (403); community staff may not draw in another community (422 on code)."""
    cell = _cell(db, LIJIANGLU_1)
    body = {"code": "411104002001099", "name": "别人的网格", "kind": "residential",
            "boundary": mapping(to_shape(cell.boundary))}
    assert client.post("/api/v1/grid-cells", headers=as_user("grid_member"), json=body).status_code == 403
    response = client.post("/api/v1/grid-cells", headers=as_user("community_staff"), json=body)
    assert response.status_code == 422 and "code" in response.get_json()["errors"]


# --- import / export ------------------------------------------------------------------------

def _square(lng, lat, size):
    return {"type": "Polygon", "coordinates": [[[lng, lat], [lng + size, lat], [lng + size, lat + size],
                                                [lng, lat + size], [lng, lat]]]}


def _new_district_file():
    """A small district far from the demo one: 1 street, 1 community, 2 cells tiling it."""
    def feature(code, name, geometry, kind=None):
        props = {"code": code, "name": name}
        if kind:
            props["kind"] = kind
        return {"type": "Feature", "properties": props, "geometry": geometry}

    return {"type": "FeatureCollection", "features": [
        feature("419902", "测试区", _square(115.0, 34.0, 0.02)),
        feature("419902001", "测试街道", _square(115.0, 34.0, 0.02)),
        feature("419902001001", "测试社区", _square(115.0, 34.0, 0.01)),
        feature("419902001001001", "测试社区第1网格", {"type": "Polygon", "coordinates": [[
            [115.0, 34.0], [115.005, 34.0], [115.005, 34.01], [115.0, 34.01], [115.0, 34.0]]]}, "residential"),
        feature("419902001001002", "测试社区第2网格", {"type": "Polygon", "coordinates": [[
            [115.005, 34.0], [115.01, 34.0], [115.01, 34.01], [115.005, 34.01], [115.005, 34.0]]]}, "commercial"),
    ]}


def test_cli_import_then_export_gives_the_same_file(app, db, tmp_path):
    """`flask grid import` writes a new district; `flask grid export --with-parents` gives the same file back."""
    source = _new_district_file()
    path = tmp_path / "district.geojson"
    path.write_text(json.dumps(source, ensure_ascii=False), encoding="utf-8")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["grid", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "5 created" in result.output
    exported = runner.invoke(args=["grid", "export", "--code", "419902", "--with-parents"])
    assert json.loads(exported.output) == source
    again = runner.invoke(args=["grid", "import", str(path)])
    assert "5 unchanged" in again.output


def test_cli_import_reports_each_bad_feature_and_writes_nothing(app, db, tmp_path):
    """One bad feature stops the whole import; the output names the feature and the problem."""
    source = _new_district_file()
    source["features"][4]["geometry"] = _square(115.004, 34.0, 0.006)  # overlaps cell 1 and leaves the community
    path = tmp_path / "bad.geojson"
    path.write_text(json.dumps(source), encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["grid", "import", str(path)])
    assert result.exit_code != 0
    assert "feature 4: geometry" in result.output and "419902001001001" in result.output
    assert db.scalar(select(Place.id).where(Place.code == "419902")) is None


def test_api_import_is_all_or_nothing_with_an_error_per_feature(client, as_user, db):
    """A file with a good rename and two bad features changes nothing; errors come per feature index and field."""
    headers = as_user("district_admin")
    collection = client.get("/api/v1/grid-cells/export?code=411104001001", headers=headers).get_json()
    collection["features"][0]["properties"]["name"] = "改名网格"
    collection["features"][1]["properties"]["kind"] = "castle"
    collection["features"][2]["properties"]["code"] = "12"
    response = client.post("/api/v1/grid-cells/import", json=collection, headers=headers)
    assert response.status_code == 422
    errors = response.get_json()["errors"]["features"]
    assert set(errors) == {"1", "2"}
    assert "properties.kind" in errors["1"] and "properties.code" in errors["2"]
    assert _cell(db, LIJIANGLU_1).name == "漓江路社区第1网格"


def test_api_import_updates_and_reports_coverage(client, as_user, db):
    """Importing a renamed export updates that cell only and reports the community's coverage."""
    headers = as_user("street_admin")
    collection = client.get("/api/v1/grid-cells/export?code=411104001001", headers=headers).get_json()
    collection["features"][0]["properties"]["name"] = "改名网格"
    dry = client.post("/api/v1/grid-cells/import?dry_run=true", json=collection, headers=headers).get_json()
    assert dry["updated"] == [LIJIANGLU_1] and dry["dry_run"] is True
    db.expire_all()
    assert _cell(db, LIJIANGLU_1).name == "漓江路社区第1网格"
    body = client.post("/api/v1/grid-cells/import", json=collection, headers=headers).get_json()
    assert body["updated"] == [LIJIANGLU_1] and len(body["unchanged"]) == 11
    assert body["coverage"][0]["community"]["name"] == "漓江路社区" and body["coverage"][0]["uncovered_m2"] == 0
    db.expire_all()
    assert _cell(db, LIJIANGLU_1).name == "改名网格"


def test_import_cannot_reach_outside_the_callers_area(app, client, as_user, db, tmp_path):
    """A street admin's import touching another street's cells is refused for those features."""
    headers = as_user("street_admin")
    other = client.get("/api/v1/grid-cells/export?code=411104002", headers=as_user("district_admin")).get_json()
    response = client.post("/api/v1/grid-cells/import", json=other, headers=headers)
    assert response.status_code == 422
    assert all("properties.code" in problems for problems in response.get_json()["errors"]["features"].values())


def test_import_accepts_gcj02_files(app, db, tmp_path):
    """A file drawn on a GCJ-02 map is converted: the stored polygon is the WGS-84 one."""
    source = _new_district_file()
    for feature in source["features"]:
        ring = feature["geometry"]["coordinates"][0]
        feature["geometry"]["coordinates"][0] = [list(wgs84_to_gcj02(x, y)) for x, y in ring]
    path = tmp_path / "gcj.geojson"
    path.write_text(json.dumps(source), encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["grid", "import", str(path), "--coord-system", "gcj02"])
    assert result.exit_code == 0, result.output
    stored = to_shape(db.scalars(select(Place.boundary).where(Place.code == "419902001001001")).one())
    x, y = stored.geoms[0].exterior.coords[0]
    assert abs(x - 115.0) < 1e-7 and abs(y - 34.0) < 1e-7


def test_only_admins_import(client, as_user):
    """Community staff and grid members may not import or export whole files."""
    collection = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, "geometry": None}]}
    for username in ("community_staff", "grid_member"):
        headers = as_user(username)
        assert client.get("/api/v1/grid-cells/export", headers=headers).status_code == 403
        assert client.post("/api/v1/grid-cells/import", json=collection, headers=headers).status_code == 403


# --- map layers -----------------------------------------------------------------------------

BBOX = "113.98,33.54,114.08,33.62"


def test_map_layer_is_a_scoped_feature_collection(client, as_user):
    """The bbox layer has code and name; a grid member's map shows only their cell."""
    whole = client.get(f"/api/v1/map/grid-cells?bbox={BBOX}", headers=as_user("district_admin")).get_json()
    assert whole["type"] == "FeatureCollection" and len(whole["features"]) >= 100
    assert {"code", "name"} <= set(whole["features"][0]["properties"])
    mine = client.get(f"/api/v1/map/grid-cells?bbox={BBOX}", headers=as_user("grid_member")).get_json()
    assert [f["properties"]["code"] for f in mine["features"]] == [LIJIANGLU_1]


def test_map_layer_in_gcj02_for_amap(client, as_user):
    """With coord_system=gcj02 the vertices are shifted for drawing on an AMap base map."""
    headers = as_user("grid_member")
    plain = client.get(f"/api/v1/map/grid-cells?bbox={BBOX}", headers=headers).get_json()["features"][0]
    shifted = client.get(f"/api/v1/map/grid-cells?bbox={BBOX}&coord_system=gcj02", headers=headers).get_json()["features"][0]
    x, y = plain["geometry"]["coordinates"][0][0]
    assert shifted["geometry"]["coordinates"][0][0] == pytest.approx(list(wgs84_to_gcj02(x, y)), abs=1e-9)


@pytest.mark.parametrize("bbox", ["1,2,3", "114,33,113,34", "a,b,c,d", "0,0,200,10"])
def test_bad_bbox_is_422(client, as_user, bbox):
    """A bbox that is not four ordered degrees is 422 naming bbox."""
    response = client.get(f"/api/v1/map/grid-cells?bbox={bbox}", headers=as_user("district_admin"))
    assert response.status_code == 422 and "bbox" in response.get_json()["errors"]


def test_map_layer_caps_its_size(client, as_user, monkeypatch):
    """More cells than the cap in the box: 422 asking to zoom in, not a giant answer."""
    from api.grids import resources

    monkeypatch.setattr(resources, "MAP_MAX_FEATURES", 10)
    response = client.get(f"/api/v1/map/grid-cells?bbox={BBOX}", headers=as_user("district_admin"))
    assert response.status_code == 422 and "bbox" in response.get_json()["errors"]


def test_vector_tile_holds_the_scoped_cells(client, as_user, db):
    """A z14 tile over 漓江路社区第1网格 decodes to grid_cells features with code and name, scoped by role."""
    lng, lat = _inside(db, LIJIANGLU_1)
    x, y = tile_of(lng, lat, 14)
    url = f"/api/v1/tiles/grid-cells/14/{x}/{y}.mvt"
    response = client.get(url, headers=as_user("district_admin"))
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.mapbox-vector-tile"
    layer = mapbox_vector_tile.decode(response.data)["grid_cells"]
    codes = {f["properties"]["code"] for f in layer["features"]}
    assert LIJIANGLU_1 in codes and len(codes) > 1
    mine = mapbox_vector_tile.decode(client.get(url, headers=as_user("grid_member")).data)["grid_cells"]
    assert {f["properties"]["code"] for f in mine["features"]} == {LIJIANGLU_1}
    again = client.get(url, headers={**as_user("district_admin"), "If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_low_zoom_tiles_show_communities(client, as_user, db):
    """Below zoom 12 a tile holds the communities, not thousands of cells."""
    lng, lat = _inside(db, LIJIANGLU_1)
    x, y = tile_of(lng, lat, 9)
    layers = mapbox_vector_tile.decode(
        client.get(f"/api/v1/tiles/grid-cells/9/{x}/{y}.mvt", headers=as_user("district_admin")).data)
    assert "grid_cells" not in layers and len(layers["communities"]["features"]) >= 9


@pytest.mark.parametrize("path", ["/23/0/0.mvt", "/3/8/0.mvt", "/3/0/9.mvt"])
def test_tile_out_of_range_is_422(client, as_user, path):
    """Zoom above 22 or x/y outside the zoom level is 422."""
    assert client.get("/api/v1/tiles/grid-cells" + path, headers=as_user("district_admin")).status_code == 422


def test_shrinking_a_community_that_would_strand_its_cells_is_refused(client, as_user, db):
    """Redrawing a community smaller than its cells names the cell left outside; nothing changes."""
    headers = as_user("district_admin")
    collection = client.get("/api/v1/grid-cells/export?code=411104001001&with_parents=true", headers=headers).get_json()
    community = next(f for f in collection["features"] if f["properties"]["code"] == "411104001001")
    outline = shape(community["geometry"])
    community["geometry"] = mapping(outline.buffer(-0.002))
    response = client.post("/api/v1/grid-cells/import", json={"type": "FeatureCollection", "features": [community]},
                           headers=headers)
    assert response.status_code == 422
    messages = response.get_json()["errors"]["features"]["0"]["geometry"]
    assert any("411104001001" in m and "新边界之外" in m for m in messages)


def test_creating_an_existing_code_is_409(client, as_user, db):
    """POST with a code that exists is a conflict, never a silent update of that cell."""
    geom = to_shape(_cell(db, LIJIANGLU_1).boundary)
    response = client.post("/api/v1/grid-cells", headers=as_user("community_staff"), json={
        "code": LIJIANGLU_1, "name": "改名", "kind": "residential", "boundary": mapping(geom)})
    assert response.status_code == 409 and "code" in response.get_json()["errors"]
    assert _cell(db, LIJIANGLU_1).name == "漓江路社区第1网格"


def test_tiles_include_cells_in_the_buffer(client, db):
    """A cell lying just outside a tile, inside its 64-px buffer, is in the tile: no seams between tiles."""
    from tests.factories import UserFactory, place_chain

    chain = place_chain("419903")
    z, x, y = 16, 53706, 26248  # a tile over the factory district (115.0 E, 34.0 N)
    # 4–8 m (Web Mercator) west of the tile's west edge: outside the tile (beyond the float4 rounding of
    # the && index boxes), inside the 9.5 m buffer
    sliver = db.scalar(text("""
        SELECT ST_AsEWKT(ST_Multi(ST_Transform(ST_MakeEnvelope(ST_XMin(e) - 8, ST_YMin(e) + 100,
                                                              ST_XMin(e) - 4, ST_YMin(e) + 200, 3857), 4326)))
        FROM ST_TileEnvelope(:z, :x, :y) e"""), {"z": z, "x": x, "y": y})
    cell = chain["grid_cell"]
    cell.boundary = sliver
    UserFactory(username="tile_admin", role="district_admin", place=chain["district"])
    db.commit()
    token = client.login("tile_admin", "Test-pass-2026").get_json()["access_token"]
    tile = client.get(f"/api/v1/tiles/grid-cells/{z}/{x}/{y}.mvt", headers={"Authorization": f"Bearer {token}"})
    layer = mapbox_vector_tile.decode(tile.data).get("grid_cells", {"features": []})
    assert [f["properties"]["code"] for f in layer["features"]] == [cell.code]


def test_people_follow_a_redrawn_cell(client, as_user, db):
    """Splitting a cell moves the buildings of the given-up half, with their households and residents, to the new cell."""
    from models import Building, Household, Resident

    cell = _cell(db, LIJIANGLU_1)
    west, east = _split_cell(db, LIJIANGLU_1)
    east_buildings = {b.id for b in db.scalars(select(Building).where(Building.grid_cell_id == cell.id))
                      if east.contains(to_shape(b.location))}
    assert east_buildings, "the demo cell has buildings on both sides"
    shrink = {"type": "Feature", "properties": {"code": LIJIANGLU_1, "name": cell.name, "kind": "residential"},
              "geometry": mapping(west)}
    stranded = client.post("/api/v1/grid-cells/import", json={"type": "FeatureCollection", "features": [shrink]},
                           headers=as_user("street_admin"))
    assert stranded.status_code == 422
    assert any("栋楼" in m for m in stranded.get_json()["errors"]["features"]["0"]["geometry"])
    new = {"type": "Feature", "properties": {"code": "411104001001099", "name": "新网格", "kind": "residential"},
           "geometry": mapping(east)}
    done = client.post("/api/v1/grid-cells/import", json={"type": "FeatureCollection", "features": [shrink, new]},
                       headers=as_user("street_admin"))
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["relocated_buildings"] == len(east_buildings)
    db.expire_all()
    new_cell = _cell(db, "411104001001099")
    assert {b.grid_cell_id for b in db.scalars(select(Building).where(Building.id.in_(east_buildings)))} == {new_cell.id}
    households = db.scalars(select(Household).where(Household.building_id.in_(east_buildings))).all()
    assert households and all(h.grid_cell_id == new_cell.id for h in households)
    people = db.scalars(select(Resident).where(Resident.household_id.in_([h.id for h in households]))).all()
    assert people and all(p.grid_cell_id == new_cell.id for p in people)

