"""The population base (实有人口): property companies, compounds, buildings, households, residents,
and the households party members look after (党员联户)."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from geoalchemy2 import Geometry
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    false,
    func,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from models.base import Base, created_at, str_enum, updated_at, uuid_pk
from models.places import GridCell, Place


class ResidentKind(enum.StrEnum):
    registered = "registered"  # 户籍
    migrant = "migrant"  # 流动
    foreign = "foreign"  # 境外
    left_behind = "left_behind"  # 留守


class Gender(enum.StrEnum):
    male = "male"
    female = "female"


class Relation(enum.StrEnum):
    """Relation to the householder (与户主关系)."""

    householder = "householder"
    spouse = "spouse"
    child = "child"
    parent = "parent"
    other = "other"


RESIDENT_TAGS = ("party_member", "elderly_alone", "disabled", "low_income", "left_behind_child", "veteran")


class PropertyCompany(Base):
    """物业: manages one or more compounds."""

    __tablename__ = "property_companies"

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    phone: Mapped[str | None] = mapped_column(String(20))
    place_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("places.id", ondelete="RESTRICT"), nullable=False, index=True)
    is_demo: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=false(), default=False)
    created_at: Mapped[datetime] = created_at()


class Compound(Base):
    """小区: a residential compound, with its property company and owners' committee (业委会)."""

    __tablename__ = "compounds"

    id: Mapped[uuid.UUID] = uuid_pk()
    community_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("places.id", ondelete="RESTRICT"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    boundary = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=True), nullable=True)
    property_company_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("property_companies.id", ondelete="SET NULL"), index=True
    )
    owners_committee_name: Mapped[str | None] = mapped_column(String(100))
    owners_committee_chair: Mapped[str | None] = mapped_column(String(50))
    owners_committee_phone: Mapped[str | None] = mapped_column(String(20))
    is_demo: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=false(), default=False)
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()

    community: Mapped[Place] = relationship(lazy="joined")
    property_company: Mapped[PropertyCompany | None] = relationship(lazy="joined")


class Building(Base):
    """楼栋: a point inside its grid cell."""

    __tablename__ = "buildings"

    id: Mapped[uuid.UUID] = uuid_pk()
    grid_cell_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("places.id", ondelete="RESTRICT"), nullable=False, index=True)
    compound_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("compounds.id", ondelete="SET NULL"), index=True)
    name: Mapped[str] = mapped_column(String(50), nullable=False)
    address: Mapped[str] = mapped_column(String(200), nullable=False)
    location = mapped_column(Geometry("POINT", srid=4326, spatial_index=True), nullable=False)
    floors: Mapped[int | None] = mapped_column(Integer)
    units: Mapped[int | None] = mapped_column(Integer)
    is_demo: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=false(), default=False)
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()

    grid_cell: Mapped[GridCell] = relationship(lazy="joined")
    compound: Mapped[Compound | None] = relationship(lazy="joined")

    __table_args__ = (
        CheckConstraint("floors IS NULL OR floors BETWEEN 1 AND 200", name="floors_range"),
        CheckConstraint("units IS NULL OR units BETWEEN 1 AND 50", name="units_range"),
    )


class Household(Base):
    """户: a dwelling and the people registered in it."""

    __tablename__ = "households"

    id: Mapped[uuid.UUID] = uuid_pk()
    grid_cell_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("places.id", ondelete="RESTRICT"), nullable=False, index=True)
    building_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("buildings.id", ondelete="RESTRICT"), index=True)
    unit: Mapped[str | None] = mapped_column(String(20))
    room: Mapped[str | None] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(200), nullable=False)
    # Visited every week whatever the plan (重点关注户): someone frail, a quarrel that may flare up.
    weekly_follow_up: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=false(), default=False)
    follow_up_reason: Mapped[str | None] = mapped_column(String(200))
    # The latest door-knock visit, kept by the visit sync: plans and "not visited for N weeks" lists
    # read it without scanning visits.
    last_visited_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    is_demo: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=false(), default=False)
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()

    grid_cell: Mapped[GridCell] = relationship(lazy="joined")
    building: Mapped[Building | None] = relationship(lazy="joined")

    __table_args__ = (Index("ix_households_cell_last_visited", "grid_cell_id", "last_visited_at"),)


