"""Resident matters (事件): categories, submission, reading within scope. Plain functions.

A matter starts here in ``submitted`` with its first deadline and timeline entry; the case flow
after that is the transition table in :mod:`api.matters.workflow`.
"""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta

from geoalchemy2 import Geography
from geoalchemy2.shape import from_shape
from shapely.geometry import Point
from sqlalchemy import ColumnElement, Select, String, and_, any_, case, cast, func, literal_column, or_, select
from sqlalchemy.orm import Session, aliased, defaultload, joinedload, lazyload
from sqlalchemy.orm.attributes import set_committed_value

from api.errors import NotFound, ValidationFailed
from api.geo import tiles
from api.grids.service import locate
from api.ledger import workbook
from api.matters.workflow import OPEN
from api.photos.service import attach
from api.policy import Scope, get_or_404, scope_rule, scoped, under
from api.rollup import LEVELS, roll_up
from models import (
    HandlingUnit,
    Matter,
    MatterCategory,
    MatterEvent,
    MatterMonthFact,
    MatterSource,
    MatterStatus,
    Photo,
    Place,
    Role,
    User,
)


class Msg:
    unknown_category = ("没有这个事件类别，或该类别已停用。", "No such category, or it is no longer in use.")
    primary_category = ("请选择具体的小类。", "Choose a secondary category.")
    source_not_allowed = ("该角色不能以此来源上报。", "Your role may not report from this source.")
    not_primary = ("上级须为大类。", "The parent must be a primary category.")
    code_taken = ("该编码已存在。", "This code already exists.")
    photo_required = ("该类别须附照片。", "This category needs a photo.")


# Sources each role may report from (door-knock findings come mostly through the visit sync;
# Open311 has its own door).
SOURCES_BY_ROLE = {
    Role.resident: {MatterSource.app},
    Role.grid_member: {MatterSource.app, MatterSource.door_knock},
    Role.community_staff: {MatterSource.app, MatterSource.console, MatterSource.hotline_12345, MatterSource.door_knock},
    Role.street_admin: {MatterSource.app, MatterSource.console, MatterSource.hotline_12345},
    Role.district_admin: {MatterSource.app, MatterSource.console, MatterSource.hotline_12345},
}


AREA_ROLES = {Role.grid_member, Role.community_staff, Role.street_admin, Role.district_admin}
# When a stage turns yellow: the start of its last quarter (SQL; deadline_colour is the same rule in Python).
YELLOW_FROM = Matter.stage_due_at - (Matter.stage_due_at - Matter.stage_started_at) / 4


@scope_rule(Matter)
def _matter_rule(scope: Scope) -> ColumnElement[bool]:
    # everyone: what they reported and what is dispatched to them (a person, or their unit)
    clauses = [Matter.reporter_id == scope.actor_id, Matter.assignee_id == scope.actor_id]
    if scope.unit_id is not None:
        clauses.append(Matter.unit_id == scope.unit_id)
    if scope.role not in AREA_ROLES:
        return or_(*clauses)  # residents, handling units, responders: never a whole area
    clauses.append(under(Matter.place_path, scope.place_paths))
    if scope.role == Role.district_admin:
        # matters that landed outside every cell wait for the district to place them by hand
        clauses.append(Matter.grid_cell_id.is_(None))
    return or_(*clauses)


# --- categories ----------------------------------------------------------------------------------

def list_categories(*, include_inactive: bool = False) -> Select:
    stmt = select(MatterCategory)
    if not include_inactive:
        stmt = stmt.where(MatterCategory.is_active.is_(True))
    return stmt.order_by(MatterCategory.sort_order, MatterCategory.code)


def category_by_code(db: Session, code: str) -> MatterCategory:
    category = db.scalars(select(MatterCategory).where(MatterCategory.code == code)).unique().one_or_none()
    if category is None:
        raise NotFound()
    return category


def create_category(db: Session, data: dict) -> MatterCategory:
    parent = db.scalars(select(MatterCategory).where(MatterCategory.code == data["parent"])).unique().one_or_none()
    if parent is None or parent.parent_id is not None:
        raise ValidationFailed({"parent": [Msg.not_primary]})
    if db.scalar(select(MatterCategory.id).where(MatterCategory.code == data["code"])) is not None:
        raise ValidationFailed({"code": [Msg.code_taken]})
    category = MatterCategory(id=uuid.uuid4(), code=data["code"], name=data["name"], name_en=data["name_en"],
                              parent_id=parent.id)
    db.add(category)
    update_category(db, category, {k: v for k, v in data.items() if k not in ("code", "parent", "name", "name_en")})
    return category


