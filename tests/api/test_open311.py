"""Open311 GeoReport v2: discovery, services, requests (read and filed with an api_key), tokens, JSON and XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from geoalchemy2.shape import to_shape
from sqlalchemy import select

from models import AuditEvent, GridCell, Matter

KEY = "demo-open311-key"
LIJIANGLU_1 = "411104001001001"


def _point(db):
    return to_shape(db.scalars(select(GridCell).where(GridCell.code == LIJIANGLU_1)).one().boundary).representative_point()


def _file(client, db, fmt="json", **overrides):
    point = _point(db)
    form = {"api_key": KEY, "service_code": "ROAD-LIGHT", "lat": str(point.y), "long": str(point.x),
            "description": "路灯不亮（来自 12345）", "first_name": "张", "phone": "13912345678"}
    form.update(overrides)
    return client.post(f"/open311/v2/requests.{fmt}", data=form)


def test_discovery_and_services_in_json_and_xml(client):
    """Discovery names the spec; services list the secondary categories as arrays / <services>."""
    discovery = client.get("/open311/v2/discovery.json").get_json()
    assert discovery["endpoints"][0]["specification"] == "http://wiki.open311.org/GeoReport_v2"
    services = client.get("/open311/v2/services.json").get_json()
    assert isinstance(services, list) and {"service_code", "service_name", "metadata", "type"} <= set(services[0])
    assert "ROAD-LIGHT" in {s["service_code"] for s in services}
    root = ET.fromstring(client.get("/open311/v2/services.xml").data)
    assert root.tag == "services" and root.find("service/service_code") is not None
    definition = client.get("/open311/v2/services/ROAD-LIGHT.json").get_json()
    assert definition == {"service_code": "ROAD-LIGHT", "attributes": []}
    assert client.get("/open311/v2/services/NOPE.json").status_code == 404


def test_filing_a_request_creates_a_placed_matter(client, db):
    """A form-encoded POST with the key creates an open311 matter in the right cell; the answer is an array."""
    response = _file(client, db)
    assert response.status_code == 200, response.data
    body = response.get_json()
    assert isinstance(body, list) and set(body[0]) >= {"service_request_id", "token"}
    matter = db.scalars(select(Matter).where(Matter.number == int(body[0]["service_request_id"]))).unique().one()
    assert matter.source.value == "open311" and matter.grid_cell.code == LIJIANGLU_1
    assert matter.reporter_id is None and matter.external_contact == {"first_name": "张", "phone": "13912345678"}
    token = client.get(f"/open311/v2/tokens/{body[0]['token']}.json?api_key={KEY}").get_json()
    assert token == [{"service_request_id": body[0]["service_request_id"], "token": body[0]["token"]}]
    assert db.scalars(select(AuditEvent).where(AuditEvent.action == "matter.create")).all()[-1].actor_username.startswith("open311:")


def test_reading_requests_back(client, db):
    """GET requests/{id} is an array of one; the list filters by status; statuses are only open/closed."""
    number = _file(client, db).get_json()[0]["service_request_id"]
    one = client.get(f"/open311/v2/requests/{number}.json?api_key={KEY}").get_json()
    assert len(one) == 1 and one[0]["status"] == "open" and one[0]["service_code"] == "ROAD-LIGHT"
    opened = client.get(f"/open311/v2/requests.json?api_key={KEY}&status=open").get_json()
    assert number in {r["service_request_id"] for r in opened}
    assert {r["status"] for r in client.get(f"/open311/v2/requests.json?api_key={KEY}").get_json()} <= {"open", "closed"}
    xml = ET.fromstring(client.get(f"/open311/v2/requests/{number}.xml?api_key={KEY}").data)
    assert xml.tag == "service_requests" and xml.find("request/service_request_id").text == number


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_errors_are_open311_errors(client, db, fmt):
    """Missing key → 403, unknown service → 400, no coordinates → 400, unknown id → 404, in the spec's error shape."""
    assert _file(client, db, fmt, api_key="wrong").status_code == 403
    bad_service = _file(client, db, fmt, service_code="NOPE")
    assert bad_service.status_code == 400
    assert _file(client, db, fmt, lat="").status_code == 400
    missing = client.get(f"/open311/v2/requests/999999999.{fmt}?api_key={KEY}")
    assert missing.status_code == 404
    if fmt == "json":
        assert bad_service.get_json()[0].keys() == {"code", "description"}
    else:
        root = ET.fromstring(bad_service.data)
        assert root.tag == "errors" and root.find("error/code").text == "400"


