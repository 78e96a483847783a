"""Shared steps of the API tests: report a light that is out, act on a matter, upload a photo; the
one error shape; the time now as the API writes it."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from geoalchemy2.shape import to_shape
from PIL import Image
from sqlalchemy import select

from models import GridCell

LIJIANGLU_1 = "411104001001001"
# the keys of every error answer (README "How the API behaves")
ERROR_SHAPE = {"code", "status", "error", "message", "errors"}


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


def inside(db, code: str = LIJIANGLU_1):
    return to_shape(db.scalars(select(GridCell).where(GridCell.code == code)).one().boundary).representative_point()


def report(client, as_user, db, username: str = "resident") -> str:
    point = inside(db)
    response = client.post("/api/v1/matters", headers=as_user(username), json={
        "category": "ROAD-LIGHT", "description": "路灯不亮", "location": {"lng": point.x, "lat": point.y}})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def photo(client, headers) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 120, 10)).save(buffer, format="JPEG")
    response = client.post("/api/v1/photos", data={"file": (io.BytesIO(buffer.getvalue()), "p.jpg")}, headers=headers,
                           content_type="multipart/form-data")
    return response.get_json()["id"]


def act(client, headers, matter_id, action, **body):
    """A transition; the fast path gets the photo it needs unless the test brings its own."""
    if action == "resolve_on_spot" and "photo_ids" not in body:
        body["photo_ids"] = [photo(client, headers)]
    return client.post(f"/api/v1/matters/{matter_id}/transitions", json={"action": action, **body}, headers=headers)
