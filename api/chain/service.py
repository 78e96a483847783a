"""The responsibility chain of a grid cell (四长一员): who holds each post, and since when.

The grid member's post is the same thing as the grid member's access to the cell
(``grid_member_cells``): both change together here, so the history is never out of step with
what the grid member can see.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from api.errors import ValidationFailed
from api.policy import Scope, get_or_404
from models import GridCell, GridMemberCell, GridResponsibility, Resident, ResponsibilityPost, Role, User


class Msg:
    unknown_post = ("没有这个岗位。", "No such post.")
    holder_required = ("须指定账号、居民或姓名。", "Give an account, a resident, or a name.")
    one_holder = ("账号、居民、姓名只能选一种。", "Give only one of account, resident or name.")
    member_account = ("网格员岗位须由本社区的网格员账号担任。",
                      "The grid member post is held by a grid member account of this community.")
    before_current = ("开始日期早于现任者的开始日期。", "Starts before the current holder started.")


def posts(db: Session) -> list[ResponsibilityPost]:
    return db.scalars(select(ResponsibilityPost).order_by(ResponsibilityPost.rank)).all()


def chain(db: Session, cell: GridCell) -> dict:
    rows = db.scalars(select(GridResponsibility).where(GridResponsibility.grid_cell_id == cell.id)
                      .order_by(GridResponsibility.starts_on.desc(), GridResponsibility.created_at.desc())).all()
    current = sorted((r for r in rows if r.ends_on is None), key=lambda r: r.post.rank)
    return {"grid_cell": cell, "current": current, "history": [r for r in rows if r.ends_on is not None]}


def _end_current(db: Session, cell_id: uuid.UUID, post_code: str, on: date) -> GridResponsibility | None:
    current = db.scalars(select(GridResponsibility).where(
        GridResponsibility.grid_cell_id == cell_id, GridResponsibility.post_code == post_code,
        GridResponsibility.ends_on.is_(None)).with_for_update(of=GridResponsibility)).first()
    if current is not None:
        if on < current.starts_on:
            raise ValidationFailed({"starts_on": [Msg.before_current]})
        current.ends_on = on
        db.flush()  # the partial unique index allows one current holder at a time
    return current


def assign_grid_member(db: Session, cell: GridCell, user: User, on: date) -> GridResponsibility:
    """The user becomes the cell's grid member: the post, and access to the cell."""
    _end_current(db, cell.id, "grid_member", on)
    db.execute(delete(GridMemberCell).where(GridMemberCell.grid_cell_id == cell.id))
    db.add(GridMemberCell(user_id=user.id, grid_cell_id=cell.id))
    post = GridResponsibility(id=uuid.uuid4(), grid_cell_id=cell.id, post_code="grid_member", user_id=user.id,
                              name=user.display_name, phone=user.phone, starts_on=on)
    db.add(post)
    db.flush()
    return post


def release_grid_member(db: Session, cell_id: uuid.UUID, user_id: uuid.UUID, on: date) -> None:
    """The user stops looking after the cell."""
    db.execute(delete(GridMemberCell).where(GridMemberCell.grid_cell_id == cell_id, GridMemberCell.user_id == user_id))
    current = db.scalars(select(GridResponsibility).where(
        GridResponsibility.grid_cell_id == cell_id, GridResponsibility.post_code == "grid_member",
        GridResponsibility.user_id == user_id, GridResponsibility.ends_on.is_(None))).first()
    if current is not None:
        current.ends_on = max(on, current.starts_on)


def appoint(db: Session, scope: Scope, cell: GridCell, data: dict) -> GridResponsibility:
    post = db.get(ResponsibilityPost, data["post"])
    if post is None:
        raise ValidationFailed({"post": [Msg.unknown_post]})
    given = [k for k in ("user_id", "resident_id", "name") if data.get(k)]
    if not given:
        raise ValidationFailed({"name": [Msg.holder_required]})
    if len(given) > 1:
        raise ValidationFailed({given[1]: [Msg.one_holder]})
    on = data.get("starts_on") or date.today()
    if post.is_grid_member:
        user = get_or_404(db, User, data["user_id"], scope, field="user_id") if data.get("user_id") else None
        if user is None or user.role != Role.grid_member or user.place_id != cell.parent_id:
            raise ValidationFailed({"user_id": [Msg.member_account]})
        return assign_grid_member(db, cell, user, on)
    holder = {"name": data.get("name"), "phone": data.get("phone")}
    if data.get("user_id"):
        user = get_or_404(db, User, data["user_id"], scope, field="user_id")
        holder = {"user_id": user.id, "name": user.display_name, "phone": user.phone}
    elif data.get("resident_id"):
        resident = get_or_404(db, Resident, data["resident_id"], scope, field="resident_id")
        holder = {"resident_id": resident.id, "name": resident.name, "phone": data.get("phone") or resident.phone}
    _end_current(db, cell.id, post.code, on)
    responsibility = GridResponsibility(id=uuid.uuid4(), grid_cell_id=cell.id, post_code=post.code, starts_on=on,
                                        **holder)
    db.add(responsibility)
    db.flush()
    return responsibility
