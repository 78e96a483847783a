"""The deadline sweep (红黄牌): a yellow reminder when a stage enters its last quarter, a red one
when it is overdue, each sent once per deadline to whoever must act now."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from api.matters.service import YELLOW_FROM
from api.matters.workflow import OPEN, responsible
from api.notifications import service as notifications
from models import DeadlineReminder, Matter

BATCH = 500


def _reminded(kind: str):
    return exists().where(DeadlineReminder.matter_id == Matter.id, DeadlineReminder.due_at == Matter.stage_due_at,
                          DeadlineReminder.kind == kind)


def sweep(db: Session, now: datetime | None = None) -> dict:
    """Send the reminders that are due; safe to run from several workers at once."""
    now = now or datetime.now(UTC)
    overdue = and_(Matter.stage_due_at <= now, ~_reminded("red"))
    due_soon = and_(Matter.stage_due_at > now, YELLOW_FROM <= now, ~_reminded("yellow"))
    matters = db.scalars(select(Matter).where(Matter.status.in_(OPEN), Matter.stage_due_at.isnot(None),
                                              or_(overdue, due_soon)).limit(BATCH)).unique().all()
    sent = {"red": 0, "yellow": 0}
    for matter in matters:
        kind = "red" if matter.stage_due_at <= now else "yellow"
        claimed = db.execute(insert(DeadlineReminder).values(matter_id=matter.id, due_at=matter.stage_due_at, kind=kind)
                             .on_conflict_do_nothing().returning(DeadlineReminder.kind)).first()
        if claimed is None:  # another worker took it
            continue
        payload = {"matter_id": str(matter.id), "number": matter.number,
                   "due": matter.stage_due_at.isoformat(timespec="minutes")}
        notifications.enqueue(db, "matter.overdue" if kind == "red" else "matter.due_soon",
                              responsible(db, matter), payload)
        sent[kind] += 1
    return sent
