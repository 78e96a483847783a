"""The user's notifications (消息), for the apps."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView

from api import audit
from api.context import actor, authenticated
from api.errors import current_language
from api.extensions import Blueprint, InputSchema, OutputSchema, view_page
from api.notifications import service
from models.db import db_session

blp = Blueprint("notifications", __name__, url_prefix="/api/v1", description="Notifications (消息)")


class NotificationQueryArgsSchema(InputSchema):
    unread = ma.fields.Boolean(load_default=False)


class NotificationSchema(OutputSchema):
    id = ma.fields.UUID(required=True)
    topic = ma.fields.String(required=True, metadata={"description": "e.g. matter.accepted, matter.assigned"})
    title = ma.fields.String(required=True)
    body = ma.fields.String(required=True)
    matter_id = ma.fields.UUID(allow_none=True)
    petition_id = ma.fields.UUID(allow_none=True, metadata={"description": "A petition deadline reminder's petition"})
    incident_id = ma.fields.UUID(allow_none=True, metadata={"description": "A dispatch's or an alert's incident"})
    created_at = ma.fields.AwareDateTime(required=True)
    read_at = ma.fields.AwareDateTime(allow_none=True)


class MarkReadSchema(InputSchema):
    ids = ma.fields.List(ma.fields.UUID(), validate=ma.validate.Length(min=1, max=500),
                         metadata={"description": "Omit to mark all as read"})


class MarkReadResultSchema(OutputSchema):
    marked = ma.fields.Integer(required=True)




@blp.route("/notifications")
class Notifications(MethodView):
    @authenticated()
    @blp.arguments(NotificationQueryArgsSchema, location="query")
    @blp.response(200, NotificationSchema(many=True))
    @blp.paginate(view_page(lambda n: service.render(n, current_language())))
    def get(self, args):
        """My notifications, newest first, in my language."""
        return service.list_for(actor().id, **args)


@blp.route("/notifications/read")
class MarkRead(MethodView):
    @authenticated()
    @blp.arguments(MarkReadSchema)
    @blp.response(200, MarkReadResultSchema)
    def post(self, body):
        """Mark some (or all) of my notifications read."""
        marked = service.mark_read(db_session, actor().id, body.get("ids"))
        audit.record("notification.read", object_type="notification", detail={"marked": marked})
        db_session.commit()
        return {"marked": marked}
