"""Accounts (账号): listed and read within the caller's scope; created and changed by the system
administrator; unlocked by the security administrator (三权分立)."""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView

from api import audit
from api.auth import passwords
from api.auth.service import unlock
from api.context import authenticated, scope
from api.extensions import Blueprint, ErrorSchema, QueryPage
from api.idempotency import commit, idempotent
from api.users import service
from api.users.schemas import UserCreateSchema, UserQueryArgsSchema, UserSchema, UserUpdateSchema
from models.db import db_session

blp = Blueprint("users", __name__, url_prefix="/api/v1", description="Accounts and roles (账号与角色)")


def _hasher():
    return passwords.hasher_from(current_app.config)


@blp.route("/users")
class Users(MethodView):
    @authenticated("users.read")
    @blp.arguments(UserQueryArgsSchema, location="query")
    @blp.response(200, UserSchema(many=True))
    @blp.paginate(QueryPage)
    def get(self, args):
        """Accounts under the caller's place."""
        return service.list_users(scope(), **args)

    @authenticated("users.create")
    @idempotent
    @blp.arguments(UserCreateSchema)
    @blp.response(201, UserSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="place_id, unit_id or a grid cell is not within your scope")
    @blp.alt_response(409, schema=ErrorSchema, description="Username or phone already taken")
    def post(self, body):
        """Create an account (system administrator)."""
        user = service.create_user(db_session, scope(), body, _hasher())
        audit.record("user.create", object_type="user", object_id=user.id, detail={"role": user.role.value})
        commit()
        return user


@blp.route("/users/<uuid:user_id>")
class UserById(MethodView):
    @authenticated("users.read")
    @blp.etag
    @blp.response(200, UserSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such account within your scope")
    def get(self, user_id):
        """One account."""
        return service.get_user(db_session, user_id, scope())

    @authenticated("users.update")
    @blp.etag
    @blp.arguments(UserUpdateSchema)
    @blp.response(200, UserSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such account within your scope")
    @blp.alt_response(412, schema=ErrorSchema, description="The account changed since you read it (ETag)")
    @blp.alt_response(428, schema=ErrorSchema, description="If-Match is required")
    def patch(self, body, user_id):
        """Change an account (system administrator). `is_active: false` ends all its sessions."""
        user = service.get_user(db_session, user_id, scope(), for_update=True)
        blp.check_etag(user, UserSchema)
        service.update_user(db_session, scope(), user, body, _hasher())
        fields = sorted(k for k in body if k != "password") + (["password"] if "password" in body else [])
        audit.record("user.update", object_type="user", object_id=user.id, detail={"fields": fields})
        db_session.commit()
        return user


@blp.route("/users/<uuid:user_id>/unlock")
class UserUnlock(MethodView):
    @authenticated("users.unlock")
    @blp.response(204)
    @blp.alt_response(404, schema=ErrorSchema, description="No such account within your scope")
    def post(self, user_id):
        """Lift a login lock before it runs out (security administrator)."""
        user = service.get_user(db_session, user_id, scope())
        unlock(db_session, user)
        audit.record("user.unlock", object_type="user", object_id=user.id)
        db_session.commit()
