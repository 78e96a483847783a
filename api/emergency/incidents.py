"""Incidents (突发事件): created directly or by escalating a matter, graded I–IV, commanded, with a
command log (指挥日志) of every decision, message and status change, and an after-action summary.

Status: open → responding (the first dispatch, or by hand) → contained → closed."""

from __future__ import annotations

from datetime import UTC, datetime

from geoalchemy2.shape import from_shape
from shapely.geometry import Point
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from api.emergency.stream import publish
from api.errors import Conflict, Forbidden, ValidationFailed
from api.grids.service import locate
from api.matters.workflow import OPEN
from api.policy import Scope, get_or_404, scope_rule, scoped, under
from models import (
    COLOURS,
    Dispatch,
    Incident,
    IncidentEvent,
    IncidentKind,
    IncidentLevel,
    IncidentStatus,
    Matter,
    MatterEvent,
    Role,
    User,
)

COMMANDERS = (Role.community_staff, Role.street_admin, Role.district_admin)
S = IncidentStatus

# Subtypes by kind (the emergency law's four kinds); "other" always allowed.
SUBTYPES: dict[str, tuple[str, ...]] = {
    "natural_disaster": ("flood", "rainstorm", "snow_ice", "earthquake", "geological", "other"),
    "accident": ("fire", "gas_leak", "traffic", "building", "electricity", "drowning", "other"),
    "public_health": ("epidemic", "food_poisoning", "medical_emergency", "other"),
    "public_security": ("fight", "dispute", "mass_gathering", "theft", "missing_person", "other"),
}
SUBTYPE_NAMES = {"flood": "洪涝", "rainstorm": "暴雨", "snow_ice": "冰雪", "earthquake": "地震", "geological": "地质灾害",
                 "fire": "火灾", "gas_leak": "燃气泄漏", "traffic": "交通事故", "building": "房屋安全",
                 "electricity": "电力事故", "drowning": "溺水", "epidemic": "传染病疫情", "food_poisoning": "食物中毒",
                 "medical_emergency": "突发急症", "fight": "打架斗殴", "dispute": "矛盾纠纷激化",
                 "mass_gathering": "人员聚集", "theft": "盗窃", "missing_person": "人员走失", "other": "突发事件"}
# The teams an incident needs unless the caller says otherwise.
DEFAULT_TEAMS: dict[str, list[str]] = {
    "natural_disaster": ["rescue", "patrol"],
    "accident": ["rescue"],
    "public_health": ["rescue", "governance"],
    "public_security": ["patrol", "mediation"],
}
# A matter escalated without a kind: its category's first-level code decides.
KIND_OF_CATEGORY = {"SECURITY": ("accident", "other"), "DISPUTE": ("public_security", "dispute"),
                    "LIVELIHOOD": ("public_health", "medical_emergency")}
TRANSITIONS = {
    "respond": ({S.open}, S.responding),
    "contain": ({S.open, S.responding}, S.contained),
    "close": ({S.responding, S.contained}, S.closed),
    "reopen": ({S.contained, S.closed}, S.responding),
    "regrade": (set(S) - {S.closed}, None),
    "command": (set(S) - {S.closed}, None),
}


class Msg:
    subtype = ("该类别下没有这个子类：{choices}。", "Not a subtype of this kind: {choices}.")
    commander = ("指挥员须为本辖区社区工作人员或领导。", "The commander is community staff or a leader of your area.")
    escalated = ("该事件已升级为突发事件。", "This matter was already escalated to an incident.")
    level = ("请给出等级（level）。", "Give the level.")
    note = ("请填写说明（note）。", "This step needs a note.")
    outside = ("该位置不在您的管辖范围内。", "This place is outside your area.")
    matter_done = ("只有未办结、未合并的事件可以升级为突发事件。",
                   "Only a matter still open (not closed or merged) can become an incident.")


@scope_rule(Incident)
def _incident_rule(scope: Scope):
    """Staff see incidents of their area (a grid member: their cells); a responder those they are
    dispatched to."""
    dispatched = select(Dispatch.incident_id).where(Dispatch.responder_id == scope.actor_id)
    if scope.role == Role.responder:
        return Incident.id.in_(dispatched)
    # the incident's own place path, looked up by key per row (not every place of the area hashed)
    in_area = under(Incident.place_path, scope.place_paths)
    return or_(in_area, Incident.id.in_(dispatched))


