"""The transactional outbox and the in-app notifications it delivers."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Identity, Index, Integer, String, Uuid, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, created_at, uuid_pk


class OutboxMessage(Base):
    """A message to deliver, written in the same transaction as the change that caused it; the
    worker delivers it at least once (receivers tolerate repeats)."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    created_at: Mapped[datetime] = created_at()
    topic: Mapped[str] = mapped_column(String(64), nullable=False)
    recipient_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    payload: Mapped[dict] = mapped_column(JSONB, nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0", default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=text("now()"))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (
        Index("ix_outbox_pending", "next_attempt_at", postgresql_where=text("delivered_at IS NULL")),
    )


class Notification(Base):
    """What a user reads in the app (消息). One per outbox message: delivering twice changes nothing."""

    __tablename__ = "notifications"

    id: Mapped[uuid.UUID] = uuid_pk()
    outbox_id: Mapped[int] = mapped_column(BigInteger, nullable=False, unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    topic: Mapped[str] = mapped_column(String(64), nullable=False)
    payload: Mapped[dict] = mapped_column(JSONB, nullable=False)  # rendered in the reader's language
    matter_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    created_at: Mapped[datetime] = created_at()
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_notifications_user_created", "user_id", "created_at"),)


class DeadlineReminder(Base):
    """That a reminder for one deadline of one matter went out, so the sweep never repeats it."""

    __tablename__ = "deadline_reminders"

    matter_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("matters.id", ondelete="CASCADE"), primary_key=True)
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)  # "yellow" or "red"
    created_at: Mapped[datetime] = created_at()
