"""Event-to-emergency handling (事件 + 应急处理): incidents graded by the emergency law, the four
teams and their responders with live positions, dispatches, and the live stream's events."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from geoalchemy2 import Geography, Geometry
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Identity,
    Index,
    String,
    Text,
    false,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from models.accounts import User
from models.base import Base, created_at, str_enum, updated_at, uuid_pk
from models.matters import Matter
from models.places import Place


class TeamKind(enum.StrEnum):
    """The four teams the seed district formed."""

    governance = "governance"  # 综治协管
    mediation = "mediation"  # 矛盾调解
    patrol = "patrol"  # 治安巡防
    rescue = "rescue"  # 应急救援


class DutyStatus(enum.StrEnum):
    on_duty = "on_duty"  # 在岗
    busy = "busy"  # 出警中
    off_duty = "off_duty"  # 离岗


class IncidentKind(enum.StrEnum):
    """The four kinds of 《突发事件应对法》."""

    natural_disaster = "natural_disaster"  # 自然灾害
    accident = "accident"  # 事故灾难
    public_health = "public_health"  # 公共卫生事件
    public_security = "public_security"  # 社会安全事件


class IncidentLevel(enum.StrEnum):
    """特别重大 (I) / 重大 (II) / 较大 (III) / 一般 (IV); I the highest."""

    I = "I"  # noqa: E741
    II = "II"
    III = "III"
    IV = "IV"


COLOURS = {"I": "red", "II": "orange", "III": "yellow", "IV": "blue"}


class IncidentStatus(enum.StrEnum):
    open = "open"
    responding = "responding"
    contained = "contained"
    closed = "closed"


class DispatchStatus(enum.StrEnum):
    dispatched = "dispatched"
    acknowledged = "acknowledged"
    en_route = "en_route"
    on_scene = "on_scene"
    done = "done"
    declined = "declined"
    cancelled = "cancelled"  # the incident was closed while it was still live


ACTIVE_DISPATCH = ("dispatched", "acknowledged", "en_route", "on_scene")


class Team(Base):
    """One of the four teams of a street or community."""

    __tablename__ = "teams"

    id: Mapped[uuid.UUID] = uuid_pk()
    place_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("places.id", ondelete="RESTRICT"), nullable=False)
    kind: Mapped[TeamKind] = mapped_column(str_enum(TeamKind, "team_kind"), nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    created_at: Mapped[datetime] = created_at()

    place: Mapped[Place] = relationship(lazy="select")

    __table_args__ = (Index("uq_teams_place_kind", "place_id", "kind", unique=True),)


class Responder(Base):
    """A team member's duty status and latest position (the phone's last report), one per user."""

    __tablename__ = "responders"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("teams.id", ondelete="RESTRICT"), nullable=False, index=True)
    skills: Mapped[list[str]] = mapped_column(ARRAY(String(32)), nullable=False, server_default=text("'{}'"),
                                              default=list)
    duty_status: Mapped[DutyStatus] = mapped_column(str_enum(DutyStatus, "duty_status"), nullable=False,
                                                    server_default=DutyStatus.off_duty.value, default=DutyStatus.off_duty)
    # geography: KNN (<->) and distances in metres on the sphere, index-assisted
    position = mapped_column(Geography("POINT", srid=4326, spatial_index=False), nullable=True)
    position_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    updated_at: Mapped[datetime] = updated_at()

    user: Mapped[User] = relationship(lazy="select")
    team: Mapped[Team] = relationship(lazy="select")

    __table_args__ = (
        Index("ix_responders_position_available", "position", postgresql_using="gist",
              postgresql_where=text("duty_status = 'on_duty' AND position IS NOT NULL")),
        CheckConstraint("(position IS NULL) = (position_at IS NULL)", name="position_with_time"),
    )


class ResponderTrack(Base):
    """A responder's recent positions (a bounded track: older points are dropped)."""

    __tablename__ = "responder_tracks"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    position = mapped_column(Geometry("POINT", srid=4326, spatial_index=False), nullable=False)
    accuracy_m: Mapped[float | None] = mapped_column(Float)

    __table_args__ = (Index("ix_responder_tracks_user_at", "user_id", "at"),)


