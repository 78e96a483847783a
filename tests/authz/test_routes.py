"""The matrix covers what the OpenAPI document lists; these tests make sure nothing is served
around it. Every route of the API is in the document (so it has a row), and every other route —
health, the documents, the web apps, Open311 — is listed here with what an anonymous caller gets.
A new route anywhere fails one of them until it is placed."""

from __future__ import annotations

import re

import pytest

from tests.authz import harness
from tests.authz.spec import Row

# Routes outside the OpenAPI document: (method, rule) -> (a path to try anonymously, the answer).
# Public by design: health, the API's own description, the web apps' static files (their data comes
# from the API), and Open311's discovery, services and public view of requests (README, "Open311").
OUTSIDE_THE_DOCUMENT = {
    ("GET", "/healthz"): ("/healthz", 200),
    ("GET", "/readyz"): ("/readyz", 200),
    ("GET", "/api/openapi.json"): ("/api/openapi.json", 200),
    ("GET", "/api/docs"): ("/api/docs", 200),
    ("GET", "/api/docs/assets/<path:filename>"): ("/api/docs/assets/swagger-ui.css", 200),
    ("GET", "/console"): ("/console", 308),
    ("GET", "/console/"): ("/console/", 200),
    ("GET", "/console/<path:path>"): ("/console/js/app.js", 200),
    ("GET", "/console/common/<path:path>"): ("/console/common/js/api.js", 200),
    ("GET", "/console/config.json"): ("/console/config.json", 200),
    ("GET", "/app"): ("/app", 308),
    ("GET", "/app/"): ("/app/", 200),
    ("GET", "/app/<path:path>"): ("/app/sw.js", 200),
    ("GET", "/app/common/<path:path>"): ("/app/common/js/api.js", 200),
    ("GET", "/static/<path:filename>"): ("/static/nothing-here.js", 404),
    ("GET", "/open311/v2/discovery.<fmt>"): ("/open311/v2/discovery.json", 200),
    ("GET", "/open311/v2/services.<fmt>"): ("/open311/v2/services.json", 200),
    ("GET", "/open311/v2/services/<code>.<fmt>"): ("/open311/v2/services/ROAD-LIGHT.json", 200),
    ("GET", "/open311/v2/requests.<fmt>"): ("/open311/v2/requests.json", 200),  # the public view
    ("GET", "/open311/v2/requests/<request_id>.<fmt>"): ("/open311/v2/requests/1.json", 200),
    ("GET", "/open311/v2/tokens/<token>.<fmt>"): ("/open311/v2/tokens/no-such-token.json", 404),
    ("POST", "/open311/v2/requests.<fmt>"): ("/open311/v2/requests.json", 403),  # filing needs an api_key
}


def _openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule)


def test_every_api_route_is_in_the_openapi_document(app):
    """No route under /api/v1 escapes the document, and so the matrix."""
    documented = harness.operations(app.test_client().get("/api/openapi.json").get_json())
    served = {f"{method} {_openapi_path(rule.rule)}" for rule in app.url_map.iter_rules()
              if rule.rule.startswith("/api/v1/") for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert served - documented == set(), "API routes missing from the OpenAPI document"
    assert documented - served == set(), "documented operations that are not served"


def test_every_other_route_is_known_with_its_anonymous_answer(app):
    """Routes outside the document are listed above; each answers an anonymous caller as listed,
    and the public answers carry nothing the leak check would flag."""
    client = app.test_client()
    served = {(method, rule.rule) for rule in app.url_map.iter_rules() if not rule.rule.startswith("/api/v1/")
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert served == set(OUTSIDE_THE_DOCUMENT), (
        f"new: {sorted(served - set(OUTSIDE_THE_DOCUMENT))}, gone: {sorted(set(OUTSIDE_THE_DOCUMENT) - served)}")
    for (method, rule), (path, status) in OUTSIDE_THE_DOCUMENT.items():
        response = client.open(path, method=method)
        assert response.status_code == status, (method, path, response.status_code)
        problem = harness.leaks(Row(f"{method} {rule}", frozenset()), response)
        if rule == "/api/openapi.json" and problem and problem.startswith("internal fields"):
            problem = None  # the document names the input fields (a password to log in with), it holds none
        assert problem is None, (method, path, problem)


@pytest.mark.parametrize("path", ["/open311/v2/requests.json", "/open311/v2/requests/1.json"])
def test_open311_without_a_key_is_the_public_view(app, path):
    """README: reads without a key get no description and no address."""
    requests = app.test_client().get(path).get_json()
    assert requests, path
    for item in requests:
        assert not item.get("description") and not item.get("address"), item
