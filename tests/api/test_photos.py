"""Photos: real images only, capped, re-encoded without EXIF (no position), attached by id, scoped."""

from __future__ import annotations

import io

import pytest
from geoalchemy2.shape import to_shape
from PIL import Image
from sqlalchemy import select, update

from models import GridCell, MatterCategory

pytestmark = pytest.mark.usefixtures("clean_matters")

LIJIANGLU_1 = "411104001001001"


def _jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (640, 480), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (33.0, 34.0, 48.0), 3: "E", 4: (114.0, 1.0, 2.0)}  # GPS IFD
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def _upload(client, headers, data: bytes, name="p.jpg"):
    return client.post("/api/v1/photos", data={"file": (io.BytesIO(data), name)}, headers=headers,
                       content_type="multipart/form-data")


def test_upload_strips_the_position(client, as_user):
    """A phone photo with GPS EXIF is stored and served without any EXIF."""
    raw = _jpeg_with_gps()
    assert Image.open(io.BytesIO(raw)).getexif().get_ifd(0x8825)  # the fixture really has a position
    headers = as_user("resident")
    response = _upload(client, headers, raw)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["width"], body["height"], body["content_type"]) == (640, 480, "image/jpeg")
    served = client.get(f"/api/v1/photos/{body['id']}", headers=headers)
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    stored = Image.open(io.BytesIO(served.data))
    assert len(stored.getexif()) == 0 and b"PhoneMaker" not in served.data


def test_not_an_image_is_422_and_too_big_is_413(app, client, as_user):
    """A text file renamed .jpg is refused; a file over PHOTO_MAX_BYTES is 413."""
    headers = as_user("resident")
    fake = _upload(client, headers, b"this is not a picture at all", "fake.jpg")
    assert fake.status_code == 422 and "file" in fake.get_json()["errors"]
    assert _upload(client, headers, b"").status_code == 422
    big = _upload(client, headers, b"\xff" * (app.config["PHOTO_MAX_BYTES"] + 200 * 1024))
    assert big.status_code == 413
    missing = client.post("/api/v1/photos", data={}, headers=headers, content_type="multipart/form-data")
    assert missing.status_code == 422


def _point(db):
    point = to_shape(db.scalars(select(GridCell).where(GridCell.code == LIJIANGLU_1)).one().boundary).representative_point()
    return {"lng": point.x, "lat": point.y}


def test_report_with_photos_and_the_photo_rule(client, as_user, db):
    """A category that needs a photo refuses a report without one; the attached photo is visible to staff, not to others."""
    db.execute(update(MatterCategory).where(MatterCategory.code == "ROAD-PAVEMENT").values(photo_required=True))
    db.commit()
    resident = as_user("resident")
    body = {"category": "ROAD-PAVEMENT", "description": "路面塌陷", "location": _point(db)}
    refused = client.post("/api/v1/matters", json=body, headers=resident)
    assert refused.status_code == 422 and "photo_ids" in refused.get_json()["errors"]
    photo = _upload(client, resident, _jpeg_with_gps()).get_json()["id"]
    created = client.post("/api/v1/matters", json={**body, "photo_ids": [photo]}, headers=resident)
    assert created.status_code == 201
    assert created.get_json()["photos"] == [{"id": photo, "purpose": "report"}]
    assert client.get(f"/api/v1/photos/{photo}", headers=as_user("community_staff")).status_code == 200
    assert client.get(f"/api/v1/photos/{photo}", headers=as_user("grid_member_2")).status_code == 404
    again = client.post("/api/v1/matters", json={**body, "photo_ids": [photo]}, headers=resident)
    assert again.status_code == 404 and "photo_ids" in again.get_json()["errors"]  # already attached


def test_handling_photos_go_on_the_timeline(client, as_user, db):
    """The grid member's on-the-spot fix carries its photos; someone else's photo cannot be attached."""
    matter = client.post("/api/v1/matters", headers=as_user("resident"), json={
        "category": "ROAD-LIGHT", "description": "路灯不亮", "location": _point(db)}).get_json()["id"]
    member = as_user("grid_member")
    mine = _upload(client, member, _jpeg_with_gps()).get_json()["id"]
    theirs = _upload(client, as_user("resident"), _jpeg_with_gps()).get_json()["id"]
    url = f"/api/v1/matters/{matter}/transitions"
    assert client.post(url, json={"action": "resolve_on_spot", "note": "修好了", "photo_ids": [theirs]},
                       headers=member).status_code == 404
    done = client.post(url, json={"action": "resolve_on_spot", "note": "修好了", "photo_ids": [mine]}, headers=member)
    assert done.status_code == 200 and {"id": mine, "purpose": "handle"} in done.get_json()["photos"]
    timeline = client.get(f"/api/v1/matters/{matter}/timeline", headers=as_user("resident")).get_json()
    assert timeline[-1]["data"]["photos"] == [mine]
