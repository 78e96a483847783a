"""Open311 partner keys: other systems (a 12345 hotline, a city's apps) read and file matters."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, created_at, uuid_pk
from models.places import Place


class Open311Key(Base):
    """An API key issued to a partner system; only its SHA-256 is kept. It acts within a place."""

    __tablename__ = "open311_keys"

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    key_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    place_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("places.id", ondelete="RESTRICT"), nullable=False)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=true(), default=True)
    is_demo: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false", default=False)
    created_at: Mapped[datetime] = created_at()

    place: Mapped[Place] = relationship(lazy="joined")
