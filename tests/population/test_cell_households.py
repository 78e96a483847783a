"""cell_households: the per-cell household counts the triggers keep, through inserts, moves, deletes."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select, text, update

from models import CellHouseholds, GridCell, Household

CELL_1, CELL_2 = "411104001001001", "411104001001002"


def _counts(db):
    kept = dict(db.execute(select(CellHouseholds.grid_cell_id, CellHouseholds.households)).all())
    actual = dict(db.execute(select(Household.grid_cell_id, func.count()).group_by(Household.grid_cell_id)).all())
    return {cell: n for cell, n in kept.items() if n}, actual


def test_counts_follow_inserts_moves_and_deletes(db, client, as_user):
    one, two = (db.scalar(select(GridCell.id).where(GridCell.code == code)) for code in (CELL_1, CELL_2))
    kept, actual = _counts(db)
    assert kept == actual
    before = kept[one]
    created = client.post("/api/v1/households", headers=as_user("community_staff"),
                          json={"grid_cell_id": str(one), "address": "漓江路 1 号 9 单元 901"})
    assert created.status_code == 201
    assert _counts(db)[0][one] == before + 1
    # a bulk statement (as imports do) moves three households at once; other updates change nothing
    created_id = uuid.UUID(created.get_json()["id"])
    moved = db.scalars(select(Household.id).where(Household.grid_cell_id == one, Household.id != created_id)
                       .order_by(Household.id).limit(3)).all()
    db.execute(update(Household).where(Household.id.in_(moved)).values(grid_cell_id=two))
    db.execute(update(Household).where(Household.grid_cell_id == one).values(follow_up_reason=None))
    kept, actual = _counts(db)
    assert kept == actual and kept[one] == before - 2
    db.execute(text("DELETE FROM households WHERE id = :id"), {"id": created_id})
    kept, actual = _counts(db)
    assert kept == actual and kept[one] == before - 3
