"""GeoJSON in and out of the API through one marshmallow field."""

from __future__ import annotations

import marshmallow as ma
from geoalchemy2.elements import WKBElement, WKTElement
from geoalchemy2.shape import to_shape
from shapely.geometry import mapping

from api.geo.coords import CoordSystem, to_wgs84


class GeoJSONGeometry(ma.fields.Field):
    """A geometry as a GeoJSON object, WGS-84 (lng, lat)."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        if isinstance(value, (WKBElement, WKTElement)):
            value = to_shape(value)
        return mapping(value)


class PointInSchema(ma.Schema):
    """A point as clients send it: ``{"lng", "lat", "coord_system"}``; loaded as WGS-84 ``(lng, lat)``."""

    class Meta:
        unknown = ma.RAISE

    lng = ma.fields.Float(required=True, allow_nan=False, validate=ma.validate.Range(-180, 180))
    lat = ma.fields.Float(required=True, allow_nan=False, validate=ma.validate.Range(-90, 90))
    coord_system = ma.fields.Enum(CoordSystem, by_value=True, load_default=CoordSystem.wgs84,
                                  metadata={"description": "wgs84 (GPS), gcj02 (AMap/Tencent/WeChat) or bd09 (Baidu)"})

    @ma.post_load
    def to_wgs84(self, data, **kwargs):
        return to_wgs84(data["lng"], data["lat"], data["coord_system"])


class PointOutSchema(ma.Schema):
    lng = ma.fields.Float(required=True)
    lat = ma.fields.Float(required=True)


def point_out(geom) -> dict | None:
    if geom is None:
        return None
    point = to_shape(geom) if isinstance(geom, (WKBElement, WKTElement)) else geom
    return {"lng": point.x, "lat": point.y}


def register_fields(api) -> None:
    api.register_field(GeoJSONGeometry, "object", None)
