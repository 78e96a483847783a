"""Dispatches (派警): responders sent to an incident, each answering from their phone.

dispatched → acknowledged → en route → on scene → done, or declined (before arriving). A dispatch
sent makes the responder busy; done or declined frees them. One not acknowledged within the level's
``DISPATCH_ACK_MINUTES`` is flagged by the worker's sweep, the level's leaders are told, and the
next nearest available responder of the same teams is sent (``DISPATCH_AUTO_REPLACE``) or, when
there is none, suggested to the commander."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from geoalchemy2.shape import to_shape
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from api.emergency import incidents as incident_service
from api.emergency.responders import candidates
from api.emergency.stream import publish
from api.errors import Conflict, DomainError, Forbidden, ValidationFailed
from api.notifications import service as notifications
from api.policy import Scope
from models import (
    ACTIVE_DISPATCH,
    Dispatch,
    DispatchStatus,
    DutyStatus,
    Incident,
    IncidentStatus,
    Responder,
    Role,
    User,
)

D = DispatchStatus


@dataclass(frozen=True)
class Step:
    sources: frozenset
    target: DispatchStatus
    stamp: str


FLOW = {
    "acknowledge": Step(frozenset({D.dispatched}), D.acknowledged, "acknowledged_at"),
    "decline": Step(frozenset({D.dispatched, D.acknowledged}), D.declined, "declined_at"),
    "en_route": Step(frozenset({D.dispatched, D.acknowledged}), D.en_route, "en_route_at"),
    "on_scene": Step(frozenset({D.acknowledged, D.en_route}), D.on_scene, "on_scene_at"),
    "done": Step(frozenset({D.on_scene}), D.done, "done_at"),
}


class Msg:
    not_available = ("{name} 当前不可派遣（不在岗、已在出警或不是所需队伍的队员）。",
                     "{name} cannot be dispatched now (off duty, on another dispatch, or not on a needed team).")
    already = ("{name} 已在处置该事件。", "{name} is already dispatched to this incident.")
    closed = ("事件已关闭。", "The incident is closed.")
    not_yours = ("这不是派给您的任务。", "This dispatch is not yours.")
    reason = ("拒绝时请说明原因（note）。", "Say why you decline (note).")


def _ack_due(incident: Incident, now: datetime, ack_minutes: dict[str, int]) -> datetime:
    return now + timedelta(minutes=ack_minutes[incident.level.value])


def dispatch(db: Session, scope: Scope, actor: User | None, incident: Incident, responder_ids: list, *,
             ack_minutes: dict[str, int], automatic: bool = False, replaces: Dispatch | None = None,
             now: datetime | None = None) -> list[Dispatch]:
    """Send responders (locked, checked available and of a needed team) to an incident."""
    if incident.status == IncidentStatus.closed:
        raise Conflict("invalid_transition", errors={"incident": [Msg.closed]})
    now = now or datetime.now(UTC)
    wanted = tuple(dict.fromkeys(responder_ids))
    # on duty, active and of a team that may go — however far or quiet the phone: the commander chose
    available = {c["user_id"]: c for c in candidates(db, scope, incident, radius_m=None, fresh_seconds=None,
                                                        limit=len(wanted), only=wanted)}
    sent = []
    for index, user_id in enumerate(dict.fromkeys(responder_ids)):
        responder = db.get(Responder, user_id, with_for_update=True)
        name = responder.user.display_name if responder else str(user_id)
        live = db.scalar(select(Dispatch.id).where(Dispatch.incident_id == incident.id,
                                                   Dispatch.responder_id == user_id,
                                                   Dispatch.status.in_(ACTIVE_DISPATCH)))
        if live is not None:
            raise Conflict(errors={f"responder_ids.{index}": [(Msg.already[0].format(name=name),
                                                                Msg.already[1].format(name=name))]})
        if responder is None or user_id not in available or responder.duty_status != DutyStatus.on_duty:
            raise ValidationFailed({f"responder_ids.{index}": [(Msg.not_available[0].format(name=name),
                                                                 Msg.not_available[1].format(name=name))]})
        item = Dispatch(incident_id=incident.id, responder_id=user_id, status=D.dispatched,
                        dispatched_by_id=actor.id if actor else None, automatic=automatic,
                        replaces_id=replaces.id if replaces else None,
                        distance_m=available[user_id]["distance_m"], dispatched_at=now,
                        ack_due_at=_ack_due(incident, now, ack_minutes))
        db.add(item)
        responder.duty_status = DutyStatus.busy
        sent.append(item)
    db.flush()
    for item in sent:
        _announce(db, incident, item, "dispatch.created")
        notifications.enqueue(db, "incident.dispatched", [item.responder_id], {
            "incident_id": str(incident.id), "dispatch_id": str(item.id), "number": incident.number,
            "title": incident.title, "level": incident.level.value})
        incident_service.log(db, incident, actor, "dispatch", None, dispatch_id=str(item.id),
                             responder_id=str(item.responder_id), distance_m=item.distance_m,
                             automatic=automatic or None, replaces_id=str(replaces.id) if replaces else None)
    if sent:
        incident_service.start_responding(db, incident, actor)
    db.flush()
    return sent


def _announce(db: Session, incident: Incident, item: Dispatch, topic: str) -> None:
    """To the responder's phone and to the console of the incident's area."""
    payload = dispatch_view(item, incident)
    publish(db, topic, payload, user_id=item.responder_id)
    publish(db, topic, payload, place_path=incident.place_path)


def dispatch_view(item: Dispatch, incident: Incident | None = None) -> dict:
    out = {"id": item.id, "incident_id": item.incident_id, "status": item.status.value,
           "responder_id": item.responder_id, "responder_name": item.responder_name, "automatic": item.automatic,
           "distance_m": item.distance_m,
           "dispatched_at": item.dispatched_at, "ack_due_at": item.ack_due_at, "overdue": item.overdue_at is not None}
    if incident is not None:
        point = to_shape(incident.location)
        out["incident"] = {"number": incident.number, "title": incident.title, "level": incident.level.value,
                           "kind": incident.kind.value, "subtype": incident.subtype, "address": incident.address,
                           "lng": point.x, "lat": point.y}
    return out


def act(db: Session, actor: User, item: Dispatch, action: str, note: str | None) -> Dispatch:
    """The responder's answer: only their own dispatch; 409 out of order."""
    if item.responder_id != actor.id:
        raise Forbidden(errors={"action": [Msg.not_yours]})
    step = FLOW[action]
    if item.status not in step.sources:
        raise Conflict("invalid_transition", errors={"action": [(
            f"当前状态（{item.status.value}）不能执行 {action}。",
            f"'{action}' does not fit the current status ({item.status.value}).")]})
    if action == "decline" and not note:
        raise ValidationFailed({"note": [Msg.reason]})
    now = datetime.now(UTC)
    before = item.status
    item.status = step.target
    setattr(item, step.stamp, now)
    if action == "en_route" and item.acknowledged_at is None:
        item.acknowledged_at = now  # setting off is an acknowledgement
    if note:
        item.note = note[:500]
    if step.target in (D.done, D.declined):
        _free(db, actor.id, item.id)
    incident = db.get(Incident, item.incident_id)
    db.flush()
    _announce(db, incident, item, f"dispatch.{action}")
    incident_service.log(db, incident, actor, f"dispatch_{action}", note, dispatch_id=str(item.id),
                         from_status=before.value, to_status=item.status.value)
    if action == "decline":
        _leaders_and_commander(db, incident, "incident.declined", item)
    db.flush()
    return item