def update_category(db: Session, category: MatterCategory, data: dict) -> MatterCategory:
    if "default_unit_id" in data:
        unit_id = data["default_unit_id"]
        if unit_id is not None and db.get(HandlingUnit, unit_id) is None:
            raise NotFound(errors={"default_unit_id": [("没有这个处置部门。", "No such handling unit.")]})
    for name in ("name", "name_en", "accept_hours", "handle_hours", "verify_hours", "default_unit_id",
                 "photo_required", "is_active", "sort_order"):
        if name in data:
            if name.endswith("_hours") and data[name] is None and category.parent_id is None:
                raise ValidationFailed({name: [("大类须有时限。", "A primary category needs its time limits.")]})
            setattr(category, name, data[name])
    db.flush()
    return category


# --- matters -------------------------------------------------------------------------------------

def deadline_colour(matter: Matter, now: datetime | None = None) -> str | None:
    """红黄牌: red once the stage's deadline has passed, yellow in its last quarter, green before."""
    if matter.stage_due_at is None:
        return None
    now = now or datetime.now(UTC)
    if now >= matter.stage_due_at:
        return "red"
    remaining = (matter.stage_due_at - now).total_seconds()
    window = (matter.stage_due_at - matter.stage_started_at).total_seconds() or 1
    return "yellow" if remaining <= window / 4 else "green"


def submit(db: Session, reporter: User | None, data: dict, *, open311_key=None, contact: dict | None = None) -> Matter:
    """Create a matter from a user's report, or (``reporter=None``) from an Open311 partner's."""
    # the category with the primary one whose time limits it inherits (one query; the default
    # unit is not needed to take a report)
    category = db.scalars(select(MatterCategory).where(MatterCategory.code == data["category"],
                                                       MatterCategory.is_active.is_(True))
                          .options(joinedload(MatterCategory.parent).lazyload(MatterCategory.default_unit),
                                   lazyload(MatterCategory.default_unit))).unique().one_or_none()
    if category is None:
        raise ValidationFailed({"category": [Msg.unknown_category]})
    if category.parent_id is None:
        raise ValidationFailed({"category": [Msg.primary_category]})
    if reporter is None:
        source = MatterSource.open311
    else:
        source = data.get("source") or MatterSource.app
        if source not in SOURCES_BY_ROLE.get(reporter.role, set()):
            raise ValidationFailed({"source": [Msg.source_not_allowed]})
    lng, lat = data["location"]
    cell = locate(db, lng, lat)
    now = datetime.now(UTC)
    matter = Matter(
        id=uuid.uuid4(), category_id=category.id, description=data["description"], address=data.get("address"),
        location=from_shape(Point(lng, lat), srid=4326), grid_cell_id=cell.id if cell else None,
        place_path=cell.path if cell else None,
        needs_placement=cell is None, source=source, reporter_id=reporter.id if reporter else None,
        open311_key_id=open311_key.id if open311_key else None, external_contact=contact or None,
        anonymous=data.get("anonymous", False),
        status=MatterStatus.submitted, stage_started_at=now,
        stage_due_at=now + timedelta(hours=category.limit("accept")),
    )
    # the rows it refers to are loaded already: primed (not changed), so that answering needs no
    # second read of the matter
    for name, value in (("category", category), ("grid_cell", cell), ("reporter", reporter)):
        set_committed_value(matter, name, value)
    db.add(matter)
    if category.photo_required and not data.get("photo_ids"):
        raise ValidationFailed({"photo_ids": [Msg.photo_required]})
    db.flush()
    set_committed_value(matter, "incident_id", None)  # a new matter has no incident (no read to say so)
    photos = attach(db, reporter, data.get("photo_ids") or [], matter.id, "report") if reporter else []
    db.add(MatterEvent(matter_id=matter.id, at=now, actor_id=reporter.id if reporter else None,
                       actor_role=reporter.role.value if reporter else "open311",
                       action="submit", from_status=None, to_status=MatterStatus.submitted.value,
                       data={"source": source.value, "needs_placement": cell is None,
                             "photos": [str(p.id) for p in photos]}))
    db.flush()
    return matter


