"""Caps on what a request may send (OWASP API4): bodies however they come, uploads, batches, page
sizes and every free text; each answers in the one error shape and nothing reaches the database."""

from __future__ import annotations

import io
import uuid

import pytest

from api.extensions import PLACE_FIGURES_MAX
from api.grids.schemas import IMPORT_MAX_FEATURES
from api.patrols.schemas import MAX_POINTS
from api.visits.schemas import MAX_BATCH
from tests.api.matter_helpers import ERROR_SHAPE, now_iso

CHUNKED = {"wsgi.input_terminated": True}  # what gunicorn says of a body it de-chunks


def _spec(client) -> dict:
    return client.get("/api/openapi.json").get_json()


def _resolve(spec, schema):
    ref = schema.get("$ref")
    return (spec["components"]["schemas"][ref.rsplit("/", 1)[-1]], ref) if ref else (schema, None)


def _uncapped(spec, schema, path, seen=frozenset()):
    """Paths of strings with no maxLength (nor pattern, enum or format) and of lists with no maxItems."""
    schema, ref = _resolve(spec, schema)
    if ref in seen:
        return
    seen = seen | {ref}
    for part in schema.get("allOf", []) + schema.get("oneOf", []) + schema.get("anyOf", []):
        yield from _uncapped(spec, part, path, seen)
    kind = schema.get("type")
    if kind == "string" and not {"maxLength", "pattern", "enum", "format"} & set(schema):
        yield path
    if kind == "array":
        if "maxItems" not in schema:
            yield path
        yield from _uncapped(spec, schema.get("items", {}), f"{path}[]", seen)
    for name, prop in schema.get("properties", {}).items():
        yield from _uncapped(spec, prop, f"{path}.{name}", seen)


def _operations(spec):
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield f"{method.upper()} {path}", operation


def test_every_string_and_list_an_operation_takes_is_capped(client):
    """Every string a body or query string may carry has a maximum length (or a pattern, a set of
    values or a format) and every list a maximum count, in the OpenAPI document that the schemas
    enforce: a 10 MB description never reaches the database."""
    spec = _spec(client)
    uncapped = []
    for name, operation in _operations(spec):
        for content in operation.get("requestBody", {}).get("content", {}).values():
            uncapped += _uncapped(spec, content["schema"], f"{name} body")
        for parameter in operation.get("parameters", []):
            if "schema" in parameter:
                uncapped += _uncapped(spec, parameter["schema"], f"{name} {parameter['in']}:{parameter['name']}")
    assert uncapped == []


def test_every_list_caps_its_page_size(client, as_user):
    """Every paged list declares its largest page (100; a few lists of figures per place 1,000),
    and a larger page_size is a 422 naming it, never a silently bigger or clamped answer."""
    spec = _spec(client)
    paged = {name: next(p["schema"] for p in operation.get("parameters", []) if p["name"] == "page_size")
             for name, operation in _operations(spec)
             if any(p.get("name") == "page_size" for p in operation.get("parameters", []))}
    assert len(paged) > 30
    assert {name: s.get("maximum") for name, s in paged.items() if s.get("maximum") not in (100, PLACE_FIGURES_MAX)} == {}
    response = client.get("/api/v1/matters?page_size=101", headers=as_user("community_staff"))
    assert response.status_code == 422 and "page_size" in response.get_json()["errors"]


def test_a_long_description_is_refused_naming_it(client, as_user):
    """A report with 100,000 characters of description (well within the body cap): 422 naming it."""
    response = client.post("/api/v1/matters", headers=as_user("resident"), json={
        "category": "ENV-GARBAGE", "description": "垃" * 100_000, "location": {"lng": 114.0, "lat": 33.58}})
    assert response.status_code == 422 and "description" in response.get_json()["errors"]


