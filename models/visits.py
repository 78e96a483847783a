"""Door-knock visits (敲门行动): recorded offline on the grid member's phone, synced later."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    FetchedValue,
    ForeignKey,
    Index,
    Integer,
    Sequence,
    String,
    Text,
    Uuid,
    false,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, created_at, str_enum, updated_at
from models.population import Household

# The server's change counter: every create or update of a visit takes the next value.
visit_versions = Sequence("visit_versions", metadata=Base.metadata)


class VisitResult(enum.StrEnum):
    met = "met"
    nobody_home = "nobody_home"
    refused = "refused"


class Visit(Base):
    """One visit to one household. The id is the phone's own UUID, so a repeated sync finds it;
    ``version`` comes from the server's counter and decides which edit is newer, never a clock."""

    __tablename__ = "visits"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    household_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("households.id", ondelete="RESTRICT"), nullable=False,
                                                    index=True)
    grid_cell_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("places.id", ondelete="RESTRICT"), nullable=False)
    visitor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), nullable=False)
    visited_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    week: Mapped[str] = mapped_column(String(8), nullable=False)  # ISO week in China time, e.g. 2026-W48
    location = mapped_column(Geometry("POINT", srid=4326, spatial_index=False), nullable=True)
    far_from_household: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=false(), default=False)
    result: Mapped[VisitResult] = mapped_column(str_enum(VisitResult, "visit_result"), nullable=False)
    findings: Mapped[list] = mapped_column(JSONB, nullable=False)
    notes: Mapped[str | None] = mapped_column(Text)
    # Changes to the household's roster seen on the visit, as sent, with the resident each one touched.
    roster_changes: Mapped[list] = mapped_column(JSONB, nullable=False, server_default="[]")
    # sha256 of the follow-ups as the phone sent them: their observations are sealed in follow_ups,
    # so a repeated sync is recognised without opening them
    follow_ups_digest: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(BigInteger, nullable=False)
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()

    household: Mapped[Household] = relationship(lazy="select")

    __table_args__ = (Index("ix_visits_cell_week", "grid_cell_id", "week"),)


class VisitCoverage(Base):
    """How many households of a cell were visited in an ISO week: kept by the sync (exact under
    concurrent syncs: each recounts its cell-weeks while holding their rows), read by the coverage
    figures so a district's week is thousands of rows, not hundreds of thousands of visits."""

    __tablename__ = "visit_coverage"

    grid_cell_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("places.id", ondelete="CASCADE"), primary_key=True)
    week: Mapped[str] = mapped_column(String(8), primary_key=True)
    visited: Mapped[int] = mapped_column(Integer, nullable=False)
    # visits recorded in the cell-week, and those that reached the server more than a day after they
    # were made (上报及时率: timely reporting)
    visits: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    late: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    # the cell's place path, set from the cell by a trigger on insert: an area's cell-weeks are one
    # index range (a district's month, 45,000 rows) instead of the whole city's weeks joined to cells
    place_path: Mapped[str] = mapped_column(String(200), nullable=False, server_default=FetchedValue())

    # a week's cell-weeks of an area, with the counts: the figures read the index alone
    __table_args__ = (Index("ix_visit_coverage_week_path", "week", "place_path",
                            postgresql_ops={"place_path": "text_pattern_ops"},
                            postgresql_include=["visits", "late", "visited"]),)


class VisitCommunityWeek(Base):
    """A community's door-knock visits in an ISO week (社区周走访): the sums of its cells' visit
    coverage, kept by a trigger on visit_coverage (migration ``visit_community_weeks``). Ranking a
    district's 840 communities over a year reads 44,000 narrow rows instead of 530,000 cell-weeks;
    streets and districts sum their communities. Kept per community, not per street or district,
    so concurrent syncs wait only for the members of their own community."""

    __tablename__ = "visit_community_weeks"

    community_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("places.id", ondelete="CASCADE"), primary_key=True)
    week: Mapped[str] = mapped_column(String(8), primary_key=True)
    place_path: Mapped[str] = mapped_column(String(200), nullable=False)  # the community's
    visits: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    late: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")

    __table_args__ = (Index("ix_visit_community_weeks_week_path", "week", "place_path",
                            postgresql_ops={"place_path": "text_pattern_ops"}, postgresql_include=["visits", "late"]),)
