"""The administrative hierarchy: district (区) → street (街道) → community (社区) → grid cell (网格)."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from geoalchemy2 import Geometry
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, false, select
from sqlalchemy.orm import Mapped, Session, mapped_column, object_session, relationship

from models.base import Base, created_at, str_enum, updated_at, uuid_pk


class PlaceKind(enum.StrEnum):
    district = "district"
    street = "street"
    community = "community"
    grid_cell = "grid_cell"


class CellKind(enum.StrEnum):
    """Kinds of grid cell; 专属网格 (dedicated) covers one institution such as a school or a market."""

    residential = "residential"
    commercial = "commercial"
    mixed = "mixed"
    dedicated = "dedicated"


# A child's kind for each parent kind; the hierarchy has fixed levels.
CHILD_KIND = {
    PlaceKind.district: PlaceKind.street,
    PlaceKind.street: PlaceKind.community,
    PlaceKind.community: PlaceKind.grid_cell,
}
# Digits of the code at each level (统计用区划代码 12 digits, plus a 3-digit grid serial).
CODE_LENGTH = {
    PlaceKind.district: 6,
    PlaceKind.street: 9,
    PlaceKind.community: 12,
    PlaceKind.grid_cell: 15,
}


class Place(Base):
    """One node of the hierarchy.

    ``path`` is the materialised chain of ids from the district down ("/<id>/<id>/…/"), so
    "everything under a place" is one indexed prefix match: the scoping mechanism rests on it.
    """

    __tablename__ = "places"

    id: Mapped[uuid.UUID] = uuid_pk()
    kind: Mapped[PlaceKind] = mapped_column(str_enum(PlaceKind, "place_kind"), nullable=False)
    code: Mapped[str] = mapped_column(String(20), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("places.id", ondelete="RESTRICT"), index=True)
    path: Mapped[str] = mapped_column(String(200), nullable=False, unique=True)
    # Deferred: most reads need names and codes, not polygons (a district's can be large).
    boundary = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=True), nullable=True, deferred=True)
    cell_kind: Mapped[CellKind | None] = mapped_column(str_enum(CellKind, "cell_kind"))
    is_demo: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=false(), default=False)
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()

    # Loaded when asked (from the session's identity map when already there): joining the chain
    # into every read of a place, a user or a matter cost more in planning than the rows did.
    # ancestors() reads the whole chain in one query from the path.
    parent: Mapped[Place | None] = relationship(remote_side=[id], lazy="select")

    __mapper_args__ = {"polymorphic_on": kind}
    __table_args__ = (
        CheckConstraint("code ~ '^[0-9]{6,20}$'", name="code_digits"),
        CheckConstraint("(kind = 'district') = (parent_id IS NULL)", name="root_is_district"),
        CheckConstraint("kind <> 'grid_cell' OR boundary IS NOT NULL", name="grid_cell_has_boundary"),
        CheckConstraint("(kind = 'grid_cell') = (cell_kind IS NOT NULL)", name="cell_kind_for_cells"),
        CheckConstraint(
            "length(code) = CASE kind WHEN 'district' THEN 6 WHEN 'street' THEN 9 WHEN 'community' THEN 12 ELSE 15 END",
            name="code_length_by_level",
        ),
        Index("ix_places_path_prefix", "path", postgresql_ops={"path": "text_pattern_ops"}),
        # an area's places of one kind (its streets, its cells): the figures' rows and scopes
        Index("ix_places_kind_path", "kind", "path", postgresql_ops={"path": "text_pattern_ops"}),
    )

    def ancestor_ids(self) -> list[uuid.UUID]:
        """From the district down to the parent, read off the path (``/district/street/…/self/``)."""
        return [uuid.UUID(part) for part in self.path.strip("/").split("/")[:-1]]

    def ancestors(self) -> list[Place]:
        """From the district down to the parent: those not in the session yet in one query."""
        session = object_session(self)
        if session is None:  # detached (a new object): follow the loaded parents
            chain, node = [], self.parent
            while node is not None:
                chain.append(node)
                node = node.parent
            return list(reversed(chain))
        preload_ancestors(session, [self])
        return [session.get(Place, place_id) for place_id in self.ancestor_ids()]

    def ancestor_of_kind(self, kind: PlaceKind) -> Place | None:
        if self.kind == kind:
            return self
        return next((p for p in self.ancestors() if p.kind == kind), None)


def preload_ancestors(session: Session, places) -> None:
    """Bring the ancestors of ``places`` into the session with one query (none when all are
    there already), so that ``ancestors()`` and ``parent`` of each then cost no SQL."""
    loaded = session.identity_map
    missing = {place_id for place in places for place_id in place.ancestor_ids()
               if session.identity_key(Place, place_id) not in loaded}
    if missing:
        session.scalars(select(Place).where(Place.id.in_(missing))).all()


class District(Place):
    __mapper_args__ = {"polymorphic_identity": PlaceKind.district}


class Street(Place):
    __mapper_args__ = {"polymorphic_identity": PlaceKind.street}


class Community(Place):
    __mapper_args__ = {"polymorphic_identity": PlaceKind.community}


class GridCell(Place):
    """网格: the smallest unit a grid member looks after; its boundary is required."""

    __mapper_args__ = {"polymorphic_identity": PlaceKind.grid_cell}
