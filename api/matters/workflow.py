"""The case flow of a matter as one explicit table of transitions (GB/T 30428 with 受理 and returns).

    submitted ─accept→ accepted ─register→ registered ─dispatch→ dispatched ─handle→ handled
        │                                      ↑   ↑────return────┘  ↑             │
        └reject→ rejected                      │                      └──rework────┤
                                               └────────reopen─────────┐           verify
    submitted/accepted ─resolve_on_spot→ closed (a grid member's fast path)  closed ←close─ verified
    submitted/accepted/registered ─merge→ closed (a duplicate, into its original)
    escalate · supervise (督办) · urge (催办) (any open state) · rate (the reporter, once closed)

Each transition locks the matter's row, checks role (403) then state (409), appends a timeline
entry, and moves the stage deadline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.errors import Conflict, Forbidden, ValidationFailed
from api.notifications import service as notifications
from api.photos.service import attach
from api.policy import Scope, get_or_404, reachable_unit
from models import (
    GridCell,
    GridMemberCell,
    HandlingUnit,
    Matter,
    MatterEvent,
    MatterLevel,
    MatterStatus,
    Place,
    Rating,
    Role,
    User,
)

S = MatterStatus
MANAGERS = frozenset({Role.community_staff, Role.street_admin, Role.district_admin})
FIELD_WORKERS = frozenset({Role.grid_member, Role.responder, Role.unit_staff})
OPEN = frozenset({S.submitted, S.accepted, S.registered, S.dispatched, S.handled, S.verified})
# The stage (受理 / 处置 / 核查) each open status belongs to; leaving it ends the stage.
STAGE_OF = {S.submitted: "accept", S.accepted: "handle", S.registered: "handle", S.dispatched: "handle",
            S.handled: "verify", S.verified: "verify"}
KEEP = "keep"  # the stage deadline does not move


@dataclass(frozen=True)
class Transition:
    sources: frozenset
    target: MatterStatus | None  # None: the status stays (escalate, rate)
    roles: frozenset  # empty: the reporter, whatever their role
    stage: str | None  # the deadline that starts: accept / handle / verify, KEEP, or None (no deadline)
    note_required: bool = False


TRANSITIONS: dict[str, Transition] = {
    "accept": Transition(frozenset({S.submitted}), S.accepted, MANAGERS, "handle"),
    "reject": Transition(frozenset({S.submitted}), S.rejected, MANAGERS, None, note_required=True),
    "register": Transition(frozenset({S.accepted}), S.registered, MANAGERS, KEEP),
    "dispatch": Transition(frozenset({S.registered}), S.dispatched, MANAGERS, KEEP),
    "return": Transition(frozenset({S.dispatched}), S.registered, FIELD_WORKERS, KEEP, note_required=True),
    "handle": Transition(frozenset({S.dispatched}), S.handled, FIELD_WORKERS, "verify", note_required=True),
    "verify": Transition(frozenset({S.handled}), S.verified, MANAGERS | {Role.grid_member}, KEEP),
    "rework": Transition(frozenset({S.handled}), S.dispatched, MANAGERS | {Role.grid_member}, "handle",
                         note_required=True),
    "close": Transition(frozenset({S.verified}), S.closed, MANAGERS, None),
    "resolve_on_spot": Transition(frozenset({S.submitted, S.accepted}), S.closed, frozenset({Role.grid_member}),
                                  None, note_required=True),
    "escalate": Transition(OPEN, None, MANAGERS | {Role.grid_member}, KEEP, note_required=True),
    "merge": Transition(frozenset({S.submitted, S.accepted, S.registered}), S.closed, MANAGERS, None),
    "supervise": Transition(OPEN, None, frozenset({Role.street_admin, Role.district_admin}), KEEP),
    "place": Transition(OPEN, None, frozenset({Role.district_admin}), KEEP),
    "urge": Transition(OPEN, None, MANAGERS, KEEP, note_required=True),
    "rate": Transition(frozenset({S.closed}), None, frozenset(), None),
    "reopen": Transition(frozenset({S.closed}), S.registered, frozenset(), "handle", note_required=True),
}
LEVELS = [MatterLevel.grid, MatterLevel.community, MatterLevel.street, MatterLevel.district]
ROLE_LEVEL = {Role.grid_member: MatterLevel.grid, Role.community_staff: MatterLevel.community,
              Role.street_admin: MatterLevel.street, Role.district_admin: MatterLevel.district}
MAX_REOPENS = 2


class Msg:
    note = ("此操作须填写说明。", "This action needs a note.")
    target = ("须指定处置部门或处置人（二选一）。", "Give a handling unit or an assignee, one of the two.")
    unit_elsewhere = ("该处置部门不在您的辖区链上。", "This handling unit is not above or within your area.")
    assignee_role = ("处置人须为网格员或应急队员。", "The assignee must be a grid member or a responder.")
    not_yours = ("该事件未派给您。", "This matter is not dispatched to you.")
    not_reporter = ("只有上报人可以评价或重新打开。", "Only the reporter may rate or reopen.")
    not_your_cell = ("只有本网格的网格员可以就地处置。", "Only the cell's grid member may resolve on the spot.")
    rating_required = ("请选择评价。", "Choose a rating.")
    already_rated = ("已评价。", "Already rated.")
    reopen_needs_dissatisfied = ("只有评价为不满意后才能重新打开。", "Reopen after rating it dissatisfied.")
    reopen_limit = ("重新打开次数已用完。", "This matter cannot be reopened again.")
    top_level = ("已在区级，无法再上报。", "Already at the district level.")
    no_photos_here = ("只有处置时可附照片。", "Photos go with handle or resolve_on_spot.")
    own_work = ("处置人不能核查自己的处置结果。", "The handler may not verify their own work.")
    merged = ("已合并到其他事件的不能评价或重新打开。", "A merged duplicate cannot be rated or reopened.")
    photos_required = ("须附处置照片。", "Attach photos of the result.")
    cell_required = ("请指定网格。", "Give the grid cell.")
    into_required = ("请指定合并到哪个事件。", "Give the matter to merge into.")
    into_invalid = ("不能合并到自身或已被合并的事件。", "Cannot merge into itself or into a merged matter.")
    level_above = ("该事件已在您的层级之上。", "This matter is already above your level.")


def _now() -> datetime:
    return datetime.now(UTC)


def _require_target(db: Session, scope: Scope, actor: User, data: dict) -> tuple[HandlingUnit | None, User | None]:
    unit_id, assignee_id = data.get("unit_id"), data.get("assignee_id")
    if (unit_id is None) == (assignee_id is None):
        raise ValidationFailed({"unit_id": [Msg.target]})
    if unit_id is not None:
        unit = reachable_unit(db, actor, unit_id)
        if unit is None:
            raise ValidationFailed({"unit_id": [Msg.unit_elsewhere]})
        return unit, None
    assignee = get_or_404(db, User, assignee_id, scope, field="assignee_id")
    if assignee.role not in (Role.grid_member, Role.responder) or not assignee.is_active:
        raise ValidationFailed({"assignee_id": [Msg.assignee_role]})
    return None, assignee


def _is_dispatch_target(matter: Matter, actor: User) -> bool:
    return matter.assignee_id == actor.id or (actor.unit_id is not None and matter.unit_id == actor.unit_id)


def apply(db: Session, scope: Scope, actor: User, matter: Matter, action: str, data: dict) -> MatterEvent:
    """Take ``action`` on a matter already locked (``FOR UPDATE``) and in the caller's scope."""
    transition = TRANSITIONS[action]
    if transition.roles and actor.role not in transition.roles:
        raise Forbidden()
    if not transition.roles and actor.id != matter.reporter_id:
        raise Forbidden(errors={"action": [Msg.not_reporter]})
    if matter.status not in transition.sources:
        raise Conflict("invalid_transition", errors={"action": [(
            f"当前状态（{matter.status.value}）不能执行 {action}。",
            f"'{action}' does not fit the current status ({matter.status.value}).")]})
    note = (data.get("note") or "").strip() or None
    if transition.note_required and not note:
        raise ValidationFailed({"note": [Msg.note]})
    event_data: dict = {}

    if action in ("return", "handle") and actor.role in FIELD_WORKERS and not _is_dispatch_target(matter, actor):
        raise Forbidden(errors={"action": [Msg.not_yours]})
    if action in ("verify", "rework") and _is_dispatch_target(matter, actor):
        raise Forbidden(errors={"action": [Msg.own_work]})  # someone else checks the work
    if action in ("rate", "reopen") and matter.merged_into_id is not None:
        raise Conflict("invalid_transition", errors={"action": [Msg.merged]})
    if action == "resolve_on_spot" and not data.get("photo_ids"):
        raise ValidationFailed({"photo_ids": [Msg.photos_required]})
    if action == "handle" and matter.category.photo_required and not data.get("photo_ids"):
        raise ValidationFailed({"photo_ids": [Msg.photos_required]})
    if data.get("photo_ids"):
        if action not in ("handle", "resolve_on_spot"):
            raise ValidationFailed({"photo_ids": [Msg.no_photos_here]})
        photos = attach(db, actor, data["photo_ids"], matter.id, "handle")
        event_data["photos"] = [str(p.id) for p in photos]
    if action == "dispatch":
        unit, assignee = _require_target(db, scope, actor, data)
        matter.unit_id = unit.id if unit else None
        matter.assignee_id = assignee.id if assignee else None
        event_data.update({"unit_id": str(unit.id)} if unit else {"assignee_id": str(assignee.id)})
    elif action == "return":
        event_data.update({"unit_id": str(matter.unit_id) if matter.unit_id else None,
                           "assignee_id": str(matter.assignee_id) if matter.assignee_id else None})
        matter.unit_id = matter.assignee_id = None
    elif action == "resolve_on_spot":
        if matter.grid_cell_id not in {cell.id for cell in actor.grid_cells}:
            raise Forbidden(errors={"action": [Msg.not_your_cell]})
    elif action == "escalate":
        current = LEVELS.index(matter.level)
        if current == len(LEVELS) - 1:
            raise Conflict("invalid_transition", errors={"action": [Msg.top_level]})
        if LEVELS.index(ROLE_LEVEL[actor.role]) < current:
            raise Forbidden(errors={"action": [Msg.level_above]})
        matter.level = LEVELS[current + 1]
        event_data["level"] = matter.level.value
    elif action == "merge":
        if data.get("into_id") is None:
            raise ValidationFailed({"into_id": [Msg.into_required]})
        original = get_or_404(db, Matter, data["into_id"], scope, field="into_id", for_update=True)
        if original.id == matter.id or original.merged_into_id is not None:
            raise ValidationFailed({"into_id": [Msg.into_invalid]})
        matter.merged_into_id = original.id
        event_data.update({"merged_into": str(original.id), "number": original.number})
    elif action == "place":
        if data.get("grid_cell_id") is None:
            raise ValidationFailed({"grid_cell_id": [Msg.cell_required]})
        cell = get_or_404(db, GridCell, data["grid_cell_id"], scope, field="grid_cell_id")
        matter.grid_cell_id, matter.place_path, matter.needs_placement = cell.id, cell.path, False
        event_data["grid_cell_id"] = str(cell.id)
    elif action == "supervise":
        matter.supervised = True
    elif action == "urge":
        matter.urge_count += 1
    elif action == "rate":
        if data.get("rating") is None:
            raise ValidationFailed({"rating": [Msg.rating_required]})
        if matter.rating is not None:
            raise Conflict("invalid_transition", errors={"rating": [Msg.already_rated]})
        matter.rating = Rating(data["rating"])
        event_data["rating"] = matter.rating.value
    elif action == "reopen":
        if matter.rating != Rating.dissatisfied:
            raise Conflict("invalid_transition", errors={"action": [Msg.reopen_needs_dissatisfied]})
        if matter.reopen_count >= MAX_REOPENS:
            raise Conflict("invalid_transition", errors={"action": [Msg.reopen_limit]})
        matter.reopen_count += 1
        matter.rating = None
        matter.closed_at = None
        matter.unit_id = matter.assignee_id = None

    now = _now()
    before = matter.status
    if transition.target is not None:
        _end_stage(matter, before, transition.target, now)
        matter.status = transition.target
    if matter.status == S.closed and before != S.closed:
        matter.closed_at = now
    if transition.stage is None and transition.target is not None:
        matter.stage_due_at = None
    elif transition.stage not in (None, KEEP):
        matter.stage_started_at = now
        matter.stage_due_at = now + timedelta(hours=matter.category.limit(transition.stage))
    event = MatterEvent(matter_id=matter.id, at=now, actor_id=actor.id, actor_role=actor.role.value, action=action,
                        from_status=before.value, to_status=matter.status.value, note=note, data=event_data or None)
    db.add(event)
    db.flush()
    _notify(db, matter, action, note)
    return event


