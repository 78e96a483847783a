"""Door-knock visits (敲门行动): the week's plan, the offline sync, the list."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app
from flask.views import MethodView
from flask_smorest import Page

from api import audit, ledger, ratelimit
from api.context import actor, authenticated, cipher, scope
from api.extensions import PLACE_FIGURES_MAX, Blueprint, ErrorSchema, rows_page, view_page
from api.geo.fields import point_out
from api.idempotency import commit, idempotent
from api.limits import cap_items
from api.policy import get_or_404
from api.visits import service
from api.visits.schemas import (
    MAX_BATCH,
    HouseholdVisitSchema,
    PlanArgsSchema,
    PlanItemSchema,
    SyncAnswerSchema,
    SyncSchema,
    UnvisitedArgsSchema,
    VisitCoverageArgsSchema,
    VisitCoverageSchema,
    VisitItemSchema,
    VisitQueryArgsSchema,
    VisitSchema,
)
from models import GridCell
from models.db import db_session

blp = Blueprint("visits", __name__, url_prefix="/api/v1", description="Door-knock visits (敲门行动)")


def visit_view(visit) -> dict:
    return {**{f: getattr(visit, f) for f in ("id", "household_id", "grid_cell_id", "visitor_id", "visited_at", "week",
                                              "far_from_household", "result", "findings", "notes", "roster_changes",
                                              "photo_ids", "version")},
            "location": point_out(visit.location)}




@blp.route("/visits/sync")
class Sync(MethodView):
    @authenticated("visits.sync")
    @idempotent
    @blp.arguments(SyncSchema)
    @blp.response(200, SyncAnswerSchema)
    @blp.alt_response(413, schema=ErrorSchema, description=f"Over {MAX_BATCH} visits in one batch (too_many_items)")
    def post(self, body):
        """Push visits recorded offline, in one go or several, repeats included: one result per
        visit (`created`, `updated`, `unchanged`, or `rejected` with its reason); a rejected visit
        does not hold up the others. Editing a synced visit sends the `version` the phone last saw.
        With an `Idempotency-Key`, a batch sent again answers as the first time did. At most
        SUBMISSIONS_PER_HOUR (120) batches an hour per user (429 above)."""
        ratelimit.per_user("visit-sync", current_app.config["SUBMISSIONS_PER_HOUR"])
        cap_items("visits", body["visits"], MAX_BATCH)
        results = service.sync(db_session, scope(), actor().user, body["visits"], VisitItemSchema(),
                               cipher(),
                               far_metres=current_app.config["VISIT_FAR_METRES"])
        counts = {s: sum(1 for r in results if r["status"] == s) for s in ("created", "updated", "unchanged", "rejected")}
        audit.record("visit.sync", object_type="visit", detail=counts)
        commit()
        return {"results": results}


@blp.route("/visits")
class Visits(MethodView):
    @authenticated("visits.read")
    @blp.arguments(VisitQueryArgsSchema, location="query")
    @blp.response(200, VisitSchema(many=True))
    @blp.paginate(view_page(visit_view))
    def get(self, args):
        """Visits within scope (a grid member: their cells'), newest first; `week=2026-W48`."""
        return service.list_visits(scope(), visitor_id=actor().id, **args)


@blp.route("/visits/plan")
class Plan(MethodView):
    @authenticated("visits.read")
    @blp.arguments(PlanArgsSchema, location="query")
    @blp.response(200, PlanItemSchema(many=True))
    @blp.paginate(Page, page_size=100)
    def get(self, args):
        """The week's door-knock plan: the households of the caller's cells (staff: any cell under
        them, `grid_cell_id`), whether each was visited that ISO week, when last, and what is due —
        households flagged for weekly follow-up first, then the longest unvisited."""
        return service.plan(db_session, scope(), args["week"], args.get("grid_cell_id"))


@blp.route("/visits/unvisited")
class Unvisited(MethodView):
    @authenticated("visits.read")
    @blp.arguments(UnvisitedArgsSchema, location="query")
    @blp.response(200, HouseholdVisitSchema(many=True))
    @blp.paginate(rows_page(lambda row: service.household_item(row, datetime.now(UTC))))
    def get(self, args):
        """Households within scope not visited for `weeks` weeks (4 by default), never visited
        first; `grid_cell_id` narrows to one cell."""
        if args.get("grid_cell_id") is not None:
            get_or_404(db_session, GridCell, args["grid_cell_id"], scope(), field="grid_cell_id")
        return service.unvisited(scope(), args["weeks"], datetime.now(UTC), args.get("grid_cell_id"))


@blp.route("/visits/coverage")
class Coverage(MethodView):
    @authenticated("visits.read")
    @blp.arguments(VisitCoverageArgsSchema, location="query")
    @blp.response(200, VisitCoverageSchema(many=True))
    @blp.paginate(Page, page_size=100, max_page_size=PLACE_FIGURES_MAX)
    def get(self, args):
        """Visit coverage of an ISO week per grid cell, community and street within scope (`level`
        keeps one of them), against the target (`VISIT_TARGET_PERCENT`, 80 by default)."""
        return service.coverage(db_session, scope(), args["week"], current_app.config["VISIT_TARGET_PERCENT"],
                                args.get("level"))


VISIT_COLUMNS = ("走访时间", "周次", "网格", "住户", "走访人", "结果", "发现事项", "远离住户", "备注")
RESULT_NAMES = {"met": "见面", "nobody_home": "无人在家", "refused": "拒绝入户"}


@blp.route("/visits/export.xlsx")
class VisitsExport(MethodView):
    @authenticated("visits.read")
    @blp.arguments(VisitQueryArgsSchema, location="query")
    @blp.doc(**ledger.XLSX_DOC)
    def get(self, args):
        """The filtered visits (the list's filters and scope) as an Excel ledger (走访台账), at most
        10,000 rows, newest first; the export is audited."""
        names: dict = {}

        def prepare(visits):
            names.update(service.ledger_names(db_session, visits))

        return ledger.export(
            service.list_visits(scope(), visitor_id=actor().id, **args), title="走访台账", filename="visits.xlsx",
            columns=VISIT_COLUMNS, action="visit.export", object_type="visit", filters=args, prepare=prepare,
            row=lambda v: [ledger.when(v.visited_at), v.week, names.get(v.grid_cell_id, ""),
                           names.get(v.household_id, ""), names.get(v.visitor_id, ""),
                           RESULT_NAMES.get(v.result.value, v.result.value),
                           "；".join(f.get("note") or f["tag"] for f in v.findings), "是" if v.far_from_household else "",
                           v.notes or ""])