def test_reads_without_a_key_get_the_public_view(client, db):
    """Without a key, requests are readable as the spec has them, but redacted; the 90-day window is enforced."""
    number = _file(client, db).get_json()[0]["service_request_id"]
    public = client.get(f"/open311/v2/requests/{number}.json").get_json()
    assert public[0]["description"] == "" and public[0]["address"] == ""
    assert client.get("/open311/v2/requests.json").status_code == 200
    too_long = client.get(f"/open311/v2/requests.json?api_key={KEY}&start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z")
    assert too_long.status_code == 400


def test_partners_see_little_of_what_they_did_not_file(client, db):
    """Matters filed in the app reach a partner without words, address or exact place; private categories not at all."""
    rows = client.get(f"/open311/v2/requests.json?api_key={KEY}").get_json()
    demo = [r for r in rows if r["service_code"] == "ROAD-LIGHT"]
    assert demo and all(r["description"] == "" and r["address"] == "" for r in demo)
    assert all(len(str(r["lat"]).split(".")[-1]) <= 3 for r in demo)
    assert not any(r["service_code"].startswith("DISP") for r in rows)  # the demo's neighbour dispute stays inside


def test_every_error_under_open311_has_the_spec_shape(client):
    """No key, an unknown path and a wrong method all answer [{code, description}]."""
    no_key = client.post("/open311/v2/requests.json", data={"service_code": "ROAD-LIGHT"})
    assert no_key.status_code == 403 and set(no_key.get_json()[0]) == {"code", "description"}
    unknown = client.get("/open311/v2/nothing-here.json")
    assert unknown.status_code == 404 and set(unknown.get_json()[0]) == {"code", "description"}
    wrong = client.delete("/open311/v2/services.json")
    assert wrong.status_code == 400 and set(wrong.get_json()[0]) == {"code", "description"}


def test_date_filters_as_clients_send_them(client):
    """start_date alone opens a 90-day window; an unencoded +08:00 is understood; absurd dates are 400, not 500."""
    assert client.get(f"/open311/v2/requests.json?api_key={KEY}&start_date=2026-01-01T00:00:00Z").status_code == 200
    assert client.get(f"/open311/v2/requests.json?api_key={KEY}&start_date=2026-11-01T00:00:00 08:00").status_code == 200
    assert client.get(f"/open311/v2/requests.json?api_key={KEY}&end_date=0001-01-01T00:00:00Z").status_code == 400
    assert client.get(f"/open311/v2/requests/%C2%B2.json?api_key={KEY}").status_code == 404


def test_system_admin_issues_and_revokes_keys(client, as_user, db):
    """A key is shown once, works for filing, and stops working when revoked; only the system admin manages keys."""
    from models import Place

    admin = as_user("system_admin")
    district = db.scalars(select(Place).where(Place.code == "411104")).one()
    issued = client.post("/api/v1/open311-keys", json={"name": "市 12345 热线", "place_id": str(district.id)}, headers=admin)
    assert issued.status_code == 201
    key = issued.get_json()["api_key"]
    assert all("api_key" not in k for k in client.get("/api/v1/open311-keys", headers=admin).get_json())
    assert _file(client, db, api_key=key).status_code == 200
    revoked = client.patch(f"/api/v1/open311-keys/{issued.get_json()['id']}", json={"is_active": False}, headers=admin)
    assert revoked.status_code == 200
    assert _file(client, db, api_key=key).status_code == 403
    assert client.get("/api/v1/open311-keys", headers=as_user("district_admin")).status_code == 403
