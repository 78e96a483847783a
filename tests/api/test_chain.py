"""The responsibility chain (四长一员): configurable titles, appointments with history, grid member access."""

from __future__ import annotations

from sqlalchemy import select

from models import GridCell, Resident, User
from tests.factories import UserFactory

LIJIANGLU_1 = "411104001001001"


def _cell(db, code=LIJIANGLU_1) -> GridCell:
    return db.scalars(select(GridCell).where(GridCell.code == code)).one()


def test_default_posts_and_renaming_a_title(client, as_user):
    """Five posts by default; the district admin renames one to the local title."""
    posts = client.get("/api/v1/responsibility-posts", headers=as_user("grid_member")).get_json()
    assert [p["title"] for p in posts] == ["片长", "网格长", "楼栋长", "单元长", "网格员"]
    admin = as_user("district_admin")
    assert client.patch("/api/v1/responsibility-posts/area_leader", json={"title": "包片领导"},
                        headers=admin).status_code == 428
    etag = client.get("/api/v1/responsibility-posts/area_leader", headers=admin).headers["ETag"]
    renamed = client.patch("/api/v1/responsibility-posts/area_leader", json={"title": "包片领导"},
                           headers={**admin, "If-Match": etag})
    assert renamed.status_code == 200 and renamed.get_json()["title"] == "包片领导"
    assert client.patch("/api/v1/responsibility-posts/area_leader", json={"title": "x"},
                        headers=as_user("community_staff")).status_code == 403


def test_demo_cell_chain_shows_its_grid_member(client, as_user, db):
    """The demo cell's chain has the grid member and a grid leader."""
    chain = client.get(f"/api/v1/grid-cells/{_cell(db).id}/chain", headers=as_user("community_staff")).get_json()
    posts = {h["post"]: h for h in chain["current"]}
    assert posts["grid_member"]["name"] == "漓江路社区网格员（演示）"
    assert posts["grid_leader"]["title"] == "网格长"


def test_appointing_keeps_history(client, as_user, db):
    """A new building leader ends the old one's term; both stay in the chain's history."""
    headers = as_user("community_staff")
    url = f"/api/v1/grid-cells/{_cell(db).id}/chain"
    residents = db.scalars(select(Resident).where(Resident.grid_cell_id == _cell(db).id).order_by(Resident.name).limit(2)).all()
    first = client.post(url, headers=headers, json={"post": "building_leader", "resident_id": str(residents[0].id),
                                                    "starts_on": "2026-03-01"})
    assert first.status_code == 201, first.get_json()
    second = client.post(url, headers=headers, json={"post": "building_leader", "name": "志愿者老王",
                                                     "phone": "13700000000", "starts_on": "2026-09-01"})
    assert second.status_code == 201
    chain = client.get(url, headers=headers).get_json()
    current = [h for h in chain["current"] if h["post"] == "building_leader"]
    past = [h for h in chain["history"] if h["post"] == "building_leader"]
    assert [h["name"] for h in current] == ["志愿者老王"]
    assert past[0]["name"] == residents[0].name and past[0]["ends_on"] == "2026-09-01"
    early = client.post(url, headers=headers, json={"post": "building_leader", "name": "倒签", "starts_on": "2026-01-01"})
    assert early.status_code == 422 and "starts_on" in early.get_json()["errors"]


def test_new_grid_member_takes_over_access(client, as_user, db):
    """Appointing another grid member to the cell moves access: the old member loses it, the new one gains it."""
    cell = _cell(db)
    newcomer = UserFactory(username="new_member", role="grid_member", place=cell.parent)
    db.commit()
    response = client.post(f"/api/v1/grid-cells/{cell.id}/chain", headers=as_user("community_staff"),
                           json={"post": "grid_member", "user_id": str(newcomer.id)})
    assert response.status_code == 201, response.get_json()
    assert client.get(f"/api/v1/grid-cells/{cell.id}", headers=as_user("grid_member")).status_code == 404
    token = client.login("new_member", "Test-pass-2026").get_json()["access_token"]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert [c["code"] for c in me["grid_cells"]] == [LIJIANGLU_1]


def test_grid_member_post_needs_a_grid_member_of_the_community(client, as_user, db):
    """The grid member post cannot go to a name or to a community staff account."""
    cell = _cell(db)
    staff = db.scalars(select(User).where(User.username == "community_staff")).unique().one()
    headers = as_user("community_staff")
    for body in ({"post": "grid_member", "name": "某人"}, {"post": "grid_member", "user_id": str(staff.id)}):
        response = client.post(f"/api/v1/grid-cells/{cell.id}/chain", headers=headers, json=body)
        assert response.status_code == 422 and "user_id" in response.get_json()["errors"]


def test_admin_assigning_cells_records_the_chain(client, as_user, db):
    """Changing a grid member's cells through the account API ends and starts terms in the chain."""
    member = db.scalars(select(User).where(User.username == "grid_member")).unique().one()
    cell2 = _cell(db, "411104001001002")
    headers = as_user("system_admin")
    url = f"/api/v1/users/{member.id}"
    etag = client.get(url, headers=headers).headers["ETag"]
    response = client.patch(url, json={"grid_cell_ids": [str(cell2.id)]}, headers={**headers, "If-Match": etag})
    assert response.status_code == 200
    staff = as_user("community_staff")
    old = client.get(f"/api/v1/grid-cells/{_cell(db).id}/chain", headers=staff).get_json()
    new = client.get(f"/api/v1/grid-cells/{cell2.id}/chain", headers=staff).get_json()
    assert "grid_member" not in {h["post"] for h in old["current"]}
    assert any(h["post"] == "grid_member" and h["user_id"] == str(member.id) for h in old["history"])
    assert any(h["post"] == "grid_member" and h["user_id"] == str(member.id) for h in new["current"])


def test_chain_is_scoped(client, as_user, db):
    """Another community's cell chain is 404 for community staff; grid members read their own cell's chain."""
    other = _cell(db, "411104002001001")
    assert client.get(f"/api/v1/grid-cells/{other.id}/chain", headers=as_user("community_staff")).status_code == 404
    assert client.get(f"/api/v1/grid-cells/{_cell(db).id}/chain", headers=as_user("grid_member")).status_code == 200
    assert client.post(f"/api/v1/grid-cells/{_cell(db).id}/chain", json={"post": "unit_leader", "name": "x"},
                       headers=as_user("grid_member")).status_code == 403
