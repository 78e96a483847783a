"""Comprehensive governance (综治): people the grid follows up — key persons (重点人员) and care
targets (关爱对象) — kept in one table but never mixed: each kind has its own categories, endpoints,
permissions and names."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.accounts import User
from models.base import Base, created_at, str_enum, updated_at, uuid_pk
from models.places import GridCell
from models.population import Resident


class FollowedKind(enum.StrEnum):
    key_person = "key_person"
    care_target = "care_target"


class KeyPersonCategory(enum.StrEnum):
    """Special populations as GB/T 31000-2015 practice keeps them."""

    released_prisoner = "released_prisoner"  # 刑满释放人员
    community_correction = "community_correction"  # 社区矫正人员
    severe_mental_disorder = "severe_mental_disorder"  # 严重精神障碍患者
    drug_user = "drug_user"  # 吸毒人员
    aids_risk = "aids_risk"  # 艾滋病危险人员
    at_risk_youth = "at_risk_youth"  # 重点青少年
    key_petitioner = "key_petitioner"  # 重点上访人员


class CareCategory(enum.StrEnum):
    elderly_alone = "elderly_alone"  # 独居老人
    left_behind_child = "left_behind_child"  # 留守儿童
    disabled = "disabled"  # 残疾人
    low_income = "low_income"  # 低保/低收入


class AttentionLevel(enum.StrEnum):
    """关注程度: sets how often the person is followed up."""

    high = "high"
    medium = "medium"
    low = "low"


class FollowedStatus(enum.StrEnum):
    active = "active"
    closed = "closed"


class FollowUpAssessment(enum.StrEnum):
    """What the grid member concluded at the door."""

    stable = "stable"  # 稳定
    needs_attention = "needs_attention"  # 需关注
    at_risk = "at_risk"  # 有风险, report upwards


def _in(values) -> str:
    return ", ".join(f"'{v.value}'" for v in values)


class FollowedPerson(Base):
    """A resident the grid follows up. Category-specific details (release date, diagnosis,
    guardian…) are sealed with AES-256-GCM in ``details_sealed``; nothing sensitive is in clear."""

    __tablename__ = "followed_persons"

    id: Mapped[uuid.UUID] = uuid_pk()
    kind: Mapped[FollowedKind] = mapped_column(str_enum(FollowedKind, "followed_kind"), nullable=False)
    resident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("residents.id", ondelete="RESTRICT"), nullable=False,
                                                   index=True)
    grid_cell_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("places.id", ondelete="RESTRICT"), nullable=False,
                                                    index=True)
    category: Mapped[str] = mapped_column(String(32), nullable=False)
    attention_level: Mapped[AttentionLevel] = mapped_column(str_enum(AttentionLevel, "attention_level"), nullable=False)
    follow_up_days: Mapped[int] = mapped_column(Integer, nullable=False)
    responsible_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    next_follow_up_on: Mapped[date] = mapped_column(Date, nullable=False)
    last_follow_up_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    details_sealed: Mapped[str | None] = mapped_column(Text)
    status: Mapped[FollowedStatus] = mapped_column(str_enum(FollowedStatus, "followed_status"), nullable=False,
                                                   server_default=FollowedStatus.active.value)
    opened_on: Mapped[date] = mapped_column(Date, nullable=False)
    closed_on: Mapped[date | None] = mapped_column(Date)
    close_reason: Mapped[str | None] = mapped_column(String(200))
    details_purged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()

    resident: Mapped[Resident] = relationship(lazy="joined", innerjoin=True)
    grid_cell: Mapped[GridCell] = relationship(lazy="joined", innerjoin=True)
    responsible: Mapped[User | None] = relationship(lazy="joined")

    __mapper_args__ = {"polymorphic_on": kind}
    __table_args__ = (
        CheckConstraint(f"kind <> 'key_person' OR category IN ({_in(KeyPersonCategory)})", name="key_person_category"),
        CheckConstraint(f"kind <> 'care_target' OR category IN ({_in(CareCategory)})", name="care_target_category"),
        CheckConstraint("follow_up_days BETWEEN 1 AND 366", name="follow_up_days_range"),
        CheckConstraint("(status = 'closed') = (closed_on IS NOT NULL)", name="closed_with_date"),
        Index("uq_followed_persons_active", "kind", "resident_id", "category", unique=True,
              postgresql_where=text("status = 'active'")),
        Index("ix_followed_persons_due", "kind", "grid_cell_id", "next_follow_up_on",
              postgresql_where=text("status = 'active'")),
    )


class KeyPerson(FollowedPerson):
    """重点人员."""

    __mapper_args__ = {"polymorphic_identity": FollowedKind.key_person}


class CareTarget(FollowedPerson):
    """关爱对象: followed up the same way, but not suspects; never shown as key persons."""

    __mapper_args__ = {"polymorphic_identity": FollowedKind.care_target}


class FollowUp(Base):
    """One follow-up (走访记录) of a key person or care target: made on a door-knock visit, with the
    grid member's observations sealed like the category details."""

    __tablename__ = "follow_ups"

    id: Mapped[uuid.UUID] = uuid_pk()
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("followed_persons.id", ondelete="CASCADE"), nullable=False,
                                                 index=True)
    visit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), nullable=False, index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    by_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), nullable=False)
    assessment: Mapped[FollowUpAssessment] = mapped_column(str_enum(FollowUpAssessment, "follow_up_assessment"),
                                                           nullable=False)
    observations_sealed: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at()

    __table_args__ = (Index("uq_follow_ups_visit_person", "visit_id", "person_id", unique=True),)


