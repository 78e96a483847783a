"""Unknown query parameters are refused, naming each (found by the fuzzer: a misspelt filter
answered — and exported — everything in scope)."""

from __future__ import annotations


def test_a_misspelt_filter_is_refused_not_ignored(client, as_user):
    headers = as_user("community_staff")
    response = client.get("/api/v1/visits/export.xlsx?grid_cel_id=00000000-0000-4000-8000-000000000000",
                          headers=headers)
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "validation_failed"
    assert body["errors"] == {"grid_cel_id": ["未知字段。"]}
    english = client.get("/api/v1/matters?colour=red", headers={**headers, "Accept-Language": "en"})
    assert english.get_json()["errors"] == {"colour": ["Unknown field."]}


def test_declared_parameters_and_paging_still_work(client, as_user):
    headers = as_user("community_staff")
    assert client.get("/api/v1/matters?open=true&page=2&page_size=5", headers=headers).status_code == 200
    assert client.get("/api/v1/matter-categories?include_inactive=true", headers=headers).status_code == 200


def test_outside_the_api_document_nothing_changes(client):
    # pages and health checks are not operations of the document: their query strings are theirs
    assert client.get("/healthz?probe=1").status_code == 200
