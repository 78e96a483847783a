"""The population base: scoped reads, roster writes, identity numbers encrypted, masked and revealed."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select, text

from api.population.identity import check_character
from models import AuditEvent, Building, GridCell, Household, Resident

LIJIANGLU_1 = "411104001001001"


def _cell(db, code=LIJIANGLU_1) -> GridCell:
    return db.scalars(select(GridCell).where(GridCell.code == code)).one()


def _id_number(body17="41110419850312123") -> str:
    return body17 + check_character(body17)


def _all(client, url, headers):
    items, page = [], 1
    while True:
        response = client.get(f"{url}{'&' if '?' in url else '?'}page={page}&page_size=100", headers=headers)
        assert response.status_code == 200, response.get_json()
        items += response.get_json()
        if page >= json.loads(response.headers["X-Pagination"])["total_pages"]:
            return items
        page += 1


def test_demo_population_is_there(db):
    """The demo district has buildings, households and a few thousand residents, every cell populated."""
    assert db.scalar(select(func.count(Resident.id))) >= 2500
    assert db.scalar(select(func.count(Household.id))) >= 500
    assert db.scalar(select(func.count(Building.id))) >= 100
    empty = db.scalar(text("SELECT count(*) FROM places c WHERE c.kind = 'grid_cell' AND NOT EXISTS "
                           "(SELECT 1 FROM residents r WHERE r.grid_cell_id = c.id)"))
    assert empty == 0


def test_grid_member_sees_only_their_cells_people(client, as_user, db):
    """The grid member lists exactly the residents of their cell; another cell's resident is 404."""
    cell = _cell(db)
    people = _all(client, "/api/v1/residents", as_user("grid_member"))
    expected = db.scalar(select(func.count(Resident.id)).where(Resident.grid_cell_id == cell.id))
    assert len(people) == expected >= 30
    assert {p["grid_cell"]["code"] for p in people} == {LIJIANGLU_1}
    stranger = db.scalars(select(Resident).where(Resident.grid_cell_id != cell.id)).first()
    assert client.get(f"/api/v1/residents/{stranger.id}", headers=as_user("grid_member")).status_code == 404
    assert client.get(f"/api/v1/residents/{stranger.id}", headers=as_user("district_admin")).status_code == 200


def test_households_and_buildings_are_scoped_too(client, as_user, db):
    """Households and buildings follow the same scope as residents."""
    headers = as_user("grid_member")
    cell = _cell(db)
    for path, model in (("households", Household), ("buildings", Building)):
        items = _all(client, f"/api/v1/{path}", headers)
        assert items and {i["grid_cell"]["code"] for i in items} == {LIJIANGLU_1}
        other = db.scalars(select(model).where(model.grid_cell_id != cell.id)).first()
        assert client.get(f"/api/v1/{path}/{other.id}", headers=headers).status_code == 404


def test_identity_numbers_are_masked_everywhere(app, client, as_user, db):
    """Lists and details show 4111**********1234-style numbers and no birth date: no full number can be read or rebuilt."""
    headers = as_user("community_staff")
    people = _all(client, "/api/v1/residents", headers)
    assert people and all(p["id_number_masked"] is None or p["id_number_masked"][4:14] == "*" * 10 for p in people)
    assert not any("id_number" in p or "birth_date" in p for p in people)
    cipher = app.extensions["gridgov.identity"]
    numbers = [cipher.decrypt(token) for token in db.scalars(
        select(Resident.id_number_cipher).where(Resident.id.in_([p["id"] for p in people]),
                                                Resident.id_number_cipher.isnot(None)))]
    raw = json.dumps(people) + client.get(f"/api/v1/residents/{people[0]['id']}", headers=headers).get_data(as_text=True)
    assert numbers and not any(number in raw for number in numbers)