def _end_stage(matter: Matter, before: MatterStatus, after: MatterStatus, now: datetime) -> None:
    """Remember when the stage being left ended and whether past its deadline (the cockpit's
    on-time rate per stage); a stage run again (rework, reopen) keeps its latest end."""
    stage = STAGE_OF.get(before)
    if stage is None or STAGE_OF.get(after) == stage:
        return
    setattr(matter, f"{stage}_done_at", now)
    setattr(matter, f"{stage}_late", matter.stage_due_at is not None and now > matter.stage_due_at)


def allowed_actions(matter: Matter, actor: User) -> list[str]:
    """The steps ``actor`` may take on ``matter`` now — the checks of :func:`apply` that need no
    input — for screens to offer exactly those."""
    allowed = []
    for name, transition in TRANSITIONS.items():
        if transition.roles and actor.role not in transition.roles:
            continue
        if not transition.roles and actor.id != matter.reporter_id:
            continue
        if matter.status not in transition.sources:
            continue
        mine = _is_dispatch_target(matter, actor)
        if name in ("return", "handle") and actor.role in FIELD_WORKERS and not mine:
            continue
        if name in ("verify", "rework") and mine:
            continue
        if name in ("rate", "reopen") and matter.merged_into_id is not None:
            continue
        if name == "rate" and matter.rating is not None:
            continue
        if name == "reopen" and (matter.rating != Rating.dissatisfied or matter.reopen_count >= MAX_REOPENS):
            continue
        if name == "resolve_on_spot" and matter.grid_cell_id not in {cell.id for cell in actor.grid_cells}:
            continue
        if name == "escalate" and (LEVELS.index(matter.level) == len(LEVELS) - 1
                                   or LEVELS.index(ROLE_LEVEL[actor.role]) < LEVELS.index(matter.level)):
            continue
        if name == "place" and not matter.needs_placement:
            continue
        allowed.append(name)
    return allowed


