"""Door-knock visits (敲门行动): the offline sync and the week's plan. Plain functions.

The sync follows the rules WatermelonDB gives its backends: records carry the phone's UUIDs; a push
is one transaction with a result per record (each record in its own savepoint, so one bad record is
rejected alone); a create for an id that exists is an update of that record, never a duplicate;
the server's change counter (``version``), never the phone's clock, decides what is newer; the
caller's scope is checked record by record.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime, timedelta

import marshmallow as ma
from geoalchemy2 import Geography
from geoalchemy2.shape import from_shape, to_shape
from shapely.geometry import Point
from sqlalchemy import (
    Float,
    Integer,
    Select,
    Uuid,
    cast,
    column,
    delete,
    distinct,
    func,
    select,
    tuple_,
    update,
    values,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from api import audit
from api.china_time import CHINA, midnight
from api.errors import NotFound, current_language, localized
from api.i18n import translate_errors
from api.matters import service as matters
from api.photos import service as photos
from api.policy import Scope, cells_under, get_or_404, scope_rule, scoped, under
from api.population import service as population
from api.rollup import roll_up
from models import (
    Building,
    CellHouseholds,
    FollowedPerson,
    FollowedStatus,
    FollowUp,
    FollowUpAssessment,
    GridCell,
    Household,
    MatterEvent,
    MatterSource,
    Place,
    Resident,
    ResidentKind,
    User,
    Visit,
    VisitCoverage,
    visit_versions,
)

FUTURE_SLACK = timedelta(minutes=10)  # phones' clocks drift a little
TIMELY = timedelta(hours=24)  # a visit reaching the server later than this was not reported in time


@scope_rule(Visit)
def _visit_rule(scope: Scope):
    return Visit.grid_cell_id.in_(cells_under(scope.place_paths))


def iso_week(moment: datetime) -> str:
    return week_of(moment.astimezone(CHINA).date())


def week_of(day: date) -> str:
    """The ISO week a (China) day falls in, as the API names weeks: 2026-W48."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def week_bounds(week: str) -> tuple[datetime, datetime]:
    """Start and end (exclusive) of an ISO week, in China time, as aware datetimes."""
    year, number = week.split("-W")
    start = midnight(date.fromisocalendar(int(year), int(number), 1))
    return start, start + timedelta(days=7)


def _content(item: dict) -> dict:
    return {"household_id": str(item["household_id"]), "visited_at": item["visited_at"].astimezone(UTC).isoformat(),
            "result": item["result"].value, "findings": item["findings"], "notes": item.get("notes"),
            "roster_changes": item.get("roster_changes") or [],
            "photo_ids": sorted(str(i) for i in set(item.get("photo_ids") or [])),
            "follow_ups": follow_ups_digest(item.get("follow_ups") or []),
            "location": [round(v, 7) for v in item["location"]] if item.get("location") else None}


