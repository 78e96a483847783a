"""Petitions (信访): registration and reading, with the statutory dates; every read is audited."""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_smorest import Page

from api import audit, ledger, ratelimit
from api.context import actor, authenticated, cipher, scope
from api.extensions import PLACE_FIGURES_MAX, Blueprint, ErrorSchema, audited_page
from api.idempotency import commit, idempotent
from api.petitions import flow, service
from api.petitions.deadlines import Rules
from api.petitions.schemas import (
    PetitionCreateSchema,
    PetitionQueryArgsSchema,
    PetitionSchema,
    PetitionStatsArgsSchema,
    PetitionStatsSchema,
    PetitionTransitionSchema,
)
from api.policy import get_or_404
from models import Petition
from models.db import db_session

blp = Blueprint("petitions", __name__, url_prefix="/api/v1", description="Petitions (信访)")


@blp.route("/petitions")
class Petitions(MethodView):
    @authenticated("petitions.read")
    @blp.arguments(PetitionQueryArgsSchema, location="query")
    @blp.response(200, PetitionSchema(many=True))
    @blp.paginate(audited_page(lambda p: service.view(db_session, scope(), cipher(), p), "petition.list", "petition"))
    def get(self, args):
        """Petitions within scope (a handling unit: those assigned to it, without the petitioners),
        the soonest acceptance deadline first, with the running deadline's days left. Audited."""
        return service.list_petitions(scope(), **args)

    @authenticated("petitions.write")
    @idempotent
    @blp.arguments(PetitionCreateSchema)
    @blp.response(201, PetitionSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="An id in the body is not within your scope")
    def post(self, body):
        """Register a petition (登记): channel, received date (deadlines count from it), kind,
        summary, cell, petitioners (sealed; five or more make it collective), the earlier petition it
        repeats, the matter it concerns, and the users it accuses (who will never see it). At most
        SUBMISSIONS_PER_HOUR (120) an hour per user (429 above)."""
        ratelimit.per_user("petition", current_app.config["SUBMISSIONS_PER_HOUR"])
        petition = service.register(db_session, scope(), actor().user, cipher(), Rules.from_config(current_app.config),
                                    body)
        audit.record("petition.create", object_type="petition", object_id=petition.id)
        commit()
        return service.view(db_session, scope(), cipher(), petition, detail=True)


@blp.route("/petitions/stats")
class Stats(MethodView):
    @authenticated("petitions.write")
    @blp.arguments(PetitionStatsArgsSchema, location="query")
    @blp.response(200, PetitionStatsSchema(many=True))
    @blp.paginate(Page, page_size=100, max_page_size=PLACE_FIGURES_MAX)
    def get(self, args):
        """Petition figures per grid cell, community and street within scope (`level` keeps one;
        `received_from` / `received_to` a period): registered, open, overdue, collective, repeats, by
        kind and channel; decided accepted / not accepted / routed; replied, reviewed, re-reviewed;
        closed, satisfied, dissatisfied; and went up a level (越级) — 三零 is `zero_went_up`."""
        return service.stats(db_session, scope(), args.get("level"), args.get("received_from"),
                             args.get("received_to"))


@blp.route("/petitions/<uuid:petition_id>")
class PetitionById(MethodView):
    @authenticated("petitions.read")
    @blp.response(200, PetitionSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="Not within your scope (or it accuses you)")
    def get(self, petition_id):
        """One petition with its timeline (the read is audited)."""
        petition = get_or_404(db_session, Petition, petition_id, scope())
        audit.record("petition.read", object_type="petition", object_id=petition.id)
        db_session.commit()
        return service.view(db_session, scope(), cipher(), petition, detail=True)


@blp.route("/petitions/<uuid:petition_id>/transitions")
class Transitions(MethodView):
    @authenticated("petitions.read")
    @blp.arguments(PetitionTransitionSchema)
    @blp.response(200, PetitionSchema)
    @blp.alt_response(409, schema=ErrorSchema, description="The step does not fit the current state")
    def post(self, body, petition_id):
        """One step of the flow (accept, not_accept, route, assign, extend, reply, request_review,
        review_reply, request_re_review, re_review_reply, close); the statutory dates follow."""
        petition = get_or_404(db_session, Petition, petition_id, scope(), for_update=True)
        event = flow.apply(db_session, scope(), actor().user, Rules.from_config(current_app.config), petition,
                           body["action"], body)
        audit.record(f"petition.{body['action']}", object_type="petition", object_id=petition.id,
                     detail={"to_status": event.to_status})
        db_session.commit()
        return service.view(db_session, scope(), cipher(), petition, detail=True)


PETITION_COLUMNS = ("收件日期", "网格", "渠道", "类别", "概要", "人数", "集体访", "状态", "承办单位", "受理日期", "受理决定",
                    "越级至")


@blp.route("/petitions/export.xlsx")
class PetitionsExport(MethodView):
    @authenticated("petitions.read")
    @blp.arguments(PetitionQueryArgsSchema, location="query")
    @blp.doc(**ledger.XLSX_DOC)
    def get(self, args):
        """The filtered petitions as an Excel ledger (信访台账), at most 10,000 rows: never the
        petitioners (their number only); a handling unit gets the ones assigned to it. Audited."""
        return ledger.export(
            service.list_petitions(scope(), **args), title="信访台账", filename="petitions.xlsx",
            columns=PETITION_COLUMNS, action="petition.export", object_type="petition", filters=args,
            row=lambda p: [p.received_on.isoformat(), p.grid_cell.name, p.channel.value, p.kind.value, p.summary,
                           p.petitioner_count, "是" if p.collective else "", p.status.value,
                           p.unit.name if p.unit else "", p.accepted_on.isoformat() if p.accepted_on else "",
                           p.decision or "", p.went_up_to or ""])
