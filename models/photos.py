"""Photos attached to matters (上报照片, 处置照片), door-knock visits or petitions: stored re-encoded, without EXIF (so no position)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, LargeBinary, String, func, select, text
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import Mapped, column_property, deferred, mapped_column

from models.base import Base, created_at, uuid_pk
from models.petitions import Petition
from models.visits import Visit


class Photo(Base):
    __tablename__ = "photos"

    id: Mapped[uuid.UUID] = uuid_pk()
    uploader_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), nullable=False, index=True)
    matter_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("matters.id", ondelete="CASCADE"), index=True)
    visit_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    petition_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("petitions.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str | None] = mapped_column(String(16))  # report / handle / visit / petition
    content_type: Mapped[str] = mapped_column(String(32), nullable=False)
    width: Mapped[int] = mapped_column(Integer, nullable=False)
    height: Mapped[int] = mapped_column(Integer, nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    data: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))
    created_at: Mapped[datetime] = created_at()

    __table_args__ = (
        CheckConstraint("num_nonnulls(matter_id, visit_id, petition_id) <= 1", name="attached_once"),
        CheckConstraint("(num_nonnulls(matter_id, visit_id, petition_id) = 0) = (purpose IS NULL)",
                        name="attached_with_purpose"),
    )


def _photo_ids(owner: type, column) -> None:
    """An owner's photo ids, in the same query as the owner (no N+1 on lists)."""
    owner.photo_ids = column_property(
        select(func.coalesce(func.array_agg(aggregate_order_by(Photo.id, Photo.id)), text("'{}'::uuid[]")))
        .where(column == owner.id)
        .correlate_except(Photo)
        .scalar_subquery(),
        deferred=owner is Petition,  # only petition staff are shown a petition's attachments
    )


_photo_ids(Visit, Photo.visit_id)
_photo_ids(Petition, Photo.petition_id)
