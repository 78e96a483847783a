"""Mapbox vector tiles (矢量瓦片) built by PostGIS: the tile's envelopes, the checks on z/x/y and the
HTTP answer every tile endpoint gives (ETag, a minute's private cache, 304 when unchanged)."""

from __future__ import annotations

import hashlib
import math

from flask import Response, request
from sqlalchemy import func

from api.errors import ValidationFailed, field_error

TILE_EXTENT = 4096
TILE_BUFFER = 64
MAX_ZOOM = 22
WORLD_HALF = 20037508.342789244  # half the Web Mercator world's width, in metres

MVT_DOC = {"content": {"application/vnd.mapbox-vector-tile": {"schema": {"type": "string", "format": "binary"}}}}


def check_tile(z: int, x: int, y: int) -> None:
    if not 0 <= z <= MAX_ZOOM:
        raise ValidationFailed(field_error("z", "缩放级别须在 0～22 之间。", "The zoom must be 0 to 22."))
    if not (0 <= x < 2 ** z and 0 <= y < 2 ** z):
        raise ValidationFailed(field_error("x", "瓦片坐标超出该缩放级别的范围。", "The tile is outside this zoom level."))


def envelopes(z: int, x: int, y: int):
    """The tile's envelope in Web Mercator (for ST_AsMVTGeom) and the same grown by the buffer, in
    WGS-84 (for the spatial index's ``&&`` on the stored geometries)."""
    world = func.ST_MakeEnvelope(-WORLD_HALF, -WORLD_HALF, WORLD_HALF, WORLD_HALF, 3857)
    return (func.ST_TileEnvelope(z, x, y),
            func.ST_Transform(func.ST_TileEnvelope(z, x, y, world, TILE_BUFFER / TILE_EXTENT), 4326))


def tile_of(lng: float, lat: float, z: int) -> tuple[int, int]:
    """The x, y of the tile at zoom ``z`` holding a WGS-84 point (the slippy-map scheme)."""
    n = 2 ** z
    return int((lng + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)


def tile_width_m(z: int) -> float:
    return 2 * WORLD_HALF / 2 ** z


def mvt_response(data: bytes) -> Response:
    response = Response(data, mimetype="application/vnd.mapbox-vector-tile")
    response.set_etag(hashlib.sha256(data).hexdigest()[:32])
    response.headers["Cache-Control"] = "private, max-age=60"
    return response.make_conditional(request)
