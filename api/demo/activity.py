"""Demo door-knock visits, check-ins and patrols (演示走访、签到、巡查): the six ISO weeks before the
load (patrols up to yesterday), with the gaps real weeks have — a rainy week, days of leave, doors nobody opens, a few
households never reached (migrant workers away) and a few visits recorded far from the building.

Deterministic (fixed seed) relative to the time of loading; no visit falls in the current week, so
the week's plan starts clean.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, time, timedelta

from geoalchemy2.shape import to_shape
from shapely import affinity
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from api.geo.coords import CoordSystem
from api.patrols import service as patrols
from api.visits.service import CHINA, iso_week, refresh_coverage, refresh_last_visited, week_bounds
from models import Building, CheckIn, CheckInKind, GridMemberCell, Household, Place, PlaceKind, User, Visit

WEEKS = 6
# Share of households reached each week, oldest first: the third week it rained for four days.
WEEK_REACH = (0.9, 0.85, 0.45, 0.95, 0.8, 0.7)
NEVER_REACHED = 0.06  # households nobody manages to see (working away, never home)
FAR_SHARE = 0.03  # visits whose phone position was far off (recorded back at the office)
LEAVE_DAYS = {3, 11, 12, 24}  # weekdays (counted from the first) a grid member did not patrol
FOLLOW_UP = ("独居老人，患高血压，每周上门看看（演示）", "邻里噪音纠纷调解后每周回访（演示）")
FINDINGS = (
    ("information_change", "新添一名婴儿（演示）"),
    ("hazard", "楼道堆放杂物，已提醒清理（演示）"),
    ("needs_help", "老人腿脚不便，想申请助餐（演示）"),
    ("dispute", "楼上漏水与邻居有争执，已劝解（演示）"),
)


def load(db: Session, users: dict[str, User], now: datetime | None = None) -> dict:
    """Write the demo activity; returns counts."""
    now = now or datetime.now(UTC)
    rng = random.Random(20261127)
    this_week_start, _ = week_bounds(iso_week(now))
    weeks = [this_week_start - timedelta(weeks=WEEKS - i) for i in range(WEEKS)]
    lijianglu = users["community_staff"].place_id
    own = {u: _cells_of(db, users[u]) for u in ("grid_member", "grid_member_2")}
    # the grid members knock on their own cells; the community's staff cover the rest of 漓江路
    visitors = [(users["grid_member"], own["grid_member"]), (users["grid_member_2"], own["grid_member_2"]),
                (users["community_staff"], [c for c in _community_cells(db, lijianglu) if c not in own["grid_member"]])]
    _flag_follow_ups(db, own["grid_member"])
    visits = [row for visitor, cells in visitors for row in _visits(db, rng, visitor, cells, weeks, now)]
    versions = db.scalars(select(func.nextval("visit_versions")).select_from(func.generate_series(1, len(visits)))).all()
    for row, version in zip(visits, versions, strict=True):
        row["version"] = version
    if visits:
        db.execute(insert(Visit), visits)
        refresh_last_visited(db, list({row["household_id"] for row in visits}))
        refresh_coverage(db, {(row["grid_cell_id"], row["week"]) for row in visits})
    patrol_count = check_ins = 0
    for username in ("grid_member", "grid_member_2"):
        made = _patrols(db, rng, users[username], own[username], weeks[0], now)
        patrol_count += made[0]
        check_ins += made[1]
    db.flush()
    return {"visits": len(visits), "patrols": patrol_count, "check_ins": check_ins}


def _cells_of(db: Session, user: User) -> list:
    return list(db.scalars(select(GridMemberCell.grid_cell_id).where(GridMemberCell.user_id == user.id)))


def _community_cells(db: Session, community_id) -> list:
    return list(db.scalars(select(Place.id).where(Place.parent_id == community_id, Place.kind == PlaceKind.grid_cell)
                           .order_by(Place.code)))


def _flag_follow_ups(db: Session, cells: list) -> None:
    households = db.scalars(select(Household.id).where(Household.grid_cell_id.in_(cells))
                            .order_by(Household.address).limit(len(FOLLOW_UP))).all()
    for household_id, reason in zip(households, FOLLOW_UP, strict=False):
        db.execute(update(Household).where(Household.id == household_id)
                   .values(weekly_follow_up=True, follow_up_reason=reason))


def _visits(db: Session, rng: random.Random, visitor: User, cells: list, weeks: list, now: datetime) -> list[dict]:
    rows = db.execute(select(Household.id, Household.grid_cell_id, Household.weekly_follow_up, Building.location)
                      .outerjoin(Building, Building.id == Household.building_id)
                      .where(Household.grid_cell_id.in_(cells)).order_by(Household.address, Household.id)).all()
    reachable = [r for r in rows if r.weekly_follow_up or rng.random() >= NEVER_REACHED]
    visits = []
    for week_start, reach in zip(weeks, WEEK_REACH, strict=True):
        for household in reachable:
            if not household.weekly_follow_up and rng.random() >= reach:
                continue
            day = rng.randrange(6)  # Monday to Saturday
            at = datetime.combine((week_start + timedelta(days=day)).date(), time(8, 30), CHINA) + \
                timedelta(minutes=rng.randrange(9 * 60))
            result = rng.choices(("met", "nobody_home", "refused"), weights=(78, 19, 3))[0]
            findings = []
            if result == "met" and rng.random() < 0.12:
                tag, note = rng.choice(FINDINGS)
                findings = [{"tag": tag, "needs_action": False, "note": note}]
            location, far = None, False
            if household.location is not None:
                point = to_shape(household.location)
                far = rng.random() < FAR_SHARE
                # within ~10 m of the building, or ~370 m east of it
                dx = 0.004 if far else rng.uniform(-0.0001, 0.0001)
                location = f"SRID=4326;POINT({point.x + dx} {point.y + rng.uniform(-0.0001, 0.0001)})"
            # synced that evening mostly; now and then a phone stays offline for a day or two
            delay = timedelta(hours=rng.uniform(0.2, 10) if rng.random() < 0.93 else rng.uniform(25, 60))
            visits.append({"id": uuid.UUID(int=rng.getrandbits(128), version=4), "household_id": household.id,
                           "created_at": max(at, min(at + delay, now)).astimezone(UTC),
                           "grid_cell_id": household.grid_cell_id, "visitor_id": visitor.id,
                           "visited_at": at.astimezone(UTC), "week": iso_week(at), "location": location,
                           "far_from_household": far, "result": result, "findings": findings,
                           "notes": "入户走访（演示）" if result == "met" else None, "roster_changes": []})
    return visits


def _patrols(db: Session, rng: random.Random, user: User, cells: list, first: datetime, now: datetime) -> tuple[int, int]:
    """A patrol round each working day from ``first`` to yesterday along the inside of the member's
    cell, with check-in and -out (this week's too, so the last seven days are never empty)."""
    boundary = to_shape(db.scalar(select(Place.boundary).where(Place.id == cells[0])))
    ring = affinity.scale(boundary.convex_hull.exterior, xfact=0.8, yfact=0.8)  # keep inside the cell
    made = check_ins = 0
    today = now.astimezone(CHINA).date()
    days = (first + timedelta(days=i) for i in range((today - first.date()).days))
    for number, day in enumerate(d for d in days if d.weekday() < 5):
        if number in LEAVE_DAYS:
            continue
        start = datetime.combine(day.date(), time(9, 0), CHINA) + timedelta(minutes=rng.randrange(90))
        for kind, at in ((CheckInKind.check_in, start - timedelta(minutes=rng.randrange(10, 40))),
                         (CheckInKind.check_out, start + timedelta(hours=7, minutes=rng.randrange(60)))):
            point = ring.centroid
            db.execute(insert(CheckIn).values(
                id=uuid.UUID(int=rng.getrandbits(128), version=4), user_id=user.id, kind=kind, at=at,
                day=at.date(), location=f"SRID=4326;POINT({point.x} {point.y})", grid_cell_id=cells[0],
                in_own_cells=True))
            check_ins += 1
        minutes = rng.randrange(40, 95)
        steps = minutes * 6  # a fix every ten seconds
        points = []
        for i in range(steps + 1):
            where = ring.interpolate(i / steps, normalized=True)
            pause = timedelta(minutes=20) if number % 7 == 2 and i > steps // 2 else timedelta(0)  # a long stop
            points.append({"lng": where.x, "lat": where.y, "at": start + timedelta(seconds=10 * i) + pause})
        patrols.record_patrol(db, user, {"id": uuid.UUID(int=rng.getrandbits(128), version=4),
                                         "coord_system": CoordSystem.wgs84, "points": points}, datetime.now(UTC),
                              max_gap=timedelta(minutes=5))
        made += 1
    return made, check_ins
