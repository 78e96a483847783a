"""The responsibility chain (四长一员) of each grid cell, and the titles of its posts."""

from __future__ import annotations

import re

import marshmallow as ma
from flask.views import MethodView

from api import audit
from api.auth.schemas import GridCellRefSchema
from api.chain import service
from api.context import authenticated, scope
from api.errors import NotFound
from api.extensions import MOBILE, Blueprint, ErrorSchema, InputSchema, OutputSchema, Text
from api.policy import get_or_404
from models import GridCell, ResponsibilityPost
from models.db import db_session

POST_CODE = re.compile(r"[a-z_]{1,32}")

blp = Blueprint("chain", __name__, url_prefix="/api/v1", description="The responsibility chain of grid cells (四长一员)")


class PostSchema(OutputSchema):
    code = ma.fields.String(required=True)
    title = Text(required=True)
    rank = ma.fields.Integer(required=True, metadata={"description": "Order in the chain, highest post first"})
    is_grid_member = ma.fields.Boolean(required=True)


class PostUpdateSchema(InputSchema):
    title = Text(required=True, validate=ma.validate.Length(min=1, max=20))


class HolderSchema(OutputSchema):
    id = ma.fields.UUID(required=True)
    post = ma.fields.String(required=True, attribute="post_code")
    title = ma.fields.Function(lambda r: r.post.title, required=True)
    name = Text(required=True)
    phone = ma.fields.String(allow_none=True)
    user_id = ma.fields.UUID(allow_none=True)
    resident_id = ma.fields.UUID(allow_none=True)
    starts_on = ma.fields.Date(required=True)
    ends_on = ma.fields.Date(allow_none=True)


class ChainSchema(OutputSchema):
    grid_cell = ma.fields.Nested(GridCellRefSchema, required=True)
    current = ma.fields.List(ma.fields.Nested(HolderSchema), required=True)
    history = ma.fields.List(ma.fields.Nested(HolderSchema), required=True, metadata={"description": "Past holders, newest first"})


class AppointSchema(InputSchema):
    post = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=32))
    user_id = ma.fields.UUID(allow_none=True, metadata={"description": "An account (required for the grid member post)"})
    resident_id = ma.fields.UUID(allow_none=True, metadata={"description": "Or a resident of the population base"})
    name = Text(allow_none=True, validate=ma.validate.Length(min=1, max=50),
                            metadata={"description": "Or just a name (a volunteer without an account)"})
    phone = ma.fields.String(allow_none=True, validate=MOBILE)
    starts_on = ma.fields.Date(allow_none=True, metadata={"description": "Default: today"})


def _post_or_404(code: str) -> ResponsibilityPost:
    post = db_session.get(ResponsibilityPost, code) if POST_CODE.fullmatch(code) else None
    if post is None:
        raise NotFound()
    return post


@blp.route("/responsibility-posts")
class Posts(MethodView):
    @authenticated("places.read")
    @blp.response(200, PostSchema(many=True))
    def get(self):
        """The posts of the chain with this district's titles (e.g. 片长, 网格长, 楼栋长, 单元长, 网格员)."""
        return service.posts(db_session)


@blp.route("/responsibility-posts/<string:code>")
class PostByCode(MethodView):
    @authenticated("places.read")
    @blp.etag
    @blp.response(200, PostSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such post")
    def get(self, code):
        """One post and its title."""
        return _post_or_404(code)

    @authenticated("posts.write")
    @blp.etag
    @blp.arguments(PostUpdateSchema)
    @blp.response(200, PostSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such post")
    def patch(self, body, code):
        """Rename a post's title to what this deployment calls it."""
        post = _post_or_404(code)
        blp.check_etag(post, PostSchema)
        post.title = body["title"].strip()
        audit.record("responsibility_post.update", object_type="responsibility_post", object_id=code)
        db_session.commit()
        return post


@blp.route("/grid-cells/<uuid:cell_id>/chain")
class Chain(MethodView):
    @authenticated("places.read")
    @blp.response(200, ChainSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such grid cell within your scope")
    def get(self, cell_id):
        """Who holds each post of the cell now, and who held them before."""
        return service.chain(db_session, get_or_404(db_session, GridCell, cell_id, scope()))

    @authenticated("chain.write")
    @blp.arguments(AppointSchema)
    @blp.response(201, HolderSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="The cell, account or resident is not within your scope")
    def post(self, body, cell_id):
        """Appoint someone to a post: the current holder's term ends the day the new one starts.
        Appointing the grid member also moves access to the cell to the new grid member."""
        cell = get_or_404(db_session, GridCell, cell_id, scope(), for_update=True)
        holder = service.appoint(db_session, scope(), cell, body)
        audit.record("grid_cell.appoint", object_type="grid_cell", object_id=cell.id, detail={"post": holder.post_code})
        db_session.commit()
        db_session.refresh(holder)
        return holder
