"""Grid cells (网格): writing and importing them with every check, coverage, locate, map layers.

Every write of a place goes through :func:`apply_features`, the same path for one cell from the
console and for a district's file from the command line: parse and check each feature, write them
in level order, then let PostGIS check containment and overlaps (areas in m² on the geography).
Any problem → ValidationFailed naming the feature and the field, and nothing is kept.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field

from geoalchemy2.shape import from_shape, to_shape
from sqlalchemy import Select, String, cast, func, literal_column, select, text
from sqlalchemy.orm import Session, undefer

from api.errors import ValidationFailed
from api.geo import tiles
from api.geo.coords import CoordSystem
from api.grids.geometry import GeometryProblem, boundary_geojson, parse_boundary
from api.policy import Scope, scoped
from models import CODE_LENGTH, CellKind, GridCell, Place, PlaceKind

LEVEL_BY_LENGTH = {length: kind for kind, length in CODE_LENGTH.items()}
LEVEL_ORDER = [PlaceKind.district, PlaceKind.street, PlaceKind.community, PlaceKind.grid_cell]
# Overlaps and spill-overs smaller than this are rounding, not errors (issue 3: "over 1 m²").
AREA_TOLERANCE_M2 = 1.0


class Msg:
    code = ("编码须为 6、9、12 或 15 位数字（区、街道、社区、网格）。",
            "The code must have 6, 9, 12 or 15 digits (district, street, community, grid cell).")
    duplicate = ("文件中编码重复。", "This code appears twice in the file.")
    name = ("名称须为 1～100 个字符。", "The name must have 1 to 100 characters.")
    kind = ("网格类型须为 residential、commercial、mixed 或 dedicated。",
            "The kind must be residential, commercial, mixed or dedicated.")
    kind_only_cells = ("只有网格有类型。", "Only grid cells have a kind.")
    boundary_required = ("网格须有边界。", "A grid cell needs a boundary.")
    parent_missing = ("上级区划（编码前缀 {parent}）不存在或不在您的管辖范围内。",
                      "The parent (code {parent}) does not exist or is outside your area.")
    out_of_scope = ("该编码不在您的管辖范围内。", "This code is outside your area.")
    feature = ("须为 GeoJSON Feature。", "Must be a GeoJSON Feature.")
    outside_parent = ("超出上级区划边界 {area:.1f} 平方米。", "Extends {area:.1f} m² beyond its parent's boundary.")
    overlap = ("与同级 {other} 重叠 {area:.1f} 平方米。", "Overlaps its sibling {other} by {area:.1f} m².")
    stranded = ("有 {count} 栋楼将不在任何网格内，请先调整相邻网格。",
                "{count} buildings would be left outside every cell; redraw a neighbour first.")
    child_outside = ("下级 {other} 有 {area:.1f} 平方米落在新边界之外。",
                     "Its child {other} would lie {area:.1f} m² outside the new boundary.")


def _fmt(pair: tuple[str, str], **params) -> tuple[str, str]:
    return pair[0].format(**params), pair[1].format(**params)


@dataclass
class ParsedFeature:
    index: int
    code: str
    level: PlaceKind
    name: str
    cell_kind: CellKind | None
    boundary: object | None  # shapely MultiPolygon


@dataclass
class ImportResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    communities: list[Place] = field(default_factory=list)
    relocated_buildings: int = 0


class FeatureErrors:
    """Problems per feature index and field, reported all at once."""

    def __init__(self):
        self.errors: dict[int, dict[str, list]] = {}

    def add(self, index: int, field_name: str, message: tuple[str, str]) -> None:
        self.errors.setdefault(index, {}).setdefault(field_name, []).append(message)

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationFailed({"features": dict(sorted(self.errors.items()))})


def parse_features(features: list, coord_system: CoordSystem, problems: FeatureErrors) -> list[ParsedFeature]:
    parsed: list[ParsedFeature] = []
    seen: set[str] = set()
    for index, feature in enumerate(features):
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            problems.add(index, "type", Msg.feature)
            continue
        props = feature.get("properties") or {}
        if not isinstance(props, dict):
            props = {}
        code = props.get("code")
        level = LEVEL_BY_LENGTH.get(len(code)) if isinstance(code, str) and code.isascii() and code.isdigit() else None
        if level is None:
            problems.add(index, "properties.code", Msg.code)
            continue
        if code in seen:
            problems.add(index, "properties.code", Msg.duplicate)
        seen.add(code)
        name = props.get("name")
        if not isinstance(name, str) or not 1 <= len(name.strip()) <= 100 or "\x00" in name:
            problems.add(index, "properties.name", Msg.name)
        cell_kind = None
        if level == PlaceKind.grid_cell:
            try:
                cell_kind = CellKind(props.get("kind"))
            except ValueError:
                problems.add(index, "properties.kind", Msg.kind)
        elif props.get("kind") is not None:
            problems.add(index, "properties.kind", Msg.kind_only_cells)
        boundary = None
        geometry = feature.get("geometry")
        if geometry is None:
            if level == PlaceKind.grid_cell:
                problems.add(index, "geometry", Msg.boundary_required)
        else:
            try:
                boundary = parse_boundary(geometry, coord_system)
            except GeometryProblem as problem:
                problems.add(index, "geometry", problem.pair)
        parsed.append(ParsedFeature(index, code, level, name.strip() if isinstance(name, str) else "", cell_kind, boundary))
    return parsed


def _parent_code(code: str) -> str | None:
    return code[:-3] if len(code) > 6 else None


def apply_features(db: Session, scope: Scope | None, features: list, *,
                   coord_system: CoordSystem = CoordSystem.wgs84) -> ImportResult:
    """Create or update places from GeoJSON features, all or nothing. ``scope=None`` is the
    command line, which may write anywhere (new districts included)."""
    problems = FeatureErrors()
    parsed = parse_features(features, CoordSystem(coord_system), problems)
    problems.raise_if_any()

    codes = [f.code for f in parsed]
    existing = {p.code: p for p in db.scalars(
        select(Place).where(Place.code.in_(codes)).options(undefer(Place.boundary)).with_for_update(of=Place)).unique()}
    parent_codes = {c for c in (_parent_code(code) for code in codes) if c and c not in codes}
    parents = {p.code: p for p in db.scalars(select(Place).where(Place.code.in_(parent_codes))).unique()}

    def in_scope(place: Place) -> bool:
        return scope is None or any(place.path.startswith(p) for p in scope.place_paths)

    result = ImportResult()
    by_code: dict[str, Place] = {}
    touched: list[tuple[ParsedFeature, Place]] = []
    for level in LEVEL_ORDER:
        for feature in (f for f in parsed if f.level == level):
            parent_code = _parent_code(feature.code)
            parent = (by_code.get(parent_code) or parents.get(parent_code)) if parent_code else None
            place = existing.get(feature.code)
            # An existing place out of scope gets the same answer as a missing or foreign parent,
            # so that an import never tells whether a code exists elsewhere.
            if (place is not None and not in_scope(place)) or (parent_code and (parent is None or not in_scope(parent))):
                problems.add(feature.index, "properties.code", _fmt(Msg.parent_missing, parent=parent_code or feature.code))
                continue
            if parent is None and scope is not None and place is None:
                problems.add(feature.index, "properties.code", Msg.out_of_scope)  # new districts: CLI only
                continue
            boundary = from_shape(feature.boundary, srid=4326) if feature.boundary is not None else None
            if place is None:
                place_id = uuid.uuid4()
                place = Place(id=place_id, kind=feature.level, code=feature.code, name=feature.name,
                              parent_id=parent.id if parent else None,
                              path=(parent.path if parent else "/") + f"{place_id}/",
                              boundary=boundary, cell_kind=feature.cell_kind)
                db.add(place)
                result.created.append(feature.code)
            elif _changed(place, feature):
                place.name, place.cell_kind = feature.name, feature.cell_kind
                if feature.boundary is not None or feature.level != PlaceKind.grid_cell:
                    place.boundary = boundary
                result.updated.append(feature.code)
            else:
                result.unchanged.append(feature.code)
            by_code[feature.code] = place
            touched.append((feature, place))
    problems.raise_if_any()
    db.flush()
    # Two writers adding siblings at once would each pass the overlap check: take a lock per parent
    # (in a fixed order, so writers never deadlock), then check.
    for parent_id in sorted({str(p.parent_id) for _, p in touched if p.parent_id}):
        db.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"places:{parent_id}"})
    _check_geometry(db, [(f.index, p) for f, p in touched if f.boundary is not None], problems)
    problems.raise_if_any()
    result.relocated_buildings = _follow_redrawn_cells(
        db, [(f.index, p) for f, p in touched if p.kind == PlaceKind.grid_cell and f.code in result.updated], problems)
    problems.raise_if_any()
    community_ids = {p.id if p.kind == PlaceKind.community else p.parent_id
                     for _, p in touched if p.kind in (PlaceKind.community, PlaceKind.grid_cell)}
    result.communities = sorted(db.scalars(select(Place).where(Place.id.in_(community_ids))).unique(),
                                key=lambda p: p.code)
    return result


_STRANDED = text("""
SELECT t.idx, count(*) FROM unnest(CAST(:ids AS uuid[]), CAST(:idx AS int[])) AS t(id, idx)
JOIN places c ON c.id = t.id JOIN buildings b ON b.grid_cell_id = c.id
WHERE NOT ST_Covers(c.boundary, b.location)
  AND NOT EXISTS (SELECT 1 FROM places o WHERE o.kind = 'grid_cell' AND ST_Covers(o.boundary, b.location))
