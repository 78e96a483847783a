"""Patrols (巡查) and check-ins (签到) of grid members: recorded on the phone, sent when online."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from geoalchemy2 import Geometry
from sqlalchemy import Boolean, CheckConstraint, Date, DateTime, Float, ForeignKey, Index, Integer, String, Uuid
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from models.accounts import User
from models.base import Base, created_at, str_enum
from models.places import GridCell


class CheckInKind(enum.StrEnum):
    check_in = "check_in"  # 签到
    check_out = "check_out"  # 签退


class CheckIn(Base):
    """A grid member's check-in or check-out at a place and time; the id is the phone's UUID."""

    __tablename__ = "check_ins"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), nullable=False)
    kind: Mapped[CheckInKind] = mapped_column(str_enum(CheckInKind, "check_in_kind"), nullable=False)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    day: Mapped[date] = mapped_column(Date, nullable=False)  # in China time
    location = mapped_column(Geometry("POINT", srid=4326, spatial_index=False), nullable=False)
    grid_cell_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("places.id", ondelete="RESTRICT"))
    in_own_cells: Mapped[bool] = mapped_column(Boolean, nullable=False)
    created_at: Mapped[datetime] = created_at()

    user: Mapped[User] = relationship(lazy="joined")
    grid_cell: Mapped[GridCell | None] = relationship(lazy="joined")

    __table_args__ = (Index("ix_check_ins_user_day", "user_id", "day"),)


class Patrol(Base):
    """One GPS track of a patrol, kept as a line with the time of each point. Immutable once sent:
    a long patrol goes up in pieces, each its own patrol."""

    __tablename__ = "patrols"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), nullable=False)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    ended_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    track = deferred(mapped_column(Geometry("LINESTRING", srid=4326, spatial_index=True), nullable=False))
    point_times: Mapped[list[datetime]] = deferred(mapped_column(ARRAY(DateTime(timezone=True)), nullable=False))
    point_count: Mapped[int] = mapped_column(Integer, nullable=False)
    length_m: Mapped[float] = mapped_column(Float, nullable=False)
    # Time spent moving or stopping briefly: gaps between fixes longer than PATROL_MAX_GAP do not count.
    active_seconds: Mapped[int] = mapped_column(Integer, nullable=False)
    content_hash: Mapped[str] = mapped_column(String(64), nullable=False)  # sha256 of the points as sent
    created_at: Mapped[datetime] = created_at()

    user: Mapped[User] = relationship(lazy="joined")

    __table_args__ = (
        Index("ix_patrols_user_started", "user_id", "started_at"),
        CheckConstraint("ended_at >= started_at", name="ends_after_start"),
        CheckConstraint("point_count >= 2", name="two_points"),
    )


class PatrolDay(Base):
    """A patrol's active time and distance on one day (China time): patrols cross midnight."""

    __tablename__ = "patrol_days"

    patrol_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patrols.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), nullable=False)
    active_seconds: Mapped[int] = mapped_column(Integer, nullable=False)
    length_m: Mapped[float] = mapped_column(Float, nullable=False)

    __table_args__ = (Index("ix_patrol_days_user_day", "user_id", "day"),)


class PatrolCell(Base):
    """A grid cell a patrol's track passed through, with the metres walked inside it."""

    __tablename__ = "patrol_cells"

    patrol_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patrols.id", ondelete="CASCADE"), primary_key=True)
    grid_cell_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("places.id", ondelete="RESTRICT"), primary_key=True,
                                                    index=True)
    length_m: Mapped[float] = mapped_column(Float, nullable=False)

    grid_cell: Mapped[GridCell] = relationship(lazy="joined")
