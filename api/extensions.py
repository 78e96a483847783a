"""The flask-smorest Api, our Blueprint defaults, pagination over SQL, and shared schema bases."""

from __future__ import annotations

import re

import marshmallow as ma
from flask_smorest import Api as SmorestApi
from flask_smorest import Blueprint as SmorestBlueprint
from flask_smorest import Page
from sqlalchemy import Select, func, select

from api.errors import handle_http_exception
from api.i18n import register_messages
from models.db import db_session

MAX_PAGE_SIZE = 100
# lists of figures per place (a few numbers each): a map colours a whole district's cells in a few pages
PLACE_FIGURES_MAX = 1000


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
    """Pages a SQLAlchemy select: LIMIT/OFFSET for the items, COUNT(*) for the total.

    A select of one model's rows is paged in two statements however many relations the model
    joins eagerly: the page's ids with the total (``count(*) OVER ()``, one scan of the filtered
    rows for both), then those rows with their relations. Joining the relations before the LIMIT
    would join them to every matching row (a district's 4,000 open matters, 136 ms) to keep 20."""

    collection: Select
    _page_ids: list | None = None
    # ``(collection, first, size) → select of (id, total)`` for a page whose ordering would tempt the
    # planner to walk an index in order hoping to stop early, which the total forbids anyway
    ids_and_total = None

    @property
    def items(self):
        stmt = self.collection.offset(self.page_params.first_item).limit(self.page_params.page_size)
        model = _single_entity(stmt)
        if model is None:
            return db_session.scalars(stmt).unique().all()
        ids = self._page_ids
        if ids is None:
            ids = list(dict.fromkeys(db_session.scalars(stmt.with_only_columns(model.id))))
        if not ids:
            return []
        rows = {row.id: row for row in db_session.scalars(
            self.collection.order_by(None).where(model.id.in_(ids))).unique()}
        return [rows[i] for i in ids if i in rows]

    @property
    def item_count(self):
        model = _single_entity(self.collection)
        if model is not None:
            first, size = self.page_params.first_item, self.page_params.page_size
            stmt = (type(self).ids_and_total(self.collection, first, size) if type(self).ids_and_total
                    else self.collection.with_only_columns(model.id, func.count().over()).offset(first).limit(size))
            rows = db_session.execute(stmt).all()
            if rows:  # else past the last page, or nothing at all: counted on its own below
                self._page_ids = list(dict.fromkeys(row[0] for row in rows))
                return rows[0][1]
            self._page_ids = []
        return db_session.scalar(select(func.count()).select_from(self.collection.order_by(None).subquery()))


def _single_entity(stmt: Select):
    """The mapped class a select of whole rows of one model (with an ``id``) reads; else None."""
    described = stmt.column_descriptions
    if len(described) != 1:
        return None
    entity = described[0].get("entity")
    if entity is None or described[0].get("expr") is not entity or not hasattr(entity, "id"):
        return None
    return entity


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _unstorable_fields(data) -> list[str]:
    """Paths of strings PostgreSQL cannot store (NUL, lone surrogates), walked without recursion."""
    found, stack = [], [("", data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if _UNSTORABLE.search(value):
                found.append(path or "_schema")
        elif isinstance(value, dict):
            stack.extend((f"{path}.{key}" if path else str(key), item) for key, item in value.items())
        elif isinstance(value, (list, tuple)):
            stack.extend((f"{path}.{index}" if path else str(index), item) for index, item in enumerate(value))
    return sorted(found)


# Mobile numbers: 11 digits, 13x–19x (the database only checks 11 digits starting with 1).
MOBILE_RE = re.compile(r"^1[3-9][0-9]{9}$")
MOBILE_MESSAGE = "An 11-digit mobile number starting with 13 to 19."
register_messages({MOBILE_MESSAGE: "须为 13～19 开头的 11 位手机号。"})
MOBILE = ma.validate.Regexp(MOBILE_RE, error=MOBILE_MESSAGE)


class Text(ma.fields.String):
    """A string trimmed of surrounding white space before it is validated: "   " is empty, not a name."""

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).strip()


def view_page(view, prepare=None, ids_and_total=None):
    """A QueryPage whose rows are shown through ``view`` (an ORM object → the dict its schema dumps);
    ``prepare(rows)`` first loads, in one go, what the views of the whole page will need;
    ``ids_and_total`` as :attr:`QueryPage.ids_and_total`."""

    fence = staticmethod(ids_and_total) if ids_and_total is not None else None

    class ViewPage(QueryPage):
        ids_and_total = fence

        @property
        def items(self):
            rows = super().items
            if prepare is not None:
                prepare(rows)
            return [view(row) for row in rows]

    return ViewPage


def audited_page(view, action: str, object_type: str):
    """A QueryPage of sensitive records: the page's ids (never their contents) go to the audit log
    as read, then each record is shown through ``view``."""

    class AuditedPage(QueryPage):
        @property
        def items(self):
            from api import audit

            records = super().items
            audit.record(action, object_type=object_type, detail={"ids": [str(r.id) for r in records]})
            db_session.commit()
            return [view(r) for r in records]

    return AuditedPage


def rows_page(view, total: str | None = None):
    """A QueryPage over a select of several columns: each row is shown through ``view``. ``total``:
    the column holding ``count(*) OVER ()``, so the page and its total are one statement (else the
    total counts the select again)."""

    class RowsPage(QueryPage):
        _rows: list | None = None

        def _page_rows(self) -> list:
            if self._rows is None:
                stmt = self.collection.offset(self.page_params.first_item).limit(self.page_params.page_size)
                self._rows = db_session.execute(stmt).all()
            return self._rows

        @property
        def items(self):
            return [view(row) for row in self._page_rows()]

        @property
        def item_count(self):
            rows = self._page_rows() if total is not None else None
            if rows:  # else past the last page, or nothing at all: counted on its own
                return rows[0]._mapping[total]
            return super().item_count

    return RowsPage


class InputSchema(ma.Schema):
    """Base of every request body schema: unknown fields are refused (422), and so are strings
    holding characters PostgreSQL cannot store (NUL, lone surrogates). In the query string,
    webargs drops unknown parameters instead."""

    class Meta:
        unknown = ma.RAISE

    @ma.validates_schema
    def _storable_characters(self, data, **kwargs):
        fields = _unstorable_fields(data)
        if fields:
            raise ma.ValidationError({field: ["Invalid value."] for field in fields})


class OutputSchema(ma.Schema):
    class Meta:
        ordered = True

