"""Accounts: who belongs where, with which role. Plain functions, no Flask imports."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, selectinload

from api.auth import passwords
from api.auth.service import revoke_user_sessions
from api.chain.service import assign_grid_member, release_grid_member
from api.errors import Conflict, Forbidden, ValidationFailed
from api.policy import Scope, get_or_404, scoped
from models import ADMIN_ROLES, GridCell, GridMemberCell, HandlingUnit, Place, PlaceKind, Role, User

# Where each role's account belongs in the hierarchy.
ROLE_PLACE_KINDS: dict[Role, frozenset[PlaceKind]] = {
    Role.resident: frozenset({PlaceKind.grid_cell}),
    Role.grid_member: frozenset({PlaceKind.community}),
    Role.community_staff: frozenset({PlaceKind.community}),
    Role.street_admin: frozenset({PlaceKind.street}),
    Role.district_admin: frozenset({PlaceKind.district}),
    Role.responder: frozenset({PlaceKind.street, PlaceKind.community}),
    Role.unit_staff: frozenset({PlaceKind.district, PlaceKind.street, PlaceKind.community}),
    Role.system_admin: frozenset({PlaceKind.district}),
    Role.security_admin: frozenset({PlaceKind.district}),
    Role.audit_admin: frozenset({PlaceKind.district}),
}


class Messages:
    """(Chinese, English) pairs for field errors; the resource layer picks the language."""

    place_kind = ("该角色的账号须属于：{kinds}。", "An account of this role belongs to a {kinds}.")
    unit_required = ("处置部门人员须指定所属部门。", "Handling-unit staff need a unit.")
    unit_forbidden = ("只有处置部门人员可指定部门。", "Only handling-unit staff have a unit.")
    cells_required = ("网格员须至少负责一个网格。", "A grid member looks after at least one grid cell.")
    cells_forbidden = ("只有网格员可分配网格。", "Only grid members are assigned grid cells.")
    cells_outside = ("网格须属于该网格员所在社区。", "The cells must be in the grid member's community.")
    admin_role = ("系统、安全、审计管理员账号只能通过命令行创建。", "Administrator accounts are created from the command line.")


def list_users(scope: Scope, *, role=None, place_id=None, is_active=None, q=None) -> Select:
    stmt = select(User)
    if role is not None:
        stmt = stmt.where(User.role == role)
    if is_active is not None:
        stmt = stmt.where(User.is_active == is_active)
    if q:
        stmt = stmt.where(or_(User.display_name.contains(q, autoescape=True), User.username.contains(q, autoescape=True)))
    if place_id is not None:
        # A filter on a place outside the scope simply finds nobody: the scope rule applies anyway.
        subtree = select(Place.path).where(Place.id == place_id).scalar_subquery()
        stmt = stmt.where(User.place_id.in_(select(Place.id).where(Place.path.startswith(subtree))))
    return scoped(stmt, User, scope).options(selectinload(User.grid_cells)).order_by(User.username)


def get_user(db: Session, user_id, scope: Scope, *, for_update: bool = False) -> User:
    return get_or_404(db, User, user_id, scope, for_update=for_update)


def _cells(db: Session, cell_ids, scope: Scope, community: Place) -> list[GridCell]:
    cells = []
    for index, cell_id in enumerate(dict.fromkeys(cell_ids)):
        cell = get_or_404(db, GridCell, cell_id, scope, field="grid_cell_ids")
        if cell.parent_id != community.id:
            raise ValidationFailed({"grid_cell_ids": {index: [Messages.cells_outside]}})
        cells.append(cell)
    return cells


def create_user(db: Session, scope: Scope, data: dict, hasher) -> User:
    role: Role = data["role"]
    if role in ADMIN_ROLES:
        raise ValidationFailed({"role": [Messages.admin_role]})
    place = get_or_404(db, Place, data["place_id"], scope, field="place_id")
    allowed = ROLE_PLACE_KINDS[role]
    if place.kind not in allowed:
        kinds = ", ".join(sorted(k.value for k in allowed))
        raise ValidationFailed({"place_id": [tuple(m.format(kinds=kinds) for m in Messages.place_kind)]})
    unit = None
    if role == Role.unit_staff:
        if not data.get("unit_id"):
            raise ValidationFailed({"unit_id": [Messages.unit_required]})
        unit = get_or_404(db, HandlingUnit, data["unit_id"], scope, field="unit_id")
    elif data.get("unit_id"):
        raise ValidationFailed({"unit_id": [Messages.unit_forbidden]})
    cells: list[GridCell] = []
    if role == Role.grid_member:
        if not data.get("grid_cell_ids"):
            raise ValidationFailed({"grid_cell_ids": [Messages.cells_required]})
        cells = _cells(db, data["grid_cell_ids"], scope, place)
    elif data.get("grid_cell_ids"):
        raise ValidationFailed({"grid_cell_ids": [Messages.cells_forbidden]})
    _check_unique(db, data["username"], data.get("phone"))
    problems = passwords.password_problems(data["password"], data["username"])
    if problems:
        raise ValidationFailed({"password": problems}, error="weak_password")
    user = User(
        id=uuid.uuid4(),
        username=data["username"],
        display_name=data["display_name"],
        phone=data.get("phone"),
        role=role,
        place_id=place.id,
        unit_id=unit.id if unit else None,
        password_hash=passwords.hash_password(hasher, data["password"]),
    )
    db.add(user)
    db.flush()
    for cell in cells:
        assign_grid_member(db, cell, user, date.today())
    db.flush()
    db.refresh(user)
    return user


def _check_unique(db: Session, username: str | None, phone: str | None, *, exclude: uuid.UUID | None = None) -> None:
    clauses = []
    if username:
        clauses.append(func.lower(User.username) == username.lower())
    if phone:
        clauses.append(User.phone == phone)
    if not clauses:
        return
    stmt = select(User.id).where(or_(*clauses))
    if exclude is not None:
        stmt = stmt.where(User.id != exclude)
    if db.scalars(stmt).first() is not None:
        raise Conflict("username_taken")


def update_user(db: Session, scope: Scope, user: User, data: dict, hasher) -> User:
    if user.role in ADMIN_ROLES or user.id == scope.actor_id:
        # 三权分立: administrators are changed from the command line, never by each other or themselves
        raise Forbidden("forbidden")
    if "phone" in data and data["phone"]:
        _check_unique(db, None, data["phone"], exclude=user.id)
    for field in ("display_name", "phone"):
        if field in data:
            setattr(user, field, data[field])
    if "grid_cell_ids" in data:
        if user.role != Role.grid_member:
            raise ValidationFailed({"grid_cell_ids": [Messages.cells_forbidden]})
        cells = _cells(db, data["grid_cell_ids"], scope, db.get(Place, user.place_id))
        wanted = {cell.id for cell in cells}
        held = set(db.scalars(select(GridMemberCell.grid_cell_id).where(GridMemberCell.user_id == user.id)))
        for cell_id in held - wanted:
            release_grid_member(db, cell_id, user.id, date.today())
        for cell in cells:
            if cell.id not in held:
                assign_grid_member(db, cell, user, date.today())
    if "password" in data:
        problems = passwords.password_problems(data["password"], user.username)
        if problems:
            raise ValidationFailed({"password": problems}, error="weak_password")
        user.password_hash = passwords.hash_password(hasher, data["password"])
        user.password_changed_at = func.now()
        revoke_user_sessions(db, user.id, "password_reset")
    if "is_active" in data and data["is_active"] != user.is_active:
        user.is_active = data["is_active"]
        if not user.is_active:
            revoke_user_sessions(db, user.id, "disabled")
    db.flush()
    db.refresh(user)
    return user

