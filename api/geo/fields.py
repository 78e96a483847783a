"""GeoJSON in and out of the API through one marshmallow field."""

from __future__ import annotations

import marshmallow as ma
from geoalchemy2.elements import WKBElement, WKTElement
from geoalchemy2.shape import to_shape
from shapely.geometry import mapping


class GeoJSONGeometry(ma.fields.Field):
    """A geometry as a GeoJSON object, WGS-84 (lng, lat)."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        if isinstance(value, (WKBElement, WKTElement)):
            value = to_shape(value)
        return mapping(value)


def register_fields(api) -> None:
    api.register_field(GeoJSONGeometry, "object", None)
