"""Reading the audit log: the audit administrator's duty."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from sqlalchemy import ColumnElement, or_, select

from api.context import authenticated, scope
from api.extensions import Blueprint, InputSchema, OutputSchema, QueryPage
from api.policy import Scope, scope_rule, scoped, under
from models import AuditEvent, Place, User

blp = Blueprint("audit_events", __name__, url_prefix="/api/v1", description="The audit log (审计日志)")


@scope_rule(AuditEvent)
def _audit_rule(scope: Scope) -> ColumnElement[bool]:
    # Events of accounts under the caller's place, and those with no known actor (e.g. failed
    # logins under unknown names).
    actors = select(User.id).join(Place, Place.id == User.place_id).where(under(Place.path, scope.place_paths))
    return or_(AuditEvent.actor_id.is_(None), AuditEvent.actor_id.in_(actors))


class AuditQueryArgsSchema(InputSchema):
    actor_id = ma.fields.UUID()
    action = ma.fields.String(validate=ma.validate.Length(max=64))
    object_type = ma.fields.String(validate=ma.validate.Length(max=64))
    object_id = ma.fields.String(validate=ma.validate.Length(max=64))
    outcome = ma.fields.String(validate=ma.validate.OneOf(["success", "failure", "denied", "rejected", "error"]))
    since = ma.fields.AwareDateTime()
    until = ma.fields.AwareDateTime()


class AuditEventSchema(OutputSchema):
    id = ma.fields.Integer(required=True)
    at = ma.fields.AwareDateTime(required=True)
    actor_id = ma.fields.UUID(allow_none=True)
    actor_username = ma.fields.String(allow_none=True)
    actor_role = ma.fields.String(allow_none=True)
    action = ma.fields.String(required=True)
    object_type = ma.fields.String(allow_none=True)
    object_id = ma.fields.String(allow_none=True)
    outcome = ma.fields.String(required=True)
    ip = ma.fields.String(allow_none=True)
    request_id = ma.fields.String(allow_none=True)
    detail = ma.fields.Dict(allow_none=True)


@blp.route("/audit-events")
class AuditEvents(MethodView):
    @authenticated("audit.read")
    @blp.arguments(AuditQueryArgsSchema, location="query")
    @blp.response(200, AuditEventSchema(many=True))
    @blp.paginate(QueryPage)
    def get(self, args):
        """Audit events, newest first."""
        stmt = select(AuditEvent)
        for name in ("actor_id", "action", "object_type", "object_id", "outcome"):
            if name in args:
                stmt = stmt.where(getattr(AuditEvent, name) == args[name])
        if "since" in args:
            stmt = stmt.where(AuditEvent.at >= args["since"])
        if "until" in args:
            stmt = stmt.where(AuditEvent.at < args["until"])
        return scoped(stmt, AuditEvent, scope()).order_by(AuditEvent.id.desc())