def list_matters(scope: Scope, *, status=None, category=None, grid_cell_id=None, mine=False,
                 needs_placement=None, level=None, supervised=None, deadline_colour=None, community_id=None,
                 created_from=None, created_to=None, q=None, source=None, number=None, open=None) -> Select:
    stmt = select(Matter)
    if open is not None:
        stmt = stmt.where(Matter.status.in_(OPEN) if open else Matter.status.notin_(OPEN))
    if number is not None:
        stmt = stmt.where(Matter.number == number)
    if source is not None:
        stmt = stmt.where(Matter.source == source)
    if community_id is not None:
        stmt = stmt.where(Matter.grid_cell_id.in_(select(Place.id).where(Place.parent_id == community_id)))
    if created_from is not None:
        stmt = stmt.where(Matter.created_at >= created_from)
    if created_to is not None:
        stmt = stmt.where(Matter.created_at < created_to)
    if q:
        stmt = stmt.where(or_(Matter.description.contains(q, autoescape=True), Matter.address.contains(q, autoescape=True)))
        if len(q) >= 2:  # the bigram index first: only matters holding every two-character piece of q
            stmt = stmt.where(func.matter_bigrams(Matter.description, Matter.address).op("@>")(func.text_bigrams(q)))
    if level is not None:
        stmt = stmt.where(Matter.level == level)
    if supervised is not None:
        stmt = stmt.where(Matter.supervised.is_(supervised))
    if deadline_colour is not None:
        now = datetime.now(UTC)
        stmt = stmt.where({"red": Matter.stage_due_at <= now,
                           "yellow": and_(Matter.stage_due_at > now, YELLOW_FROM <= now),
                           "green": YELLOW_FROM > now}[deadline_colour])
    if status is not None:
        stmt = stmt.where(Matter.status == status)
    if category:
        # the category's ids as one array computed first (an init plan): = ANY of it is a condition the
        # indexes can use, where IN (a subquery) is a filter applied to every row found
        ids = select(MatterCategory.id).where(or_(
            MatterCategory.code == category,
            MatterCategory.parent_id.in_(select(MatterCategory.id).where(MatterCategory.code == category))))
        stmt = stmt.where(Matter.category_id == any_(func.array(ids.scalar_subquery())))
    if grid_cell_id is not None:
        stmt = stmt.where(Matter.grid_cell_id == grid_cell_id)
    if mine:
        stmt = stmt.where(Matter.reporter_id == scope.actor_id)
    if needs_placement is not None:
        stmt = stmt.where(Matter.needs_placement.is_(needs_placement))
    return scoped(stmt, Matter, scope).options(*LIST_LOADS).order_by(Matter.created_at.desc(), Matter.id)


def page_ids_and_total(matters: Select, first: int, size: int) -> Select:
    """A page of a matter list's ids, newest first, with the total. The matching matters are found
    first (a MATERIALIZED CTE) and then sorted: ordered by creation and limited, the planner would
    walk ``ix_matters_status_created`` backwards hoping to stop early — through all the city's
    closed matters for a district's page of one category (2.9 s on a million) — while the total
    needs every match anyway."""
    found = matters.order_by(None).with_only_columns(Matter.id, Matter.created_at).cte("found").prefix_with(
        "MATERIALIZED")
    return (select(found.c.id, func.count().over()).order_by(found.c.created_at.desc(), found.c.id)
            .offset(first).limit(size))


# A list shows a matter's category, cell, reporter, assignee and unit by name: the places of the
# people and units, and the category's default unit, are not joined (planning a 15-way join took
# longer than running it: 6.6 ms for a page of 20).
LIST_LOADS = (defaultload(Matter.reporter).lazyload(User.place), defaultload(Matter.reporter).lazyload(User.unit),
              defaultload(Matter.assignee).lazyload(User.place), defaultload(Matter.assignee).lazyload(User.unit),
              defaultload(Matter.unit).lazyload(HandlingUnit.place),
              defaultload(Matter.category).lazyload(MatterCategory.default_unit))


# Matters about people (disputes, hardship, the elderly) are never offered as "likely duplicates".
PRIVATE_PRIMARIES = ("DISPUTE", "LIVELIHOOD")


