"""Rebuilding matter_day_facts from the matters (the trigger keeps it as they change).

The contribution of a matter is the SQL function ``matter_facts(matters)`` (see the migration
``matter_day_facts``); the trigger adds and takes away exactly what this rebuild sums, so a rebuild
after a bulk load, or to check the table, gives the same figures."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from models.matters import FACT_MEASURES

KEYS = "grid_cell_id, day, category_id"
RECOMPUTED = text(f"""
    SELECT f.grid_cell_id, f.day, f.category_id, {", ".join(f"sum(f.{name}) AS {name}" for name in FACT_MEASURES)}
    FROM matters AS m, LATERAL matter_facts(m) AS f
    GROUP BY f.grid_cell_id, f.day, f.category_id
""")  # noqa: S608 - fixed names
KEPT = text(f"SELECT {KEYS}, {', '.join(FACT_MEASURES)} FROM matter_day_facts")  # noqa: S608 - fixed names


def as_dict(rows) -> dict:
    """Rows of facts keyed by (cell, day, category), the rows of zeros left out."""
    return {tuple(row[:3]): tuple(int(v) for v in row[3:]) for row in rows if any(row[3:])}


def rebuild(db: Session) -> int:
    """Recompute the whole table in one transaction; writers of matters wait meanwhile (SHARE
    lock), so no change is lost between the recount and the swap. Returns the rows written."""
    db.execute(text("LOCK TABLE matters IN SHARE MODE"))
    db.execute(text("DELETE FROM matter_day_facts"))
    written = db.execute(text(f"INSERT INTO matter_day_facts ({KEYS}, {', '.join(FACT_MEASURES)}) "  # noqa: S608
                              f"{RECOMPUTED.text}")).rowcount
    return written


def differences(db: Session) -> dict:
    """Keys whose kept figures differ from a recomputation (empty when the table is exact)."""
    kept, recomputed = as_dict(db.execute(KEPT)), as_dict(db.execute(RECOMPUTED))
    return {key: (kept.get(key), recomputed.get(key)) for key in kept.keys() | recomputed.keys()
            if kept.get(key) != recomputed.get(key)}
