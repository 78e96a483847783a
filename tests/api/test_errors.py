"""One error shape for every error (issue 2 point 8), and the limits on input."""

from __future__ import annotations

import pytest

from api.grids import service as grids_service
from tests.api.matter_helpers import ERROR_SHAPE


def _check_shape(response, status, error=None):
    assert response.status_code == status
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == ERROR_SHAPE
    assert body["code"] == status
    if error:
        assert body["error"] == error
    return body


def test_malformed_json_is_400(client):
    """A body that is not JSON: 400 malformed_json, in Chinese."""
    response = client.post("/api/v1/auth/login", data='{"username": ', content_type="application/json")
    body = _check_shape(response, 400, "malformed_json")
    assert "JSON" in body["message"] and any("\u4e00" <= ch <= "\u9fff" for ch in body["message"])


def test_wrong_types_missing_and_unknown_fields_are_422_naming_them(client):
    """Each bad field is named, with a Chinese message by default."""
    response = client.post("/api/v1/auth/login", json={"username": 12, "surprise": True})
    body = _check_shape(response, 422, "validation_failed")
    assert set(body["errors"]) == {"username", "password", "surprise"}
    assert body["errors"]["password"] == ["缺少必填字段。"]
    assert body["errors"]["surprise"] == ["未知字段。"]


def test_english_on_request(client):
    """Accept-Language: en gives English messages, field messages included."""
    response = client.post("/api/v1/auth/login", json={"username": "x"}, headers={"Accept-Language": "en-US,en;q=0.9"})
    body = _check_shape(response, 422)
    assert body["message"].startswith("The request data is invalid")
    assert body["errors"]["password"] == ["Missing data for required field."]
    assert response.headers["Content-Language"] == "en"


def test_unknown_path_is_json_404(client):
    """Even a path that does not exist answers in the error shape, never HTML."""
    _check_shape(client.get("/api/v1/no-such-thing"), 404, "not_found")


def test_wrong_method_is_json_405(client):
    """A GET on a POST-only path: 405 in the error shape."""
    _check_shape(client.get("/api/v1/auth/login"), 405, "method_not_allowed")


def test_oversized_body_is_413(app, client):
    """A body over MAX_CONTENT_LENGTH is refused with 413 before it is parsed."""
    big = '{"username": "' + "a" * (app.config["MAX_CONTENT_LENGTH"] + 10) + '", "password": "x"}'
    body = _check_shape(client.post("/api/v1/auth/login", data=big, content_type="application/json"), 413,
                        "payload_too_large")
    assert str(app.config["MAX_CONTENT_LENGTH"]) in body["message"]


def test_page_size_is_capped(client, as_user):
    """page_size over 100 is a 422 naming page_size, not a huge answer."""
    body = _check_shape(client.get("/api/v1/grid-cells?page_size=1000", headers=as_user("district_admin")), 422)
    assert "page_size" in body["errors"]


def test_pagination_header(client, as_user):
    """Lists carry X-Pagination with the total."""
    response = client.get("/api/v1/grid-cells?page=2&page_size=10", headers=as_user("district_admin"))
    assert response.status_code == 200
    assert len(response.get_json()) == 10
    assert '"page": 2' in response.headers["X-Pagination"]


def test_bad_uuid_in_path_is_404(client, as_user):
    """A malformed id is simply not found."""
    _check_shape(client.get("/api/v1/grid-cells/not-a-uuid", headers=as_user("district_admin")), 404)


def test_unexpected_failure_is_json_500_without_trace(client, as_user, monkeypatch):
    """A bug answers 500 in the error shape, with no stack trace in the body."""
    def boom(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(grids_service, "list_cells", boom)
    response = client.get("/api/v1/grid-cells", headers=as_user("district_admin"))
    body = _check_shape(response, 500, "internal_error")
    assert "secret internals" not in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)
    assert body["errors"] == {}


@pytest.mark.parametrize("accept", [None, "zh-CN", "fr", "*"])
def test_chinese_is_the_default(client, accept):
    """Anything but a preference for English gets Chinese."""
    headers = {"Accept-Language": accept} if accept else {}
    body = client.get("/api/v1/me", headers=headers).get_json()
    assert body["message"] == "需要登录。"


def test_nul_characters_are_refused_not_crashing(client):
    """A NUL character, which PostgreSQL cannot store, is a 422 naming the field."""
    body = _check_shape(client.post("/api/v1/auth/login", json={"username": "a\x00b", "password": "x"}), 422)
    assert "username" in body["errors"]


def test_absurd_page_number_is_4xx(client, as_user):
    """A page number past what the database can count is bad input, not a crash."""
    response = client.get(f"/api/v1/grid-cells?page={10**20}", headers=as_user("district_admin"))
    assert 400 <= response.status_code < 500


def test_body_that_is_not_an_object_is_422(client):
    """A JSON array where an object is expected is refused with 422."""
    _check_shape(client.post("/api/v1/auth/login", json=["grid_member"]), 422)


def test_deeply_nested_json_is_400(client):
    """JSON nested thousands of levels deep is refused as malformed, not a crash."""
    body = "[" * 100000 + "]" * 100000
    _check_shape(client.post("/api/v1/auth/login", data=body, content_type="application/json"), 400, "malformed_json")


def test_lone_surrogates_are_422(client):
    """A lone surrogate (unstorable in PostgreSQL) is a 422 naming the field."""
    response = client.post("/api/v1/auth/login", data='{"username": "\\ud800", "password": "x"}',
                           content_type="application/json")
    assert "username" in _check_shape(response, 422)["errors"]


def test_nul_in_a_path_is_4xx(client, as_user):
    """A NUL in a path segment never reaches the database as a crash."""
    response = client.get("/api/v1/responsibility-posts/%00", headers=as_user("district_admin"))
    assert response.status_code == 404
    response = client.patch("/api/v1/responsibility-posts/%00", json={"title": "x"},
                            headers={**as_user("district_admin"), "If-Match": '"x"'})
    assert 400 <= response.status_code < 500


def test_absurd_geojson_numbers_are_422(client, as_user):
    """A coordinate of 400 digits is refused naming the boundary."""
    big = int("9" * 400)
    response = client.post("/api/v1/grid-cells", headers=as_user("community_staff"), json={
        "code": "411104001001099", "name": "x", "kind": "residential",
        "boundary": {"type": "Polygon", "coordinates": [[[big, 1], [2, 2], [3, 1], [big, 1]]]}})
    assert "boundary" in _check_shape(response, 422)["errors"]
