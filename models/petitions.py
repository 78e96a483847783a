"""Petitions (信访) with the statutory dates of the 2022 《信访工作条例》. The petitioners are sealed;
the people a petition accuses are listed so that they never see it."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, String, Text, false
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.accounts import HandlingUnit
from models.base import Base, created_at, str_enum, updated_at, uuid_pk
from models.places import GridCell


class PetitionChannel(enum.StrEnum):
    letter = "letter"  # 来信
    visit = "visit"  # 来访
    online = "online"  # 网上
    phone = "phone"  # 电话


class PetitionKind(enum.StrEnum):
    suggestion = "suggestion"  # 建议意见类
    accusation = "accusation"  # 检举控告类
    claim = "claim"  # 申诉求决类


class PetitionStatus(enum.StrEnum):
    registered = "registered"
    accepted = "accepted"
    not_accepted = "not_accepted"
    routed = "routed"
    assigned = "assigned"
    replied = "replied"
    review_requested = "review_requested"
    reviewed = "reviewed"
    re_review_requested = "re_review_requested"
    re_reviewed = "re_reviewed"
    closed = "closed"


COLLECTIVE_FROM = 5  # 集体访: five or more petitioners
DECISIONS = ("accepted", "not_accepted", "routed")  # what the 15-day decision was
# Levels above the community a petitioner may take a matter to (越级上访): the 三零 figure counts them.
LEVELS_UP = ("street", "district", "city", "province", "national")


class Petition(Base):
    __tablename__ = "petitions"

    id: Mapped[uuid.UUID] = uuid_pk()
    grid_cell_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("places.id", ondelete="RESTRICT"), nullable=False,
                                                    index=True)
    channel: Mapped[PetitionChannel] = mapped_column(str_enum(PetitionChannel, "petition_channel"), nullable=False)
    kind: Mapped[PetitionKind] = mapped_column(str_enum(PetitionKind, "petition_kind"), nullable=False)
    summary: Mapped[str] = mapped_column(Text, nullable=False)
    received_on: Mapped[date] = mapped_column(Date, nullable=False)
    registered_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), nullable=False)
    petitioners_sealed: Mapped[str] = mapped_column(Text, nullable=False)
    petitioner_count: Mapped[int] = mapped_column(Integer, nullable=False)
    collective: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=false(), default=False)
    repeat_of_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("petitions.id", ondelete="SET NULL"), index=True)
    # it repeats one whose re-review has been answered: the same facts and reasons are not accepted again
    repeats_final: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=false(), default=False)
    matter_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("matters.id", ondelete="SET NULL"))
    status: Mapped[PetitionStatus] = mapped_column(str_enum(PetitionStatus, "petition_status"), nullable=False)
    unit_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("handling_units.id", ondelete="RESTRICT"), index=True)
    accepted_on: Mapped[date | None] = mapped_column(Date)
    decision: Mapped[str | None] = mapped_column(String(16))
    decided_on: Mapped[date | None] = mapped_column(Date)
    routed_to: Mapped[str | None] = mapped_column(String(200))  # the organ it was routed to (转送)
    # it went up a level (越级): the highest level the petitioner took it to, and when
    went_up_to: Mapped[str | None] = mapped_column(String(16))
    went_up_on: Mapped[date | None] = mapped_column(Date)
    extension_days: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0", default=0)
    extension_reason: Mapped[str | None] = mapped_column(String(500))
    replied_on: Mapped[date | None] = mapped_column(Date)
    review_requested_on: Mapped[date | None] = mapped_column(Date)
    review_replied_on: Mapped[date | None] = mapped_column(Date)
    re_review_requested_on: Mapped[date | None] = mapped_column(Date)
    re_review_replied_on: Mapped[date | None] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    satisfaction: Mapped[str | None] = mapped_column(String(32))
    # the statutory dates, recomputed by the petition clock on every change (null until they apply)
    accept_due: Mapped[date] = mapped_column(Date, nullable=False)
    reply_due: Mapped[date | None] = mapped_column(Date)
    review_request_due: Mapped[date | None] = mapped_column(Date)
    review_due: Mapped[date | None] = mapped_column(Date)
    re_review_request_due: Mapped[date | None] = mapped_column(Date)
    re_review_due: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()

    grid_cell: Mapped[GridCell] = relationship(lazy="joined", innerjoin=True)
    unit: Mapped[HandlingUnit | None] = relationship(lazy="joined")

    __table_args__ = (
        CheckConstraint("petitioner_count >= 1", name="has_petitioner"),
        CheckConstraint("extension_days BETWEEN 0 AND 30", name="one_extension"),
        CheckConstraint("collective = (petitioner_count >= 5)", name="collective_from_five"),
        CheckConstraint(f"decision IS NULL OR decision IN {DECISIONS}", name="decision_known"),
        CheckConstraint("(decision IS NULL) = (decided_on IS NULL)", name="decided_with_date"),
        CheckConstraint("(decision = 'routed') = (routed_to IS NOT NULL)", name="routed_with_organ"),
        CheckConstraint(f"went_up_to IS NULL OR went_up_to IN {LEVELS_UP}", name="went_up_level_known"),
        CheckConstraint("(went_up_to IS NULL) = (went_up_on IS NULL)", name="went_up_with_date"),
        Index("ix_petitions_status_accept_due", "status", "accept_due"),
    )


class PetitionAccused(Base):
    """A user a petition complains about: that user never sees it, whatever their role."""

    __tablename__ = "petition_accused"

    petition_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("petitions.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), primary_key=True, index=True)


class PetitionEvent(Base):
    """The petition's timeline."""

    __tablename__ = "petition_events"

    id: Mapped[uuid.UUID] = uuid_pk()
    petition_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("petitions.id", ondelete="CASCADE"), nullable=False,
                                                   index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    action: Mapped[str] = mapped_column(String(32), nullable=False)
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str] = mapped_column(String(32), nullable=False)
    data: Mapped[dict] = mapped_column(JSONB, nullable=False, server_default="{}")


class PetitionerKey(Base):
    """A keyed hash (HMAC) of one petitioner's phone or resident id: finds a petitioner's earlier
    petitions without unsealing any, so repeats (重复信访) are recognised automatically."""

    __tablename__ = "petitioner_keys"

    petition_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("petitions.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)


class PetitionReminder(Base):
    """A deadline reminder sent: once per petition, running deadline, due date and colour."""

    __tablename__ = "petition_reminders"

    petition_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("petitions.id", ondelete="CASCADE"), primary_key=True)
    deadline: Mapped[str] = mapped_column(String(32), primary_key=True)
    due_on: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)  # yellow / red
    sent_at: Mapped[datetime] = created_at()

    __table_args__ = (CheckConstraint("kind IN ('yellow', 'red')", name="kind_known"),)