class DisputeKind(enum.StrEnum):
    neighbour = "neighbour"  # 邻里纠纷
    family = "family"  # 婚姻家庭
    property_management = "property_management"  # 物业纠纷
    land = "land"  # 土地山林
    labour = "labour"  # 劳动争议
    contract = "contract"  # 合同债务
    other = "other"


class DisputeStatus(enum.StrEnum):
    registered = "registered"  # 登记
    mediating = "mediating"  # 调解中
    closed = "closed"  # 结案


class DisputeOutcome(enum.StrEnum):
    agreement = "agreement"  # 调解成功
    court = "court"  # 引导诉讼
    petition = "petition"  # 转信访
    escalated = "escalated"  # 上报


class Dispute(Base):
    """矛盾纠纷: registered, assigned to a mediator or team, mediated in sessions, closed with an
    outcome. The parties (names, phones) are sealed; only their number is in clear."""

    __tablename__ = "disputes"

    id: Mapped[uuid.UUID] = uuid_pk()
    grid_cell_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("places.id", ondelete="RESTRICT"), nullable=False,
                                                    index=True)
    kind: Mapped[DisputeKind] = mapped_column(str_enum(DisputeKind, "dispute_kind"), nullable=False)
    summary: Mapped[str] = mapped_column(String(500), nullable=False)
    parties_sealed: Mapped[str] = mapped_column(Text, nullable=False)
    party_count: Mapped[int] = mapped_column(Integer, nullable=False)
    risk_level: Mapped[AttentionLevel] = mapped_column(str_enum(AttentionLevel, "dispute_risk"), nullable=False)
    status: Mapped[DisputeStatus] = mapped_column(str_enum(DisputeStatus, "dispute_status"), nullable=False)
    mediator_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    mediation_team: Mapped[str | None] = mapped_column(String(100))
    matter_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("matters.id", ondelete="SET NULL"), index=True)
    visit_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("visits.id", ondelete="SET NULL"))
    outcome: Mapped[DisputeOutcome | None] = mapped_column(str_enum(DisputeOutcome, "dispute_outcome"))
    closing_note: Mapped[str | None] = mapped_column(String(500))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    registered_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), nullable=False)
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()

    grid_cell: Mapped[GridCell] = relationship(lazy="joined", innerjoin=True)
    mediator: Mapped[User | None] = relationship(lazy="joined", foreign_keys=[mediator_id])

    __table_args__ = (
        CheckConstraint("party_count BETWEEN 2 AND 50", name="two_parties_or_more"),
        CheckConstraint("(status = 'closed') = (outcome IS NOT NULL AND closed_at IS NOT NULL)", name="closed_with_outcome"),
    )


class MediationSession(Base):
    """One mediation session (调解) of a dispute, with its notes sealed."""

    __tablename__ = "mediation_sessions"

    id: Mapped[uuid.UUID] = uuid_pk()
    dispute_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("disputes.id", ondelete="CASCADE"), nullable=False,
                                                  index=True)
    held_on: Mapped[date] = mapped_column(Date, nullable=False)
    mediator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), nullable=False)
    notes_sealed: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = created_at()
