"""Disputes (矛盾纠纷): registration, mediation sessions, closing with an outcome, success rates."""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_smorest import Page

from api import audit, ledger, ratelimit
from api.context import actor, authenticated, cipher, scope
from api.disputes import service
from api.disputes.schemas import (
    CloseSchema,
    DisputeCreateSchema,
    DisputeQueryArgsSchema,
    DisputeSchema,
    SessionCreateSchema,
    SessionSchema,
    StatsArgsSchema,
    StatsSchema,
)
from api.extensions import PLACE_FIGURES_MAX, Blueprint, ErrorSchema, QueryPage
from api.idempotency import commit, idempotent
from api.policy import get_or_404
from models import Dispute
from models.db import db_session

blp = Blueprint("disputes", __name__, url_prefix="/api/v1", description="Disputes and mediation (矛盾纠纷)")


def _full(dispute: Dispute) -> dict:
    return {**{c.key: getattr(dispute, c.key) for c in Dispute.__mapper__.column_attrs},
            "grid_cell": dispute.grid_cell, "mediator": dispute.mediator, **service.detail(db_session, cipher(), dispute)}


@blp.route("/disputes")
class Disputes(MethodView):
    @authenticated("disputes.read")
    @blp.arguments(DisputeQueryArgsSchema, location="query")
    @blp.response(200, DisputeSchema(many=True))
    @blp.paginate(QueryPage)
    def get(self, args):
        """Disputes within scope, newest first; the parties only in the detail."""
        return service.list_disputes(scope(), **args)

    @authenticated("disputes.write")
    @idempotent
    @blp.arguments(DisputeCreateSchema)
    @blp.response(201, DisputeSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="An id in the body is not within your scope")
    def post(self, body):
        """Register a dispute: at least two parties (sealed at rest), kind, risk level, the cell (or
        the matter or door-knock visit it started from, linked), a mediator or a mediation team.
        At most SUBMISSIONS_PER_HOUR (120) an hour per user (429 above)."""
        ratelimit.per_user("dispute", current_app.config["SUBMISSIONS_PER_HOUR"])
        dispute = service.register(db_session, scope(), actor().user, cipher(), body)
        audit.record("dispute.create", object_type="dispute", object_id=dispute.id)
        commit()
        return _full(dispute)


@blp.route("/disputes/stats")
class Stats(MethodView):
    @authenticated("disputes.read")
    @blp.arguments(StatsArgsSchema, location="query")
    @blp.response(200, StatsSchema(many=True))
    @blp.paginate(Page, page_size=100, max_page_size=PLACE_FIGURES_MAX)
    def get(self, args):
        """Registered, open and closed disputes and the mediation success rate (agreements ÷ closed)
        per grid cell, community and street within scope; `level` keeps one of them."""
        return service.stats(db_session, scope(), args.get("level"))


@blp.route("/disputes/<uuid:dispute_id>")
class DisputeById(MethodView):
    @authenticated("disputes.read")
    @blp.response(200, DisputeSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="Not within your scope")
    def get(self, dispute_id):
        """One dispute with its parties and mediation sessions (the read is audited)."""
        dispute = get_or_404(db_session, Dispute, dispute_id, scope())
        audit.record("dispute.read", object_type="dispute", object_id=dispute.id)
        db_session.commit()
        return _full(dispute)


@blp.route("/disputes/<uuid:dispute_id>/sessions")
class Sessions(MethodView):
    @authenticated("disputes.write")
    @blp.arguments(SessionCreateSchema)
    @blp.response(201, SessionSchema)
    @blp.alt_response(409, schema=ErrorSchema, description="The dispute is closed")
    def post(self, body, dispute_id):
        """Record a mediation session (notes sealed at rest); the dispute is then being mediated."""
        dispute = get_or_404(db_session, Dispute, dispute_id, scope(), for_update=True)
        session = service.add_session(db_session, actor().user, cipher(), dispute, body)
        audit.record("dispute.session", object_type="dispute", object_id=dispute.id)
        db_session.commit()
        return {"id": session.id, "held_on": session.held_on, "mediator": actor().user, "notes": body["notes"]}


@blp.route("/disputes/<uuid:dispute_id>/close")
class Close(MethodView):
    @authenticated("disputes.write")
    @blp.arguments(CloseSchema)
    @blp.response(200, DisputeSchema)
    @blp.alt_response(409, schema=ErrorSchema, description="Already closed")
    def post(self, body, dispute_id):
        """Close with the outcome: agreement reached, referred to court, to petitions, or escalated.
        Community staff and above, or the dispute's own mediator."""
        dispute = get_or_404(db_session, Dispute, dispute_id, scope(), for_update=True)
        service.close(db_session, scope(), actor().user, dispute, body)
        audit.record("dispute.close", object_type="dispute", object_id=dispute.id,
                     detail={"outcome": dispute.outcome.value})
        db_session.commit()
        return _full(dispute)


DISPUTE_COLUMNS = ("登记时间", "网格", "类型", "概要", "当事人数", "风险等级", "状态", "调解员", "调解结果", "结案时间")


@blp.route("/disputes/export.xlsx")
class DisputesExport(MethodView):
    @authenticated("disputes.read")
    @blp.arguments(DisputeQueryArgsSchema, location="query")
    @blp.doc(**ledger.XLSX_DOC)
    def get(self, args):
        """The filtered disputes as an Excel ledger (矛盾纠纷台账), at most 10,000 rows; the parties
        stay sealed (their number only, as in the list); the export is audited."""
        return ledger.export(
            service.list_disputes(scope(), **args), title="矛盾纠纷台账", filename="disputes.xlsx",
            columns=DISPUTE_COLUMNS, action="dispute.export", object_type="dispute", filters=args,
            row=lambda d: [ledger.when(d.created_at), d.grid_cell.name, d.kind.value, d.summary, d.party_count,
                           d.risk_level.value, d.status.value, d.mediator.display_name if d.mediator else "",
                           d.outcome.value if d.outcome else "", ledger.when(d.closed_at)])
