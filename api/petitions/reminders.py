"""Petition deadline reminders (信访期限提醒): a yellow one ``PETITION_WARN_DAYS`` before the running
statutory deadline, a red one once it has passed, each sent once per deadline and due date (an
extension moves the date, so the new date is reminded again).

They go to the community's petition staff, to the assigned unit while the reply is running, and, when
red, to the street's leaders — never to anyone the petition accuses. A reminder says which deadline
and when, never who petitioned or what about: the reader opens the petition (an audited read)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from api.china_time import today as china_today
from api.notifications import service as notifications
from api.petitions.deadlines import RUNNING
from models import Petition, PetitionAccused, PetitionReminder, Place, Role, User

BATCH = 500
LABELS = {"accept_due": ("受理告知期限", "deadline to decide on acceptance"),
          "reply_due": ("办理答复期限", "deadline for the written reply"),
          "review_due": ("复查答复期限", "deadline to answer the review"),
          "re_review_due": ("复核答复期限", "deadline to answer the re-review")}


def _reminded(deadline: str, due, kind: str):
    return exists().where(PetitionReminder.petition_id == Petition.id, PetitionReminder.deadline == deadline,
                          PetitionReminder.due_on == due, PetitionReminder.kind == kind)


def recipients(db: Session, petition: Petition, deadline: str, red: bool) -> list:
    """Who is told: the cell's community staff; the unit while it owes the reply; the street's
    leaders when red. Never a user the petition accuses."""
    community_id = db.scalar(select(Place.parent_id).where(Place.id == petition.grid_cell_id))
    who = [and_(User.role == Role.community_staff, User.place_id == community_id)]
    if red:
        street_id = select(Place.parent_id).where(Place.id == community_id).scalar_subquery()
        who.append(and_(User.role == Role.street_admin, User.place_id == street_id))
    if deadline == "reply_due" and petition.unit_id is not None:
        who.append(and_(User.role == Role.unit_staff, User.unit_id == petition.unit_id))
    accused = select(PetitionAccused.user_id).where(PetitionAccused.petition_id == petition.id)
    return list(db.scalars(select(User.id).where(or_(*who), User.is_active.is_(True), User.id.not_in(accused))
                           .order_by(User.id)))


def sweep(db: Session, warn_days: int, today: date | None = None) -> dict:
    """Send the petition reminders that are due; safe to run from several workers at once."""
    today = today or china_today()
    sent = {"red": 0, "yellow": 0}
    for status, deadline in RUNNING.items():
        due = getattr(Petition, deadline)
        overdue = and_(due < today, ~_reminded(deadline, due, "red"))
        soon = and_(due >= today, due <= today + timedelta(days=warn_days), ~_reminded(deadline, due, "yellow"))
        petitions = db.scalars(select(Petition).where(Petition.status == status, or_(overdue, soon))
                               .order_by(due, Petition.id).limit(BATCH)).all()
        for petition in petitions:
            due_on = getattr(petition, deadline)
            kind = "red" if due_on < today else "yellow"
            claimed = db.execute(insert(PetitionReminder).values(petition_id=petition.id, deadline=deadline,
                                                                 due_on=due_on, kind=kind)
                                 .on_conflict_do_nothing().returning(PetitionReminder.kind)).first()
            if claimed is None:  # another worker took it
                continue
            zh, en = LABELS[deadline]
            notifications.enqueue(db, "petition.overdue" if kind == "red" else "petition.due_soon",
                                  recipients(db, petition, deadline, kind == "red"),
                                  {"petition_id": str(petition.id), "deadline": deadline, "deadline_zh": zh,
                                   "deadline_en": en, "due": due_on.isoformat()})
            sent[kind] += 1
    return sent
