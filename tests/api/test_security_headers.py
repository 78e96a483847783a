"""Security headers on every kind of answer (api/security.py)."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest

from api.grids import service as grids_service


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
