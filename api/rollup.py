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


def roll_up(db: Session, scope: Scope, source: FromClause, cell_id: ColumnElement, measures: dict,
            level: str | None = None, where: tuple = (), every_place: bool = False) -> list[dict]:
    """Rows of ``{"place": {...}, <measure>: value}`` per level (one level when ``level`` is given),
    ordered by place code. ``source`` holds ``cell_id`` and the columns ``measures`` aggregate.
    ``every_place`` adds a row of zeros for each place in scope with nothing to count (a figure
    whose zero is the goal, like 三零, must show the places that reached it)."""
    rows = []
    for kind in [level] if level else LEVELS:
        # each source row's place at this level is read off its cell's path (/district/street/
        # community/cell/): the rows are summed per place first, then the few places get their
        # names — not the chain cell → community → street joined for each of a district's 10,000 cells
        cell, place = aliased(GridCell), aliased(Place)
        key = cell.id if kind == "grid_cell" else cast(func.split_part(cell.path, "/", PATH_FIELD[kind]), Uuid)
        sums = (select(key.label("place_id"), *(m.label(name) for name, m in measures.items()))
                .select_from(source).join(cell, cell.id == cell_id)
                .where(under(cell.path, scope.place_paths), *where)
                .group_by(key)).subquery("sums")
        stmt = (select(place.id, place.code, place.name, *(sums.c[name] for name in measures))
                .join(sums, sums.c.place_id == place.id).where(under(place.path, scope.place_paths)))
        seen = set()
        for row in db.execute(stmt):
            seen.add(row.id)
            rows.append({"place": {"id": row.id, "kind": kind, "code": row.code, "name": row.name},
                         **{name: getattr(row, name) or 0 for name in measures}})
        if every_place:
            idle = select(Place.id, Place.code, Place.name).where(Place.kind == kind, under(Place.path, scope.place_paths))
            rows.extend({"place": {"id": row.id, "kind": kind, "code": row.code, "name": row.name},
                         **dict.fromkeys(measures, 0)} for row in db.execute(idle) if row.id not in seen)
    return sorted(rows, key=lambda row: row["place"]["code"])