def test_a_chunked_body_past_the_cap_is_413(app, client):
    """A body streamed without Content-Length is refused with 413 once it passes
    MAX_CONTENT_LENGTH (not cut at the cap and parsed as broken JSON)."""
    big = b'{"username": "' + b"a" * app.config["MAX_CONTENT_LENGTH"] + b'", "password": "x"}'
    response = client.post("/api/v1/auth/login", input_stream=io.BytesIO(big), environ_overrides=CHUNKED,
                           headers={"Transfer-Encoding": "chunked", "Content-Type": "application/json"})
    assert response.status_code == 413 and set(response.get_json()) == ERROR_SHAPE
    assert response.get_json()["error"] == "payload_too_large"
    assert str(app.config["MAX_CONTENT_LENGTH"]) in response.get_json()["message"]


def test_a_chunked_body_within_the_cap_is_read_whole(client):
    """The same way of sending, within the cap: read and answered as usual."""
    body = b'{"username": "grid_member", "password": "not-the-password"}'
    response = client.post("/api/v1/auth/login", input_stream=io.BytesIO(body), environ_overrides=CHUNKED,
                           headers={"Transfer-Encoding": "chunked", "Content-Type": "application/json"})
    assert response.status_code == 401 and response.get_json()["error"] == "invalid_credentials"


def test_an_upload_past_its_cap_says_its_own_limit(app, client, as_user):
    """A photo body past PHOTO_MAX_BYTES (plus the form's overhead), streamed: 413 naming that
    limit, not the 1 MiB of other bodies."""
    response = client.post("/api/v1/photos", input_stream=io.BytesIO(b"x" * (app.config["PHOTO_MAX_BYTES"] + 100 * 1024)),
                           environ_overrides=CHUNKED, headers={**as_user("resident"), "Transfer-Encoding": "chunked",
                                                               "Content-Type": "multipart/form-data; boundary=b"})
    assert response.status_code == 413
    limit = int(response.get_json()["message"].split("上限 ")[1].split(" ")[0])
    assert app.config["PHOTO_MAX_BYTES"] < limit < app.config["PHOTO_MAX_BYTES"] + 100 * 1024


@pytest.mark.parametrize(("path", "username", "field", "cap", "body"), [
    ("/api/v1/visits/sync", "grid_member", "visits", MAX_BATCH, lambda n: {"visits": [{}] * n}),
    ("/api/v1/patrols", "grid_member", "points", MAX_POINTS,
     lambda n: {"id": str(uuid.uuid4()), "points": [{"lng": 114.0, "lat": 33.58, "at": now_iso()}] * n}),
    ("/api/v1/grid-cells/import?dry_run=true", "district_admin", "features", IMPORT_MAX_FEATURES,
     lambda n: {"type": "FeatureCollection", "features": [{}] * n}),
])
def test_a_batch_past_its_cap_is_refused_whole(client, as_user, path, username, field, cap, body):
    """One item over a batch's cap: 413 too_many_items naming the list and its cap."""
    response = client.post(path, json=body(cap + 1), headers=as_user(username))
    assert response.status_code == 413, response.get_json()
    answer = response.get_json()
    assert answer["error"] == "too_many_items" and field in answer["errors"] and str(cap) in answer["message"]
    english = client.post(path, json=body(cap + 1), headers={**as_user(username), "Accept-Language": "en"})
    assert english.get_json()["errors"][field] == [f"At most {cap} items."]


def test_open311_refusals_carry_retry_after(app, client, db, monkeypatch):
    """Open311's 429 is in the spec's error shape and says when to come back."""
    monkeypatch.setitem(app.config, "OPEN311_POSTS_PER_MINUTE", 0)
    response = client.post("/open311/v2/requests.json", data={
        "api_key": "demo-open311-key", "service_code": "ROAD-LIGHT", "lat": "33.58", "long": "114.03",
        "description": "路灯不亮"})
    assert response.status_code == 429 and 1 <= int(response.headers["Retry-After"]) <= 60
    assert response.get_json()[0]["code"] == 429