def test_no_plain_identity_number_in_the_database(app, db):
    """The residents table holds ciphertext, a keyed hash and the masked form: no row's text holds a full number."""
    cipher = app.extensions["gridgov.identity"]
    tokens = db.scalars(select(Resident.id_number_cipher).where(Resident.id_number_cipher.isnot(None)).limit(50)).all()
    numbers = [cipher.decrypt(token) for token in tokens]
    assert len(numbers) == 50 and all(len(n) == 18 for n in numbers)
    leaked = db.scalar(text("SELECT count(*) FROM residents r, unnest(CAST(:numbers AS text[])) n "
                            "WHERE strpos(CAST(r AS text), n) > 0"), {"numbers": numbers})
    assert leaked == 0


def test_register_a_resident_with_an_identity_number(client, as_user, db):
    """A grid member registers a newcomer: birth date and gender come from the number, stored encrypted."""
    household = db.scalars(select(Household).where(Household.grid_cell_id == _cell(db).id)).first()
    number = _id_number()
    response = client.post("/api/v1/residents", headers=as_user("grid_member"), json={
        "household_id": str(household.id), "name": "新来的", "id_number": number, "phone": "13912345678",
        "kind": "migrant", "relation": "other", "tags": ["veteran"]})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["gender"] == "male" and "birth_date" not in body
    assert 40 <= body["age"] <= 42 and db.get(Resident, body["id"]).birth_date.isoformat() == "1985-03-12"
    assert body["id_number_masked"] == number[:4] + "*" * 10 + number[-4:]
    row = db.get(Resident, body["id"])
    assert number not in (row.id_number_cipher or "") and row.id_number_hash != number
    found = client.post("/api/v1/residents/lookup", json={"id_number": number}, headers=as_user("grid_member"))
    assert [p["id"] for p in found.get_json()] == [body["id"]]
    assert client.post("/api/v1/residents/lookup", json={"id_number": number},
                       headers=as_user("grid_member_2")).get_json() == []
    duplicate = client.post("/api/v1/residents", headers=as_user("grid_member"), json={
        "household_id": str(household.id), "name": "冒名", "id_number": number, "kind": "registered"})
    assert duplicate.status_code == 409 and "id_number" in duplicate.get_json()["errors"]


@pytest.mark.parametrize("number, reason", [
    ("411104198503121230", "校验"),        # wrong check character
    ("41110419850312123", "18"),          # too short
    (_id_number("41110419850230123"), "出生日期"),    # 30 February, right check character
    (_id_number("41110421000101123"), "出生日期"),    # born in 2100
])
def test_bad_identity_numbers_are_422_and_nothing_is_stored(client, as_user, db, number, reason):
    """Checksum, length and birth date are checked; the error names id_number."""
    before = db.scalar(select(func.count(Resident.id)))
    response = client.post("/api/v1/residents", headers=as_user("grid_member"), json={
        "grid_cell_id": str(_cell(db).id), "name": "某人", "id_number": number, "kind": "registered"})
    assert response.status_code == 422
    assert any(reason in m for m in response.get_json()["errors"]["id_number"]), response.get_json()
    assert db.scalar(select(func.count(Resident.id))) == before


def test_bad_phone_is_422(client, as_user, db):
    """A phone that is not an 11-digit mobile number is refused naming phone."""
    response = client.post("/api/v1/residents", headers=as_user("grid_member"), json={
        "grid_cell_id": str(_cell(db).id), "name": "某人", "phone": "0395-1234567", "kind": "registered"})
    assert response.status_code == 422 and response.get_json()["errors"]["phone"] == ["须为 13～19 开头的 11 位手机号。"]


def test_grid_member_cannot_register_into_another_cell(client, as_user, db):
    """A household of another cell in the body is 404 naming household_id."""
    household = db.scalars(select(Household).where(Household.grid_cell_id != _cell(db).id)).first()
    response = client.post("/api/v1/residents", headers=as_user("grid_member"), json={
        "household_id": str(household.id), "name": "某人", "kind": "registered"})
    assert response.status_code == 404 and "household_id" in response.get_json()["errors"]