def nearby(db: Session, category_code: str, lng: float, lat: float, radius_m: int) -> list[tuple[Matter, float]]:
    """Open matters of the same category near a point, nearest first (likely duplicates)."""
    category = db.scalars(select(MatterCategory).where(MatterCategory.code == category_code)).unique().one_or_none()
    if category is None:
        raise ValidationFailed({"category": [Msg.unknown_category]})
    if (category.parent or category).code in PRIVATE_PRIMARIES:
        return []
    point = func.ST_SetSRID(func.ST_MakePoint(lng, lat), 4326)
    distance = func.ST_Distance(cast(Matter.location, Geography), cast(point, Geography))
    open_statuses = [MatterStatus.submitted, MatterStatus.accepted, MatterStatus.registered, MatterStatus.dispatched,
                     MatterStatus.handled, MatterStatus.verified]
    rows = db.execute(select(Matter, distance.label("d")).where(
        Matter.category_id == category.id, Matter.status.in_(open_statuses),
        func.ST_DWithin(cast(Matter.location, Geography), cast(point, Geography), radius_m),
    ).order_by(distance).limit(20)).unique().all()
    return [(matter, float(d)) for matter, d in rows]


def _open_matters(scope: Scope, status=None) -> Select:
    """Open matters (or those of one open status) within scope: the map's layers start here."""
    stmt = select(Matter.id).where(Matter.status == status if status is not None else Matter.status.in_(OPEN))
    return scoped(stmt, Matter, scope)


def open_in_bbox(scope: Scope, bbox: tuple[float, float, float, float], status=None) -> Select:
    """Open matters (or those of one open status) within scope whose point lies in the box, the
    most urgent first: columns for a map layer, no objects (the spatial index finds the box)."""
    return (_open_matters(scope, status)
            .with_only_columns(Matter.id, Matter.number, Matter.status, Matter.stage_started_at, Matter.stage_due_at,
                               MatterCategory.code, func.ST_X(Matter.location).label("lng"),
                               func.ST_Y(Matter.location).label("lat"))
            .where(MatterCategory.id == Matter.category_id,
                   func.ST_Intersects(Matter.location, func.ST_MakeEnvelope(*bbox, 4326)))
            .order_by(Matter.stage_due_at.asc().nulls_last(), Matter.number))


MATTER_POINT_MIN_ZOOM = 14  # from here a tile holds each open matter; below, counts in squares
CLUSTER_SQUARES = 32  # below MATTER_POINT_MIN_ZOOM a tile is cut into 32 × 32 squares


def colour_sql(now: datetime) -> ColumnElement:
    """:func:`deadline_colour` in SQL."""
    return case((Matter.stage_due_at.is_(None), None), (Matter.stage_due_at <= now, "red"),
                (YELLOW_FROM <= now, "yellow"), else_="green")


def tile(db: Session, scope: Scope, z: int, x: int, y: int, status=None) -> bytes:
    """A Mapbox vector tile of the open matters within scope. From zoom 14 layer ``matters``, a
    point per matter (``id``, ``number``, ``status``, ``category``, ``deadline_colour``); below,
    layer ``matter_clusters``, a point per square of 1/32 of the tile holding any (at the mean of
    their positions) with ``count``, ``red`` and ``yellow``: a city's hundred thousand open matters
    are never sent one by one."""
    envelope, margin = tiles.envelopes(z, x, y)
    colour = colour_sql(datetime.now(UTC))
    base = _open_matters(scope, status).where(Matter.location.op("&&")(margin))
    point = func.ST_Transform(Matter.location, 3857)
    if z >= MATTER_POINT_MIN_ZOOM:
        layer = "matters"
        rows = base.with_only_columns(
            func.ST_AsMVTGeom(point, envelope, tiles.TILE_EXTENT, tiles.TILE_BUFFER, True).label("geom"),
            cast(Matter.id, String).label("id"), Matter.number, cast(Matter.status, String).label("status"),
            MatterCategory.code.label("category"), colour.label("deadline_colour"),
        ).where(MatterCategory.id == Matter.category_id).subquery("t")
    else:
        layer = "matter_clusters"
        points = base.with_only_columns(point.label("p"), colour.label("c")).subquery("m")
        mean = func.ST_SetSRID(func.ST_MakePoint(func.avg(func.ST_X(points.c.p)), func.avg(func.ST_Y(points.c.p))), 3857)
        rows = select(
            func.ST_AsMVTGeom(mean, envelope, tiles.TILE_EXTENT, tiles.TILE_BUFFER, True).label("geom"),
            func.count().label("count"),
            func.count().filter(points.c.c == "red").label("red"),
            func.count().filter(points.c.c == "yellow").label("yellow"),
        ).group_by(func.ST_SnapToGrid(points.c.p, tiles.tile_width_m(z) / CLUSTER_SQUARES)).subquery("t")
    stmt = select(func.ST_AsMVT(literal_column("t"), layer, tiles.TILE_EXTENT, "geom")).select_from(rows)
    return bytes(db.scalar(stmt) or b"")


