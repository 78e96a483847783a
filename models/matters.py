"""Resident matters (事件): categories with their time limits, the matters, and their timelines."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    Text,
    Uuid,
    false,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.accounts import HandlingUnit, User
from models.base import Base, created_at, str_enum, updated_at, uuid_pk
from models.places import GridCell


class MatterSource(enum.StrEnum):
    app = "app"
    console = "console"
    hotline_12345 = "hotline_12345"
    door_knock = "door_knock"
    open311 = "open311"


class MatterStatus(enum.StrEnum):
    """The states of the case flow (GB/T 30428 with 受理 and returns)."""

    submitted = "submitted"  # 上报
    accepted = "accepted"  # 受理
    rejected = "rejected"  # 不予受理
    registered = "registered"  # 立案
    dispatched = "dispatched"  # 派遣
    handled = "handled"  # 处置完成
    verified = "verified"  # 核查
    closed = "closed"  # 结案


class MatterLevel(enum.StrEnum):
    """Who owns the matter now; escalation passes it up (grid → community → street → district)."""

    grid = "grid"
    community = "community"
    street = "street"
    district = "district"


class Rating(enum.StrEnum):
    satisfied = "satisfied"
    basically_satisfied = "basically_satisfied"
    dissatisfied = "dissatisfied"


STAGES = ("accept", "handle", "verify")  # 受理 · 处置 · 核查, each with its own time limit


class MatterCategory(Base):
    """A two-level taxonomy: primary categories (大类) and their secondary ones (小类). Time limits
    are per stage, in hours; a secondary category without its own limit uses its primary's."""

    __tablename__ = "matter_categories"

    id: Mapped[uuid.UUID] = uuid_pk()
    code: Mapped[str] = mapped_column(String(20), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(String(50), nullable=False)
    name_en: Mapped[str] = mapped_column(String(80), nullable=False)
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("matter_categories.id", ondelete="RESTRICT"),
                                                        index=True)
    accept_hours: Mapped[int | None] = mapped_column(Integer)
    handle_hours: Mapped[int | None] = mapped_column(Integer)
    verify_hours: Mapped[int | None] = mapped_column(Integer)
    default_unit_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("handling_units.id", ondelete="SET NULL"))
    photo_required: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=false(), default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=true(), default=True)
    sort_order: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0", default=0)
    updated_at: Mapped[datetime] = updated_at()

    parent: Mapped[MatterCategory | None] = relationship(remote_side=[id], lazy="joined")
    default_unit: Mapped[HandlingUnit | None] = relationship(lazy="joined")

    __table_args__ = (
        CheckConstraint("code ~ '^[A-Z][A-Z0-9_-]{1,19}$'", name="code_format"),
        CheckConstraint("parent_id IS NOT NULL OR (accept_hours IS NOT NULL AND handle_hours IS NOT NULL "
                        "AND verify_hours IS NOT NULL)", name="primary_has_limits"),
        CheckConstraint("coalesce(accept_hours, 1) > 0 AND coalesce(handle_hours, 1) > 0 "
                        "AND coalesce(verify_hours, 1) > 0", name="limits_positive"),
    )

    def limit(self, stage: str) -> int:
        own = getattr(self, f"{stage}_hours")
        return own if own is not None else getattr(self.parent, f"{stage}_hours")


