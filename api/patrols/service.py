"""Check-ins (签到) and patrol tracks (巡查轨迹): recorded on the phone, possibly offline, sent later.

Both are keyed by the phone's UUID, so a resend finds what is there; a track is immutable once
received (a long patrol goes up in pieces). On receipt the platform computes the track's length,
its active time per day (China time; gaps between fixes longer than the configured maximum do not
count) and the grid cells it passed through, with the metres inside each.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

from geoalchemy2 import Geography
from geoalchemy2.shape import from_shape, to_shape
from shapely.geometry import LineString, Point
from sqlalchemy import Select, and_, cast, distinct, func, insert, literal, select
from sqlalchemy.orm import Session

from api.china_time import day_of as china_day
from api.china_time import midnight as china_midnight
from api.errors import Conflict, ValidationFailed
from api.geo.coords import to_wgs84
from api.grids.service import locate
from api.policy import Scope, rule_for, scope_rule, scoped
from api.visits.service import FUTURE_SLACK
from models import CheckIn, CheckInKind, GridCell, GridMemberCell, Patrol, PatrolCell, PatrolDay, Role, User

EARTH_RADIUS_M = 6_371_008.8
MAX_TRACK = timedelta(hours=24)


class Msg:
    not_in_order = ("轨迹点须按时间先后排列。", "Points must be in time order.")
    future = ("时间不能晚于现在。", "The time cannot be in the future.")
    too_long = ("一条轨迹最长 24 小时，请分段上传。", "A track covers at most 24 hours; send it in pieces.")
    id_used = ("该编号已用于另一条记录。", "This id was already used for a different record.")
    range_too_long = ("日期范围最长 62 天。", "At most 62 days at a time.")
    range_reversed = ("开始日期不能晚于结束日期。", "from must not be after to.")


def _people(scope: Scope) -> Select:
    """Whose check-ins and patrols the caller sees: a grid member their own; staff those under them."""
    if scope.role == Role.grid_member:
        return select(literal(scope.actor_id))
    return select(User.id).where(rule_for(User)(scope))


def people_filter(scope: Scope, user_id) -> Select:
    """Whether ``user_id`` is one of the people the caller sees (a select of one boolean)."""
    return select(literal(user_id).in_(_people(scope)))


@scope_rule(CheckIn)
def _check_in_rule(scope: Scope):
    return CheckIn.user_id.in_(_people(scope))


@scope_rule(Patrol)
def _patrol_rule(scope: Scope):
    return Patrol.user_id.in_(_people(scope))


def _own_cell(db: Session, user: User, cell: GridCell | None) -> bool:
    if cell is None:
        return False
    if user.role != Role.grid_member:  # staff: anywhere under their place
        return cell.path.startswith(user.place.path)
    return db.scalar(select(func.count()).select_from(GridMemberCell).where(
        GridMemberCell.user_id == user.id, GridMemberCell.grid_cell_id == cell.id)) > 0


def record_check_in(db: Session, user: User, data: dict, now: datetime) -> tuple[CheckIn, bool]:
    """Store a check-in; a resend of the same one answers it again (``False``: not new)."""
    lng, lat = data["location"]
    existing = db.get(CheckIn, data["id"])
    if existing is not None:
        same = (existing.user_id == user.id and existing.kind == data["kind"] and existing.at == data["at"]
                and _same_point(existing.location, lng, lat))
        if not same:
            raise Conflict(errors={"id": [Msg.id_used]})
        return existing, False
    if data["at"] > now + FUTURE_SLACK:
        raise ValidationFailed({"at": [Msg.future]})
    cell = locate(db, lng, lat)
    check_in = CheckIn(id=data["id"], user_id=user.id, kind=data["kind"], at=data["at"], day=china_day(data["at"]),
                       location=from_shape(Point(lng, lat), srid=4326), grid_cell_id=cell.id if cell else None,
                       in_own_cells=_own_cell(db, user, cell))
    db.add(check_in)
    db.flush()
    return check_in, True


def _same_point(geom, lng: float, lat: float) -> bool:
    point = to_shape(geom)
    return abs(point.x - lng) < 1e-7 and abs(point.y - lat) < 1e-7


def list_check_ins(scope: Scope, *, day: date | None = None, user_id=None) -> Select:
    stmt = select(CheckIn)
    if day is not None:
        stmt = stmt.where(CheckIn.day == day)
    if user_id is not None:
        stmt = stmt.where(CheckIn.user_id == user_id)
    return scoped(stmt, CheckIn, scope).order_by(CheckIn.at.desc(), CheckIn.id)


# --- patrols -------------------------------------------------------------------------------------

def _haversine(a: tuple[float, float], b: tuple[float, float]) -> float:
    lng1, lat1, lng2, lat2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def _content_hash(data: dict) -> str:
    canonical = [data["coord_system"].value] + [
        [round(p["lng"], 7), round(p["lat"], 7), p["at"].astimezone(UTC).isoformat()] for p in data["points"]]
    return hashlib.sha256(json.dumps(canonical, separators=(",", ":")).encode()).hexdigest()


def _check_points(points: list, now: datetime) -> None:
    for index, (before, point) in enumerate(zip(points, points[1:], strict=False), start=1):
        if point["at"] < before["at"]:
            raise ValidationFailed({f"points.{index}.at": [Msg.not_in_order]})
    if points[-1]["at"] > now + FUTURE_SLACK:
        raise ValidationFailed({f"points.{len(points) - 1}.at": [Msg.future]})
    if points[-1]["at"] - points[0]["at"] > MAX_TRACK:
        raise ValidationFailed({"points": [Msg.too_long]})


def split_by_day(coords: list, times: list, max_gap: timedelta) -> dict[date, list[float]]:
    """Active seconds and metres per China day. A segment's distance always counts; its time only
    when the gap between the two fixes is at most ``max_gap`` (a phone left on a desk is not patrolling)."""
    days: dict[date, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for (a, t0), (b, t1) in zip(zip(coords, times, strict=True), zip(coords[1:], times[1:], strict=True), strict=False):
        metres, gap = _haversine(a, b), t1 - t0
        active = gap <= max_gap
        # a segment across midnight is shared in proportion to its time on each side
        start = t0
        while True:
            midnight = china_midnight(china_day(start) + timedelta(days=1))
            end = min(t1, midnight)
            share = (end - start) / gap if gap else 1.0
            entry = days[china_day(start)]
            entry[0] += (end - start).total_seconds() if active else 0.0
            entry[1] += metres * share
            if end >= t1:
                break
            start = end
    return days


def record_patrol(db: Session, user: User, data: dict, now: datetime, max_gap: timedelta) -> tuple[Patrol, bool]:
    """Store a track with its per-day figures and the cells it covered; a resend answers it again."""
    content_hash = _content_hash(data)
    existing = db.get(Patrol, data["id"])
    if existing is not None:
        if existing.user_id != user.id or existing.content_hash != content_hash:
            raise Conflict(errors={"id": [Msg.id_used]})
        return existing, False
    points = data["points"]
    _check_points(points, now)
    coords = [to_wgs84(p["lng"], p["lat"], data["coord_system"]) for p in points]
    times = [p["at"] for p in points]
    days = split_by_day(coords, times, max_gap)
    patrol = Patrol(id=data["id"], user_id=user.id, started_at=times[0], ended_at=times[-1],
                    track=from_shape(LineString(coords), srid=4326), point_times=times, point_count=len(points),
                    length_m=round(sum(m for _, m in days.values()), 1),
                    active_seconds=round(sum(s for s, _ in days.values())), content_hash=content_hash)
    db.add(patrol)
    db.flush()
    db.add_all(PatrolDay(patrol_id=patrol.id, day=day, user_id=user.id, active_seconds=round(seconds),
                         length_m=round(metres, 1)) for day, (seconds, metres) in days.items())
    track = select(Patrol.track).where(Patrol.id == patrol.id).scalar_subquery()
    inside = func.ST_Length(cast(func.ST_Intersection(GridCell.boundary, track), Geography))
    db.execute(insert(PatrolCell).from_select(
        ["patrol_id", "grid_cell_id", "length_m"],
        select(literal(patrol.id), GridCell.id, inside)
        .where(func.ST_Intersects(GridCell.boundary, track))))
    db.flush()
    return patrol, True


def cells_of(db: Session, patrol_ids: list) -> dict:
    """The cells each patrol covered, longest stretch first."""
    rows = db.execute(select(PatrolCell).where(PatrolCell.patrol_id.in_(patrol_ids))
                      .order_by(PatrolCell.length_m.desc())).scalars().unique().all()
    cells: dict = defaultdict(list)
    for row in rows:
        cells[row.patrol_id].append({"grid_cell": row.grid_cell, "length_m": round(row.length_m, 1)})
    return cells


def list_patrols(scope: Scope, *, day: date | None = None, user_id=None) -> Select:
    stmt = select(Patrol)
    if day is not None:
        stmt = stmt.where(Patrol.id.in_(select(PatrolDay.patrol_id).where(PatrolDay.day == day)))
    if user_id is not None:
        stmt = stmt.where(Patrol.user_id == user_id)
    return scoped(stmt, Patrol, scope).order_by(Patrol.started_at.desc(), Patrol.id)


def daily(scope: Scope, date_from: date, date_to: date, user_id=None) -> Select:
    """Per person and day: patrols, active minutes, metres, cells covered, first check-in, last
    check-out. One row for every day someone patrolled or checked in."""
    people = select(literal(user_id)) if user_id is not None else _people(scope)  # the caller checked user_id

    def window(model):
        return and_(model.day >= date_from, model.day <= date_to, model.user_id.in_(people))

    keys = select(PatrolDay.user_id, PatrolDay.day).where(window(PatrolDay)).union(
        select(CheckIn.user_id, CheckIn.day).where(window(CheckIn))).subquery("keys")
    walked = (select(PatrolDay.user_id, PatrolDay.day, func.count().label("patrols"),
                     func.sum(PatrolDay.active_seconds).label("seconds"), func.sum(PatrolDay.length_m).label("metres"))
              .where(window(PatrolDay)).group_by(PatrolDay.user_id, PatrolDay.day).subquery("walked"))
    cell = func.jsonb_build_object("id", GridCell.id, "code", GridCell.code, "name", GridCell.name)
    covered = (select(PatrolDay.user_id, PatrolDay.day, func.jsonb_agg(distinct(cell)).label("cells"))
               .join(PatrolCell, PatrolCell.patrol_id == PatrolDay.patrol_id)
               .join(GridCell, GridCell.id == PatrolCell.grid_cell_id)
               .where(window(PatrolDay)).group_by(PatrolDay.user_id, PatrolDay.day).subquery("covered"))
    checked = (select(CheckIn.user_id, CheckIn.day,
                      func.min(CheckIn.at).filter(CheckIn.kind == CheckInKind.check_in).label("first_in"),
                      func.max(CheckIn.at).filter(CheckIn.kind == CheckInKind.check_out).label("last_out"))
               .where(window(CheckIn)).group_by(CheckIn.user_id, CheckIn.day).subquery("checked"))

    def on(sub):
        return and_(sub.c.user_id == keys.c.user_id, sub.c.day == keys.c.day)

    return (select(keys.c.day, User.id.label("user_id"), User.display_name, walked.c.patrols, walked.c.seconds,
                   walked.c.metres, covered.c.cells, checked.c.first_in, checked.c.last_out)
            .join(User, User.id == keys.c.user_id)
            .outerjoin(walked, on(walked)).outerjoin(covered, on(covered)).outerjoin(checked, on(checked))
            .order_by(keys.c.day.desc(), User.display_name, User.id))


def daily_row(row) -> dict:
    return {"day": row.day, "user": {"id": row.user_id, "display_name": row.display_name},
            "patrols": row.patrols or 0, "active_minutes": round((row.seconds or 0) / 60, 1),
            "length_m": round(row.metres or 0.0, 1),
            "cells": sorted(row.cells or [], key=lambda c: c["code"]),
            "first_check_in": row.first_in, "last_check_out": row.last_out}
