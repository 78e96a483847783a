"""Reading the administrative hierarchy (区 → 街道 → 社区 → 网格) within the caller's scope."""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from api.policy import Scope, get_or_404, scoped
from models import Place


def list_places(scope: Scope, *, kind=None, parent_id=None, code=None, q=None) -> Select:
    stmt = select(Place)
    if code:
        stmt = stmt.where(Place.code.startswith(code, autoescape=True))
    if q:
        stmt = stmt.where(Place.name.contains(q, autoescape=True))
    if kind is not None:
        stmt = stmt.where(Place.kind == kind)
    if parent_id is not None:
        stmt = stmt.where(Place.parent_id == parent_id)
    return scoped(stmt, Place, scope).order_by(Place.code)


def get_place(db: Session, place_id, scope: Scope) -> Place:
    return get_or_404(db, Place, place_id, scope)


def place_view(place: Place) -> dict:
    return {
        "id": place.id, "kind": place.kind, "code": place.code, "name": place.name, "parent_id": place.parent_id,
        "is_demo": place.is_demo, "place_chain": place.ancestors(), "boundary": place.boundary,
    }