class Resident(Base):
    """A person of the population base. The identity number is stored only encrypted (AES-GCM),
    with a keyed hash for exact lookup and its masked form for display."""

    __tablename__ = "residents"

    id: Mapped[uuid.UUID] = uuid_pk()
    grid_cell_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("places.id", ondelete="RESTRICT"), nullable=False, index=True)
    household_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("households.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(50), nullable=False)
    gender: Mapped[Gender | None] = mapped_column(str_enum(Gender, "gender"))
    birth_date: Mapped[date | None] = mapped_column(Date)
    id_number_cipher: Mapped[str | None] = mapped_column(String(200))
    id_number_hash: Mapped[str | None] = mapped_column(String(64))
    id_number_masked: Mapped[str | None] = mapped_column(String(18))
    phone: Mapped[str | None] = mapped_column(String(11))
    kind: Mapped[ResidentKind] = mapped_column(str_enum(ResidentKind, "resident_kind"), nullable=False)
    relation: Mapped[Relation | None] = mapped_column(str_enum(Relation, "relation"))
    tags: Mapped[list[str]] = mapped_column(ARRAY(String(32)), nullable=False, server_default=text("'{}'"), default=list)
    moved_out_on: Mapped[date | None] = mapped_column(Date)
    is_demo: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=false(), default=False)
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()

    grid_cell: Mapped[GridCell] = relationship(lazy="joined")
    household: Mapped[Household | None] = relationship(lazy="joined")

    __table_args__ = (
        Index("uq_residents_id_number_hash", "id_number_hash", unique=True, postgresql_where=text("id_number_hash IS NOT NULL")),
        Index("ix_residents_tags", "tags", postgresql_using="gin"),
        CheckConstraint("(id_number_cipher IS NULL) = (id_number_hash IS NULL)", name="id_number_parts"),
        CheckConstraint("id_number_masked IS NULL OR id_number_masked ~ '^[0-9]{4}[*]{10}[0-9]{3}[0-9X]$'",
                        name="id_number_masked_form"),
        CheckConstraint("phone IS NULL OR phone ~ '^1[0-9]{10}$'", name="phone_mobile"),
    )


class PartyLink(Base):
    """党员联户: a party member looks after a few households of their cell."""

    __tablename__ = "party_links"

    id: Mapped[uuid.UUID] = uuid_pk()
    resident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("residents.id", ondelete="CASCADE"), nullable=False, index=True)
    household_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"), nullable=False, index=True)
    created_at: Mapped[datetime] = created_at()

    resident: Mapped[Resident] = relationship(lazy="joined")
    household: Mapped[Household] = relationship(lazy="joined")

    __table_args__ = (UniqueConstraint("resident_id", "household_id"),)


# Live counts for lists, computed in the same query (no N+1).
Household.members = column_property(
    select(func.count(Resident.id))
    .where(Resident.household_id == Household.id, Resident.moved_out_on.is_(None))
    .correlate_except(Resident)
    .scalar_subquery()
)
Building.households = column_property(
    select(func.count(Household.id)).where(Household.building_id == Building.id).correlate_except(Household).scalar_subquery()
)


class CellHouseholds(Base):
    """How many households each grid cell has: kept by statement-level triggers on households (see
    the migration), never written by the app; coverage figures read it instead of counting rows."""

    __tablename__ = "cell_households"

    grid_cell_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("places.id", ondelete="CASCADE"), primary_key=True)
    households: Mapped[int] = mapped_column(Integer, nullable=False)
