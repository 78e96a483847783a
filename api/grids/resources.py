"""Grid cells (网格): list, read, write, import/export, coverage, locate, and the map layers."""

from __future__ import annotations

import functools

import shapely
from flask import current_app, request
from flask.views import MethodView
from geoalchemy2.shape import to_shape
from sqlalchemy import select
from sqlalchemy.orm import undefer

from api import audit
from api.context import authenticated, scope
from api.errors import Conflict, NotFound, ValidationFailed, field_error
from api.extensions import Blueprint, ErrorSchema, view_page
from api.geo import tiles
from api.geo.coords import CoordSystem, from_wgs84, to_wgs84
from api.grids import service
from api.grids.geometry import boundary_geojson, convert_geometry
from api.grids.schemas import (
    IMPORT_MAX_FEATURES,
    CoverageSchema,
    ExportArgsSchema,
    FeatureCollectionOutSchema,
    FeatureCollectionSchema,
    GridCellCreateSchema,
    GridCellDetailSchema,
    GridCellQueryArgsSchema,
    GridCellSchema,
    GridCellUpdateSchema,
    ImportArgsSchema,
    ImportResultSchema,
    LocateArgsSchema,
    LocateResultSchema,
    MapArgsSchema,
)
from api.ledger import limit_exports
from api.limits import cap_items
from api.policy import get_or_404
from models import GridCell, Place, PlaceKind
from models.db import db_session
from models.places import preload_ancestors

blp = Blueprint("grids", __name__, url_prefix="/api/v1", description="Grid cells, locate and map layers (网格)")

MAP_MAX_FEATURES = 5000
IMPORT_MAX_BYTES = 32 * 1024 * 1024


def cell_view(cell: GridCell, *, with_boundary: bool = False) -> dict:
    """A cell with its community, street and district (and its polygon, loaded only when asked)."""
    above = {place.kind: place for place in cell.ancestors()}
    view = {
        "id": cell.id,
        "code": cell.code,
        "name": cell.name,
        "kind": cell.cell_kind,
        "community": above.get(PlaceKind.community),
        "street": above.get(PlaceKind.street),
        "district": above.get(PlaceKind.district),
        "is_demo": cell.is_demo,
    }
    if with_boundary:
        view["boundary"] = cell.boundary
    return view


# Field names of a single-cell write, for the errors of the feature it becomes.
_FEATURE_FIELDS = {"properties.code": "code", "properties.name": "name", "properties.kind": "kind",
                   "geometry": "boundary"}


def _apply_one(feature: dict, coord_system) -> None:
    try:
        service.apply_features(db_session, scope(), [feature], coord_system=coord_system)
    except ValidationFailed as exc:
        problems = exc.errors.get("features", {}).get(0, {})
        raise ValidationFailed({_FEATURE_FIELDS.get(k, k): v for k, v in problems.items()}) from None




def _allow_large_body(view):
    """Imports may be bigger than ordinary requests; the limit must be set before parsing."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        request.max_content_length = max(IMPORT_MAX_BYTES, current_app.config["MAX_CONTENT_LENGTH"])
        return view(*args, **kwargs)

    return wrapper


@blp.route("/grid-cells")
class GridCells(MethodView):
    @authenticated("places.read")
    @blp.arguments(GridCellQueryArgsSchema, location="query")
    @blp.response(200, GridCellSchema(many=True))
    @blp.paginate(view_page(cell_view, lambda cells: preload_ancestors(db_session, cells)))
    def get(self, args):
        """Grid cells within the caller's scope."""
        return service.list_cells(scope(), **args)

    @authenticated("grids.write")
    @blp.arguments(GridCellCreateSchema)
    @blp.response(201, GridCellDetailSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="The community is not within your scope")
    def post(self, body):
        """Create a grid cell inside its community (checked: valid polygon, inside the community,
        no overlap with a sibling over 1 m²)."""
        if db_session.scalar(select(Place.id).where(Place.code == body["code"])) is not None:
            raise Conflict("conflict", errors=field_error("code", "该编码已存在。", "This code already exists."))
        feature = {"type": "Feature", "geometry": body["boundary"],
                   "properties": {"code": body["code"], "name": body["name"], "kind": body["kind"].value}}
        _apply_one(feature, body["coord_system"])
        cell = db_session.scalars(select(GridCell).where(GridCell.code == body["code"])).one()
        audit.record("grid_cell.create", object_type="grid_cell", object_id=cell.id)
        db_session.commit()
        return cell_view(cell, with_boundary=True)


