"""One scoping mechanism: everyone stays inside their part of the district (issue 2 point 7)."""

from __future__ import annotations

import json

from sqlalchemy import select

from models import GridCell, GridMemberCell, Place, PlaceKind, User
from tests.factories import grid_member, place_chain


def _cell(db, name) -> GridCell:
    return db.scalars(select(GridCell).where(GridCell.name == name)).one()


def _ids(response) -> set[str]:
    return {item["id"] for item in response.get_json()}


def _all_cells(client, headers) -> list[dict]:
    items, page = [], 1
    while True:
        response = client.get(f"/api/v1/grid-cells?page={page}&page_size=100", headers=headers)
        assert response.status_code == 200
        items += response.get_json()
        if page >= json.loads(response.headers["X-Pagination"])["total_pages"]:
            return items
        page += 1


def test_grid_member_cannot_read_another_grids_cell(client, as_user, db):
    """A member of one grid gets 404 for a cell of another grid, and 200 for their own."""
    own = client.get("/api/v1/me", headers=as_user("grid_member")).get_json()["grid_cells"][0]["id"]
    other = client.get("/api/v1/me", headers=as_user("grid_member_2")).get_json()["grid_cells"][0]["id"]
    headers = as_user("grid_member")
    assert client.get(f"/api/v1/grid-cells/{own}", headers=headers).status_code == 200
    response = client.get(f"/api/v1/grid-cells/{other}", headers=headers)
    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"


def test_neighbouring_cell_of_same_community_is_out_of_scope(client, as_user, db):
    """Scope is the grid member's cells, not their whole community."""
    neighbour = _cell(db, "漓江路社区第2网格")
    assert client.get(f"/api/v1/grid-cells/{neighbour.id}", headers=as_user("grid_member")).status_code == 404


def test_out_of_scope_looks_exactly_like_missing(client, as_user):
    """An id outside the scope answers exactly like an id that does not exist."""
    other = client.get("/api/v1/me", headers=as_user("grid_member_2")).get_json()["grid_cells"][0]["id"]
    headers = as_user("grid_member")
    outside = client.get(f"/api/v1/grid-cells/{other}", headers=headers)
    missing = client.get("/api/v1/grid-cells/00000000-0000-4000-8000-000000000000", headers=headers)
    assert outside.status_code == missing.status_code == 404
    assert outside.get_json() == missing.get_json()


def test_lists_follow_the_hierarchy(client, as_user, db):
    """Grid member: own cells; community staff: the community; street admin: the street; district: all."""
    def codes(username):
        return {c["code"] for c in _all_cells(client, as_user(username))}

    lijianglu = db.scalars(select(Place).where(Place.name == "漓江路社区")).one()
    street = lijianglu.parent
    all_cells = set(db.scalars(select(GridCell.code)).all())
    community_cells = {c for c in all_cells if c.startswith(lijianglu.code)}
    street_cells = {c for c in all_cells if c.startswith(street.code)}

    assert codes("grid_member") == {"411104001001001"}
    assert codes("community_staff") == community_cells
    assert codes("street_admin") == street_cells
    assert codes("district_admin") == all_cells
    assert len(community_cells) < len(street_cells) < len(all_cells)


def test_resident_sees_only_their_own_cell(client, as_user, db):
    """A resident reads the cell they live in and nothing else."""
    headers = as_user("resident")
    cells = client.get("/api/v1/grid-cells", headers=headers).get_json()
    assert [c["code"] for c in cells] == ["411104001001001"]
    neighbour = _cell(db, "漓江路社区第2网格")
    assert client.get(f"/api/v1/grid-cells/{neighbour.id}", headers=headers).status_code == 404


def test_another_district_is_out_of_everyones_scope(client, as_user, db):
    """Even the district admin gets 404 for places of a district that is not theirs."""
    other = place_chain()
    db.commit()
    for username in ("district_admin", "street_admin", "system_admin"):
        headers = as_user(username)
        assert client.get(f"/api/v1/grid-cells/{other['grid_cell'].id}", headers=headers).status_code == 404
        assert client.get(f"/api/v1/places/{other['district'].id}", headers=headers).status_code == 404
        assert other["grid_cell"].code not in {c["code"] for c in _all_cells(client, headers)}


def test_users_are_scoped_too(client, as_user, db):
    """Community staff list the accounts of their community only; others' accounts are 404."""
    headers = as_user("community_staff")
    users = client.get("/api/v1/users?page_size=100", headers=headers).get_json()
    usernames = {u["username"] for u in users}
    assert {"grid_member", "resident", "community_staff"} <= usernames
    assert not usernames & {"grid_member_2", "street_admin", "district_admin"}
    other = db.scalars(select(User).where(User.username == "grid_member_2")).unique().one()
    assert client.get(f"/api/v1/users/{other.id}", headers=headers).status_code == 404


def test_place_filter_outside_scope_finds_nothing(client, as_user, db):
    """Filtering by a place outside the scope returns an empty list, not the other place's data."""
    other_street = db.scalars(select(Place).where(Place.name == "翟庄街道")).one()
    response = client.get(f"/api/v1/users?place_id={other_street.id}", headers=as_user("community_staff"))
    assert response.status_code == 200
    assert response.get_json() == []


def test_grid_member_with_two_cells_sees_both(client, db):
    """A grid member looking after two cells sees exactly those two."""
    first, second = _cell(db, "漓江路社区第3网格"), _cell(db, "漓江路社区第4网格")
    member = grid_member(first, username="two_cells")
    db.add(GridMemberCell(user_id=member.id, grid_cell_id=second.id))
    db.commit()
    token = client.login("two_cells", "Test-pass-2026").get_json()["access_token"]
    cells = client.get("/api/v1/grid-cells", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert sorted(c["name"] for c in cells) == ["漓江路社区第3网格", "漓江路社区第4网格"]


def test_role_without_permission_gets_403(client, as_user):
    """Function level: a resident may not list accounts (403), whatever the scope."""
    response = client.get("/api/v1/users", headers=as_user("resident"))
    assert response.status_code == 403
    assert response.get_json()["error"] == "forbidden"


def test_places_list_by_kind(client, as_user):
    """The street admin lists the communities of their street."""
    response = client.get("/api/v1/places?kind=community", headers=as_user("street_admin"))
    names = {p["name"] for p in response.get_json()}
    assert "漓江路社区" in names
    assert all(p["kind"] == PlaceKind.community.value for p in response.get_json())
