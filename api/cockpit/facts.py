"""Rebuilding the cockpit's facts (matter_day_facts, matter_month_facts) from the matters, and the
communities' visits per week (visit_community_weeks) from the cells' coverage; triggers keep them
as matters and coverage change.

The contribution of a matter is the SQL function ``matter_facts(matters)`` (see the migration
``matter_day_facts``); the trigger adds and takes away exactly what this rebuild sums, so a rebuild
after a bulk load, or to check the tables, gives the same figures."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from models.matters import FACT_MEASURES, MONTH_MEASURES


def _recomputed(key: str, measures: tuple[str, ...]) -> str:
    return (f"SELECT f.place_id, {key}, {', '.join(f'sum(f.{name}) AS {name}' for name in measures)} "
            f"FROM matters AS m, LATERAL matter_facts(m) AS f GROUP BY f.place_id, {key} ORDER BY 1, 2")


# (table, its key columns after place_id, the recomputation's key expression, measures)
TABLES = (
    ("matter_day_facts", "day, category_id", "f.day, f.category_id", FACT_MEASURES),
    ("matter_month_facts", "month", "date_trunc('month', f.day)::date", MONTH_MEASURES),
)


def _as_dict(rows, keys: int) -> dict:
    """Rows keyed by their key columns, the rows of zeros left out."""
    return {tuple(row[:keys]): tuple(int(v) for v in row[keys:]) for row in rows if any(row[keys:])}


def rebuild(db: Session) -> int:
    """Recompute both tables in one transaction; writers of matters wait meanwhile (SHARE lock),
    so no change is lost between the recount and the swap. Returns the rows written."""
    db.execute(text("SET LOCAL statement_timeout = 0"))  # an operator's command, minutes on millions
    db.execute(text("LOCK TABLE matters IN SHARE MODE"))
    written = 0
    for table, keys, expression, measures in TABLES:
        db.execute(text(f"DELETE FROM {table}"))  # noqa: S608 - fixed names
        written += db.execute(text(f"INSERT INTO {table} (place_id, {keys}, {', '.join(measures)}) "  # noqa: S608
                                   f"{_recomputed(expression, measures)}")).rowcount
    return written


def differences(db) -> dict:
    """Keys whose kept figures differ from a recomputation (empty when both tables are exact);
    ``db`` is a session or a connection."""
    wrong = {}
    for table, keys, expression, measures in TABLES:
        width = 1 + len(keys.split(","))
        wrong.update({(table, *key): pair for key, pair in _differing(
            db, f"SELECT place_id, {keys}, {', '.join(measures)} FROM {table}",  # noqa: S608 - fixed names
            _recomputed(expression, measures), width).items()})
    return wrong


def _differing(db, kept_sql: str, recomputed_sql: str, keys: int) -> dict:
    """Keys (the first ``keys`` columns) whose measures differ between the two selects, as
    ``key: (kept, recomputed)``; rows of zeros count as absent."""
    kept = _as_dict(db.execute(text(kept_sql)), keys)
    recomputed = _as_dict(db.execute(text(recomputed_sql)), keys)
    return {key: (kept.get(key), recomputed.get(key)) for key in kept.keys() | recomputed.keys()
            if kept.get(key) != recomputed.get(key)}


# a community's weeks: the sums of its cells' coverage (the community read off the cell's path)
VISIT_WEEKS = ("SELECT split_part(place_path, '/', 4)::uuid AS community_id, week, "
               "min(regexp_replace(place_path, '[^/]+/$', '')) AS place_path, sum(visits) AS visits, sum(late) AS late "
               "FROM visit_coverage GROUP BY 1, 2")


def rebuild_visit_weeks(db) -> int:
    """Recompute visit_community_weeks (after a bulk load of coverage with its trigger off);
    ``db`` is a session or a connection. Returns the rows written."""
    db.execute(text("LOCK TABLE visit_coverage IN SHARE MODE"))
    db.execute(text("DELETE FROM visit_community_weeks"))
    return db.execute(text(f"INSERT INTO visit_community_weeks (community_id, week, place_path, visits, late) "
                           f"{VISIT_WEEKS}")).rowcount  # noqa: S608 - fixed text


def visit_week_differences(db) -> dict:
    """(community, week) whose kept visits and late differ from a recomputation: empty when exact."""
    return _differing(db, "SELECT community_id, week, place_path, visits, late FROM visit_community_weeks", VISIT_WEEKS, 3)
