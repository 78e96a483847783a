"""Security headers on every kind of answer, and cross-origin access only for the configured
origins, without credentials (api/security.py)."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest

from api.grids import service as grids_service
from config import ConfigError, _origins

ALLOWED = "https://app.example.cn"


def _assert_secure(response, *, csp_has=("frame-ancestors 'none'",)):
    headers = response.headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] in ("no-referrer", "same-origin")
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert headers["Cross-Origin-Resource-Policy"] == "same-origin"
    assert "microphone=()" in headers["Permissions-Policy"]
    for part in csp_has:
        assert part in headers["Content-Security-Policy"], headers["Content-Security-Policy"]
    assert "Strict-Transport-Security" not in headers  # COOKIE_SECURE is off in tests
    assert "Access-Control-Allow-Origin" not in headers  # no origin is allowed by default


@pytest.mark.parametrize(("path", "status"), [
    ("/api/v1/me", 200), ("/api/v1/me", 401), ("/api/v1/no-such-thing", 404), ("/api/v1/auth/login", 405),
    ("/healthz", 200), ("/api/openapi.json", 200), ("/api/docs/assets/swagger-ui-bundle.js", 200),
    ("/open311/v2/services.json", 200), ("/open311/v2/nothing.json", 404), ("/favicon.ico", 404),
])
def test_every_answer_carries_the_security_headers(client, as_user, path, status):
    """JSON, errors, files and 404s outside any route alike; JSON is never a page to frame or run."""
    headers = as_user("grid_member") if status == 200 and path == "/api/v1/me" else {}
    response = client.get(path, headers=headers)
    assert response.status_code == status
    _assert_secure(response)
    if "/assets/" not in path:
        assert response.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
        assert response.headers["Referrer-Policy"] == "no-referrer"


def test_a_crash_and_a_refusal_carry_them_too(client, as_user, app, monkeypatch):
    """A 500 and a 413 answer with the same headers as any other."""
    monkeypatch.setattr(grids_service, "list_cells", lambda *a, **k: 1 / 0)
    _assert_secure(client.get("/api/v1/grid-cells", headers=as_user("district_admin")))
    big = "x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    refused = client.post("/api/v1/auth/login", data=big, content_type="application/json")
    assert refused.status_code == 413
    _assert_secure(refused)


def test_the_console_and_the_app_keep_their_own_policies(client):
    """The console's and the app's pages keep their CSP (their own scripts and styles) and the
    app its position and camera; the rest is added."""
    console = client.get("/console/")
    _assert_secure(console, csp_has=("script-src 'self'", "frame-ancestors 'none'"))
    assert console.headers["Referrer-Policy"] == "same-origin"
    app_page = client.get("/app/")
    _assert_secure(app_page, csp_has=("script-src 'self'", "manifest-src 'self'"))
    assert "geolocation=(self)" in app_page.headers["Permissions-Policy"]


def test_the_docs_page_allows_exactly_its_own_inline_script(client):
    """Swagger UI's page: scripts from this origin plus its one inline start-up script by hash;
    no other inline script could run, and nothing is fetched from another origin."""
    page = client.get("/api/docs")
    _assert_secure(page, csp_has=("default-src 'none'", "connect-src 'self'", "frame-ancestors 'none'"))
    inline = re.findall(rb"<script>(.*?)</script>", page.data, re.S)
    assert len(inline) == 1
    digest = base64.b64encode(hashlib.sha256(inline[0]).digest()).decode()
    assert f"script-src 'self' 'sha256-{digest}';" in page.headers["Content-Security-Policy"]
    assert "unsafe-inline'" not in page.headers["Content-Security-Policy"].split("script-src")[1].split(";")[0]
    assert b'"validatorUrl": null' in page.data  # no badge fetched from validator.swagger.io


def test_hsts_on_https_deployments(client, app, monkeypatch):
    """With COOKIE_SECURE (production's default) every answer says https only, for HSTS_SECONDS;
    HSTS_SECONDS=0 sends none."""
    monkeypatch.setitem(app.config, "COOKIE_SECURE", True)
    assert client.get("/healthz").headers["Strict-Transport-Security"] == "max-age=31536000"
    assert client.get("/console/").headers["Strict-Transport-Security"] == "max-age=31536000"
    monkeypatch.setitem(app.config, "HSTS_SECONDS", 0)
    assert "Strict-Transport-Security" not in client.get("/healthz").headers


# --- CORS ----------------------------------------------------------------------------------------

@pytest.fixture
def cors(app, monkeypatch):
    monkeypatch.setitem(app.config, "CORS_ALLOWED_ORIGINS", (ALLOWED, "http://10.0.0.5:8080"))


def test_a_listed_origin_reads_the_api_with_a_bearer_token(client, as_user, cors):
    """Its answers (errors too) name the origin, vary by Origin, expose what clients read, and
    never allow credentials."""
    ok = client.get("/api/v1/grid-cells", headers={**as_user("district_admin"), "Origin": ALLOWED})
    refused = client.get("/api/v1/me", headers={"Origin": ALLOWED})
    for response in (ok, refused):
        assert response.headers["Access-Control-Allow-Origin"] == ALLOWED
        assert "Origin" in response.headers["Vary"]
        assert "Access-Control-Allow-Credentials" not in response.headers
        exposed = {h.strip() for h in response.headers["Access-Control-Expose-Headers"].split(",")}
        assert {"X-Pagination", "ETag", "Retry-After", "Idempotent-Replayed", "X-Request-ID", "Location"} <= exposed
    assert ok.status_code == 200 and refused.status_code == 401


def test_a_listed_origins_preflight_is_answered(client, cors):
    """204 with the methods and request headers the API takes and how long to keep them."""
    response = client.options("/api/v1/matters", headers={
        "Origin": ALLOWED, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type, idempotency-key"})
    assert response.status_code == 204 and response.data == b""
    headers = response.headers
    assert headers["Access-Control-Allow-Origin"] == ALLOWED
    assert {m.strip() for m in headers["Access-Control-Allow-Methods"].split(",")} == {"GET", "POST", "PATCH", "DELETE"}
    allowed = {h.strip().lower() for h in headers["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "content-type", "idempotency-key", "if-match", "accept-language"} <= allowed
    assert "x-csrf-token" not in allowed  # the cookie session stays same-origin
    assert headers["Access-Control-Max-Age"] == "600"
    assert "Access-Control-Allow-Credentials" not in headers


@pytest.mark.parametrize("origin", ["https://evil.example", "https://app.example.cn.evil.example",
                                    "http://app.example.cn", "https://app.example.cn:8443", "null"])
def test_an_unlisted_origin_gets_no_cors_header(client, as_user, cors, origin):
    """Another site, a look-alike, another scheme or port, a sandboxed page: no Access-Control-*
    header on the answer or the preflight, so the browser keeps the answer from the page."""
    answer = client.get("/api/v1/grid-cells", headers={**as_user("district_admin"), "Origin": origin})
    preflight = client.options("/api/v1/grid-cells", headers={"Origin": origin, "Access-Control-Request-Method": "GET"})
    for response in (answer, preflight):
        assert not [h for h in response.headers.keys() if h.startswith("Access-Control-")]
    assert "Origin" in answer.headers["Vary"]


def test_no_origin_is_allowed_by_default(client, as_user, app):
    """The default (empty list): nobody, not even a well-formed origin."""
    assert app.config["CORS_ALLOWED_ORIGINS"] == ()
    response = client.options("/api/v1/me", headers={"Origin": ALLOWED, "Access-Control-Request-Method": "GET"})
    assert not [h for h in response.headers.keys() if h.startswith("Access-Control-")]
    assert "Access-Control-Allow-Origin" not in client.get("/api/v1/me", headers={"Origin": ALLOWED}).headers


def test_cors_stays_on_the_api(client, cors):
    """The console and the app are same-origin pages: a listed origin gets no CORS header there."""
    assert "Access-Control-Allow-Origin" not in client.get("/console/", headers={"Origin": ALLOWED}).headers


def test_the_allowlist_is_checked_when_the_settings_load():
    """Exact origins only, lower-cased and deduplicated; a wildcard, a path, a trailing slash or
    something that is not an origin stops the start."""
    assert _origins(" https://App.Example.cn , http://10.0.0.5:8080,https://app.example.cn") == (
        "https://app.example.cn", "http://10.0.0.5:8080")
    assert _origins("") == () and _origins("http://[::1]:3000") == ("http://[::1]:3000",)
    for bad in ("*", "https://*.example.cn", "https://app.example.cn/", "https://app.example.cn/console",
                "app.example.cn", "ftp://app.example.cn", "null", "https://user@app.example.cn"):
        with pytest.raises(ConfigError, match="CORS_ALLOWED_ORIGINS"):
            _origins(bad)