def test_reveal_is_for_staff_and_audited(client, as_user, db):
    """Community staff reveal a number with a reason; the audit log keeps who, which and why; grid members may not."""
    resident = db.scalars(select(Resident).where(Resident.grid_cell_id == _cell(db).id,
                                                 Resident.id_number_cipher.isnot(None))).first()
    url = f"/api/v1/residents/{resident.id}/reveal"
    assert client.post(url, json={"reason": "办理低保"}, headers=as_user("grid_member")).status_code == 403
    assert client.post(url, json={}, headers=as_user("community_staff")).status_code == 422
    response = client.post(url, json={"reason": "办理低保"}, headers=as_user("community_staff"))
    assert response.status_code == 200
    number = response.get_json()["id_number"]
    assert len(number) == 18 and number[:4] + "*" * 10 + number[-4:] == resident.id_number_masked
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "resident.reveal_id_number")).one()
    assert event.object_id == str(resident.id) and event.detail == {"reason": "办理低保"}
    assert event.actor_username == "community_staff"
    assert number not in json.dumps(event.detail)


def test_reveal_outside_scope_is_404(client, as_user, db):
    """Community staff cannot reveal the number of someone in another community."""
    other = db.scalars(select(Resident).join(GridCell, GridCell.id == Resident.grid_cell_id)
                       .where(~GridCell.code.startswith("411104001001"))).first()
    response = client.post(f"/api/v1/residents/{other.id}/reveal", json={"reason": "查询"},
                           headers=as_user("community_staff"))
    assert response.status_code == 404


def test_moving_out_hides_from_the_roster(client, as_user, db):
    """A resident who moved out leaves the default list but stays findable with include_moved_out."""
    headers = as_user("grid_member")
    person = _all(client, "/api/v1/residents", headers)[0]
    url = f"/api/v1/residents/{person['id']}"
    etag = client.get(url, headers=headers).headers["ETag"]
    moved = client.patch(url, json={"moved_out_on": "2026-11-01"}, headers={**headers, "If-Match": etag})
    assert moved.status_code == 200
    assert person["id"] not in {p["id"] for p in _all(client, "/api/v1/residents", headers)}
    assert person["id"] in {p["id"] for p in _all(client, "/api/v1/residents?include_moved_out=true", headers)}


def test_register_a_building_from_a_gcj02_point(client, as_user, db):
    """A building placed from an AMap (GCJ-02) point is stored in WGS-84, in the cell that covers it."""
    from geoalchemy2.shape import to_shape

    from api.geo.coords import wgs84_to_gcj02

    inside = to_shape(_cell(db).boundary).representative_point()
    lng, lat = wgs84_to_gcj02(inside.x, inside.y)
    response = client.post("/api/v1/buildings", headers=as_user("grid_member"), json={
        "name": "新建 9 号楼", "address": "漓江路 9 号", "floors": 6, "units": 2,
        "location": {"lng": lng, "lat": lat, "coord_system": "gcj02"}})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["grid_cell"]["code"] == LIJIANGLU_1 and body["households"] == 0
    assert body["location"]["lng"] == pytest.approx(inside.x, abs=1e-7)
    household = client.post("/api/v1/households", headers=as_user("grid_member"), json={
        "building_id": body["id"], "unit": "1单元", "room": "101", "address": "漓江路 9 号 1单元 101"})
    assert household.status_code == 201 and household.get_json()["grid_cell"]["code"] == LIJIANGLU_1


def test_building_outside_the_members_cells_is_refused(client, as_user, db):
    """A grid member cannot place a building in somebody else's cell (422 naming location)."""
    from geoalchemy2.shape import to_shape

    other = to_shape(_cell(db, "411104001001002").boundary).representative_point()
    response = client.post("/api/v1/buildings", headers=as_user("grid_member"), json={
        "name": "别人的楼", "address": "x", "location": {"lng": other.x, "lat": other.y}})
    assert response.status_code == 422 and "location" in response.get_json()["errors"]


