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

from sqlalchemy import BigInteger, and_, distinct, func, select, text
from sqlalchemy.orm import Session, aliased

from api.china_time import midnight, today
from api.matters.workflow import OPEN
from api.policy import Scope, scoped, under
from api.rollup import roll_up
from api.visits.service import week_of
from models import (
    Dispute,
    DisputeOutcome,
    DisputeStatus,
    Matter,
    MatterCategory,
    MatterDayFact,
    MatterMonthFact,
    PatrolCell,
    PatrolDay,
    Place,
    VisitCoverage,
)
from models.matters import FACT_MEASURES, STAGES

MAX_DAYS = 366
MAX_MONTHS = 12
BY_DAY, BY_CATEGORY = 0b01, 0b10  # GROUPING(day, category): the bit of each column summed over
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


def assessment(db: Session, scope: Scope, first: date, last: date, level: str) -> list[dict]:
    """Every place of ``level`` in scope, assessed over the whole months ``first`` to ``last``
    (their first days; the current month counts up to today), best first (考核):

    - patrol coverage (巡查覆盖率): cell-days a patrol passed through ÷ (cells × working days),
    - timely reporting (上报及时率): visits that reached the server within a day ÷ visits,
    - satisfaction (满意率): satisfied or basically satisfied ÷ rated (matters closed in the months),
    - mediation success (调解成功率): agreements ÷ disputes closed in the months,

    and the score, the mean of those that have something to rate (None when none has)."""
    start, end = first, min(month_end(last), today())
    patrolled = (select(PatrolCell.grid_cell_id, func.count(distinct(PatrolDay.day)).label("days"))
                 .join(PatrolDay, PatrolDay.patrol_id == PatrolCell.patrol_id)
                 .where(PatrolDay.day.between(start, end)).group_by(PatrolCell.grid_cell_id).subquery())
    workdays = working_days(start, end)
    # the area's cells with their paths (from the (kind, path) index): not every cell of the city
    cell_list = (select(Place.id.label("cell_id"), Place.path.label("path"))
                 .where(Place.kind == "grid_cell", under(Place.path, scope.place_paths)).subquery())
    patrol_rows = roll_up(db, scope, cell_list.outerjoin(patrolled, patrolled.c.grid_cell_id == cell_list.c.cell_id),
                          cell_list.c.cell_id, {"cells": func.count(), "days": func.sum(patrolled.c.days)}, level,
                          path=cell_list.c.path)
    visit_rows = roll_up(db, scope, VisitCoverage.__table__, VisitCoverage.grid_cell_id,
                         {"visits": func.sum(VisitCoverage.visits), "late": func.sum(VisitCoverage.late)}, level,
                         where=(VisitCoverage.week.in_(weeks_of(start, end)),), path=VisitCoverage.place_path)
    ranked = aliased(Place)
    ratings = ("satisfied", "basically_satisfied", "dissatisfied")
    fact_rows = [{"place": {"id": row.id, "kind": level, "code": row.code, "name": row.name}, **row._mapping}
                 for row in db.execute(
                     select(ranked.id, ranked.code, ranked.name,
                            *(func.sum(getattr(MatterMonthFact, name)).label(name) for name in ratings))
                     .join(ranked, ranked.id == MatterMonthFact.place_id)
                     .where(ranked.kind == level, under(ranked.path, scope.place_paths),
                            MatterMonthFact.month.between(first, last))
                     .group_by(ranked.id, ranked.code, ranked.name))]
    dispute_rows = roll_up(db, scope, Dispute.__table__, Dispute.grid_cell_id,
                           {"closed": func.count(), "agreements": func.count().filter(
                               Dispute.outcome == DisputeOutcome.agreement)}, level,
                           where=(Dispute.status == DisputeStatus.closed,
                                  and_(Dispute.closed_at >= midnight(start),
                                       Dispute.closed_at < midnight(end + timedelta(days=1)))))
    by_place: dict = {}
    for row in patrol_rows:
        expected = row["cells"] * workdays
        by_place[row["place"]["id"]] = {"place": row["place"],
                                        "patrol_coverage_percent": percent(min(row["days"], expected), expected)}
    figures = {"timely_reporting_percent": (visit_rows, lambda r: percent(r["visits"] - r["late"], r["visits"])),
               "satisfaction_percent": (fact_rows, lambda r: _satisfaction(r)["percent"]),
               "mediation_success_percent": (dispute_rows, lambda r: percent(r["agreements"], r["closed"]))}
    for name, (rows, figure) in figures.items():
        for row in rows:
            by_place.setdefault(row["place"]["id"], {"place": row["place"]})[name] = figure(row)
    result = []
    for entry in by_place.values():
        for name in ASSESSED:
            entry.setdefault(name, None)
        rated = [entry[name] for name in ASSESSED if entry[name] is not None]
        entry["score"] = round(sum(rated) / len(rated), 1) if rated else None
        result.append(entry)
    result.sort(key=lambda e: (e["score"] is None, -(e["score"] or 0), e["place"]["code"]))
    for rank, entry in enumerate(result, 1):
        entry["rank"] = rank
    return result