@blp.route("/grid-cells/<uuid:cell_id>")
class GridCellById(MethodView):
    @authenticated("places.read")
    @blp.etag
    @blp.response(200, GridCellDetailSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such grid cell within your scope")
    def get(self, cell_id):
        """One grid cell with its boundary (GeoJSON, WGS-84)."""
        return cell_view(get_or_404(db_session, GridCell, cell_id, scope()), with_boundary=True)

    @authenticated("grids.write")
    @blp.etag
    @blp.arguments(GridCellUpdateSchema)
    @blp.response(200, GridCellDetailSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such grid cell within your scope")
    def patch(self, body, cell_id):
        """Rename a cell, change its kind or redraw its boundary (checked like a create)."""
        cell = get_or_404(db_session, GridCell, cell_id, scope(), for_update=True)
        blp.check_etag(cell_view(cell, with_boundary=True), GridCellDetailSchema)
        feature = service.place_feature(cell)
        if "boundary" in body:
            feature["geometry"] = body["boundary"]
            coord_system = body["coord_system"]
        else:
            coord_system = CoordSystem.wgs84
        feature["properties"].update({k: (v.value if k == "kind" else v) for k, v in body.items()
                                      if k in ("name", "kind")})
        _apply_one(feature, coord_system)
        audit.record("grid_cell.update", object_type="grid_cell", object_id=cell.id,
                     detail={"fields": sorted(k for k in body if k != "coord_system")})
        db_session.commit()
        db_session.refresh(cell)
        return cell_view(cell, with_boundary=True)


@blp.route("/grid-cells/locate")
class Locate(MethodView):
    @authenticated("places.read")
    @blp.arguments(LocateArgsSchema, location="query")
    @blp.response(200, LocateResultSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No grid cell covers the point")
    def get(self, args):
        """The grid cell covering a point, from any of the three coordinate systems. A point on an
        edge shared by two cells always goes to the one with the lower code."""
        lng, lat = to_wgs84(args["lng"], args["lat"], args["coord_system"])
        cell = service.locate(db_session, lng, lat)
        if cell is None:
            raise NotFound()
        return {**cell_view(cell), "point": {"lng": lng, "lat": lat, "coord_system": "wgs84"}}


@blp.route("/grid-cells/import")
class Import(MethodView):
    @_allow_large_body
    @authenticated("grids.import")
    @blp.arguments(ImportArgsSchema, location="query")
    @blp.arguments(FeatureCollectionSchema)
    @blp.response(200, ImportResultSchema)
    @blp.alt_response(413, schema=ErrorSchema, description="Over 32 MiB, or over IMPORT_MAX_FEATURES features (too_many_items)")
    def post(self, args, body):
        """Import a GeoJSON FeatureCollection of places, all or nothing.

        Each feature's `properties` hold `code` (6, 9, 12 or 15 digits: district, street, community,
        grid cell), `name`, and for grid cells `kind`; the parent is found by the code's prefix, in
        the file or already stored. A code already stored is updated. Any bad feature → 422 with
        `errors.features[<index>][<field>]`, and nothing is written. At most 32 MiB and
        IMPORT_MAX_FEATURES (20,000) features: 413 above."""
        cap_items("features", body["features"], IMPORT_MAX_FEATURES)
        result = service.apply_features(db_session, scope(), body["features"], coord_system=args["coord_system"])
        payload = {"dry_run": args["dry_run"], "created": result.created, "updated": result.updated,
                   "unchanged": result.unchanged, "relocated_buildings": result.relocated_buildings,
                   "coverage": [service.coverage(db_session, c) for c in result.communities]}
        if args["dry_run"]:
            db_session.rollback()
            audit.record("grid_cell.import_check", object_type="grid_cell",
                         detail={"features": len(body["features"])})
        else:
            audit.record("grid_cell.import", object_type="grid_cell",
                         detail={"created": len(result.created), "updated": len(result.updated)})
        db_session.commit()
        return payload


@blp.route("/grid-cells/export")
class Export(MethodView):
    @authenticated("grids.import")
    @blp.arguments(ExportArgsSchema, location="query")
    @blp.response(200, FeatureCollectionOutSchema)
    def get(self, args):
        """The grid cells within scope (and with `with_parents`, their district, street and
        community) as a GeoJSON FeatureCollection that imports back to the same places. Counts
        against the caller's EXPORTS_PER_HOUR with the ledgers (429 above)."""
        limit_exports("grid_cell.export", "grid_cell")
        return service.export_places(db_session, scope(), **args)


@blp.route("/places/<uuid:place_id>/coverage")
class Coverage(MethodView):
    @authenticated("places.read")
    @blp.response(200, CoverageSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such community within your scope")
    def get(self, place_id):
        """How much of a community its grid cells cover, and the uncovered part."""
        community = get_or_404(db_session, Place, place_id, scope())
        if community.kind != PlaceKind.community:
            raise NotFound()
        return service.coverage(db_session, community)


def _convert_geometry(geojson: dict, coord_system: CoordSystem) -> dict:
    if coord_system == CoordSystem.wgs84:
        return geojson
    converted = convert_geometry(shapely.geometry.shape(geojson), lambda x, y: from_wgs84(x, y, coord_system))
    return shapely.geometry.mapping(converted)


@blp.route("/map/grid-cells")
class MapGridCells(MethodView):
    @authenticated("places.read")
    @blp.arguments(MapArgsSchema, location="query")
    @blp.response(200, FeatureCollectionOutSchema)
    def get(self, args):
        """Grid cells in a bounding box as a GeoJSON FeatureCollection (properties `id`, `code`,
        `name`, `kind`, `community`), for map layers. At most 5,000 cells: zoom in for more."""
        cells = db_session.scalars(service.cells_in_bbox(scope(), args["bbox"]).options(undefer(GridCell.boundary))
                                   .limit(MAP_MAX_FEATURES + 1)).unique().all()
        if len(cells) > MAP_MAX_FEATURES:
            raise ValidationFailed(field_error("bbox", f"范围内网格超过 {MAP_MAX_FEATURES} 个，请缩小范围。",
                                               f"More than {MAP_MAX_FEATURES} cells in the box; zoom in."))
        preload_ancestors(db_session, cells)
        features = []
        for cell in cells:
            community = cell.parent
            features.append({
                "type": "Feature",
                "id": str(cell.id),
                "properties": {"id": str(cell.id), "code": cell.code, "name": cell.name,
                               "kind": cell.cell_kind.value, "community": community.name if community else None},
                "geometry": _convert_geometry(boundary_geojson(to_shape(cell.boundary)), args["coord_system"]),
            })
        return {"type": "FeatureCollection", "features": features}


@blp.route("/tiles/grid-cells/<int:z>/<int:x>/<int:y>.mvt")
class GridCellTiles(MethodView):
    @authenticated("places.read")
    @blp.doc(responses={"200": {"description": "A Mapbox vector tile (layer `grid_cells` from zoom 12, "
                                               "`communities` below)", **tiles.MVT_DOC},
                        "422": {"$ref": "#/components/responses/UNPROCESSABLE_ENTITY"}})
    def get(self, z, x, y):
        """Vector tile of the grid cells within the caller's scope, built by PostGIS (ST_AsMVT)."""
        tiles.check_tile(z, x, y)
        return tiles.mvt_response(service.tile(db_session, scope(), z, x, y))


