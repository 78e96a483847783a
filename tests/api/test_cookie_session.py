"""Browser sessions (the console): tokens only in httpOnly cookies, writes only with the session's
CSRF token, refresh and logout through the cookies."""

from __future__ import annotations

from tests.conftest import DEMO_PASSWORD


def _cookies(response) -> dict:
    found = {}
    for header in response.headers.getlist("Set-Cookie"):
        name, _, rest = header.partition("=")
        found[name] = header
    return found


def test_a_cookie_login_keeps_tokens_out_of_scripts_reach(client):
    raw = client.raw
    response = raw.post("/api/v1/auth/login", json={"username": "community_staff", "password": DEMO_PASSWORD,
                                                     "cookie": True})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert "access_token" not in body and "refresh_token" not in body and body["token_type"] == "cookie"
    cookies = _cookies(response)
    assert "HttpOnly" in cookies["gridgov_access"] and "SameSite=Strict" in cookies["gridgov_access"]
    assert "HttpOnly" in cookies["gridgov_refresh"] and "Path=/api/v1/auth" in cookies["gridgov_refresh"]
    assert "HttpOnly" not in cookies["gridgov_csrf"]  # the page reads this one, and only this one
    csrf = body["csrf_token"]
    # reads need no CSRF token; writes do
    assert raw.get("/api/v1/me").get_json()["username"] == "community_staff"
    photo_less = {"category": "ROAD-LIGHT", "description": "路灯不亮", "location": {"lng": 114.0, "lat": 33.58}}
    forged = raw.post("/api/v1/matters", json=photo_less)
    assert forged.status_code == 403 and forged.get_json()["error"] == "csrf_failed"
    wrong = raw.post("/api/v1/matters", json=photo_less, headers={"X-CSRF-Token": "0" * 64})
    assert wrong.status_code == 403
    assert raw.post("/api/v1/responders/me/duty", json={"duty_status": "on_duty"},
                    headers={"X-CSRF-Token": csrf}).status_code == 403  # past CSRF: a role check now
    # a bearer token still works as before, with no CSRF token (apps are not browsers)
    assert client.get("/api/v1/me", headers=client.auth("grid_member")).get_json()["username"] == "grid_member"


def test_refresh_and_logout_through_the_cookies(client):
    raw = client.raw
    csrf = raw.post("/api/v1/auth/login", json={"username": "street_admin", "password": DEMO_PASSWORD,
                                                 "cookie": True}).get_json()["csrf_token"]
    assert raw.post("/api/v1/auth/refresh", json={}).status_code == 403  # no CSRF header
    refreshed = raw.post("/api/v1/auth/refresh", json={}, headers={"X-CSRF-Token": csrf})
    assert refreshed.status_code == 200, refreshed.get_json()
    new_csrf = refreshed.get_json()["csrf_token"]
    assert new_csrf == csrf and "gridgov_access" in _cookies(refreshed)  # the same session, new tokens
    assert raw.get("/api/v1/me").status_code == 200
    out = raw.post("/api/v1/auth/logout", headers={"X-CSRF-Token": new_csrf})
    assert out.status_code == 204
    assert all("Max-Age=0" in header or "expires=Thu, 01 Jan 1970" in header
               for header in _cookies(out).values())
    assert raw.get("/api/v1/me").status_code == 401
