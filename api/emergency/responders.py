"""Teams, responders, their live positions, and the nearest available ones for an incident.

The four teams (综治协管, 矛盾调解, 治安巡防, 应急救援) belong to a street or a community. A responder
is a team member with a duty status and the latest position their phone sent; the last
``RESPONDER_TRACK_HOURS`` of positions are kept as a track, older points dropped as new ones come.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from geoalchemy2 import Geography
from geoalchemy2.shape import from_shape, to_shape
from shapely.geometry import Point
from sqlalchemy import Float, Select, any_, cast, delete, func, literal, or_, select
from sqlalchemy.orm import Session, selectinload

from api.emergency.stream import publish
from api.errors import Conflict, NotFound, TooManyRequests, ValidationFailed
from api.policy import Scope, get_or_404, scope_rule, scoped, under
from models import ACTIVE_DISPATCH, Dispatch, DutyStatus, Incident, Place, Responder, ResponderTrack, Role, Team, User

# Who may be a team member: responders, and grid members who serve on a team (e.g. 综治协管).
MEMBER_ROLES = (Role.responder, Role.grid_member)


class Msg:
    team_place = ("队伍须属于街道或社区。", "A team belongs to a street or a community.")
    team_exists = ("该地已有这类队伍。", "That place already has a team of this kind.")
    member_role = ("队员须为应急队员或网格员。", "A team member is a responder or a grid member.")
    not_member = ("您不是任何队伍的队员。", "You are not on any team.")
    too_soon = ("位置上报过于频繁。", "Position reported too often.")
    future = ("定位时间不能晚于现在。", "The fix cannot be in the future.")


@scope_rule(Team)
def _team_rule(scope: Scope):
    # staff see the teams of their area and of the places above it (the street's teams serve its communities)
    place_path = select(Place.path).where(Place.id == Team.place_id).scalar_subquery()
    return or_(under(place_path, scope.place_paths),
               *(literal(path).startswith(place_path) for path in scope.place_paths))


@scope_rule(Responder)
def _responder_rule(scope: Scope):
    if scope.role == Role.responder:  # a responder sees their own record; staff their area's teams
        return Responder.user_id == scope.actor_id
    return Responder.team_id.in_(select(Team.id).where(_team_rule(scope)))


def create_team(db: Session, scope: Scope, data: dict) -> Team:
    place = get_or_404(db, Place, data["place_id"], scope, field="place_id")
    if place.kind.value not in ("street", "community"):
        raise ValidationFailed({"place_id": [Msg.team_place]})
    if db.scalar(select(Team.id).where(Team.place_id == place.id, Team.kind == data["kind"])) is not None:
        raise Conflict(errors={"kind": [Msg.team_exists]})
    team = Team(place_id=place.id, kind=data["kind"], name=data["name"])
    db.add(team)
    db.flush()
    return team


def check_own_team(db: Session, scope: Scope, team: Team) -> None:
    """Staff see the teams above them but manage only those of their own area (404 otherwise)."""
    path = db.scalar(select(Place.path).where(Place.id == team.place_id))
    if not any(path.startswith(p) for p in scope.place_paths):
        raise NotFound()


def put_member(db: Session, scope: Scope, team: Team, data: dict) -> Responder:
    """Add a user to a team (or move them to it), with their skills."""
    user = get_or_404(db, User, data["user_id"], scope, field="user_id")
    if user.role not in MEMBER_ROLES or not user.is_active:
        raise ValidationFailed({"user_id": [Msg.member_role]})
    responder = db.get(Responder, user.id, with_for_update=True)
    if responder is None:
        responder = Responder(user_id=user.id, team_id=team.id, duty_status=DutyStatus.off_duty)
        db.add(responder)
    responder.team_id = team.id
    responder.skills = sorted(set(data.get("skills") or []))
    db.flush()
    return responder


def me(db: Session, user: User, *, for_update: bool = False) -> Responder:
    responder = db.get(Responder, user.id, with_for_update=for_update)
    if responder is None:
        raise NotFound(errors={"user": [Msg.not_member]})
    return responder


def set_duty(db: Session, user: User, status: DutyStatus) -> Responder:
    responder = me(db, user, for_update=True)
    busy = db.scalar(select(func.count()).where(Dispatch.responder_id == user.id,
                                                Dispatch.status.in_(ACTIVE_DISPATCH)))
    # on a live dispatch they stay busy until it is done; going off duty is always allowed
    responder.duty_status = DutyStatus.busy if busy and status == DutyStatus.on_duty else status
    _publish_position(db, responder)
    return responder


def report_position(db: Session, user: User, lng: float, lat: float, *, at: datetime | None, accuracy_m: float | None,
                    min_seconds: int, track_hours: int) -> Responder:
    """The phone's latest fix: kept as the latest point and appended to the bounded track."""
    now = datetime.now(UTC)
    at = at or now
    if at > now + timedelta(seconds=30):
        raise ValidationFailed({"at": [Msg.future]})
    responder = me(db, user, for_update=True)
    point = from_shape(Point(lng, lat), srid=4326)
    db.add(ResponderTrack(user_id=user.id, at=at, position=point, accuracy_m=accuracy_m))
    if responder.position_at is not None and at - responder.position_at < timedelta(seconds=min_seconds):
        if at <= responder.position_at:  # an older fix arriving late: the track keeps it, the latest stays
            db.flush()
            return responder
        raise TooManyRequests(retry_after=min_seconds, errors={"position": [Msg.too_soon]})
    responder.position, responder.position_at, responder.accuracy_m = point, at, accuracy_m
    db.execute(delete(ResponderTrack).where(ResponderTrack.user_id == user.id,
                                            ResponderTrack.at < now - timedelta(hours=track_hours)))
    db.flush()
    _publish_position(db, responder, lng, lat)
    return responder