def follow_ups_digest(follow_ups: list) -> str | None:
    if not follow_ups:
        return None
    canonical = json.dumps(sorted(follow_ups, key=lambda f: f["person_id"]), ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _phone_findings(findings: list) -> list:
    """Findings as the phone sent them (without the matter ids the server added)."""
    return [{k: v for k, v in finding.items() if k != "matter_id"} for finding in findings]


def _stored_content(visit: Visit) -> dict:
    point = to_shape(visit.location) if visit.location is not None else None
    return {"household_id": str(visit.household_id), "visited_at": visit.visited_at.astimezone(UTC).isoformat(),
            "result": visit.result.value, "findings": _phone_findings(visit.findings), "notes": visit.notes,
            "roster_changes": [{k: v for k, v in c.items() if k != "applied_to"} for c in visit.roster_changes],
            "photo_ids": sorted(str(i) for i in visit.photo_ids or []),
            "follow_ups": visit.follow_ups_digest,
            "location": [round(point.x, 7), round(point.y, 7)] if point else None}


class Reject(Exception):
    """A record the batch cannot take; ``reason`` in the caller's language (the phone shows it)."""

    def __init__(self, zh: str, en: str):
        super().__init__(en)
        self.reason = localized(zh, en)


# What a finding that needs action becomes (issue 4's categories); information changes need none.
FINDING_CATEGORIES = {"hazard": "SEC-HAZARD", "dispute": "DISP-NEIGHBOUR", "needs_help": "LIVE-HARDSHIP",
                      "other": "OTHER-GENERAL"}
FINDING_TEXT = {"hazard": "安全隐患", "dispute": "矛盾纠纷", "needs_help": "需要帮扶", "other": "其他事项"}


def _findings_to_matters(db: Session, visitor: User, visit: Visit, household: Household, previous: list) -> list:
    """A finding marked as needing action becomes a matter (source door_knock) in the visit's cell,
    once: a finding already turned into a matter keeps its matter on later edits."""
    kept = {(f.get("tag"), f.get("note")): f.get("matter_id") for f in previous if f.get("matter_id")}
    findings = []
    for finding in visit.findings:
        finding = dict(finding)
        key = (finding.get("tag"), finding.get("note"))
        if finding.get("needs_action") and FINDING_CATEGORIES.get(finding.get("tag")):
            if key in kept:
                finding["matter_id"] = kept[key]
            else:
                matter = matters.submit(db, visitor, {
                    "category": FINDING_CATEGORIES[finding["tag"]], "source": MatterSource.door_knock,
                    "description": f"入户走访发现：{finding.get('note') or FINDING_TEXT[finding['tag']]}",
                    "location": _where(db, visit, household), "address": household.address})
                db.add(MatterEvent(matter_id=matter.id, at=datetime.now(UTC), actor_id=visitor.id,
                                   actor_role=visitor.role.value, action="link_visit", from_status=matter.status.value,
                                   to_status=matter.status.value, data={"visit_id": str(visit.id)}))
                finding["matter_id"] = str(matter.id)
        findings.append(finding)
    return findings


def _apply_roster(db: Session, scope: Scope, visitor: User, visit: Visit, household: Household,
                  changes: list, cipher) -> list:
    """Apply what the grid member saw at the door to the population base; each change is audited
    with the visit it came from, and remembers the resident it touched."""
    applied = []
    for change in changes:
        kind = change["change"]
        if kind == "moved_in":
            if not change.get("name"):
                raise Reject("迁入须填写姓名", "moved_in needs a name")
            resident = population.create_resident(db, scope, cipher, {
                "household_id": household.id, "name": change["name"], "phone": change.get("phone"),
                "kind": ResidentKind(change.get("kind") or "registered")})
        else:
            resident = db.scalars(select(Resident).where(Resident.id == change.get("resident_id"),
                                                         Resident.household_id == household.id)).unique().one_or_none()
            if resident is None:
                raise Reject(f"{kind}：本户没有该居民", f"{kind}: no such resident in this household")
            if kind == "moved_out":
                resident.moved_out_on = visit.visited_at.astimezone(CHINA).date()
            else:
                if not change.get("phone"):
                    raise Reject("变更手机号须填写新号码", "phone_changed needs a phone")
                resident.phone = change["phone"]
        audit.record(f"resident.{kind}", object_type="resident", object_id=resident.id, actor_user=visitor,
                     detail={"visit_id": str(visit.id)})
        applied.append({**change, "applied_to": str(resident.id)})
    return applied


def _where(db: Session, visit: Visit, household: Household) -> tuple[float, float]:
    """The visit's position, else the building's, else a point inside the cell."""
    if visit.location is not None:
        point = to_shape(visit.location)
    elif household.building_id is not None:
        point = to_shape(db.scalar(select(Building.location).where(Building.id == household.building_id)))
    else:
        point = to_shape(db.scalar(select(func.ST_PointOnSurface(GridCell.boundary)).where(GridCell.id == household.grid_cell_id)))
    return point.x, point.y


def _decide(item: dict, home, visit: Visit | None, visitor: User, now: datetime) -> str:
    """What a record asks for: ``created``, ``updated`` or ``unchanged``; :class:`Reject` otherwise."""
    if item["visited_at"] > now + FUTURE_SLACK:
        raise Reject("走访时间晚于当前时间", "visited_at is in the future")
    if home is None:
        raise Reject("您的网格内没有该户", "household not found in your cells")
    if visit is None:
        return "created"
    if visit.visitor_id != visitor.id:
        raise Reject("该编号属于他人的走访记录", "this id belongs to another user's visit")
    stored = _stored_content(visit)
    if stored == _content(item):
        return "unchanged"
    if item.get("version") != visit.version:
        raise Reject(f"记录已被更新（服务器版本 {visit.version}），请刷新后再改", f"stale: the server has version {visit.version}")
    if stored["roster_changes"] != (item.get("roster_changes") or []):
        raise Reject("已同步走访的人员变动不能修改，请另记一次走访", "roster changes of a synced visit cannot be edited; record them on a new visit")
    return "updated"


def _has_side_effects(item: dict, visit: Visit | None) -> bool:
    """Records that touch other tables (residents, matters, photos) are written in a savepoint of
    their own, so a failure there rejects that record alone; plain records need none."""
    return bool(item.get("roster_changes") or item.get("photo_ids") or item.get("follow_ups")
                or any(f.get("needs_action") for f in item["findings"])
                or (visit is not None and (visit.photo_ids or visit.follow_ups_digest
                                           or any(f.get("matter_id") for f in visit.findings))))


def _write(db: Session, scope: Scope, visitor: User, item: dict, visit: Visit | None, home, far: bool, version: int,
           cipher) -> Visit:
    created, effects = visit is None, _has_side_effects(item, visit)
    previous = [dict(f) for f in visit.findings] if visit is not None else []
    if created:
        visit = Visit(id=item["id"], visitor_id=visitor.id)
    visit.household_id, visit.grid_cell_id = home.id, home.grid_cell_id
    visit.visited_at, visit.week = item["visited_at"], iso_week(item["visited_at"])
    visit.result, visit.findings, visit.notes = item["result"], item["findings"], item.get("notes")
    visit.location = from_shape(Point(*item["location"]), srid=4326) if item.get("location") else None
    visit.far_from_household, visit.version = far, version
    db.add(visit)
    if not effects:
        return visit  # written with the batch's single flush
    if created:
        visit.roster_changes = _apply_roster(db, scope, visitor, visit, home, item.get("roster_changes") or [], cipher)
    db.flush()
    try:
        photos.attach_to_visit(db, visitor, visit.id, item.get("photo_ids") or [])
    except NotFound:
        raise Reject("photo_ids：照片不存在或已用于别处", "photo_ids: no such photo of yours, or it is attached elsewhere") from None
    db.expire(visit, ["photo_ids"])
    visit.findings = _findings_to_matters(db, visitor, visit, home, previous)
    _record_follow_ups(db, scope, visitor, visit, home, item.get("follow_ups") or [], cipher)
    db.flush()
    return visit


def _record_follow_ups(db: Session, scope: Scope, visitor: User, visit: Visit, home, follow_ups: list, cipher) -> None:
    """Follow-ups of key persons and care targets of the visited household (走访记录): the visit's
    set replaces what an earlier sync of it recorded; each person's last and next follow-up follow."""
    touched = set(db.scalars(delete(FollowUp).where(FollowUp.visit_id == visit.id).returning(FollowUp.person_id)))
    for entry in follow_ups:
        person = db.scalars(scoped(select(FollowedPerson).where(FollowedPerson.id == entry["person_id"],
                                                                FollowedPerson.status == FollowedStatus.active),
                                   FollowedPerson, scope).with_for_update(of=FollowedPerson)).unique().one_or_none()
        if person is None:
            raise Reject("follow_ups：您的网格内没有该在管人员", "follow_ups: no such person under follow-up in your cells")
        if person.resident.household_id != home.id:
            raise Reject("follow_ups：该人员不住在本户", "follow_ups: the person does not live in this household")
        observations = entry.get("observations")
        db.add(FollowUp(person_id=person.id, visit_id=visit.id, at=visit.visited_at, by_user_id=visitor.id,
                        assessment=FollowUpAssessment(entry["assessment"]),
                        observations_sealed=cipher.seal(f"{person.kind.value}_follow_up", {"observations": observations})
                        if observations else None))
        audit.record(f"{person.kind.value}.follow_up", object_type=person.kind.value, object_id=person.id,
                     actor_user=visitor, detail={"visit_id": str(visit.id)})
        touched.add(person.id)
    db.flush()
    for person in db.scalars(select(FollowedPerson).where(FollowedPerson.id.in_(touched))).unique():
        last = db.scalar(select(func.max(FollowUp.at)).where(FollowUp.person_id == person.id))
        person.last_follow_up_at = last
        if last is not None:
            person.next_follow_up_on = last.astimezone(CHINA).date() + timedelta(days=person.follow_up_days)
    visit.follow_ups_digest = follow_ups_digest(follow_ups)


def refresh_last_visited(db: Session, household_ids: list) -> None:
    """Keep households.last_visited_at equal to their latest visit (an edit may move a visit back)."""
    latest = select(func.max(Visit.visited_at)).where(Visit.household_id == Household.id).scalar_subquery()
    db.execute(update(Household).where(Household.id.in_(household_ids)).values(last_visited_at=latest)
               .execution_options(synchronize_session=False))


def refresh_coverage(db: Session, cell_weeks: set) -> None:
    """Recount the visited households of these (cell, week) pairs in visit_coverage. The rows are
    locked in a fixed order before the recount, and the recount is a new statement (a new snapshot
    under READ COMMITTED): of two syncs of the same cell and week, the later one counts the other's
    visits, so the figure is exact without serialising whole batches."""
    if not cell_weeks:
        return
    pairs = sorted(cell_weeks, key=lambda p: (str(p[0]), p[1]))
    keys = tuple_(VisitCoverage.grid_cell_id, VisitCoverage.week).in_(pairs)
    db.execute(pg_insert(VisitCoverage).values([{"grid_cell_id": c, "week": w, "visited": 0} for c, w in pairs])
               .on_conflict_do_nothing())
    db.execute(select(VisitCoverage.grid_cell_id).where(keys)
               .order_by(VisitCoverage.grid_cell_id, VisitCoverage.week).with_for_update())
    counts = (select(Visit.grid_cell_id, Visit.week, func.count(distinct(Visit.household_id)).label("visited"),
                     func.count().label("visits"),
                     func.count().filter(Visit.created_at > Visit.visited_at + TIMELY).label("late"))
              .where(tuple_(Visit.grid_cell_id, Visit.week).in_(pairs))
              .group_by(Visit.grid_cell_id, Visit.week).subquery())
    mine = (counts.c.grid_cell_id == VisitCoverage.grid_cell_id) & (counts.c.week == VisitCoverage.week)
    db.execute(update(VisitCoverage).where(keys).values(
        {name: func.coalesce(select(counts.c[name]).where(mine).scalar_subquery(), 0)
         for name in ("visited", "visits", "late")})
               .execution_options(synchronize_session=False))


def _far_flags(db: Session, wanted: list[tuple[int, object, tuple]], far_metres: float) -> set[int]:
    """Which of (index, building id, (lng, lat)) were recorded more than ``far_metres`` from the
    building: flagged, never refused. One query for the whole batch."""
    if not wanted:
        return set()
    points = values(column("idx", Integer), column("building_id", Uuid), column("lng", Float), column("lat", Float),
                    name="points").data([(index, building, lng, lat) for index, building, (lng, lat) in wanted])
    point = func.ST_SetSRID(func.ST_MakePoint(points.c.lng, points.c.lat), 4326)
    return set(db.scalars(select(points.c.idx).join(Building, Building.id == points.c.building_id).where(
        ~func.ST_DWithin(cast(Building.location, Geography), cast(point, Geography), far_metres))))


def sync(db: Session, scope: Scope, visitor: User, items: list, item_schema: ma.Schema, cipher, *,
         far_metres: float = 200) -> list[dict]:
    """Apply a batch; one result per record, in order. Nothing is lost to another record's error.

    Households, existing visits (locked) and the far-from-building check are read once for the
    whole batch; plain records are inserted together; records with side effects get a savepoint."""
    now = datetime.now(UTC)
    results: list[dict | None] = [None] * len(items)
    loaded, seen = [], set()
    for index, raw in enumerate(items):
        raw_id = raw.get("id") if isinstance(raw, dict) else None
        try:
            item = item_schema.load(raw)
        except ma.ValidationError as exc:
            results[index] = {"id": str(raw_id) if raw_id else None, "status": "rejected", "reason": _first(translate_errors(exc.messages, current_language()))}
            continue
        if item["id"] in seen:
            results[index] = {"id": str(item["id"]), "status": "rejected", "reason": localized("同一批次中编号重复", "duplicate id in this batch")}
            continue
        seen.add(item["id"])
        loaded.append((index, item))
    if not loaded:
        return results
    homes = {row.id: row for row in db.execute(
        select(Household.id, Household.grid_cell_id, Household.building_id, Household.address)
        .where(Household.id.in_({item["household_id"] for _, item in loaded}),
               Household.grid_cell_id.in_(cells_under(scope.place_paths))))}
    existing = {visit.id: visit for visit in db.scalars(
        select(Visit).where(Visit.id.in_(seen)).with_for_update(of=Visit))}
    writes = []
    for index, item in loaded:
        home, visit = homes.get(item["household_id"]), existing.get(item["id"])
        try:
            status = _decide(item, home, visit, visitor, now)
        except Reject as exc:
            results[index] = {"id": str(item["id"]), "status": "rejected", "reason": exc.reason}
            continue
        if status == "unchanged":
            results[index] = {"id": str(item["id"]), "status": status, "version": visit.version}
        else:
            writes.append((index, item, status, home, visit))
    far = _far_flags(db, [(index, home.building_id, item["location"]) for index, item, _, home, _ in writes
                          if item.get("location") and home.building_id is not None], far_metres)
    versions = iter(db.scalars(select(visit_versions.next_value()).select_from(func.generate_series(1, len(writes)))).all())
    touched, cell_weeks = set(), set()
    for index, item, status, home, visit in writes:
        version, moved_from = next(versions), visit.household_id if visit is not None else None
        was = (visit.grid_cell_id, visit.week) if visit is not None else None
        try:
            if _has_side_effects(item, visit):
                with db.begin_nested():
                    _write(db, scope, visitor, item, visit, home, index in far, version, cipher)
            else:
                _write(db, scope, visitor, item, visit, home, index in far, version, cipher)
        except Reject as exc:
            results[index] = {"id": str(item["id"]), "status": "rejected", "reason": exc.reason}
            continue
        touched.update({home.id, moved_from} - {None})
        cell_weeks.update({(home.grid_cell_id, iso_week(item["visited_at"])), was} - {None})
        results[index] = {"id": str(item["id"]), "status": status, "version": version}
    db.flush()
    if touched:
        refresh_last_visited(db, list(touched))
        refresh_coverage(db, cell_weeks)
    return results


def _first(messages) -> str:
    if isinstance(messages, dict):
        key, value = next(iter(messages.items()))
        return f"{key}: {_first(value)}"
    if isinstance(messages, list) and messages:
        return _first(messages[0])
    return str(messages)


def list_visits(scope: Scope, *, week: str | None = None, household_id=None, mine: bool = False, visitor_id=None) -> Select:
    stmt = select(Visit)
    if week:
        stmt = stmt.where(Visit.week == week)
    if household_id is not None:
        stmt = stmt.where(Visit.household_id == household_id)
    if mine:
        stmt = stmt.where(Visit.visitor_id == visitor_id)
    return scoped(stmt, Visit, scope).order_by(Visit.visited_at.desc(), Visit.id)


# What plans and lists show of a household: plain columns, not the ORM object and its eager loads.
_HOUSEHOLD_COLUMNS = (Household.id.label("household_id"), Household.address, Household.members.label("members"),
                      Household.weekly_follow_up, Household.follow_up_reason, GridCell.id.label("cell_id"),
                      GridCell.code.label("cell_code"), GridCell.name.label("cell_name"))


def _households_of(scope: Scope, *columns) -> Select:
    return scoped(select(*_HOUSEHOLD_COLUMNS, *columns).join(GridCell, GridCell.id == Household.grid_cell_id),
                  Household, scope)


def plan(db: Session, scope: Scope, week: str, grid_cell_id=None) -> list[dict]:
    """The week's households: visited this week or not, when last, what is due. Households flagged
    for weekly follow-up or with a follow-up of a key person or care target due come first, then
    those not visited longest."""
    start, end = week_bounds(week)
    if grid_cell_id is not None:
        get_or_404(db, GridCell, grid_cell_id, scope, field="grid_cell_id")
    this_week = (select(func.max(Visit.visited_at)).where(Visit.household_id == Household.id, Visit.visited_at >= start,
                                                         Visit.visited_at < end).scalar_subquery())
    last = (select(func.max(Visit.visited_at)).where(Visit.household_id == Household.id, Visit.visited_at < end)
            .scalar_subquery())
    # someone here is due a follow-up by the week's end (which kind or category is not said here)
    follow_up_due = (select(FollowedPerson.id).join(Resident, Resident.id == FollowedPerson.resident_id)
                     .where(Resident.household_id == Household.id, FollowedPerson.status == FollowedStatus.active,
                            FollowedPerson.next_follow_up_on < end.date()).exists())
    stmt = _households_of(scope, this_week.label("this_week"), last.label("last_visited_at"),
                          follow_up_due.label("follow_up_due"))
    if grid_cell_id is not None:
        stmt = stmt.where(Household.grid_cell_id == grid_cell_id)
    stmt = stmt.order_by((Household.weekly_follow_up | follow_up_due).desc(), last.asc().nulls_first(),
                         Household.address, Household.id)
    return [{**household_item(row, start), "follow_up_due": row.follow_up_due, "visited": row.this_week is not None,
             "visited_at": row.this_week, "due": row.this_week is None} for row in db.execute(stmt)]


def household_item(row, since: datetime) -> dict:
    """A row of :func:`_households_of` as the plan and the unvisited list show it."""
    last_at = row.last_visited_at
    return {"household_id": row.household_id, "address": row.address, "members": row.members,
            "grid_cell": {"id": row.cell_id, "code": row.cell_code, "name": row.cell_name},
            "weekly_follow_up": row.weekly_follow_up, "follow_up_reason": row.follow_up_reason,
            "last_visited_at": last_at,
            "weeks_since_visit": None if last_at is None else max(0, (since - last_at).days // 7)}


def unvisited(scope: Scope, weeks: int, now: datetime, grid_cell_id=None) -> Select:
    """Households within scope with no visit in the last ``weeks`` weeks (never visited first)."""
    stmt = _households_of(scope, Household.last_visited_at).where(
        (Household.last_visited_at < now - timedelta(weeks=weeks)) | Household.last_visited_at.is_(None))
    if grid_cell_id is not None:
        stmt = stmt.where(Household.grid_cell_id == grid_cell_id)
    return stmt.order_by(Household.last_visited_at.asc().nulls_first(), Household.weekly_follow_up.desc(),
                         Household.id)


def coverage(db: Session, scope: Scope, week: str, target_percent: float, level: str | None = None) -> list[dict]:
    """Households and visited households of the week per grid cell, community and street in scope
    (``level`` keeps one of them), summed from cell_households and visit_coverage (both kept as
    they change), so a district's figures add up thousands of rows, not its households."""
    # from the area's cells with their paths (the (kind, path) index), each cell's two counts by
    # their keys: not every cell of the city's households hashed to keep a district's
    cells = select(Place.id, Place.path).where(Place.kind == "grid_cell", under(Place.path, scope.place_paths)).subquery()
    source = (cells.join(CellHouseholds, CellHouseholds.grid_cell_id == cells.c.id)
              .outerjoin(VisitCoverage, (VisitCoverage.grid_cell_id == cells.c.id) & (VisitCoverage.week == week)))
    rows = roll_up(db, scope, source, cells.c.id,
                   {"households": func.sum(CellHouseholds.households), "visited": func.sum(VisitCoverage.visited)},
                   level, where=(CellHouseholds.households > 0,), path=cells.c.path)
    for row in rows:
        ratio = row["visited"] / row["households"] if row["households"] else 0.0
        row.update(coverage_percent=round(ratio * 100, 1), meets_target=ratio * 100 >= target_percent,
                   target_percent=target_percent)
    return rows


def ledger_names(db: Session, visits: list[Visit]) -> dict:
    """The cells' and visitors' names and the households' addresses of a ledger's visits, by id,
    in three queries whatever the number of rows."""
    names: dict = {}
    for ids, stmt in (({v.grid_cell_id for v in visits}, lambda ids: select(Place.id, Place.name).where(Place.id.in_(ids))),
                      ({v.visitor_id for v in visits}, lambda ids: select(User.id, User.display_name).where(User.id.in_(ids))),
                      ({v.household_id for v in visits},
                       lambda ids: select(Household.id, Household.address).where(Household.id.in_(ids)))):
        if ids:
            names.update(dict(db.execute(stmt(list(ids))).all()))
    return names
