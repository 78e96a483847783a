"""Check-ins (签到) and patrol tracks (巡查): sent by the phone when it has signal; daily figures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import current_app
from flask.views import MethodView

from api import audit, ratelimit
from api.context import actor, authenticated, scope
from api.errors import NotFound, ValidationFailed
from api.extensions import Blueprint, ErrorSchema, rows_page, view_page
from api.geo.fields import point_out
from api.idempotency import commit, idempotent
from api.limits import cap_items
from api.patrols import service
from api.patrols.schemas import (
    MAX_POINTS,
    CheckInCreateSchema,
    CheckInSchema,
    DailyArgsSchema,
    DailySchema,
    DayArgsSchema,
    PatrolCreateSchema,
    PatrolDetailSchema,
    PatrolSchema,
)
from api.policy import OUT_OF_SCOPE, get_or_404
from models import Patrol
from models.db import db_session

blp = Blueprint("patrols", __name__, url_prefix="/api/v1", description="Patrols and check-ins (巡查, 签到)")

MAX_DAYS = 62


def check_in_view(check_in) -> dict:
    return {**{f: getattr(check_in, f) for f in ("id", "user", "kind", "at", "day", "grid_cell", "in_own_cells")},
            "location": point_out(check_in.location)}


def patrol_view(patrol, cells: list, *, detail: bool = False) -> dict:
    view = {f: getattr(patrol, f) for f in ("id", "user", "started_at", "ended_at", "point_count", "length_m",
                                            "active_seconds")}
    view["cells"] = cells
    if detail:
        view |= {"track": patrol.track, "point_times": patrol.point_times}
    return view


class PatrolPage(view_page(lambda p: p)):
    """Patrols of a page, each with the cells it covered (one query for the whole page)."""

    @property
    def items(self):
        patrols = super().items
        cells = service.cells_of(db_session, [p.id for p in patrols])
        return [patrol_view(p, cells.get(p.id, [])) for p in patrols]


def _check_person(user_id) -> None:
    if user_id is not None and not db_session.scalar(service.people_filter(scope(), user_id)):
        raise NotFound(errors={"user_id": [OUT_OF_SCOPE]})


@blp.route("/check-ins")
class CheckIns(MethodView):
    @authenticated("patrols.record")
    @idempotent
    @blp.arguments(CheckInCreateSchema)
    @blp.response(201, CheckInSchema)
    @blp.alt_response(200, schema=CheckInSchema, description="The same check-in sent again")
    @blp.alt_response(409, schema=ErrorSchema, description="The id was used for a different check-in")
    def post(self, body):
        """Check in (签到) or out (签退) where one stands, now or later from the phone's queue; the
        answer says which cell that was and whether it is one of the caller's own. At most
        SUBMISSIONS_PER_HOUR (120) an hour per user (429 above; a replayed Idempotency-Key is free)."""
        ratelimit.per_user("check-in", current_app.config["SUBMISSIONS_PER_HOUR"])
        check_in, created = service.record_check_in(db_session, actor().user, body, datetime.now(UTC))
        if created:
            audit.record(f"check_in.{check_in.kind.value}", object_type="check_in", object_id=check_in.id)
        commit()
        return check_in_view(check_in), 201 if created else 200

    @authenticated("patrols.read")
    @blp.arguments(DayArgsSchema, location="query")
    @blp.response(200, CheckInSchema(many=True))
    @blp.paginate(view_page(check_in_view))
    def get(self, args):
        """Check-ins within scope (a grid member: their own), newest first."""
        _check_person(args.get("user_id"))
        return service.list_check_ins(scope(), **args)


@blp.route("/patrols")
class Patrols(MethodView):
    @authenticated("patrols.record")
    @idempotent
    @blp.arguments(PatrolCreateSchema)
    @blp.response(201, PatrolSchema)
    @blp.alt_response(200, schema=PatrolSchema, description="The same track sent again")
    @blp.alt_response(409, schema=ErrorSchema, description="The id was used for a different track")
    @blp.alt_response(413, schema=ErrorSchema, description=f"Over {MAX_POINTS} points")
    def post(self, body):
        """Upload a patrol track: GPS fixes with their times, in order (a long patrol in pieces of
        at most 24 hours). The answer gives its length, active time and the cells it covered. At
        most SUBMISSIONS_PER_HOUR (120) uploads an hour per user (429 above)."""
        ratelimit.per_user("patrol", current_app.config["SUBMISSIONS_PER_HOUR"])
        cap_items("points", body["points"], MAX_POINTS)
        max_gap = timedelta(seconds=current_app.config["PATROL_MAX_GAP_SECONDS"])
        patrol, created = service.record_patrol(db_session, actor().user, body, datetime.now(UTC), max_gap)
        if created:
            audit.record("patrol.upload", object_type="patrol", object_id=patrol.id,
                         detail={"points": patrol.point_count})
        commit()
        return patrol_view(patrol, service.cells_of(db_session, [patrol.id]).get(patrol.id, [])), 201 if created else 200

    @authenticated("patrols.read")
    @blp.arguments(DayArgsSchema, location="query")
    @blp.response(200, PatrolSchema(many=True))
    @blp.paginate(PatrolPage)
    def get(self, args):
        """Patrols within scope (a grid member: their own), newest first; `day` keeps those active that day."""
        _check_person(args.get("user_id"))
        return service.list_patrols(scope(), **args)


@blp.route("/patrols/<uuid:patrol_id>")
class PatrolById(MethodView):
    @authenticated("patrols.read")
    @blp.response(200, PatrolDetailSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such patrol within your scope")
    def get(self, patrol_id):
        """One patrol with its track (GeoJSON LineString, WGS-84) and the time of each point."""
        patrol = get_or_404(db_session, Patrol, patrol_id, scope())
        return patrol_view(patrol, service.cells_of(db_session, [patrol.id]).get(patrol.id, []), detail=True)


@blp.route("/patrols/daily")
class Daily(MethodView):
    @authenticated("patrols.read")
    @blp.arguments(DailyArgsSchema, location="query")
    @blp.response(200, DailySchema(many=True))
    @blp.paginate(rows_page(service.daily_row))
    def get(self, args):
        """Patrol time per person and day (China time) with the metres walked, the cells covered
        and the first check-in and last check-out; the last seven days unless `from`/`to` say."""
        date_to = args.get("date_to") or service.china_day(datetime.now(UTC))
        date_from = args.get("date_from") or date_to - timedelta(days=6)
        if date_from > date_to:
            raise ValidationFailed({"from": [service.Msg.range_reversed]})
        if (date_to - date_from).days >= MAX_DAYS:
            raise ValidationFailed({"from": [service.Msg.range_too_long]})
        _check_person(args.get("user_id"))
        return service.daily(scope(), date_from, date_to, args.get("user_id"))
