def test_healthz(client):
    """The process answers its liveness probe."""
    assert client.get("/healthz").status_code == 200


def test_me_for_grid_member(client, as_user):
    """A grid member sees their cells in /me."""
    body = client.get("/api/v1/me", headers=as_user("grid_member")).get_json()
    assert body["role"] == "grid_member"
    assert [c["name"] for c in body["grid_cells"]] == ["漓江路社区第1网格"]