def _publish_position(db: Session, responder: Responder, lng: float | None = None, lat: float | None = None) -> None:
    """The console of the team's area sees the responder move; the stream carries no one else's."""
    payload = {"user_id": str(responder.user_id), "name": responder.user.display_name,
               "team": responder.team.kind.value, "duty_status": responder.duty_status.value,
               "at": responder.position_at.isoformat() if responder.position_at else None}
    if lng is not None:
        payload |= {"lng": round(lng, 6), "lat": round(lat, 6)}
    topic = "responder.position" if lng is not None else "responder.status"
    # the team's area, and the area of every incident they are on now
    paths = {responder.team.place.path, *db.scalars(
        select(Place.path).join(Incident, Incident.place_id == Place.id).join(Dispatch, Dispatch.incident_id == Incident.id)
        .where(Dispatch.responder_id == responder.user_id, Dispatch.status.in_(ACTIVE_DISPATCH)))}
    for path in sorted(paths):  # a leader over both areas gets it once (the stream drops the copy)
        publish(db, topic, payload, place_path=path)


def track(db: Session, user_id, since: datetime) -> list[dict]:
    rows = db.execute(select(ResponderTrack.at, func.ST_X(ResponderTrack.position), func.ST_Y(ResponderTrack.position),
                             ResponderTrack.accuracy_m)
                      .where(ResponderTrack.user_id == user_id, ResponderTrack.at >= since)
                      .order_by(ResponderTrack.at).limit(5000))
    return [{"at": at, "lng": lng, "lat": lat, "accuracy_m": acc} for at, lng, lat, acc in rows]


def candidates(db: Session, scope: Scope, incident: Incident, *, radius_m: int | None, fresh_seconds: int | None,
               limit: int = 20, exclude: tuple | Select | None = None, only: tuple = ()) -> list[dict]:
    """Available on-duty responders of the teams the incident needs, nearest first, within
    ``radius_m`` and with a position at most ``fresh_seconds`` old: PostGIS KNN (``<->``) on the
    geography index of available responders, distances on the sphere in metres (as ``<->``).

    The teams that may be sent are found first, inside the same statement (a handful of ids: those
    of the kinds it needs, of the incident's street and community and of the caller's area), so the
    responders' query is one index scan of one table; names and teams join the few rows it keeps.
    ``exclude``: ids, or a select of them (the responders already on the incident).

    ``radius_m`` / ``fresh_seconds`` None: no limit (checking chosen responders, ``only``: a
    commander may send someone farther or whose phone went quiet; then they come last, distance
    unknown)."""
    where = to_shape(incident.location)
    point = cast(func.ST_SetSRID(func.ST_MakePoint(where.x, where.y), 4326), Geography(srid=4326))
    incident_path = select(Place.path).where(Place.id == incident.place_id).scalar_subquery()
    # the teams as one array computed first (an init plan), so the responders' query stays one
    # index scan of one table with the team ids as its condition — in the same round trip
    teams = func.array(select(Team.id).join(Place, Place.id == Team.place_id).where(
        Team.kind.in_(incident.teams),
        or_(incident_path.startswith(Place.path), under(Place.path, scope.place_paths))).scalar_subquery())
    knn = Responder.position.op("<->", return_type=Float)(point)
    # one flat select (a subquery's column collection, built per request, cost more than its SQL)
    rows = db.execute(
        select(Responder.user_id, Responder.skills, Responder.position_at, User.display_name, Team.kind, Team.name,
               func.ST_Distance(Responder.position, point, False).label("distance_m"))
        .join(User, User.id == Responder.user_id).join(Team, Team.id == Responder.team_id)
        .where(Responder.duty_status == DutyStatus.on_duty, Responder.team_id == any_(teams), User.is_active.is_(True),
               *([Responder.position.isnot(None), func.ST_DWithin(Responder.position, point, radius_m, False)]
                 if radius_m is not None else []),
               *([Responder.position_at >= datetime.now(UTC) - timedelta(seconds=fresh_seconds)]
                 if fresh_seconds is not None else []),
               *([Responder.user_id.not_in(exclude)] if isinstance(exclude, Select) or exclude else []),
               *([Responder.user_id.in_(only)] if only else []))
        .order_by(knn.nulls_last(), Responder.user_id).limit(limit))
    return [{"user_id": r.user_id, "name": r.display_name, "team": r.kind.value, "team_name": r.name,
             "skills": r.skills, "position_at": r.position_at,
             "distance_m": round(r.distance_m, 1) if r.distance_m is not None else None}
            for r in rows]


def list_responders(scope: Scope, *, team_id=None, duty_status=None) -> Select:
    stmt = select(Responder)
    if team_id is not None:
        stmt = stmt.where(Responder.team_id == team_id)
    if duty_status is not None:
        stmt = stmt.where(Responder.duty_status == duty_status)
    return (scoped(stmt, Responder, scope).options(selectinload(Responder.user), selectinload(Responder.team))
            .order_by(Responder.user_id))