GROUP BY t.idx""")

_RELOCATE = text("""
WITH moved AS (
    UPDATE buildings b SET updated_at = now(),
        grid_cell_id = (SELECT o.id FROM places o WHERE o.kind = 'grid_cell' AND ST_Covers(o.boundary, b.location)
                        ORDER BY o.code LIMIT 1)
    FROM places c
    WHERE c.id = b.grid_cell_id AND c.id = ANY(CAST(:ids AS uuid[])) AND NOT ST_Covers(c.boundary, b.location)
    RETURNING b.id, b.grid_cell_id),
households_moved AS (
    UPDATE households h SET grid_cell_id = m.grid_cell_id, updated_at = now()
    FROM moved m WHERE h.building_id = m.id RETURNING h.id, h.grid_cell_id),
residents_moved AS (
    UPDATE residents r SET grid_cell_id = hm.grid_cell_id, updated_at = now()
    FROM households_moved hm WHERE r.household_id = hm.id RETURNING r.id)
SELECT count(*) FROM moved""")


def _follow_redrawn_cells(db: Session, redrawn: list[tuple[int, Place]], problems: FeatureErrors) -> int:
    """Buildings a redrawn cell no longer covers move, with their households and people, to the
    cell that covers them now (the lower code on an edge, as locate does); none may be left outside."""
    if not redrawn:
        return 0
    params = {"ids": [str(p.id) for _, p in redrawn], "idx": [i for i, _ in redrawn]}
    for index, count in db.execute(_STRANDED, params).all():
        problems.add(index, "geometry", _fmt(Msg.stranded, count=count))
    if problems.errors:
        return 0
    return db.execute(_RELOCATE, params).scalar_one()


def _changed(place: Place, feature: ParsedFeature) -> bool:
    if place.name != feature.name or place.cell_kind != feature.cell_kind:
        return True
    old = to_shape(place.boundary) if place.boundary is not None else None
    new = feature.boundary
    if old is None or new is None:
        return old is not new
    return not old.equals_exact(new, tolerance=0)


_CHECKS = text("""
WITH touched AS (SELECT unnest(CAST(:ids AS uuid[])) AS id, unnest(CAST(:idx AS int[])) AS idx)
SELECT t.idx, 'outside' AS problem, NULL AS other,
       ST_Area(ST_Difference(c.boundary, p.boundary)::geography) AS area