def ancestor_path(path: str, depth: int) -> str:
    """The path of the place ``depth`` levels down from the district (1 district, 2 street,
    3 community) on ``path``; the path itself when it is not that deep."""
    parts = path.strip("/").split("/")
    return "/" + "/".join(parts[:depth]) + "/" if len(parts) >= depth else path


def log(db: Session, incident: Incident, actor: User | None, action: str, message: str | None = None,
        **data) -> IncidentEvent:
    """One line of the command log, also sent live to the incident's area."""
    now = datetime.now(UTC)
    event = IncidentEvent(incident_id=incident.id, at=now, actor_id=actor.id if actor else None, action=action,
                          message=message, data={k: v for k, v in data.items() if v is not None})
    db.add(event)
    publish(db, "incident.updated", {"incident_id": str(incident.id), "number": incident.number, "action": action,
                                     "status": incident.status.value, "level": incident.level.value,
                                     "colour": COLOURS[incident.level.value]},
            place_path=incident.place_path)
    return event


def _check_subtype(kind: str, subtype: str) -> None:
    if subtype not in SUBTYPES[kind]:
        choices = ", ".join(SUBTYPES[kind])
        raise ValidationFailed({"subtype": [(Msg.subtype[0].format(choices=choices),
                                             Msg.subtype[1].format(choices=choices))]})


def _commander(db: Session, scope: Scope, commander_id) -> User | None:
    if commander_id is None:
        return None
    commander = get_or_404(db, User, commander_id, scope, field="commander_id")
    if commander.role not in COMMANDERS or not commander.is_active:
        raise ValidationFailed({"commander_id": [Msg.commander]})
    return commander


def create(db: Session, scope: Scope, actor: User, data: dict) -> Incident:
    """Open an incident: from a matter (its place and words unless given) or directly."""
    matter = None
    if data.get("matter_id") is not None:
        matter = get_or_404(db, Matter, data["matter_id"], scope, field="matter_id", for_update=True)
        if db.scalar(select(Incident.id).where(Incident.matter_id == matter.id)) is not None:
            raise Conflict(errors={"matter_id": [Msg.escalated]})
        if matter.status not in OPEN or matter.merged_into_id is not None:
            raise Conflict("invalid_transition", errors={"matter_id": [Msg.matter_done]})
    kind = data.get("kind")
    subtype = data.get("subtype")
    if kind is None and matter is not None:
        kind, default_subtype = KIND_OF_CATEGORY.get(matter.category.parent.code if matter.category.parent else "",
                                                     ("accident", "other"))
        subtype = subtype or default_subtype
    if kind is None:
        raise ValidationFailed({"kind": [("请选择类别。", "Give the kind.")]})
    kind = IncidentKind(kind)
    subtype = subtype or "other"
    _check_subtype(kind.value, subtype)
    if data.get("location") is not None:
        lng, lat = data["location"]
        location = from_shape(Point(lng, lat), srid=4326)
        cell = locate(db, lng, lat)
        if cell is not None and not any(cell.path.startswith(p) for p in scope.place_paths):
            raise ValidationFailed({"location": [Msg.outside]})
    elif matter is not None:
        location, cell = matter.location, matter.grid_cell
    else:
        raise ValidationFailed({"location": [("请给出位置。", "Give the location.")]})
    # the caller commands unless they name someone (a grid member reporting it names no one)
    commander = _commander(db, scope, data.get("commander_id")) or (actor if actor.role in COMMANDERS else None)
    # outside every cell: the caller's own place sees it
    place_id = cell.id if cell is not None else actor.place_id
    now = datetime.now(UTC)
    incident = Incident(
        title=data.get("title") or (matter.category.name if matter else SUBTYPE_NAMES.get(subtype, subtype)),
        description=data.get("description") or (matter.description if matter else None),
        kind=kind, subtype=subtype, level=IncidentLevel(data["level"]), status=S.open, location=location,
        address=data.get("address") or (matter.address if matter else None),
        grid_cell_id=cell.id if cell else None, place_id=place_id,
        teams=list(dict.fromkeys(data.get("teams") or DEFAULT_TEAMS[kind.value])),
        commander_id=commander.id if commander else None,
        matter_id=matter.id if matter else None, reported_by_id=actor.id, opened_at=now,
    )
    db.add(incident)
    db.flush()
    log(db, incident, actor, "open", data.get("description"), level=incident.level.value, kind=kind.value,
        subtype=subtype, matter_id=str(matter.id) if matter else None)
    if matter is not None:
        db.add(MatterEvent(matter_id=matter.id, at=now, actor_id=actor.id, actor_role=actor.role.value,
                           action="escalate_incident", from_status=matter.status.value, to_status=matter.status.value,
                           note=data.get("description"), data={"incident_id": str(incident.id),
                                                                "level": incident.level.value}))
    db.flush()
    return incident


