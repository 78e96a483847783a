"""The responsibility chain of each grid cell (四长一员): leaders at stacked levels plus the grid member."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, created_at, updated_at, uuid_pk


class ResponsibilityPost(Base):
    """A post of the chain, with a title each district configures (片长 / 网格长 / 楼栋长 / 单元长 / 网格员)."""

    __tablename__ = "responsibility_posts"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    title: Mapped[str] = mapped_column(String(20), nullable=False)
    rank: Mapped[int] = mapped_column(Integer, nullable=False, unique=True)
    is_grid_member: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=false(), default=False)
    updated_at: Mapped[datetime] = updated_at()


class GridResponsibility(Base):
    """Who held a post for a cell, from when to when. The holder is an account, a resident, or
    just a name and phone (leaders are often volunteers without an account)."""

    __tablename__ = "grid_responsibilities"

    id: Mapped[uuid.UUID] = uuid_pk()
    grid_cell_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("places.id", ondelete="RESTRICT"), nullable=False)
    post_code: Mapped[str] = mapped_column(ForeignKey("responsibility_posts.code", ondelete="RESTRICT"), nullable=False)
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    resident_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("residents.id", ondelete="SET NULL"), index=True)
    name: Mapped[str] = mapped_column(String(50), nullable=False)
    phone: Mapped[str | None] = mapped_column(String(11))
    starts_on: Mapped[date] = mapped_column(Date, nullable=False)
    ends_on: Mapped[date | None] = mapped_column(Date)
    is_demo: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=false(), default=False)
    created_at: Mapped[datetime] = created_at()

    post: Mapped[ResponsibilityPost] = relationship(lazy="joined")

    __table_args__ = (
        # one current holder per post and cell
        Index("uq_grid_responsibilities_current", "grid_cell_id", "post_code", unique=True,
              postgresql_where=text("ends_on IS NULL")),
        Index("ix_grid_responsibilities_cell", "grid_cell_id", "post_code", "starts_on"),
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="period_order"),
        CheckConstraint("phone IS NULL OR phone ~ '^1[0-9]{10}$'", name="phone_mobile"),
    )