FROM touched t JOIN places c ON c.id = t.id JOIN places p ON p.id = c.parent_id
WHERE p.boundary IS NOT NULL AND NOT ST_Covers(p.boundary, c.boundary)
  AND ST_Area(ST_Difference(c.boundary, p.boundary)::geography) > :tolerance
UNION ALL
SELECT t.idx, 'child_outside', ch.code, ST_Area(ST_Difference(ch.boundary, p.boundary)::geography)
FROM touched t JOIN places p ON p.id = t.id JOIN places ch ON ch.parent_id = p.id
WHERE ch.id NOT IN (SELECT id FROM touched) AND p.boundary IS NOT NULL AND ch.boundary IS NOT NULL
  AND NOT ST_Covers(p.boundary, ch.boundary)
  AND ST_Area(ST_Difference(ch.boundary, p.boundary)::geography) > :tolerance
UNION ALL
SELECT t.idx, 'overlap', s.code, ST_Area(ST_Intersection(c.boundary, s.boundary)::geography)
FROM touched t JOIN places c ON c.id = t.id
JOIN places s ON s.parent_id = c.parent_id AND s.id <> c.id AND s.boundary && c.boundary
WHERE ST_Relate(c.boundary, s.boundary, '2********')
  AND ST_Area(ST_Intersection(c.boundary, s.boundary)::geography) > :tolerance