def cancel_live(db: Session, incident: Incident, actor: User | None) -> int:
    """The incident is closed: its live dispatches end (cancelled), their responders are freed, and
    each phone is told."""
    now = datetime.now(UTC)
    live = db.scalars(select(Dispatch).where(Dispatch.incident_id == incident.id, Dispatch.status.in_(ACTIVE_DISPATCH))
                      .order_by(Dispatch.id).with_for_update()).all()
    for item in live:
        item.status, item.cancelled_at = D.cancelled, now
        _free(db, item.responder_id, item.id)
        _announce(db, incident, item, "dispatch.cancelled")
    if live:
        incident_service.log(db, incident, actor, "dispatches_cancelled", None, dispatch_ids=[str(d.id) for d in live])
    db.flush()
    return len(live)


def _free(db: Session, responder_id, dispatch_id) -> None:
    """Back on duty once no other dispatch of theirs is live (off duty stays off duty)."""
    others = db.scalar(select(Dispatch.id).where(Dispatch.responder_id == responder_id, Dispatch.id != dispatch_id,
                                                 Dispatch.status.in_(ACTIVE_DISPATCH)).limit(1))
    if others is None:
        db.execute(update(Responder).where(Responder.user_id == responder_id, Responder.duty_status == DutyStatus.busy)
                   .values(duty_status=DutyStatus.on_duty))


