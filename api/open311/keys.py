"""Open311 partner keys, issued and revoked by the system administrator (系统管理员)."""

from __future__ import annotations

import secrets
import uuid

import marshmallow as ma
from flask.views import MethodView
from sqlalchemy import ColumnElement, select

from api import audit
from api.auth.schemas import PlaceRefSchema
from api.context import authenticated, scope
from api.extensions import Blueprint, ErrorSchema, InputSchema, OutputSchema, QueryPage, Text
from api.open311.resources import hash_key
from api.policy import Scope, get_or_404, scope_rule, scoped, under
from models import Open311Key, Place
from models.db import db_session

blp = Blueprint("open311_keys", __name__, url_prefix="/api/v1", description="Open311 partner keys")


@scope_rule(Open311Key)
def _key_rule(scope: Scope) -> ColumnElement[bool]:
    return Open311Key.place_id.in_(select(Place.id).where(under(Place.path, scope.place_paths)))


class KeySchema(OutputSchema):
    id = ma.fields.UUID(required=True)
    name = ma.fields.String(required=True)
    place = ma.fields.Nested(PlaceRefSchema, required=True)
    is_active = ma.fields.Boolean(required=True)
    is_demo = ma.fields.Boolean(required=True)
    created_at = ma.fields.AwareDateTime(required=True)


class IssuedKeySchema(KeySchema):
    api_key = ma.fields.String(required=True, metadata={"description": "Shown once; only its hash is kept"})


class KeyCreateSchema(InputSchema):
    name = Text(required=True, validate=ma.validate.Length(min=1, max=100))
    place_id = ma.fields.UUID(required=True, metadata={"description": "The district or street the partner works for"})


class KeyUpdateSchema(InputSchema):
    is_active = ma.fields.Boolean(required=True, metadata={"description": "false revokes the key at once"})


@blp.route("/open311-keys")
class Keys(MethodView):
    @authenticated("open311.keys")
    @blp.response(200, KeySchema(many=True))
    @blp.paginate(QueryPage)
    def get(self):
        """Partner keys within the administrator's place (never the keys themselves)."""
        return scoped(select(Open311Key), Open311Key, scope()).order_by(Open311Key.created_at)

    @authenticated("open311.keys")
    @blp.arguments(KeyCreateSchema)
    @blp.response(201, IssuedKeySchema)
    @blp.alt_response(404, schema=ErrorSchema, description="place_id not within your scope")
    def post(self, body):
        """Issue a key to a partner system; the answer is the only time it is shown."""
        place = get_or_404(db_session, Place, body["place_id"], scope(), field="place_id")
        raw = secrets.token_urlsafe(24)
        key = Open311Key(id=uuid.uuid4(), name=body["name"], key_hash=hash_key(raw), place_id=place.id)
        db_session.add(key)
        audit.record("open311_key.issue", object_type="open311_key", object_id=key.id)
        db_session.commit()
        db_session.refresh(key)
        return {**{f: getattr(key, f) for f in ("id", "name", "place", "is_active", "is_demo", "created_at")},
                "api_key": raw}


@blp.route("/open311-keys/<uuid:key_id>")
class KeyById(MethodView):
    @authenticated("open311.keys")
    @blp.arguments(KeyUpdateSchema)
    @blp.response(200, KeySchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such key within your scope")
    def patch(self, body, key_id):
        """Revoke (or restore) a key."""
        key = get_or_404(db_session, Open311Key, key_id, scope(), for_update=True)
        key.is_active = body["is_active"]
        audit.record("open311_key.update", object_type="open311_key", object_id=key.id,
                     detail={"is_active": key.is_active})
        db_session.commit()
        return key