class Matter(Base):
    """A matter reported by a resident, a grid member, the hotline or another system."""

    __tablename__ = "matters"
    # what the database makes (the number, the times) comes back with the INSERT (RETURNING): a
    # new matter is answered without reading it again
    __mapper_args__ = {"eager_defaults": True}

    id: Mapped[uuid.UUID] = uuid_pk()
    number: Mapped[int] = mapped_column(BigInteger, Identity(), nullable=False, unique=True)
    category_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("matter_categories.id", ondelete="RESTRICT"),
                                                   nullable=False, index=True)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    address: Mapped[str | None] = mapped_column(String(200))
    location = mapped_column(Geometry("POINT", srid=4326, spatial_index=True), nullable=False)
    grid_cell_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("places.id", ondelete="RESTRICT"), index=True)
    # the cell's place path, kept with the cell: "matters under an area" is one prefix range of an
    # index, not a list of the area's cells (a district has thousands)
    place_path: Mapped[str | None] = mapped_column(String(200))
    needs_placement: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=false(), default=False)
    source: Mapped[MatterSource] = mapped_column(str_enum(MatterSource, "matter_source"), nullable=False)
    reporter_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    anonymous: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=false(), default=False)
    # A report from a partner system (Open311): its key, and the contact it passed on (staff only).
    open311_key_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("open311_keys.id", ondelete="RESTRICT"))
    external_contact: Mapped[dict | None] = mapped_column(JSONB)
    status: Mapped[MatterStatus] = mapped_column(str_enum(MatterStatus, "matter_status"), nullable=False)
    level: Mapped[MatterLevel] = mapped_column(str_enum(MatterLevel, "matter_level"), nullable=False,
                                               server_default=MatterLevel.grid.value, default=MatterLevel.grid)
    unit_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("handling_units.id", ondelete="RESTRICT"), index=True)
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    rating: Mapped[Rating | None] = mapped_column(str_enum(Rating, "rating"))
    reopen_count: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0", default=0)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("matters.id", ondelete="RESTRICT"), index=True)
    supervised: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=false(), default=False)
    urge_count: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0", default=0)
    stage_started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    stage_due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    # When each stage (受理 / 处置 / 核查) last ended and whether it ended past its deadline: the
    # on-time rates of the cockpit come from these, through matter_day_facts.
    accept_done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    accept_late: Mapped[bool | None] = mapped_column(Boolean)
    handle_done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    handle_late: Mapped[bool | None] = mapped_column(Boolean)
    verify_done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    verify_late: Mapped[bool | None] = mapped_column(Boolean)
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()

    category: Mapped[MatterCategory] = relationship(lazy="joined")
    grid_cell: Mapped[GridCell | None] = relationship(lazy="joined")
    reporter: Mapped[User | None] = relationship(lazy="joined", foreign_keys=[reporter_id])
    assignee: Mapped[User | None] = relationship(lazy="joined", foreign_keys=[assignee_id])
    unit: Mapped[HandlingUnit | None] = relationship(lazy="joined")

    __table_args__ = (
        Index("ix_matters_status_created", "status", "created_at"),
        Index("ix_matters_place_path", "place_path", postgresql_ops={"place_path": "text_pattern_ops"}),
        # the text filter's prefilter: each matter's character bigrams (SQL functions of the migration)
        Index("ix_matters_bigrams", text("matter_bigrams(description, address)"), postgresql_using="gin"),
        # the open matters of an area, counted without touching the (many more) closed ones
        Index("ix_matters_open_path", "place_path", postgresql_ops={"place_path": "text_pattern_ops"},
              postgresql_include=["status", "stage_due_at"],
              postgresql_where=text("status IN ('submitted', 'accepted', 'registered', 'dispatched', 'handled', "
                                    "'verified')")),
        CheckConstraint("length(description) BETWEEN 1 AND 2000", name="description_length"),
        CheckConstraint("(grid_cell_id IS NULL) = needs_placement", name="placed_or_flagged"),
        CheckConstraint("(grid_cell_id IS NULL) = (place_path IS NULL)", name="path_with_cell"),
        CheckConstraint("reporter_id IS NOT NULL OR open311_key_id IS NOT NULL", name="reported_by_someone"),
        CheckConstraint("status <> 'dispatched' OR unit_id IS NOT NULL OR assignee_id IS NOT NULL",
                        name="dispatched_to_someone"),
        CheckConstraint("rating IS NULL OR status = 'closed' OR reopen_count > 0", name="rated_when_closed"),
        CheckConstraint("merged_into_id IS NULL OR (status = 'closed' AND merged_into_id <> id)", name="merged_is_closed"),
        *(CheckConstraint(f"({stage}_done_at IS NULL) = ({stage}_late IS NULL)", name=f"{stage}_done_and_late")
          for stage in STAGES),
    )


class MatterEvent(Base):
    """One step of a matter's timeline (流转记录): append-only."""

    __tablename__ = "matter_events"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    matter_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("matters.id", ondelete="CASCADE"), nullable=False)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    actor_role: Mapped[str | None] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(32), nullable=False)
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str] = mapped_column(String(32), nullable=False)
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict | None] = mapped_column(JSONB)

    __table_args__ = (Index("ix_matter_events_matter_id_id", "matter_id", "id"),)


def _count(kind=Integer):
    """A figure of the facts: a count (or a sum) that starts at zero."""
    return mapped_column(kind, nullable=False, server_default="0")


FACT_MEASURES = ("reported", "closed", "merged", "handle_seconds", "accept_done", "accept_on_time", "handle_done",
                 "handle_on_time", "verify_done", "verify_on_time", "satisfied", "basically_satisfied",
                 "dissatisfied")


class MatterDayFact(Base):
    """Matter figures per place, China-time day and category (事件日统计), for the cockpit.

    Each matter counts for its grid cell and for every place above it (community, street,
    district), so a scope's figures are the rows of its own places: a district's year is a few
    thousand rows however many matters it had. A matter counts as reported on the day it was
    created, closed (or merged) on the day it was closed, and each stage as done on the day it
    last ended, on time or late; its rating and handling time go with its closing day. Matters
    outside every cell are not counted until placed.

    Kept exactly by a deferred trigger on ``matters`` (at commit, each change subtracts the row's
    old contribution and adds its new one) from one SQL function, ``matter_facts(matters)``, so
    ``flask matters rebuild-facts`` recomputes the same table from scratch — also after a cell has
    moved to another community. Derived data: no foreign keys, rows of zeros may remain."""

    __tablename__ = "matter_day_facts"

    place_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    category_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    reported: Mapped[int] = _count()
    closed: Mapped[int] = _count()
    merged: Mapped[int] = _count()
    handle_seconds: Mapped[int] = _count(BigInteger)
    accept_done: Mapped[int] = _count()
    accept_on_time: Mapped[int] = _count()
    handle_done: Mapped[int] = _count()
    handle_on_time: Mapped[int] = _count()
    verify_done: Mapped[int] = _count()
    verify_on_time: Mapped[int] = _count()
    satisfied: Mapped[int] = _count()
    basically_satisfied: Mapped[int] = _count()
    dissatisfied: Mapped[int] = _count()


MONTH_MEASURES = ("closed", "satisfied", "basically_satisfied", "dissatisfied")


class MatterMonthFact(Base):
    """Closings and ratings per place and month (the first day of a China-time month), for the
    assessment (考核) of whole months: a year of a district's 840 communities is ten thousand rows.
    Kept by the same trigger as :class:`MatterDayFact` (its months are sums of those days); a new
    report changes nothing here, so intake never waits on a month's row."""

    __tablename__ = "matter_month_facts"

    place_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    closed: Mapped[int] = _count()
    satisfied: Mapped[int] = _count()
    basically_satisfied: Mapped[int] = _count()
    dissatisfied: Mapped[int] = _count()