def leaders(db: Session, incident: Incident) -> list:
    """The level's leaders: I and II the district's, III the street's, IV the community's staff;
    always the commander."""
    role, depth = {"I": (Role.district_admin, 1), "II": (Role.district_admin, 1),
                   "III": (Role.street_admin, 2)}.get(incident.level.value, (Role.community_staff, 3))
    place_id = uuid.UUID(incident_service.ancestor_path(incident.place_path, depth).strip("/").split("/")[-1])
    found = list(db.scalars(select(User.id).where(User.role == role, User.place_id == place_id,
                                                  User.is_active.is_(True))))
    return [*found, *([incident.commander_id] if incident.commander_id else [])]


def _leaders_and_commander(db: Session, incident: Incident, topic: str, item: Dispatch, **extra) -> None:
    notifications.enqueue(db, topic, leaders(db, incident), {
        "incident_id": str(incident.id), "dispatch_id": str(item.id), "number": incident.number,
        "title": incident.title, "level": incident.level.value, "responder": item.responder.display_name, **extra})


def sweep_unacknowledged(db: Session, *, ack_minutes: dict[str, int], radius_m: int, fresh_seconds: int,
                         auto_replace: bool, now: datetime | None = None) -> dict:
    """Flag dispatches not acknowledged in time, tell the level's leaders, and send (or suggest) the
    next nearest available responder. Safe with several workers (rows locked, skipped if taken)."""
    now = now or datetime.now(UTC)
    late = db.scalars(select(Dispatch).where(Dispatch.status == D.dispatched, Dispatch.overdue_at.is_(None),
                                             Dispatch.ack_due_at <= now)
                      .order_by(Dispatch.ack_due_at).limit(200).with_for_update(skip_locked=True)).all()
    result = {"flagged": 0, "replaced": 0, "suggested": 0}
    for item in late:
        item.overdue_at = now
        # the incident, unless a commander holds it right now (then the next round replaces)
        incident = db.scalars(select(Incident).where(Incident.id == item.incident_id)
                              .with_for_update(skip_locked=True)).one_or_none()
        result["flagged"] += 1
        if incident is None:
            incident = db.get(Incident, item.incident_id)
            _announce(db, incident, item, "dispatch.overdue")
            continue
        _announce(db, incident, item, "dispatch.overdue")
        if incident.status == IncidentStatus.closed:
            continue
        tried = db.scalars(select(Dispatch.responder_id).where(Dispatch.incident_id == incident.id)).all()
        system = _system_scope(incident)
        nearest = candidates(db, system, incident, radius_m=radius_m, fresh_seconds=fresh_seconds, limit=1,
                             exclude=tuple(tried))
        replacement = None
        if nearest and auto_replace:
            try:
                with db.begin_nested():
                    replacement = dispatch(db, system, None, incident, [nearest[0]["user_id"]],
                                           ack_minutes=ack_minutes, automatic=True, replaces=item, now=now)[0]
                result["replaced"] += 1
            except DomainError:  # taken a moment ago by a commander: suggest instead
                result["suggested"] += 1
        elif nearest:
            result["suggested"] += 1
        incident_service.log(db, incident, None, "dispatch_overdue", None, dispatch_id=str(item.id),
                             replaced_by=str(replacement.id) if replacement else None,
                             suggested=str(nearest[0]["user_id"]) if nearest and not replacement else None)
        _leaders_and_commander(db, incident, "incident.unacknowledged", item,
                               next_name=nearest[0]["name"] if nearest else "",
                               replaced=bool(replacement))
    db.flush()
    return result


def _system_scope(incident: Incident) -> Scope:
    """The worker acts for the incident's street: its teams and its communities' teams."""
    return Scope(actor_id=uuid.UUID(int=0), role=Role.district_admin, place_id=incident.place_id,
                 place_paths=(incident_service.ancestor_path(incident.place_path, 2),))
