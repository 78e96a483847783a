"""Key persons (重点人员) at /api/v1/key-persons and care targets (关爱对象) at /api/v1/care-targets.

The two are built by one factory but stay apart: their own blueprints, names, permissions and audit
actions. Every read of a record is audited (which records, never their contents)."""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_smorest import Page

from api import audit, ledger, ratelimit
from api.context import authenticated, cipher, scope
from api.errors import ValidationFailed
from api.extensions import PLACE_FIGURES_MAX, Blueprint, ErrorSchema, audited_page
from api.governance import service
from api.governance.schemas import (
    AlertArgsSchema,
    AlertSchema,
    CareTargetCreateSchema,
    FollowedPersonSchema,
    FollowedQueryArgsSchema,
    FollowedUpdateSchema,
    KeyPersonCreateSchema,
)
from api.idempotency import commit, idempotent
from api.policy import get_or_404
from api.population.identity import mask_name
from api.population.schemas import RevealedSchema, RevealSchema, _age
from models.db import db_session

INVALID_CATEGORY = ("未知的类别。", "Unknown category.")


def person_view(kind: service.Kind, person) -> dict:
    visible = service.may_see_details(kind, scope(), person)
    resident = person.resident
    return {
        **{f: getattr(person, f) for f in ("id", "grid_cell", "category", "attention_level", "follow_up_days",
                                           "next_follow_up_on", "last_follow_up_at", "responsible", "status",
                                           "opened_on", "closed_on", "close_reason", "created_at", "updated_at")},
        "resident": {"id": resident.id, "name": resident.name, "gender": resident.gender,
                     "age": _age(resident.birth_date), "id_number_masked": resident.id_number_masked},
        "overdue": person.status.value == "active" and person.next_follow_up_on < service.today(),
        "details": service.details_of(kind, cipher(), person) if visible else None,
        "details_visible": visible,
    }


def _check_category(kind: service.Kind, args: dict) -> None:
    if args.get("category") is not None and args["category"] not in {c.value for c in kind.categories}:
        raise ValidationFailed({"category": [INVALID_CATEGORY]})


FOLLOWED_COLUMNS = ("姓名", "身份证号", "网格", "类别", "关注程度", "下次跟进", "跟进逾期", "最近跟进", "责任人", "状态")