def handlers_of(db: Session, matter: Matter) -> list:
    """Who must act on a dispatched matter: its assignee, or every active member of its unit."""
    if matter.assignee_id is not None:
        return [matter.assignee_id]
    if matter.unit_id is not None:
        return list(db.scalars(select(User.id).where(User.unit_id == matter.unit_id, User.is_active.is_(True))))
    return []


def _notify(db: Session, matter: Matter, action: str, note: str | None) -> None:
    """The reporter hears about acceptance, dispatch and closure; the handlers about dispatch and urges."""
    payload = {"matter_id": str(matter.id), "number": matter.number, "category": matter.category.name,
               "due": matter.stage_due_at.isoformat(timespec="minutes") if matter.stage_due_at else None,
               "note": note}
    to_reporter = {"accept": "matter.accepted", "reject": "matter.rejected", "dispatch": "matter.dispatched",
                   "close": "matter.closed", "resolve_on_spot": "matter.closed", "merge": "matter.merged"}
    if action in to_reporter and matter.reporter_id is not None:
        notifications.enqueue(db, to_reporter[action], [matter.reporter_id], payload)
    if action in ("dispatch", "rework"):
        notifications.enqueue(db, "matter.assigned", handlers_of(db, matter), payload)
    if action == "urge":
        notifications.enqueue(db, "matter.urged", responsible(db, matter), payload)


def responsible(db: Session, matter: Matter) -> list:
    """Who must act now: the handlers of a dispatched matter; before dispatch, the cell's grid
    member and its community's staff; for a matter outside every cell, the district admins."""
    handlers = handlers_of(db, matter)
    if handlers:
        return handlers
    if matter.grid_cell_id is None:
        return list(db.scalars(select(User.id).where(User.role == Role.district_admin, User.is_active.is_(True))))
    community_id = db.scalar(select(Place.parent_id).where(Place.id == matter.grid_cell_id))
    members = db.scalars(select(GridMemberCell.user_id).where(GridMemberCell.grid_cell_id == matter.grid_cell_id))
    staff = db.scalars(select(User.id).where(User.role == Role.community_staff, User.place_id == community_id,
                                             User.is_active.is_(True)))
    return [*members, *staff]



