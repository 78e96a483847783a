"""Resident matters (事件): categories, reporting from the app or the console, reading within scope."""

from __future__ import annotations

from flask import Response, current_app
from flask.views import MethodView
from flask_smorest import Page
from sqlalchemy import select

from api import audit, ratelimit
from api.auth.schemas import UnitRefSchema
from api.context import actor, authenticated, scope
from api.emergency import incidents
from api.extensions import PLACE_FIGURES_MAX, Blueprint, ErrorSchema, QueryPage, view_page
from api.geo import tiles
from api.geo.coords import from_wgs84, to_wgs84
from api.geo.fields import point_out
from api.idempotency import commit, idempotent
from api.ledger import EXPORT_LIMIT, XLSX, XLSX_DOC, limit_exports
from api.matters import service, workflow
from api.matters.schemas import (
    CategoryCreateSchema,
    CategoryQueryArgsSchema,
    CategorySchema,
    CategoryUpdateSchema,
    MapMattersArgsSchema,
    MapMattersSchema,
    MatterCreateSchema,
    MatterQueryArgsSchema,
    MatterSchema,
    MatterStatsArgsSchema,
    MatterStatsSchema,
    MatterTileArgsSchema,
    NearbyArgsSchema,
    NearbySchema,
    TimelineEntrySchema,
    TransitionSchema,
)
from api.policy import reachable_units, require, scoped
from models import Matter
from models.db import db_session

blp = Blueprint("matters", __name__, url_prefix="/api/v1", description="Resident matters (事件)")



def matter_view(matter, *, with_photos: bool = False, photos: list | None = None) -> dict:
    """A matter as its schema shows it to the caller; ``with_photos`` adds its photos (``photos``
    when the caller knows them already) and the actions the caller may take."""
    viewer = actor()
    show_reporter = matter.reporter is not None and (
        not matter.anonymous or viewer.id == matter.reporter_id or viewer.role in service.AREA_ROLES)
    return {
        **{name: getattr(matter, name) for name in ("id", "number", "category", "description", "address",
                                                   "grid_cell", "needs_placement", "source", "status",
                                                   "anonymous", "level", "unit", "assignee", "rating",
                                                   "reopen_count", "closed_at", "supervised", "urge_count",
                                                   "created_at", "updated_at")},
        "location": point_out(matter.location),
        "merged_into": matter.merged_into_id,
        "incident_id": matter.incident_id,
        "reporter": matter.reporter if show_reporter else None,
        "deadline": matter.stage_due_at,
        "deadline_colour": service.deadline_colour(matter),
        **({"photos": service.photos_of(db_session, matter) if photos is None else photos,
            "actions": workflow.allowed_actions(matter, viewer.user)} if with_photos else {}),
    }




@blp.route("/matter-categories")
class Categories(MethodView):
    @authenticated()
    @blp.arguments(CategoryQueryArgsSchema, location="query")
    @blp.response(200, CategorySchema(many=True))
    @blp.paginate(QueryPage, page_size=100)
    def get(self, args):
        """The two-level category taxonomy with each category's time limits per stage (hours),
        default handling unit and whether a photo is required."""
        return service.list_categories(**args)

    @authenticated("categories.write")
    @blp.arguments(CategoryCreateSchema)
    @blp.response(201, CategorySchema)
    def post(self, body):
        """Add a secondary category under a primary one."""
        category = service.create_category(db_session, body)
        audit.record("matter_category.create", object_type="matter_category", object_id=category.code)
        db_session.commit()
        return category