def make_blueprint(kind: service.Kind, path: str, title: str, create_schema) -> Blueprint:
    blp = Blueprint(kind.permission, __name__, url_prefix="/api/v1", description=title)
    read, write, reveal = (f"{kind.permission}.{a}" for a in ("read", "write", "reveal"))

    @blp.route(f"/{path}")
    class Collection(MethodView):
        @authenticated(read)
        @blp.arguments(FollowedQueryArgsSchema, location="query")
        @blp.response(200, FollowedPersonSchema(many=True))
        @blp.paginate(audited_page(lambda p: person_view(kind, p), f"{kind.name}.list", kind.name))
        def get(self, args):
            """Within scope (a grid member: their cells), soonest follow-up first. Category details
            only for roles allowed to see them; identity numbers masked. The read is audited."""
            _check_category(kind, args)
            return service.list_people(kind, scope(), **args)

        @authenticated(write)
        @idempotent
        @blp.arguments(create_schema)
        @blp.response(201, FollowedPersonSchema)
        @blp.alt_response(404, schema=ErrorSchema, description="resident_id / id_number not within your scope")
        @blp.alt_response(409, schema=ErrorSchema, description="Already registered in this category")
        def post(self, body):
            """Register a resident of the population base (by `resident_id` or `id_number`) with a
            category, an attention level (its follow-up interval unless `follow_up_days` says), the
            responsible grid member and the category details (sealed at rest)."""
            person = service.create(db_session, kind, scope(), cipher(), current_app.config, body)
            audit.record(f"{kind.name}.create", object_type=kind.name, object_id=person.id,
                         detail={"category": person.category})
            commit()
            return person_view(kind, person)

    @blp.route(f"/{path}/alerts")
    class Alerts(MethodView):
        @authenticated(read)
        @blp.arguments(AlertArgsSchema, location="query")
        @blp.response(200, AlertSchema(many=True))
        @blp.paginate(Page, page_size=100, max_page_size=PLACE_FIGURES_MAX)
        def get(self, args):
            """Overdue follow-ups per grid cell, community and street within scope (预警), with how
            many are at high attention; `level` keeps one of them. Counts only, no names."""
            return service.alerts(db_session, kind, scope(), args.get("level"))

    @blp.route(f"/{path}/<uuid:person_id>")
    class Item(MethodView):
        @authenticated(read)
        @blp.etag
        @blp.response(200, FollowedPersonSchema)
        @blp.alt_response(404, schema=ErrorSchema, description="Not within your scope")
        def get(self, person_id):
            """One record (the read is audited)."""
            person = get_or_404(db_session, kind.model, person_id, scope())
            audit.record(f"{kind.name}.read", object_type=kind.name, object_id=person.id)
            db_session.commit()
            return person_view(kind, person)

        @authenticated(write)
        @blp.etag
        @blp.arguments(FollowedUpdateSchema)
        @blp.response(200, FollowedPersonSchema)
        @blp.alt_response(404, schema=ErrorSchema, description="Not within your scope")
        @blp.alt_response(409, schema=ErrorSchema, description="The record is closed")
        def patch(self, body, person_id):
            """Change the attention level (and with it the interval), the interval, the next
            follow-up, the responsible grid member or the details; close it (`status: closed` with a
            `close_reason`) when the reason ends."""
            person = get_or_404(db_session, kind.model, person_id, scope(), for_update=True)
            blp.check_etag(person_view(kind, person), FollowedPersonSchema)
            service.update(db_session, kind, cipher(), current_app.config, person, body)
            audit.record(f"{kind.name}.update", object_type=kind.name, object_id=person.id,
                         detail={"fields": sorted(body)})
            db_session.commit()
            return person_view(kind, person)

    @blp.route(f"/{path}/<uuid:person_id>/reveal")
    class Reveal(MethodView):
        @authenticated(reveal)
        @blp.arguments(RevealSchema)
        @blp.response(200, RevealedSchema)
        @blp.alt_response(404, schema=ErrorSchema, description="Not within your scope, or no number recorded")
        def post(self, body, person_id):
            """The person's full identity number, for a stated reason; audited with the reason. At
            most REVEALS_PER_HOUR (30) reveals an hour per user, of any kind: 429 above, audited."""
            ratelimit.per_user("reveal", current_app.config["REVEALS_PER_HOUR"],
                               audit_action=f"{kind.name}.reveal_id_number", object_type=kind.name, object_id=person_id)
            person = get_or_404(db_session, kind.model, person_id, scope())
            number = service.reveal_id_number(cipher(), person)
            audit.record(f"{kind.name}.reveal_id_number", object_type=kind.name, object_id=person.id,
                         detail={"reason": body["reason"]})
            db_session.commit()
            return {"id_number": number}, 200, {"Cache-Control": "no-store"}

    @blp.route(f"/{path}/export.xlsx")
    class Export(MethodView):
        @authenticated(read)
        @blp.arguments(FollowedQueryArgsSchema, location="query")
        @blp.doc(**ledger.XLSX_DOC)
        def get(self, args):
            """The filtered list as an Excel ledger, at most 10,000 rows, masked: the family name
            only and the masked identity number, never the category's details. Audited."""
            _check_category(kind, args)
            return ledger.export(
                service.list_people(kind, scope(), **args), title=f"{title.split('(')[-1].rstrip(')')}台账",
                filename=f"{path}.xlsx",
                columns=FOLLOWED_COLUMNS, action=f"{kind.name}.export", object_type=kind.name, filters=args,
                row=lambda p: [mask_name(p.resident.name), p.resident.id_number_masked or "", p.grid_cell.name,
                               p.category, p.attention_level.value, p.next_follow_up_on.isoformat(),
                               "是" if p.status.value == "active" and p.next_follow_up_on < service.today() else "",
                               ledger.when(p.last_follow_up_at), p.responsible.display_name if p.responsible else "",
                               p.status.value])

    return blp


key_persons_blp = make_blueprint(service.KEY_PERSONS, "key-persons", "Key persons (重点人员)", KeyPersonCreateSchema)
care_targets_blp = make_blueprint(service.CARE_TARGETS, "care-targets", "Care targets (关爱对象)", CareTargetCreateSchema)
