"""Reading the administrative hierarchy (区 → 街道 → 社区 → 网格) within the caller's scope."""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from api.policy import Scope, get_or_404, scoped
from models import GridCell, Place, PlaceKind


def _by_code_and_name(stmt: Select, model, code: str | None, q: str | None) -> Select:
    if code:
        stmt = stmt.where(model.code.startswith(code, autoescape=True))
    if q:
        stmt = stmt.where(model.name.contains(q, autoescape=True))
    return stmt


def list_places(scope: Scope, *, kind=None, parent_id=None, code=None, q=None) -> Select:
    stmt = _by_code_and_name(select(Place), Place, code, q)
    if kind is not None:
        stmt = stmt.where(Place.kind == kind)
    if parent_id is not None:
        stmt = stmt.where(Place.parent_id == parent_id)
    return scoped(stmt, Place, scope).order_by(Place.code)


def get_place(db: Session, place_id, scope: Scope) -> Place:
    return get_or_404(db, Place, place_id, scope)


def list_grid_cells(scope: Scope, *, community_id=None, code=None, q=None) -> Select:
    stmt = _by_code_and_name(select(GridCell), GridCell, code, q)
    if community_id is not None:
        stmt = stmt.where(GridCell.parent_id == community_id)
    return scoped(stmt, GridCell, scope).order_by(GridCell.code)


def get_grid_cell(db: Session, cell_id, scope: Scope) -> GridCell:
    return get_or_404(db, GridCell, cell_id, scope)


def cell_view(cell: GridCell) -> dict:
    """A cell with its community, street and district, for the API."""
    return {
        "id": cell.id,
        "code": cell.code,
        "name": cell.name,
        "community": cell.ancestor_of_kind(PlaceKind.community),
        "street": cell.ancestor_of_kind(PlaceKind.street),
        "district": cell.ancestor_of_kind(PlaceKind.district),
        "is_demo": cell.is_demo,
        "boundary": cell.boundary,
    }


def place_view(place: Place) -> dict:
    return {
        "id": place.id, "kind": place.kind, "code": place.code, "name": place.name, "parent_id": place.parent_id,
        "is_demo": place.is_demo, "place_chain": place.ancestors(), "boundary": place.boundary,
    }