@blp.route("/matter-categories/<string:code>")
class CategoryByCode(MethodView):
    @authenticated()
    @blp.etag
    @blp.response(200, CategorySchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such category")
    def get(self, code):
        """One category."""
        return service.category_by_code(db_session, code)

    @authenticated("categories.write")
    @blp.etag
    @blp.arguments(CategoryUpdateSchema)
    @blp.response(200, CategorySchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such category")
    def patch(self, body, code):
        """Edit a category: names, time limits, default handling unit, photo rule, in use or not."""
        category = service.category_by_code(db_session, code)
        blp.check_etag(category, CategorySchema)
        service.update_category(db_session, category, body)
        audit.record("matter_category.update", object_type="matter_category", object_id=code,
                     detail={"fields": sorted(body)})
        db_session.commit()
        return category


@blp.route("/matters")
class Matters(MethodView):
    @authenticated("matters.read")
    @blp.arguments(MatterQueryArgsSchema, location="query")
    @blp.response(200, MatterSchema(many=True))
    @blp.paginate(view_page(matter_view, ids_and_total=service.page_ids_and_total))
    def get(self, args):
        """Matters within scope: a resident's own; a grid member's cells'; staff's area; newest first."""
        return service.list_matters(scope(), **args)

    @authenticated("matters.report")
    @idempotent
    @blp.arguments(MatterCreateSchema)
    @blp.response(201, MatterSchema)
    def post(self, body):
        """Report a matter. The point (any coordinate system) is converted to WGS-84 and placed in
        its grid cell; a point outside every cell is kept and flagged for manual placement. Send an
        `Idempotency-Key`: a retried report exists once."""
        ratelimit.per_user("matters", current_app.config["MATTER_REPORTS_PER_HOUR"])
        matter = service.submit(db_session, actor().user, body)
        audit.record("matter.create", object_type="matter", object_id=matter.id)
        commit()
        # a report sent without photos has none: no query to find that out
        return matter_view(matter, with_photos=True, photos=None if body.get("photo_ids") else [])


@blp.route("/matters/nearby")
class Nearby(MethodView):
    @authenticated("matters.report")
    @blp.arguments(NearbyArgsSchema, location="query")
    @blp.response(200, NearbySchema(many=True))
    def get(self, args):
        """Likely duplicates before reporting: open matters of the same category within `radius_m`
        (default 250 m), nearest first. Residents see no descriptions of other people's reports."""
        lng, lat = to_wgs84(args["lng"], args["lat"], args["coord_system"])
        rows = service.nearby(db_session, args["category"], lng, lat, args["radius_m"])
        visible = set(db_session.scalars(scoped(select(Matter.id).where(Matter.id.in_([m.id for m, _ in rows])),
                                                Matter, scope())))
        # Outside the caller's scope: no id, no words, distance to the nearest 50 m.
        return [{"id": m.id if m.id in visible else None, "number": m.number if m.id in visible else None,
                 "category": m.category, "status": m.status, "created_at": m.created_at,
                 "distance_m": round(d, 1) if m.id in visible else float(max(50, round(d / 50) * 50)),
                 "description": m.description if m.id in visible else None} for m, d in rows]




def _exported(args) -> list:
    limit_exports("matter.export", "matter")
    matters = db_session.scalars(service.list_matters(scope(), **args).limit(EXPORT_LIMIT)).unique().all()
    audit.record("matter.export", object_type="matter", detail={"rows": len(matters), "filters": sorted(args)})
    db_session.commit()
    return matters


@blp.route("/matters/export.xlsx")
class ExportXlsx(MethodView):
    @authenticated("matters.export")
    @blp.arguments(MatterQueryArgsSchema, location="query")
    @blp.doc(**XLSX_DOC)
    def get(self, args):
        """The filtered list (the same filters as the list) as an Excel ledger (台账), at most 10,000
        rows; the export is audited."""
        return Response(service.to_xlsx(_exported(args)), mimetype=XLSX,
                        headers={"Content-Disposition": "attachment; filename=matters.xlsx"})


@blp.route("/matters/export.csv")
class Export(MethodView):
    @authenticated("matters.export")
    @blp.arguments(MatterQueryArgsSchema, location="query")
    @blp.doc(responses={"200": {"description": "CSV (UTF-8 with BOM, opens in Excel): the filtered list, 台账",
                                "content": {"text/csv": {"schema": {"type": "string"}}}}})
    def get(self, args):
        """The filtered list as a ledger (台账) for Excel, at most 10,000 rows; the export is audited."""
        return Response(service.to_csv(_exported(args)), mimetype="text/csv",
                        headers={"Content-Disposition": "attachment; filename=matters.csv"})


@blp.route("/handling-units")
class Units(MethodView):
    @authenticated("matters.export")
    @blp.response(200, UnitRefSchema(many=True))
    @blp.paginate(QueryPage, page_size=100)
    def get(self):
        """The handling units (处置部门) you may dispatch matters and petitions to: those of your
        place's line, above it (a district's bureau) or below it."""
        return reachable_units(actor().user)


@blp.route("/matters/stats")
class Stats(MethodView):
    @authenticated("matters.export")
    @blp.arguments(MatterStatsArgsSchema, location="query")
    @blp.response(200, MatterStatsSchema(many=True))
    @blp.paginate(Page, page_size=100, max_page_size=PLACE_FIGURES_MAX)
    def get(self, args):
        """Matters per grid cell, community and street of your area (`level` keeps one; places with
        none included): open, overdue, to accept, closed — the map's colours, the cockpit's ranks."""
        return service.stats(db_session, scope(), args.get("level"))


@blp.route("/matters/<uuid:matter_id>")
class MatterById(MethodView):
    @authenticated("matters.read")
    @blp.response(200, MatterSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such matter within your scope")
    def get(self, matter_id):
        """One matter with its current deadline and its colour, and its photos."""
        return matter_view(service.get_matter(db_session, matter_id, scope()), with_photos=True)


@blp.route("/matters/<uuid:matter_id>/transitions")
class Transitions(MethodView):
    @authenticated("matters.read")
    @idempotent
    @blp.arguments(TransitionSchema)
    @blp.response(200, MatterSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such matter within your scope")
    @blp.alt_response(409, schema=ErrorSchema, description="The action does not fit the matter's state")
    def post(self, body, matter_id):
        """Move a matter along the case flow: accept, reject, register, dispatch, return, handle,
        verify, rework, close, resolve_on_spot, escalate, rate, reopen. 403 when the role may not
        take the action, 409 when it does not fit the state; every step is on the timeline.
        `escalate` with an incident `level` (I–IV; `kind`, `subtype` optional) makes it an incident
        (突发事件) in one step, linked both ways (`incident_id`). With an `Idempotency-Key` a phone's
        retry of a step that was taken (a rating, a reopening) answers as the first time did."""
        current = actor()
        matter = service.get_matter(db_session, matter_id, scope(), for_update=True)
        if body["action"] == "escalate" and body.get("level") is not None:
            # escalate to an incident (突发事件) of that level, linked both ways, in one step
            require(current.role, "incidents.report")
            incident = incidents.create(db_session, scope(), current.user, {
                "matter_id": matter.id, "level": body["level"], "kind": body.get("kind"),
                "subtype": body.get("subtype"), "description": body.get("note")})
            audit.record("incident.create", object_type="incident", object_id=incident.id,
                         detail={"level": incident.level.value, "matter_id": str(matter.id)})
        else:
            event = workflow.apply(db_session, scope(), current.user, matter, body["action"], body)
            audit.record(f"matter.{body['action']}", object_type="matter", object_id=matter.id,
                         detail={"from": event.from_status, "to": event.to_status})
        commit()
        db_session.refresh(matter)
        return matter_view(matter, with_photos=True)


@blp.route("/matters/<uuid:matter_id>/timeline")
class Timeline(MethodView):
    @authenticated("matters.read")
    @blp.response(200, TimelineEntrySchema(many=True))
    @blp.paginate(QueryPage, page_size=100)
    @blp.alt_response(404, schema=ErrorSchema, description="No such matter within your scope")
    def get(self, matter_id):
        """Every step of the matter, oldest first (流转记录)."""
        return service.timeline(service.get_matter(db_session, matter_id, scope()))


MAP_MAX_MATTERS = 5000


@blp.route("/map/matters")
class MapMatters(MethodView):
    @authenticated("matters.read")
    @blp.arguments(MapMattersArgsSchema, location="query")
    @blp.response(200, MapMattersSchema)
    def get(self, args):
        """Open matters in a bounding box as a GeoJSON FeatureCollection (properties `id`,
        `number`, `status`, `category`, `deadline_colour`), within your scope, for the map's layer.
        At most 5,000, the most urgent first (earliest stage deadline): `truncated` says when the
        box held more — zoom in for the rest."""
        rows = db_session.execute(service.open_in_bbox(scope(), args["bbox"], args.get("status"))
                                  .limit(MAP_MAX_MATTERS + 1)).all()
        features = []
        for row in rows[:MAP_MAX_MATTERS]:
            lng, lat = from_wgs84(row.lng, row.lat, args["coord_system"])
            features.append({"type": "Feature", "id": str(row.id),
                             "properties": {"id": str(row.id), "number": row.number, "status": row.status.value,
                                            "category": row.code, "deadline_colour": service.deadline_colour(row)},
                             "geometry": {"type": "Point", "coordinates": [lng, lat]}})
        return {"type": "FeatureCollection", "features": features, "truncated": len(rows) > MAP_MAX_MATTERS}


@blp.route("/tiles/matters/<int:z>/<int:x>/<int:y>.mvt")
class MatterTiles(MethodView):
    @authenticated("matters.read")
    @blp.arguments(MatterTileArgsSchema, location="query")
    @blp.doc(responses={"200": {"description": "A Mapbox vector tile: layer `matters` from zoom 14 (`id`, `number`, "
                                               "`status`, `category`, `deadline_colour`), `matter_clusters` below "
                                               "(`count`, `red`, `yellow`)", **tiles.MVT_DOC},
                        "422": {"$ref": "#/components/responses/UNPROCESSABLE_ENTITY"}})
    def get(self, args, z, x, y):
        """Vector tile of the open matters within your scope (`status=` keeps one open status), built
        by PostGIS: each matter from zoom 14, counts per square of 1/32 of the tile below."""
        tiles.check_tile(z, x, y)
        return tiles.mvt_response(service.tile(db_session, scope(), z, x, y, args.get("status")))