ORDER BY 1, 3
""")


def _check_geometry(db: Session, touched: list[tuple[int, Place]], problems: FeatureErrors) -> None:
    """Containment in the parent, children still inside a redrawn parent, and overlaps between
    siblings, measured by PostGIS in m²."""
    if not touched:
        return
    rows = db.execute(_CHECKS, {"ids": [str(p.id) for _, p in touched], "idx": [i for i, _ in touched],
                                "tolerance": AREA_TOLERANCE_M2}).all()
    for index, problem, other, area in rows:
        if problem == "outside":
            problems.add(index, "geometry", _fmt(Msg.outside_parent, area=area))
        elif problem == "child_outside":
            problems.add(index, "geometry", _fmt(Msg.child_outside, other=other, area=area))
        else:
            problems.add(index, "geometry", _fmt(Msg.overlap, other=other, area=area))


def coverage(db: Session, community: Place) -> dict:
    """How much of a community its cells cover; the rest as GeoJSON (未覆盖区域)."""
    row = db.execute(text("""
        SELECT ST_Area(c.boundary::geography) AS area,
               ST_Area(ST_Difference(c.boundary, u.cells)::geography) AS uncovered,
               ST_AsGeoJSON(ST_CollectionExtract(ST_Difference(c.boundary, u.cells), 3), 7) AS uncovered_geojson,
               u.n AS cells
        FROM places c,
             LATERAL (SELECT coalesce(ST_Union(g.boundary), 'SRID=4326;POLYGON EMPTY'::geometry) AS cells, count(g.id) AS n
                      FROM places g WHERE g.parent_id = c.id AND g.kind = 'grid_cell') u
        WHERE c.id = :id"""), {"id": community.id}).one()
    if community.boundary is None:
        return {"community": community, "cells": row.cells, "area_m2": None, "uncovered_m2": None,
                "uncovered_ratio": None, "uncovered": None}
    uncovered_geojson = json.loads(row.uncovered_geojson) if row.uncovered_geojson else None
    if uncovered_geojson is not None and not uncovered_geojson.get("coordinates"):
        uncovered_geojson = None
    uncovered = row.uncovered if row.uncovered > AREA_TOLERANCE_M2 else 0.0
    return {"community": community, "cells": row.cells, "area_m2": round(row.area, 1),
            "uncovered_m2": round(uncovered, 1), "uncovered_ratio": round(uncovered / row.area, 6) if row.area else None,
            "uncovered": uncovered_geojson if uncovered else None}


def list_cells(scope: Scope, *, community_id=None, code=None, q=None, kind=None) -> Select:
    stmt = select(GridCell)
    if community_id is not None:
        stmt = stmt.where(GridCell.parent_id == community_id)
    if code:
        stmt = stmt.where(GridCell.code.startswith(code, autoescape=True))
    if q:
        stmt = stmt.where(GridCell.name.contains(q, autoescape=True))
    if kind is not None:
        stmt = stmt.where(GridCell.cell_kind == kind)
    return scoped(stmt, GridCell, scope).order_by(GridCell.code)


def locate(db: Session, lng: float, lat: float) -> GridCell | None:
    """The cell covering a WGS-84 point. On an edge shared by two cells the lower code wins, always."""
    point = func.ST_SetSRID(func.ST_MakePoint(lng, lat), 4326)
    return db.scalars(
        select(GridCell).where(func.ST_Covers(GridCell.boundary, point)).order_by(GridCell.code).limit(1)
    ).unique().first()


def cells_in_bbox(scope: Scope, bbox: tuple[float, float, float, float]) -> Select:
    envelope = func.ST_MakeEnvelope(*bbox, 4326)
    stmt = select(GridCell).where(GridCell.boundary.intersects(envelope)).order_by(GridCell.code)
    return scoped(stmt, GridCell, scope)


CELL_MIN_ZOOM = 12  # below this a tile would hold thousands of cells: it shows communities instead


def tile(db: Session, scope: Scope, z: int, x: int, y: int) -> bytes:
    """A Mapbox vector tile: layer ``grid_cells`` (z ≥ 12) or ``communities`` (below), scoped."""
    envelope, margin_envelope = tiles.envelopes(z, x, y)
    if z >= CELL_MIN_ZOOM:
        layer, model, extra = "grid_cells", GridCell, [GridCell.cell_kind.label("kind")]
        base = select(GridCell)
    else:
        layer, model, extra = "communities", Place, []
        base = select(Place).where(Place.kind == PlaceKind.community)
    rows = scoped(base, model, scope).where(model.boundary.op("&&")(margin_envelope)).with_only_columns(
        func.ST_AsMVTGeom(func.ST_Transform(model.boundary, 3857), envelope, tiles.TILE_EXTENT, tiles.TILE_BUFFER,
                          True).label("geom"),
        cast(model.id, String).label("id"),
        model.code, model.name, *extra,
    ).subquery("t")
    stmt = select(func.ST_AsMVT(literal_column("t"), layer, tiles.TILE_EXTENT, "geom")).select_from(rows)
    return bytes(db.scalar(stmt) or b"")


def place_feature(place: Place) -> dict:
    """The feature an export writes for a place; importing it gives the same place back."""
    properties = {"code": place.code, "name": place.name}
    if place.kind == PlaceKind.grid_cell:
        properties["kind"] = place.cell_kind.value
    geometry = boundary_geojson(to_shape(place.boundary)) if place.boundary is not None else None
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def export_places(db: Session, scope: Scope, *, code: str | None = None, with_parents: bool = False) -> dict:
    stmt = select(Place) if with_parents else select(GridCell)
    if code:
        stmt = stmt.where(Place.code.startswith(code, autoescape=True))
    places = db.scalars(scoped(stmt, Place, scope).options(undefer(Place.boundary)).order_by(Place.code)).unique().all()
    return {"type": "FeatureCollection", "features": [place_feature(p) for p in places]}

