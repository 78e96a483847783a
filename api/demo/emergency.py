"""Demo emergencies (演示应急): the four teams of 天桥街道 and two of 漓江路社区, responders spread over
the street (most on duty, some off), one incident closed with its after-action figures and one
being handled. Positions are as of loading: phones report fresh ones; `flask demo responders`
moves the demo's responders a little and makes their positions current again."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from api.emergency import dispatch as dispatch_service
from api.emergency import incidents
from api.emergency.responders import candidates
from api.policy import Scope
from models import (
    Dispatch,
    DutyStatus,
    GridCell,
    Incident,
    IncidentEvent,
    Place,
    Responder,
    Role,
    Team,
    TeamKind,
    User,
)

TEAM_NAMES = {TeamKind.governance: "综治协管队", TeamKind.mediation: "矛盾调解队", TeamKind.patrol: "治安巡防队",
              TeamKind.rescue: "应急救援队"}
SKILLS = {TeamKind.rescue: ["first_aid", "rope_rescue", "swimming"], TeamKind.patrol: ["patrol", "first_aid"],
          TeamKind.mediation: ["mediation"], TeamKind.governance: ["survey", "first_aid"]}
RESPONDERS = 24


def load(db: Session, users: dict[str, User], password_hash: str, config) -> dict:
    street = db.get(Place, users["street_admin"].place_id)
    community = db.get(Place, users["community_staff"].place_id)
    teams = {}
    for kind in TeamKind:
        teams[kind] = Team(place_id=street.id, kind=kind, name=f"{street.name}{TEAM_NAMES[kind]}（演示）")
    community_patrol = Team(place_id=community.id, kind=TeamKind.patrol,
                            name=f"{community.name}{TEAM_NAMES[TeamKind.patrol]}（演示）")
    community_mediation = Team(place_id=community.id, kind=TeamKind.mediation,
                               name=f"{community.name}{TEAM_NAMES[TeamKind.mediation]}（演示）")
    db.add_all([*teams.values(), community_patrol, community_mediation])
    db.flush()
    now = datetime.now(UTC)
    cell = db.scalar(select(GridCell).where(GridCell.parent_id == community.id).order_by(GridCell.code))
    # the demo responder: on the street's rescue team, on duty, ~150 m east of the first cell's centre
    centre = db.execute(select(func.ST_X(func.ST_PointOnSurface(cell.boundary)),
                               func.ST_Y(func.ST_PointOnSurface(cell.boundary)))).one()
    db.add(Responder(user_id=users["responder"].id, team_id=teams[TeamKind.rescue].id,
                     skills=SKILLS[TeamKind.rescue], duty_status=DutyStatus.on_duty,
                     position=f"SRID=4326;POINT({centre[0] + 0.0015} {centre[1]})", position_at=now, accuracy_m=8))
    # more responders spread over the street (deterministic points inside its boundary)
    points = db.execute(text(
        "SELECT ST_X(g.geom), ST_Y(g.geom) FROM (SELECT (ST_Dump(ST_GeneratePoints(boundary, :n, 2026))).geom "
        "FROM places WHERE id = :street) g"), {"n": RESPONDERS, "street": street.id}).all()
    team_cycle = [teams[TeamKind.rescue], teams[TeamKind.patrol], teams[TeamKind.governance],
                  teams[TeamKind.mediation], community_patrol, community_mediation]
    made = []
    for index, (lng, lat) in enumerate(points):
        user = User(id=uuid.uuid4(), username=f"responder_{index + 1:02d}", display_name=f"应急队员{index + 1:02d}（演示）",
                    role=Role.responder, phone=f"1380001{index + 1:04d}", place_id=street.id,
                    password_hash=password_hash, is_demo=True)
        db.add(user)
        db.flush()
        team = team_cycle[index % len(team_cycle)]
        duty = DutyStatus.off_duty if index % 6 == 5 else DutyStatus.on_duty
        db.add(Responder(user_id=user.id, team_id=team.id, skills=SKILLS[team.kind], duty_status=duty,
                         position=f"SRID=4326;POINT({lng} {lat})", position_at=now - timedelta(seconds=index * 7),
                         accuracy_m=10 + index))
        made.append(user)
    db.flush()
    counts = {"teams": len(teams) + 2, "responders": len(made) + 1}
    counts["incidents"] = _incidents(db, users, cell, config)
    return counts


def _incidents(db: Session, users: dict[str, User], cell: GridCell, config) -> int:
    staff = users["community_staff"]
    scope = Scope.for_user(staff)
    settings = {"ack_minutes": config["DISPATCH_ACK_MINUTES"], "radius_m": config["INCIDENT_RADIUS_METRES"],
                "fresh_seconds": config["RESPONDER_POSITION_FRESH_SECONDS"]}
    centre = db.execute(select(func.ST_X(func.ST_PointOnSurface(cell.boundary)),
                               func.ST_Y(func.ST_PointOnSurface(cell.boundary)))).one()
    # one closed three days ago: a flooded underpass, with every step timed
    flood = incidents.create(db, scope, staff, {
        "title": "下穿通道积水（演示）", "kind": "natural_disaster", "subtype": "rainstorm", "level": "III",
        "location": (centre[0] - 0.002, centre[1] + 0.001), "description": "暴雨导致下穿通道积水约 40 厘米（演示）"})
    keep_free = (users["responder"].id,)  # the demo responder is left free for whoever tries the phone flow
    picks = _nearest(db, scope, flood, settings, 2, keep_free)
    sent = dispatch_service.dispatch(db, scope, staff, flood, picks, ack_minutes=settings["ack_minutes"])
    for item in sent:
        for action in ("acknowledge", "en_route", "on_scene", "done"):
            dispatch_service.act(db, db.get(User, item.responder_id), item, action, None)
    incidents.transition(db, scope, staff, flood, "contain", {"note": "积水已排除，道路恢复通行（演示）"})
    incidents.transition(db, scope, staff, flood, "close", {"note": "处置完毕（演示）"})
    flood.is_demo = True
    _shift(db, flood, timedelta(days=3), minutes={"acknowledged_at": 1.5, "en_route_at": 2, "on_scene_at": 11,
                                                  "done_at": 50}, contained=45, closed=60)
    # one being handled: a fight at a market, one responder acknowledged and on the way
    fight = incidents.create(db, scope, staff, {
        "title": "农贸市场口角引发肢体冲突（演示）", "kind": "public_security", "subtype": "fight", "level": "IV",
        "location": (centre[0] + 0.001, centre[1] - 0.001)})
    fight.is_demo = True
    picks = _nearest(db, scope, fight, settings, 1, keep_free)
    for item in dispatch_service.dispatch(db, scope, staff, fight, picks, ack_minutes=settings["ack_minutes"]):
        dispatch_service.act(db, db.get(User, item.responder_id), item, "acknowledge", None)
    db.flush()
    return 2


def _nearest(db: Session, scope: Scope, incident: Incident, settings: dict, n: int, exclude: tuple) -> list:
    return [c["user_id"] for c in candidates(db, scope, incident, radius_m=settings["radius_m"],
                                             fresh_seconds=settings["fresh_seconds"], limit=n, exclude=exclude)]


def _shift(db: Session, incident: Incident, back: timedelta, *, minutes: dict, contained: int, closed: int) -> None:
    """Move a demo incident into the past with realistic gaps between its steps."""
    opened = datetime.now(UTC) - back
    incident.opened_at = incident.responding_at = opened
    incident.contained_at = opened + timedelta(minutes=contained)
    incident.closed_at = opened + timedelta(minutes=closed)
    for item in db.scalars(select(Dispatch).where(Dispatch.incident_id == incident.id)):
        item.dispatched_at = opened + timedelta(minutes=0.5)
        item.ack_due_at = item.dispatched_at + timedelta(minutes=5)
        for column, after in minutes.items():
            setattr(item, column, opened + timedelta(minutes=after))
    db.execute(update(IncidentEvent).where(IncidentEvent.incident_id == incident.id)
               .values(at=IncidentEvent.at - back))


def refresh_positions(db: Session) -> int:
    """Move each demo responder a few metres and make their position current (a stand-in for phones)."""
    result = db.execute(text(
        "UPDATE responders r SET position = ST_Project(r.position, 5 + random() * 20, random() * 2 * pi()), "
        "position_at = now() FROM users u WHERE u.id = r.user_id AND u.is_demo AND r.position IS NOT NULL"))
    return result.rowcount
