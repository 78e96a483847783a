"""Key persons (重点人员) and care targets (关爱对象): one set of plain functions for both kinds,
each called with its :class:`Kind` so names, categories and permissions never mix."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import marshmallow as ma
from sqlalchemy import Select, func, select
from sqlalchemy import update as sql_update
from sqlalchemy.orm import Session

from api import audit
from api.china_time import day_of, today
from api.errors import Conflict, NotFound, ValidationFailed
from api.governance.schemas import CARE_TARGET_DETAILS, KEY_PERSON_DETAILS
from api.policy import Scope, can, cells_under, get_or_404, scope_rule, scoped
from api.population import service as population
from api.population.identity import IdentityCipher
from api.rollup import roll_up
from models import (
    AttentionLevel,
    CareCategory,
    CareTarget,
    FollowedPerson,
    FollowedStatus,
    FollowUp,
    GridMemberCell,
    KeyPerson,
    KeyPersonCategory,
    Resident,
    Role,
    User,
)


@dataclass(frozen=True)
class Kind:
    model: type[FollowedPerson]
    name: str  # used in audit actions and sealing purposes
    categories: type[enum.Enum]
    details: dict
    permission: str  # prefix: <permission>.read / .write / .reveal / .details


KEY_PERSONS = Kind(KeyPerson, "key_person", KeyPersonCategory, KEY_PERSON_DETAILS, "key_persons")
CARE_TARGETS = Kind(CareTarget, "care_target", CareCategory, CARE_TARGET_DETAILS, "care_targets")


class Msg:
    resident_or_number = ("请提供 resident_id 或 id_number 之一。", "Give resident_id or id_number, not both or neither.")
    no_such_number = ("人口库中没有该身份证号的居民（或不在您的管辖范围内）。",
                      "No resident with this identity number within your area.")
    moved_out = ("该居民已搬离。", "This resident has moved out.")
    already = ("该居民已在此类别中登记。", "This resident is already registered in this category.")
    not_member = ("须为该网格的网格员。", "Must be a grid member of the person's cell.")
    close_reason = ("结案须说明原因。", "Closing needs a close_reason.")
    closed = ("已结案的记录不能修改。", "A closed record cannot be changed.")
    no_id_number = ("该居民未登记身份证号。", "No identity number is recorded for this resident.")


@scope_rule(FollowedPerson)
def _followed_rule(scope: Scope):
    # the person's grid chain: a grid member sees their cells' people; staff those under them
    return FollowedPerson.grid_cell_id.in_(cells_under(scope.place_paths))


def interval_days(config, level: AttentionLevel) -> int:
    return config[f"FOLLOW_UP_DAYS_{level.value.upper()}"]


def may_see_details(kind: Kind, scope: Scope, person: FollowedPerson) -> bool:
    """Staff authorised for the kind, and the person's own responsible grid member."""
    return can(scope.role, f"{kind.permission}.details") or person.responsible_user_id == scope.actor_id


def _check_details(kind: Kind, category, details: dict) -> dict:
    try:
        loaded = kind.details[kind.categories(category)]().load(details or {})
    except ma.ValidationError as exc:
        raise ValidationFailed({"details": exc.messages}) from None
    return {key: value.isoformat() if isinstance(value, date) else value for key, value in loaded.items()}


def _resident(db: Session, scope: Scope, cipher: IdentityCipher, data: dict) -> Resident:
    if (data.get("resident_id") is None) == (data.get("id_number") is None):
        raise ValidationFailed({"resident_id": [Msg.resident_or_number]})
    if data.get("resident_id") is not None:
        resident = get_or_404(db, Resident, data["resident_id"], scope, field="resident_id")
    else:
        found = population.lookup_resident(db, scope, cipher, data["id_number"])
        if not found:
            raise NotFound(errors={"id_number": [Msg.no_such_number]})
        resident = found[0]
    if resident.moved_out_on is not None:
        raise ValidationFailed({"resident_id": [Msg.moved_out]})
    return resident


def _responsible(db: Session, grid_cell_id, user_id) -> User | None:
    """The given grid member, who must look after the cell; by default the cell's (first) grid member."""
    stmt = (select(User).join(GridMemberCell, GridMemberCell.user_id == User.id)
            .where(GridMemberCell.grid_cell_id == grid_cell_id, User.role == Role.grid_member, User.is_active))
    if user_id is not None:
        user = db.scalars(stmt.where(User.id == user_id)).unique().one_or_none()
        if user is None:
            raise ValidationFailed({"responsible_user_id": [Msg.not_member]})
        return user
    return db.scalars(stmt.order_by(User.username)).unique().first()


