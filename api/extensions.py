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


def _nul_fields(value, path: str = "") -> list[str]:
    if isinstance(value, str):
        return [path or "_schema"] if "\x00" in value else []
    if isinstance(value, dict):
        return [f for key, item in value.items() for f in _nul_fields(item, f"{path}.{key}" if path else str(key))]
    if isinstance(value, (list, tuple)):
        return [f for index, item in enumerate(value) for f in _nul_fields(item, f"{path}.{index}" if path else str(index))]
    return []


class InputSchema(ma.Schema):
    """Base of every request body or query schema: unknown fields are refused (422), and so are
    strings holding NUL characters, which PostgreSQL cannot store."""

    class Meta:
        unknown = ma.RAISE

    @ma.validates_schema
    def _no_nul_characters(self, data, **kwargs):
        fields = _nul_fields(data)
        if fields:
            raise ma.ValidationError({field: ["Invalid value."] for field in fields})


class OutputSchema(ma.Schema):
    class Meta:
        ordered = True

