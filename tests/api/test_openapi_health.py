"""OpenAPI document, Swagger UI, liveness and readiness (issue 2 point 9)."""

from __future__ import annotations

from sqlalchemy import text

PUBLIC = {("post", "/api/v1/auth/login"), ("post", "/api/v1/auth/refresh")}


def test_openapi_document(client):
    """/api/openapi.json is an OpenAPI 3 document of the /api/v1 paths."""
    spec = client.get("/api/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/auth/login" in spec["paths"] and "/api/v1/me" in spec["paths"]
    assert all(path.startswith("/api/v1/") for path in spec["paths"])
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_every_protected_operation_declares_bearer_auth(client):
    """All operations but login and refresh say they need the bearer token."""
    spec = client.get("/api/openapi.json").get_json()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            wants_auth = operation.get("security") == [{"bearerAuth": []}]
            assert wants_auth != ((method, path) in PUBLIC), (method, path)


def test_swagger_ui_works_offline(client):
    """The docs page and its script come from GridGov itself, not a CDN."""
    page = client.get("/api/docs")
    assert page.status_code == 200 and b"swagger-ui" in page.data
    assert b"/api/docs/assets/swagger-ui-bundle.js" in page.data
    assert client.get("/api/docs/assets/swagger-ui-bundle.js").status_code == 200


def test_healthz_and_readyz(client):
    """Both probes answer 200 on a migrated database."""
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["database"] == "ok"


def test_readyz_fails_when_migrations_are_behind(client, db):
    """A database not at the migrations' head is not ready (503)."""
    db.execute(text("UPDATE alembic_version SET version_num = 'behind'"))
    db.commit()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "migrations behind"