class Incident(Base):
    """An emergency (突发事件): graded, located, commanded, with its dispatches and command log."""

    __tablename__ = "incidents"

    id: Mapped[uuid.UUID] = uuid_pk()
    number: Mapped[int] = mapped_column(BigInteger, Identity(), nullable=False, unique=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[IncidentKind] = mapped_column(str_enum(IncidentKind, "incident_kind"), nullable=False)
    subtype: Mapped[str] = mapped_column(String(32), nullable=False)
    level: Mapped[IncidentLevel] = mapped_column(str_enum(IncidentLevel, "incident_level"), nullable=False)
    status: Mapped[IncidentStatus] = mapped_column(str_enum(IncidentStatus, "incident_status"), nullable=False)
    location = mapped_column(Geometry("POINT", srid=4326, spatial_index=True), nullable=False)
    address: Mapped[str | None] = mapped_column(String(200))
    grid_cell_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("places.id", ondelete="RESTRICT"), index=True)
    # the place whose people see it: the cell, or the district when outside every cell
    place_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("places.id", ondelete="RESTRICT"), nullable=False)
    teams: Mapped[list[str]] = mapped_column(ARRAY(String(16)), nullable=False)  # team kinds it needs
    commander_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    matter_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("matters.id", ondelete="RESTRICT"), unique=True)
    reported_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), nullable=False)
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    responding_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    contained_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    is_demo: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=false(), default=False)
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()

    # the place's path (who sees it, whose leaders are told) and the cell's code and name, in the
    # same row (no chain of joined places and users to plan and load, no query per use)
    place_path: Mapped[str] = column_property(
        select(Place.path).where(Place.id == place_id).correlate_except(Place).scalar_subquery())
    grid_cell_code: Mapped[str | None] = column_property(
        select(Place.code).where(Place.id == grid_cell_id).correlate_except(Place).scalar_subquery())
    grid_cell_name: Mapped[str | None] = column_property(
        select(Place.name).where(Place.id == grid_cell_id).correlate_except(Place).scalar_subquery())

    __table_args__ = (
        Index("ix_incidents_status_level", "status", "level"),
        CheckConstraint("cardinality(teams) >= 1", name="needs_a_team"),
        CheckConstraint("(status = 'closed') = (closed_at IS NOT NULL)", name="closed_with_time"),
    )


class IncidentEvent(Base):
    """The command log (指挥日志): every decision, message and status change."""

    __tablename__ = "incident_events"

    id: Mapped[uuid.UUID] = uuid_pk()
    incident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False,
                                                   index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    action: Mapped[str] = mapped_column(String(32), nullable=False)
    message: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict] = mapped_column(JSONB, nullable=False, server_default="{}")


class Dispatch(Base):
    """One responder sent to one incident: dispatched → acknowledged → en route → on scene → done
    (or declined). A dispatch not acknowledged in time is flagged and replaced."""

    __tablename__ = "dispatches"

    id: Mapped[uuid.UUID] = uuid_pk()
    incident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False,
                                                   index=True)
    responder_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), nullable=False,
                                                    index=True)
    status: Mapped[DispatchStatus] = mapped_column(str_enum(DispatchStatus, "dispatch_status"), nullable=False)
    dispatched_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    automatic: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=false(), default=False)
    replaces_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("dispatches.id", ondelete="SET NULL"))
    distance_m: Mapped[float | None] = mapped_column(Float)  # from the responder when dispatched
    dispatched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    ack_due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    en_route_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    on_scene_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    declined_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    overdue_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # flagged: not acknowledged in time
    note: Mapped[str | None] = mapped_column(String(500))

    responder: Mapped[User] = relationship(lazy="select", foreign_keys=[responder_id])
    # the responder's name with the dispatch (the console's list, the stream's events): no query each
    responder_name: Mapped[str] = column_property(
        select(User.display_name).where(User.id == responder_id).correlate_except(User).scalar_subquery())

    __table_args__ = (
        # one live dispatch per responder and incident
        Index("uq_dispatches_live", "incident_id", "responder_id", unique=True,
              postgresql_where=text("status IN ('dispatched', 'acknowledged', 'en_route', 'on_scene')")),
        Index("ix_dispatches_unacknowledged", "ack_due_at",
              postgresql_where=text("status = 'dispatched' AND overdue_at IS NULL")),
    )


class StreamEvent(Base):
    """What the live stream carries (dispatches, acknowledgements, positions, incident changes),
    written in the transaction of the change (a transactional outbox). ``xid`` is the writing
    transaction's id: readers take rows only below the oldest running transaction, in (xid, id)
    order, so a slow transaction's row is never skipped."""

    __tablename__ = "stream_events"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    xid: Mapped[int] = mapped_column(BigInteger, nullable=False,
                                     server_default=text("(pg_current_xact_id()::text)::bigint"))
    at: Mapped[datetime] = created_at()
    topic: Mapped[str] = mapped_column(String(48), nullable=False)
    # the audience: one user, or every staff member whose area covers this place path
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    place_path: Mapped[str | None] = mapped_column(String(200))
    payload: Mapped[dict] = mapped_column(JSONB, nullable=False)

    __table_args__ = (
        CheckConstraint("num_nonnulls(user_id, place_path) = 1", name="one_audience"),
        Index("ix_stream_events_cursor", "xid", "id"),
        Index("ix_stream_events_user", "user_id", "id"),
        Index("ix_stream_events_at", "at"),
    )


# The link both ways: a matter escalated to an incident shows it.
Matter.incident_id = column_property(
    select(Incident.id).where(Incident.matter_id == Matter.id).correlate_except(Incident).scalar_subquery()
)