def list_incidents(scope: Scope, *, status=None, level=None, kind=None, open_only=None) -> Select:
    stmt = select(Incident)
    for column, value in ((Incident.status, status), (Incident.level, level), (Incident.kind, kind)):
        if value is not None:
            stmt = stmt.where(column == value)
    if open_only:
        stmt = stmt.where(Incident.status != S.closed)
    # the most serious first (I before IV), then the newest
    return scoped(stmt, Incident, scope).order_by(Incident.level, Incident.opened_at.desc(), Incident.id)


def transition(db: Session, scope: Scope, actor: User, incident: Incident, action: str, data: dict) -> IncidentEvent:
    if actor.role not in COMMANDERS:
        raise Forbidden()
    sources, target = TRANSITIONS[action]
    if incident.status not in sources:
        raise Conflict("invalid_transition", errors={"action": [(
            f"当前状态（{incident.status.value}）不能执行 {action}。",
            f"'{action}' does not fit the current status ({incident.status.value}).")]})
    note = (data.get("note") or "").strip() or None
    now = datetime.now(UTC)
    extra: dict = {}
    if action == "regrade":
        if data.get("level") is None:
            raise ValidationFailed({"level": [Msg.level]})
        extra = {"from_level": incident.level.value, "level": data["level"]}
        incident.level = IncidentLevel(data["level"])
    elif action == "command":
        commander = _commander(db, scope, data.get("commander_id"))
        if commander is None:
            raise ValidationFailed({"commander_id": [Msg.commander]})
        incident.commander_id = commander.id
        extra = {"commander_id": str(commander.id)}
    elif action == "reopen" and not note:
        raise ValidationFailed({"note": [Msg.note]})
    before = incident.status
    if target is not None:
        incident.status = target
        if target == S.responding and incident.responding_at is None:
            incident.responding_at = now
        elif target == S.contained:
            incident.contained_at = now
        elif target == S.closed:
            incident.closed_at = now
        if action == "reopen":
            incident.closed_at = None
    db.flush()
    return log(db, incident, actor, action, note, from_status=before.value, to_status=incident.status.value, **extra)


def start_responding(db: Session, incident: Incident, actor: User | None) -> None:
    """The first dispatch sets an open incident responding."""
    if incident.status == S.open:
        incident.status, incident.responding_at = S.responding, datetime.now(UTC)
        log(db, incident, actor, "respond", None, from_status="open", to_status="responding")


def summary(db: Session, incident: Incident) -> dict:
    """The after-action summary: how long to acknowledge, to arrive, to contain and to close."""
    first = db.execute(select(func.min(Dispatch.dispatched_at), func.min(Dispatch.acknowledged_at),
                              func.min(Dispatch.on_scene_at), func.count(),
                              func.count().filter(Dispatch.declined_at.isnot(None)),
                              func.count().filter(Dispatch.overdue_at.isnot(None)),
                              func.count().filter(Dispatch.automatic),
                              func.percentile_cont(0.5).within_group(
                                  func.extract("epoch", Dispatch.acknowledged_at - Dispatch.dispatched_at)),
                              func.percentile_cont(0.5).within_group(
                                  func.extract("epoch", Dispatch.on_scene_at - Dispatch.dispatched_at)))
                       .where(Dispatch.incident_id == incident.id)).one()

    def seconds(later, earlier):
        return round((later - earlier).total_seconds()) if later and earlier else None

    return {
        "dispatches": first[3], "declined": first[4], "not_acknowledged_in_time": first[5], "automatic": first[6],
        "seconds_to_first_dispatch": seconds(first[0], incident.opened_at),
        "seconds_to_first_acknowledgement": seconds(first[1], incident.opened_at),
        "seconds_to_first_arrival": seconds(first[2], incident.opened_at),
        "median_seconds_to_acknowledge": round(first[7]) if first[7] is not None else None,
        "median_seconds_to_arrive": round(first[8]) if first[8] is not None else None,
        "seconds_to_contain": seconds(incident.contained_at, incident.opened_at),
        "seconds_to_close": seconds(incident.closed_at, incident.opened_at),
    }