def test_party_member_links(client, as_user, db):
    """A party member is linked to a household of their cell; a non-member or another cell is refused."""
    headers = as_user("grid_member")
    cell = _cell(db)
    member = db.scalars(select(Resident).where(Resident.grid_cell_id == cell.id, Resident.tags.any("party_member"))).first()
    plain = db.scalars(select(Resident).where(Resident.grid_cell_id == cell.id, ~Resident.tags.any("party_member"))).first()
    linked = {link["household"]["id"] for link in _all(client, f"/api/v1/party-links?resident_id={member.id}", headers)}
    household = db.scalars(select(Household).where(Household.grid_cell_id == cell.id,
                                                   Household.id.notin_(linked or [None]))).first()
    created = client.post("/api/v1/party-links", headers=headers,
                          json={"resident_id": str(member.id), "household_id": str(household.id)})
    assert created.status_code == 201, created.get_json()
    refused = client.post("/api/v1/party-links", headers=headers,
                          json={"resident_id": str(plain.id), "household_id": str(household.id)})
    assert refused.status_code == 422 and "resident_id" in refused.get_json()["errors"]
    assert client.delete(f"/api/v1/party-links/{created.get_json()['id']}", headers=headers).status_code == 204


def test_compounds_have_their_property_company(client, as_user):
    """Compounds list their property company and owners' committee."""
    compounds = client.get("/api/v1/compounds?page_size=100", headers=as_user("street_admin")).get_json()
    assert compounds and any(c["property_company"] for c in compounds)
    companies = client.get("/api/v1/property-companies", headers=as_user("street_admin")).get_json()
    assert companies and all(c["name"].endswith("有限公司") for c in companies)


def test_residents_are_not_for_residents(client, as_user):
    """A resident account may not browse the population base (403)."""
    assert client.get("/api/v1/residents", headers=as_user("resident")).status_code == 403


def test_resident_reads_are_audited(client, as_user, db):
    """Reading one person's record leaves an audit row, without the personal data."""
    person = client.get("/api/v1/residents?page_size=1", headers=as_user("grid_member")).get_json()[0]
    client.get(f"/api/v1/residents/{person['id']}", headers=as_user("grid_member"))
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "resident.read")).one()
    assert event.object_id == person["id"] and event.detail is None


def test_register_a_compound_inside_its_community(client, as_user, db):
    """Community staff register a compound with a property company; a polygon outside the community is refused."""
    from geoalchemy2.shape import to_shape
    from shapely.geometry import mapping

    cell = _cell(db)
    shape, community_id = to_shape(cell.boundary), str(cell.parent_id)
    headers = as_user("community_staff")
    company = client.post("/api/v1/property-companies", headers=headers,
                          json={"name": "漓江物业服务有限公司", "phone": "0395-1234567", "place_id": community_id})
    assert company.status_code == 201, company.get_json()
    inner = shape.buffer(-0.0005)
    created = client.post("/api/v1/compounds", headers=headers, json={
        "community_id": community_id, "name": "新苑小区", "boundary": mapping(inner),
        "property_company_id": company.get_json()["id"], "owners_committee_name": "新苑业委会"})
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["property_company"]["name"] == "漓江物业服务有限公司"
    url = f"/api/v1/compounds/{created.get_json()['id']}"
    etag = client.get(url, headers=headers).headers["ETag"]
    outside = client.patch(url, headers={**headers, "If-Match": etag},
                           json={"boundary": mapping(shape.buffer(0.02))})
    assert outside.status_code == 422 and "boundary" in outside.get_json()["errors"]
    assert client.post("/api/v1/compounds", headers=as_user("grid_member"),
                       json={"community_id": community_id, "name": "x"}).status_code == 403


def test_blank_names_are_refused(client, as_user, db):
    """A name of spaces is empty: 422 naming name, nothing stored."""
    response = client.post("/api/v1/residents", headers=as_user("grid_member"), json={
        "grid_cell_id": str(_cell(db).id), "name": "   ", "kind": "registered"})
    assert response.status_code == 422 and "name" in response.get_json()["errors"]
