"""The cockpit's figures (驾驶舱) and the assessment of places (考核).

Matter figures over a period are sums of ``matter_day_facts`` (kept by a trigger on matters) for
the scope's own places, so a year of a district is a few thousand narrow rows, not a million
matters; the live counts of open matters read the matters themselves (a partial index holds only
them). The assessment takes ratings from ``matter_month_facts`` of the ranked places, and rolls up
per grid cell what other tables keep per cell: patrols, visit coverage, disputes."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import BigInteger, ColumnElement, Numeric, Select, case, distinct, func, literal, null, select, text
from sqlalchemy.orm import Session, aliased

from api.china_time import midnight, today
from api.matters.workflow import OPEN
from api.policy import Scope, scoped, under
from api.rollup import place_key
from api.visits.service import week_of
from models import (
    Dispute,
    DisputeOutcome,
    DisputeStatus,
    GridCell,
    Matter,
    MatterCategory,
    MatterDayFact,
    MatterMonthFact,
    PatrolCell,
    PatrolDay,
    Place,
    VisitCommunityWeek,
    VisitCoverage,
)
from models.matters import FACT_MEASURES, STAGES

MAX_DAYS = 366
MAX_MONTHS = 12
BY_DAY, BY_CATEGORY = 0b01, 0b10  # GROUPING(day, category): the bit of each column summed over
RATINGS = ("satisfied", "basically_satisfied", "dissatisfied")
ASSESSED = ("patrol_coverage_percent", "timely_reporting_percent", "satisfaction_percent",
            "mediation_success_percent")


def percent(part: int, whole: int) -> float | None:
    """``part`` of ``whole`` as a percentage with one decimal; None when there is nothing to rate."""
    return round(int(part) / int(whole) * 100, 1) if whole else None


def narrowed(scope: Scope, place: Place | None) -> Scope:
    """The caller's scope, or only ``place`` of it (fetched within scope: a grid member cannot
    name their community, only their cells)."""
    return scope if place is None else replace(scope, place_paths=(place.path,))


def _satisfaction(row) -> dict:
    rated = row["satisfied"] + row["basically_satisfied"] + row["dissatisfied"]
    return {"satisfied": row["satisfied"], "basically_satisfied": row["basically_satisfied"],
            "dissatisfied": row["dissatisfied"], "rated": rated,
            "percent": percent(row["satisfied"] + row["basically_satisfied"], rated)}


def _on_time(row) -> dict:
    return {stage: {"done": row[f"{stage}_done"], "on_time": row[f"{stage}_on_time"],
                    "percent": percent(row[f"{stage}_on_time"], row[f"{stage}_done"])} for stage in STAGES}


def _summary(row) -> dict:
    return {"reported": row["reported"], "closed": row["closed"], "merged": row["merged"],
            "on_time": _on_time(row),
            "average_handling_hours": round(row["handle_seconds"] / row["closed"] / 3600, 1) if row["closed"] else None,
            "satisfaction": _satisfaction(row)}


def roots(scope: Scope) -> list[uuid.UUID]:
    """The places a scope is made of (the last id of each path), none under another: their rows of
    the facts hold everything below them, so summing them counts each matter once."""
    paths = sorted(set(scope.place_paths))
    kept = [p for p in paths if not any(p != q and p.startswith(q) for q in paths)]
    return [uuid.UUID(p.rstrip("/").rsplit("/", 1)[-1]) for p in kept]


def matter_figures(db: Session, scope: Scope, start: date, end: date) -> dict:
    """The matters of a period within scope: totals, every day (zeros included) and every primary
    category (大类) with any figure, from one grouped query over the facts of the scope's own
    places; plus the open matters now, by status, and how many are overdue."""
    primary = func.coalesce(MatterCategory.parent_id, MatterCategory.id)
    # one pass, three groupings: per day, per primary category, and the whole period
    stmt = (select(MatterDayFact.day, primary.label("category_id"),
                   func.grouping(MatterDayFact.day, primary).label("grouped"),
                   *(func.coalesce(func.sum(getattr(MatterDayFact, name)), 0).cast(BigInteger).label(name)
                     for name in FACT_MEASURES))
            .join(MatterCategory, MatterCategory.id == MatterDayFact.category_id)
            .where(MatterDayFact.place_id.in_(roots(scope)), MatterDayFact.day.between(start, end))
            .group_by(func.grouping_sets(MatterDayFact.day, primary, text("()"))))
    zero = dict.fromkeys(FACT_MEASURES, 0)
    total = dict(zero)
    days = {start + timedelta(days=i): zero for i in range((end - start).days + 1)}
    categories: dict = {}
    for row in db.execute(stmt).mappings():
        if row["grouped"] == BY_DAY:
            days[row["day"]] = row
        elif row["grouped"] == BY_CATEGORY:
            categories[row["category_id"]] = row
        else:
            total = row
    names = {c.id: c for c in db.scalars(select(MatterCategory).where(MatterCategory.id.in_(categories)))}
    now = datetime.now(UTC)
    open_rows = db.execute(scoped(select(Matter.status, func.count().label("n"),
                                         func.count().filter(Matter.stage_due_at < now).label("overdue"))
                                  .where(Matter.status.in_(OPEN)).group_by(Matter.status), Matter, scope)).all()
    return {
        "start": start, "end": end, **_summary(total),
        "days": [{"day": day, "reported": row["reported"], "closed": row["closed"]} for day, row in days.items()],
        "categories": sorted(({"category": {"code": names[cid].code, "name": names[cid].name,
                                            "name_en": names[cid].name_en},
                               "reported": row["reported"], "closed": row["closed"],
                               "average_handling_hours": _summary(row)["average_handling_hours"],
                               "satisfaction_percent": _satisfaction(row)["percent"]}
                              for cid, row in categories.items()), key=lambda c: (-c["reported"], c["category"]["code"])),
        "open": {"by_status": {status.value: 0 for status in sorted(OPEN)} | {r.status.value: r.n for r in open_rows},
                 "total": sum(r.n for r in open_rows), "overdue": sum(r.overdue for r in open_rows)},
    }


def weeks_of(start: date, end: date) -> list[str]:
    """The ISO weeks (China time) that overlap the period."""
    monday = start - timedelta(days=start.weekday())
    return [week_of(monday + timedelta(weeks=i)) for i in range((end - monday).days // 7 + 1)]


def working_days(start: date, end: date) -> int:
    """Monday to Friday in the period: the days a grid member is expected to patrol."""
    return sum(1 for i in range((end - start).days + 1) if (start + timedelta(days=i)).weekday() < 5)


def month_end(month: date) -> date:
    """The last day of the month that starts on ``month``."""
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def _percent(part: ColumnElement, whole: ColumnElement) -> ColumnElement:
    """``part`` of ``whole`` as a percentage rounded to one decimal, in SQL; NULL when nothing to rate."""
    return case((whole > 0, func.round(literal(100, Numeric) * part / whole, 1)), else_=null())


def assessment(db: Session, scope: Scope, first: date, last: date, level: str) -> Select:
    """Every place of ``level`` in scope, assessed over the whole months ``first`` to ``last``
    (their first days; the current month counts up to today), best first (考核):

    - patrol coverage (巡查覆盖率): cell-days a patrol passed through ÷ (cells × working days),
    - timely reporting (上报及时率): visits that reached the server within a day ÷ visits,
    - satisfaction (满意率): satisfied or basically satisfied ÷ rated (matters closed in the months),
    - mediation success (调解成功率): agreements ÷ disputes closed in the months,

    and the score, the mean of those that have something to rate (NULL when none has).

    One statement: each figure summed per place in SQL (a place's cells read off the paths, see
    api/rollup.py), scored and ranked there too, with the total as ``count(*) OVER ()`` — a page of
    a district's 840 communities turns 50 rows into Python, not 840 of each figure."""
    start, end = first, min(month_end(last), today())
    in_area = scope.place_paths
    places = (select(Place.id, Place.code, Place.name)
              .where(Place.kind == level, under(Place.path, in_area)).cte("ranked_places"))
    # patrols: every cell of the area counts, patrolled or not — counted per place from the
    # (kind, path) index alone; the days patrolled from the month's patrols of the area's cells
    cell_key = place_key(level, Place.id, Place.path)
    cells = (select(cell_key.label("place_id"), func.count().label("cells"))
             .where(Place.kind == "grid_cell", under(Place.path, in_area)).group_by(cell_key).cte("area_cells"))
    cell = aliased(GridCell)
    per_cell = (select(cell.id, cell.path, func.count(distinct(PatrolDay.day)).label("days"))
                .select_from(PatrolCell).join(cell, cell.id == PatrolCell.grid_cell_id)
                .join(PatrolDay, PatrolDay.patrol_id == PatrolCell.patrol_id)
                .where(PatrolDay.day.between(start, end), under(cell.path, in_area))
                .group_by(cell.id, cell.path).subquery())
    patrol_key = place_key(level, per_cell.c.id, per_cell.c.path)
    patrolled = select(patrol_key.label("place_id"), func.sum(per_cell.c.days).label("days")).group_by(patrol_key).cte("patrolled")
    patrols = (select(cells.c.place_id, cells.c.cells, func.coalesce(patrolled.c.days, 0).label("days"))
               .select_from(cells.outerjoin(patrolled, patrolled.c.place_id == cells.c.place_id)).cte("patrols"))
    # visits: a cell's from its kept coverage per week, an area's from its communities' weeks
    # (visit_community_weeks, kept by a trigger); both with the path in a covering index
    source = VisitCoverage if level == "grid_cell" else VisitCommunityWeek
    area_id = VisitCoverage.grid_cell_id if level == "grid_cell" else VisitCommunityWeek.community_id
    visit_key = place_key(level, area_id, source.place_path)
    visits = (select(visit_key.label("place_id"), func.sum(source.visits).label("visits"),
                     func.sum(source.late).label("late"))
              .where(source.week.in_(weeks_of(start, end)), under(source.place_path, in_area))
              .group_by(visit_key).cte("visits"))
    # ratings: the ranked places' own rows of the month facts
    ratings = (select(MatterMonthFact.place_id,
                      *(func.sum(getattr(MatterMonthFact, name)).label(name) for name in RATINGS))
               .where(MatterMonthFact.place_id.in_(select(places.c.id)), MatterMonthFact.month.between(first, last))
               .group_by(MatterMonthFact.place_id).cte("ratings"))
    dispute_key = place_key(level, Dispute.grid_cell_id, cell.path)
    disputes = (select(dispute_key.label("place_id"), func.count().label("closed"),
                       func.count().filter(Dispute.outcome == DisputeOutcome.agreement).label("agreements"))
                .join(cell, cell.id == Dispute.grid_cell_id)
                .where(Dispute.status == DisputeStatus.closed, Dispute.closed_at >= midnight(start),
                       Dispute.closed_at < midnight(end + timedelta(days=1)), under(cell.path, in_area))
                .group_by(dispute_key).cte("disputes"))
    expected = patrols.c.cells * working_days(start, end)
    rated = ratings.c.satisfied + ratings.c.basically_satisfied + ratings.c.dissatisfied
    figures = {
        "patrol_coverage_percent": _percent(func.least(patrols.c.days, expected), expected),
        "timely_reporting_percent": _percent(visits.c.visits - visits.c.late, visits.c.visits),
        "satisfaction_percent": _percent(ratings.c.satisfied + ratings.c.basically_satisfied, rated),
        "mediation_success_percent": _percent(disputes.c.agreements, disputes.c.closed),
    }
    scored = (select(places.c.id, places.c.code, places.c.name, *(f.label(name) for name, f in figures.items()))
              .select_from(places.outerjoin(patrols, patrols.c.place_id == places.c.id)
                           .outerjoin(visits, visits.c.place_id == places.c.id)
                           .outerjoin(ratings, ratings.c.place_id == places.c.id)
                           .outerjoin(disputes, disputes.c.place_id == places.c.id)).cte("scored"))
    shown = [scored.c[name] for name in ASSESSED]
    count = sum((case((f.is_(None), 0), else_=1) for f in shown), literal(0))
    score = case((count > 0, func.round(sum((func.coalesce(f, 0) for f in shown), literal(0, Numeric)) / count, 1)),
                 else_=null())
    best_first = (score.is_(None), score.desc(), scored.c.code)
    return (select(scored, literal(level).label("kind"), score.label("score"), func.row_number().over(order_by=best_first).label("rank"),
                   func.count().over().label("total"))
            .order_by(*best_first))


def assessment_view(row) -> dict:
    """A row of :func:`assessment` as its schema shows it."""
    return {"rank": row.rank, "place": {"id": row.id, "kind": row.kind, "code": row.code, "name": row.name},
            "score": _float(row.score), **{name: _float(row._mapping[name]) for name in ASSESSED}}


def _float(value) -> float | None:
    return None if value is None else float(value)