def create(db: Session, kind: Kind, scope: Scope, cipher: IdentityCipher, config, data: dict) -> FollowedPerson:
    resident = _resident(db, scope, cipher, data)
    category = data["category"]
    details = _check_details(kind, category, data.get("details"))
    duplicate = select(kind.model.id).where(kind.model.resident_id == resident.id, kind.model.category == category.value,
                                            kind.model.status == FollowedStatus.active)
    if db.scalar(duplicate) is not None:
        raise Conflict(errors={"category": [Msg.already]})
    days = data.get("follow_up_days") or interval_days(config, data["attention_level"])
    responsible = _responsible(db, resident.grid_cell_id, data.get("responsible_user_id"))
    person = kind.model(resident_id=resident.id, grid_cell_id=resident.grid_cell_id, category=category.value,
                        attention_level=data["attention_level"], follow_up_days=days,
                        responsible_user_id=responsible.id if responsible else None,
                        next_follow_up_on=data.get("next_follow_up_on") or today() + timedelta(days=days),
                        details_sealed=cipher.seal(kind.name, details) if details else None, opened_on=today(),
                        status=FollowedStatus.active)
    db.add(person)
    db.flush()
    return person


def update(db: Session, kind: Kind, cipher: IdentityCipher, config, person: FollowedPerson, data: dict) -> FollowedPerson:
    if person.status == FollowedStatus.closed:
        raise Conflict(errors={"status": [Msg.closed]})
    if "attention_level" in data:
        person.attention_level = data["attention_level"]
        if "follow_up_days" not in data:  # a new level brings its own interval
            person.follow_up_days = interval_days(config, data["attention_level"])
    if "follow_up_days" in data:
        person.follow_up_days = data["follow_up_days"]
    if "next_follow_up_on" in data:
        person.next_follow_up_on = data["next_follow_up_on"]
    if "responsible_user_id" in data:
        responsible = _responsible(db, person.grid_cell_id, data["responsible_user_id"]) \
            if data["responsible_user_id"] is not None else None
        person.responsible_user_id = responsible.id if responsible else None
    if "details" in data:
        details = _check_details(kind, person.category, data["details"])
        person.details_sealed = cipher.seal(kind.name, details) if details else None
    if data.get("status") == FollowedStatus.closed:
        if not data.get("close_reason"):
            raise ValidationFailed({"close_reason": [Msg.close_reason]})
        person.status, person.closed_on, person.close_reason = FollowedStatus.closed, today(), data["close_reason"]
    db.flush()
    return person


def list_people(kind: Kind, scope: Scope, *, grid_cell_id=None, category=None, attention_level=None,
                status=FollowedStatus.active, overdue=None, mine=False) -> Select:
    stmt = select(kind.model).where(kind.model.status == status)
    if grid_cell_id is not None:
        stmt = stmt.where(kind.model.grid_cell_id == grid_cell_id)
    if category is not None:
        stmt = stmt.where(kind.model.category == category)
    if attention_level is not None:
        stmt = stmt.where(kind.model.attention_level == attention_level)
    if overdue is not None:
        stmt = stmt.where((kind.model.next_follow_up_on < today()) == overdue)
    if mine:
        stmt = stmt.where(kind.model.responsible_user_id == scope.actor_id)
    return scoped(stmt, kind.model, scope).order_by(kind.model.next_follow_up_on, kind.model.id)


def details_of(kind: Kind, cipher: IdentityCipher, person: FollowedPerson) -> dict:
    return cipher.unseal(kind.name, person.details_sealed) if person.details_sealed else {}


def reveal_id_number(cipher: IdentityCipher, person: FollowedPerson) -> str:
    if person.resident.id_number_cipher is None:
        raise NotFound(errors={"id_number": [Msg.no_id_number]})
    return cipher.decrypt(person.resident.id_number_cipher)


def alerts(db: Session, kind: Kind, scope: Scope, level: str | None = None) -> list[dict]:
    """Active records, overdue follow-ups and overdue ones at high attention, per grid cell,
    community and street within scope: the alert list (预警)."""
    overdue = kind.model.next_follow_up_on < today()
    return roll_up(db, scope, kind.model.__table__, kind.model.grid_cell_id,
                   {"active": func.count(), "overdue": func.count().filter(overdue),
                    "high_attention_overdue": func.count().filter(
                        overdue, kind.model.attention_level == AttentionLevel.high)},
                   level, where=(kind.model.kind == kind.model.__mapper__.polymorphic_identity,
                                 kind.model.status == FollowedStatus.active))


def purge_expired(db: Session, retention_days: int, now: datetime | None = None) -> dict:
    """PIPL art. 47: once a record has been closed for ``retention_days``, its sealed category
    details and the observations of its follow-ups are deleted; what remains (who, category, dates)
    keeps the ledger's counts. Logged in the audit trail with the ids, never the contents."""
    now = now or datetime.now(UTC)
    cutoff = day_of(now) - timedelta(days=retention_days)
    ids = db.scalars(sql_update(FollowedPerson).where(
        FollowedPerson.status == FollowedStatus.closed, FollowedPerson.closed_on < cutoff,
        FollowedPerson.details_purged_at.is_(None)).values(details_sealed=None, details_purged_at=now)
        .returning(FollowedPerson.id).execution_options(synchronize_session=False)).all()
    if not ids:
        return {}
    db.execute(sql_update(FollowUp).where(FollowUp.person_id.in_(ids)).values(observations_sealed=None)
               .execution_options(synchronize_session=False))
    audit.record("followed_person.purge", object_type="followed_person",
                 detail={"ids": [str(i) for i in ids], "retention_days": retention_days}, actor_username="system")
    return {"purged": len(ids)}
