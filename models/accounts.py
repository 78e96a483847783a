"""Accounts, roles, handling units, and the server-side state of authentication."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    false,
    func,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, created_at, str_enum, updated_at, uuid_pk
from models.places import GridCell, Place


class Role(enum.StrEnum):
    resident = "resident"  # 居民
    grid_member = "grid_member"  # 网格员
    community_staff = "community_staff"  # 社区工作人员 / 网格长
    street_admin = "street_admin"  # 街道
    district_admin = "district_admin"  # 区
    responder = "responder"  # 应急队员
    unit_staff = "unit_staff"  # 处置部门
    system_admin = "system_admin"  # 系统管理员: accounts and settings
    security_admin = "security_admin"  # 安全管理员: roles, unlocking
    audit_admin = "audit_admin"  # 审计管理员: reads the audit log


ADMIN_ROLES = frozenset({Role.system_admin, Role.security_admin, Role.audit_admin})


class HandlingUnit(Base):
    """处置部门: a body that receives dispatched cases (城管, 市场监管, a property company…)."""

    __tablename__ = "handling_units"

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    place_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("places.id", ondelete="RESTRICT"), nullable=False, index=True)
    is_demo: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=false(), default=False)
    created_at: Mapped[datetime] = created_at()

    place: Mapped[Place] = relationship(lazy="joined")


class User(Base):
    __tablename__ = "users"

    id: Mapped[uuid.UUID] = uuid_pk()
    username: Mapped[str] = mapped_column(String(64), nullable=False)
    phone: Mapped[str | None] = mapped_column(String(11))
    display_name: Mapped[str] = mapped_column(String(50), nullable=False)
    role: Mapped[Role] = mapped_column(str_enum(Role, "user_role"), nullable=False)
    place_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("places.id", ondelete="RESTRICT"), nullable=False, index=True)
    unit_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("handling_units.id", ondelete="RESTRICT"), index=True)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    password_changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=true(), default=True)
    is_demo: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=false(), default=False)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()

    place: Mapped[Place] = relationship(lazy="joined")
    unit: Mapped[HandlingUnit | None] = relationship(lazy="joined")
    grid_cells: Mapped[list[GridCell]] = relationship(
        secondary="grid_member_cells", lazy="select", order_by="GridCell.code"
    )

    __table_args__ = (
        Index("uq_users_username_lower", func.lower(username), unique=True),
        Index("uq_users_phone", "phone", unique=True, postgresql_where=phone.isnot(None)),
        CheckConstraint("username ~ '^[A-Za-z0-9_.@-]{3,64}$'", name="username_chars"),
        CheckConstraint("phone IS NULL OR phone ~ '^1[0-9]{10}$'", name="phone_mobile"),
        CheckConstraint("(role = 'unit_staff') = (unit_id IS NOT NULL)", name="unit_staff_has_unit"),
    )


class GridMemberCell(Base):
    """Which grid cells a grid member looks after (one or a few)."""

    __tablename__ = "grid_member_cells"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    grid_cell_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("places.id", ondelete="RESTRICT"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = created_at()


class AuthSession(Base):
    """A login: lives on the server so that logout and disabling an account take effect at once."""

    __tablename__ = "auth_sessions"

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    created_at: Mapped[datetime] = created_at()
    last_refreshed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    idle_expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_reason: Mapped[str | None] = mapped_column(String(32))
    ip: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(200))

    user: Mapped[User] = relationship(lazy="joined")


class RefreshToken(Base):
    """One refresh token of a session; only its SHA-256 is kept. A used token presented again
    means it was stolen, and the whole session is revoked."""

    __tablename__ = "refresh_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("auth_sessions.id", ondelete="CASCADE"), nullable=False, index=True
    )
    issued_at: Mapped[datetime] = created_at()
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    session: Mapped[AuthSession] = relationship(lazy="raise")


class LoginThrottle(Base):
    """Failed logins per account, or per unknown name: unknown names lock exactly like real ones,
    so the answers never reveal whether an account exists."""

    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_failure_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RateCounter(Base):
    """Fixed-window request counters shared by every worker process (e.g. logins per address)."""

    __tablename__ = "rate_counters"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


__all__ = [
    "ADMIN_ROLES",
    "AuthSession",
    "GridMemberCell",
    "HandlingUnit",
    "LoginThrottle",
    "RateCounter",
    "RefreshToken",
    "Role",
    "User",
]
