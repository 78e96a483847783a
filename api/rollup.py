"""Figures per grid cell, community and street (网格 / 社区 / 街道), summed in SQL.

Each figure hangs off a grid cell; a community's and a street's are the sums of their cells. Only
places wholly within the caller's scope get a row: a grid member sees their cells, not the
community around them."""

from __future__ import annotations

from sqlalchemy import ColumnElement, FromClause, Uuid, cast, func, select
from sqlalchemy.orm import Session, aliased

from api.policy import Scope, under
from models import GridCell, Place

LEVELS = ("grid_cell", "community", "street")
PATH_FIELD = {"community": 4, "street": 3}  # split_part(path, '/', n): '' / district / street / community / cell


def place_key(level: str, cell_id: ColumnElement, path: ColumnElement) -> ColumnElement:
    """The id of a source row's place at ``level``: its cell, or read off its cell's path."""
    return cell_id if level == "grid_cell" else cast(func.split_part(path, "/", PATH_FIELD[level]), Uuid)


def roll_up(db: Session, scope: Scope, source: FromClause, cell_id: ColumnElement, measures: dict,
            level: str | None = None, where: tuple = (), every_place: bool = False,
            path: ColumnElement | None = None) -> list[dict]:
    """Rows of ``{"place": {...}, <measure>: value}`` per level (one level when ``level`` is given),
    ordered by place code. ``source`` holds ``cell_id`` and the columns ``measures`` aggregate;
    ``path``, when the source keeps its cell's place path, spares the join to the cells.
    ``every_place`` adds a row of zeros for each place in scope with nothing to count (a figure
    whose zero is the goal, like 三零, must show the places that reached it)."""
    rows = []
    for kind in [level] if level else LEVELS:
        # each source row's place at this level is read off its cell's path (/district/street/
        # community/cell/): the rows are summed per place first, then the few places get their
        # names — not the chain cell → community → street joined for each of a district's 10,000 cells
        cell = aliased(GridCell)
        cell_path = cell.path if path is None else path
        key = place_key(kind, cell_id, cell_path)
        sums = select(key.label("place_id"), *(m.label(name) for name, m in measures.items())).select_from(source)
        if path is None:
            sums = sums.join(cell, cell.id == cell_id)
        sums = {row.place_id: row for row in db.execute(
            sums.where(under(cell_path, scope.place_paths), *where).group_by(key))}
        # the names: the area's places of this level, from the (kind, path) index — a join to the
        # sums would be planned for thousands of sums where a street level has twenty
        places = select(Place.id, Place.code, Place.name).where(Place.kind == kind, under(Place.path, scope.place_paths))
        for place in db.execute(places):
            counted = sums.get(place.id)
            if counted is None and not every_place:
                continue
            rows.append({"place": {"id": place.id, "kind": kind, "code": place.code, "name": place.name},
                         **{name: (counted._mapping[name] or 0) if counted is not None else 0 for name in measures}})
    return sorted(rows, key=lambda row: row["place"]["code"])
