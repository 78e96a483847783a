"""Checking GeoJSON boundaries at the door: parse, convert to WGS-84, validate, promote to MultiPolygon."""

from __future__ import annotations

import math

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon, mapping, shape
from shapely.validation import explain_validity

from api.geo.coords import CoordSystem, to_wgs84


class GeometryProblem(ValueError):
    """What is wrong with a geometry, in Chinese and English."""

    def __init__(self, zh: str, en: str):
        super().__init__(en)
        self.zh, self.en = zh, en

    @property
    def pair(self) -> tuple[str, str]:
        return self.zh, self.en


MAX_VERTICES = 20000


def parse_boundary(geojson, coord_system: CoordSystem | str = CoordSystem.wgs84) -> MultiPolygon:
    """A GeoJSON Polygon or MultiPolygon → a valid 2D MultiPolygon in WGS-84, or GeometryProblem."""
    if not isinstance(geojson, dict) or geojson.get("type") not in ("Polygon", "MultiPolygon"):
        raise GeometryProblem("须为 GeoJSON Polygon 或 MultiPolygon。", "Must be a GeoJSON Polygon or MultiPolygon.")
    try:
        geom = shape(geojson)
    except (ValueError, TypeError, AttributeError, IndexError, KeyError, OverflowError,
            shapely.errors.GEOSException):
        raise GeometryProblem("GeoJSON 坐标格式错误。", "The GeoJSON coordinates are malformed.") from None
    if geom.is_empty:
        raise GeometryProblem("多边形为空。", "The polygon is empty.")
    geom = shapely.force_2d(geom)
    if shapely.get_num_coordinates(geom) > MAX_VERTICES:
        raise GeometryProblem(f"顶点过多（上限 {MAX_VERTICES}）。", f"Too many vertices (limit {MAX_VERTICES}).")
    try:
        coords = shapely.get_coordinates(geom)
    except (OverflowError, ValueError):
        raise GeometryProblem("坐标须为有限数值。", "Coordinates must be finite numbers.") from None
    if not all(math.isfinite(v) for v in coords.ravel()):
        raise GeometryProblem("坐标须为有限数值。", "Coordinates must be finite numbers.")
    if (coords[:, 0] < -180).any() or (coords[:, 0] > 180).any() or (coords[:, 1] < -90).any() or (coords[:, 1] > 90).any():
        raise GeometryProblem("经纬度超出范围（经度 -180～180，纬度 -90～90）。",
                              "Longitude or latitude out of range (-180..180, -90..90).")
    if CoordSystem(coord_system) != CoordSystem.wgs84:
        geom = convert_geometry(geom, lambda x, y: to_wgs84(x, y, coord_system))
    if not geom.is_valid:
        reason = explain_validity(geom)
        raise GeometryProblem(f"多边形无效（{_reason_zh(reason)}）：{reason}。", f"The polygon is invalid: {reason}.")
    if isinstance(geom, Polygon):
        geom = MultiPolygon([geom])
    return geom


def convert_geometry(geom, convert):
    """Apply a point conversion ``(lng, lat) -> (lng, lat)`` to every vertex."""
    return shapely.transform(geom, lambda coords: np.array([convert(float(x), float(y)) for x, y in coords]))


def _reason_zh(reason: str) -> str:
    if reason.startswith("Self-intersection"):
        return "自相交"
    if reason.startswith("Ring Self-intersection"):
        return "环自相交"
    if reason.startswith("Too few points"):
        return "点数过少"
    if reason.startswith("Hole lies outside shell"):
        return "洞在外环之外"
    if reason.startswith("Nested shells") or reason.startswith("Nested holes"):
        return "环嵌套"
    return "拓扑错误"


def boundary_geojson(geom) -> dict | None:
    """GeoJSON for output: a MultiPolygon of one part is written as a Polygon, as files usually have it."""
    if geom is None:
        return None
    if isinstance(geom, MultiPolygon) and len(geom.geoms) == 1:
        geom = geom.geoms[0]
    return mapping(geom)