def get_matter(db: Session, matter_id, scope: Scope, *, for_update: bool = False) -> Matter:
    return get_or_404(db, Matter, matter_id, scope, for_update=for_update)


def photos_of(db: Session, matter: Matter) -> list[dict]:
    return [{"id": str(pid), "purpose": purpose} for pid, purpose in db.execute(
        select(Photo.id, Photo.purpose).where(Photo.matter_id == matter.id).order_by(Photo.created_at))]


def timeline(matter: Matter) -> Select:
    return select(MatterEvent).where(MatterEvent.matter_id == matter.id).order_by(MatterEvent.id)


CSV_COLUMNS = ("编号", "类别", "状态", "层级", "网格", "地址", "描述", "来源", "上报时间", "当前时限", "红黄牌", "督办", "催办次数",
               "评价")


def ledger_rows(matters: list[Matter]) -> list[list]:
    """台账: one row per matter, as CSV_COLUMNS names them."""
    return [[m.number, m.category.name, m.status.value, m.level.value, m.grid_cell.name if m.grid_cell else "",
             m.address or "", m.description, m.source.value, m.created_at.isoformat(timespec="minutes"),
             m.stage_due_at.isoformat(timespec="minutes") if m.stage_due_at else "", deadline_colour(m) or "",
             "是" if m.supervised else "", m.urge_count, m.rating.value if m.rating else ""] for m in matters]


def to_csv(matters: list[Matter]) -> str:
    """The ledger as CSV, UTF-8 with a BOM so that Excel reads it right; text never a formula."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in ledger_rows(matters):
        writer.writerow([_cell(v) if isinstance(v, str) else v for v in row])
    return out.getvalue()


def to_xlsx(matters: list[Matter]) -> bytes:
    """The ledger as an Excel workbook (.xlsx); every text cell is stored as text, never a formula."""
    return workbook("事件台账", CSV_COLUMNS, ledger_rows(matters))


def _cell(text: str | None) -> str:
    """Text as Excel should show it: never a formula (CSV injection)."""
    text = text or ""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def stats(db: Session, scope: Scope, level: str | None = None) -> list[dict]:
    """Per cell, community and street within scope (every place, zeros included): open matters,
    overdue ones (past their stage deadline), still to accept, and closed — for the map's colours
    and the cockpit's rankings. Matters outside every cell are not placed, so not counted here.
    The open ones are counted from the matters (a partial index holds only them); the closed
    ones, most of a district's million, are the sums of each place's months of facts."""
    now = datetime.now(UTC)
    measures = {"open": func.count(),
                "overdue": func.count().filter(Matter.stage_due_at < now),
                "to_accept": func.count().filter(Matter.status == MatterStatus.submitted)}
    rows = roll_up(db, scope, Matter.__table__, Matter.grid_cell_id, measures, level,
                   # by the path: the area's open matters come from their partial index (3,800 of a
                   # district's) instead of an index probe for each of its 10,000 cells
                   where=(Matter.status.in_(OPEN), Matter.merged_into_id.is_(None)), every_place=True,
                   path=Matter.place_path)
    place = aliased(Place)
    closed = dict(db.execute(select(MatterMonthFact.place_id, func.sum(MatterMonthFact.closed))
                             .join(place, place.id == MatterMonthFact.place_id)
                             .where(place.kind.in_([level] if level else LEVELS), under(place.path, scope.place_paths))
                             .group_by(MatterMonthFact.place_id)).all())
    for row in rows:
        row["closed"] = int(closed.get(row["place"]["id"], 0))
    return rows
