"""The flask-smorest Api, our Blueprint defaults, pagination over SQL, and shared schema bases."""

from __future__ import annotations

import marshmallow as ma
from flask_smorest import Api as SmorestApi
from flask_smorest import Blueprint as SmorestBlueprint
from flask_smorest import Page
from sqlalchemy import Select, func, select

from api.errors import handle_http_exception
from models.db import db_session

MAX_PAGE_SIZE = 100


class ErrorSchema(ma.Schema):
    """The one error shape."""

    code = ma.fields.Integer(required=True, metadata={"description": "HTTP status code"})
    status = ma.fields.String(required=True, metadata={"description": "HTTP reason phrase"})
    error = ma.fields.String(required=True, metadata={"description": "Stable machine-readable error name"})
    message = ma.fields.String(required=True, metadata={"description": "Chinese by default; English with Accept-Language: en"})
    errors = ma.fields.Dict(metadata={"description": "Per-field messages: {field: [message, ...]}"})


class Api(SmorestApi):
    ERROR_SCHEMA = ErrorSchema

    def handle_http_exception(self, error):
        return handle_http_exception(error)


class Blueprint(SmorestBlueprint):
    DEFAULT_PAGINATION_PARAMETERS = {"page": 1, "page_size": 20, "max_page_size": MAX_PAGE_SIZE}


class QueryPage(Page):
    """Pages a SQLAlchemy select: LIMIT/OFFSET for the items, COUNT(*) for the total."""

    collection: Select

    @property
    def items(self):
        stmt = self.collection.offset(self.page_params.first_item).limit(self.page_params.page_size)
        return db_session.scalars(stmt).unique().all()

    @property
    def item_count(self):
        return db_session.scalar(select(func.count()).select_from(self.collection.order_by(None).subquery()))


class InputSchema(ma.Schema):
    """Base of every request body or query schema: unknown fields are refused (422)."""

    class Meta:
        unknown = ma.RAISE


class OutputSchema(ma.Schema):
    class Meta:
        ordered = True

