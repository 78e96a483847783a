"""Disputes (矛盾纠纷) and their mediation (调解): plain functions. Parties and session notes are
sealed (AES-256-GCM) like the other sensitive records."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from api.errors import Conflict, Forbidden, ValidationFailed
from api.policy import Scope, can, cells_under, get_or_404, scope_rule, scoped
from api.population.service import people_in_scope
from api.rollup import roll_up
from models import (
    Dispute,
    DisputeOutcome,
    DisputeStatus,
    GridCell,
    Matter,
    MatterEvent,
    MediationSession,
    User,
    Visit,
)

PARTIES, NOTES = "dispute_parties", "mediation_notes"


class Msg:
    cell_needed = ("请指定网格，或从事件、走访发现登记。", "Give grid_cell_id, or start from a matter or a visit.")
    no_dispute_finding = ("该走访没有矛盾纠纷类发现。", "This visit has no dispute finding.")
    closed = ("纠纷已结案。", "The dispute is closed.")
    cell_mismatch = ("网格与来源事件/走访不一致。", "grid_cell_id differs from the matter's or visit's cell.")


@scope_rule(Dispute)
def _dispute_rule(scope: Scope):
    return Dispute.grid_cell_id.in_(cells_under(scope.place_paths))


def register(db: Session, scope: Scope, actor: User, cipher, data: dict) -> Dispute:
    cell_id = None
    if data.get("matter_id") is not None:
        matter = get_or_404(db, Matter, data["matter_id"], scope, field="matter_id")
        cell_id = matter.grid_cell_id
    if data.get("visit_id") is not None:
        visit = get_or_404(db, Visit, data["visit_id"], scope, field="visit_id")
        if not any(f.get("tag") == "dispute" for f in visit.findings):
            raise ValidationFailed({"visit_id": [Msg.no_dispute_finding]})
        cell_id = cell_id or visit.grid_cell_id
    if data.get("grid_cell_id") is not None:
        cell = get_or_404(db, GridCell, data["grid_cell_id"], scope, field="grid_cell_id")
        if cell_id is not None and cell.id != cell_id:
            raise ValidationFailed({"grid_cell_id": [Msg.cell_mismatch]})
        cell_id = cell.id
    if cell_id is None:
        raise ValidationFailed({"grid_cell_id": [Msg.cell_needed]})
    parties = people_in_scope(db, scope, data["parties"], "parties")
    mediator = get_or_404(db, User, data["mediator_id"], scope, field="mediator_id") if data.get("mediator_id") else None
    dispute = Dispute(grid_cell_id=cell_id, kind=data["kind"], summary=data["summary"],
                      parties_sealed=cipher.seal(PARTIES, {"parties": parties}), party_count=len(parties),
                      risk_level=data["risk_level"], status=DisputeStatus.registered,
                      mediator_id=mediator.id if mediator else None, mediation_team=data.get("mediation_team"),
                      matter_id=data.get("matter_id"), visit_id=data.get("visit_id"), registered_by_id=actor.id)
    db.add(dispute)
    db.flush()
    if dispute.matter_id is not None:  # the matter's timeline shows where it went
        db.add(MatterEvent(matter_id=dispute.matter_id, at=datetime.now(UTC), actor_id=actor.id,
                           actor_role=actor.role.value, action="link_dispute", from_status=matter.status.value,
                           to_status=matter.status.value, data={"dispute_id": str(dispute.id)}))
    return dispute


def _check_open(dispute: Dispute) -> None:
    if dispute.status == DisputeStatus.closed:
        raise Conflict(errors={"status": [Msg.closed]})


def add_session(db: Session, actor: User, cipher, dispute: Dispute, data: dict) -> MediationSession:
    _check_open(dispute)
    session = MediationSession(dispute_id=dispute.id, held_on=data["held_on"], mediator_id=actor.id,
                               notes_sealed=cipher.seal(NOTES, {"notes": data["notes"]}))
    db.add(session)
    dispute.status = DisputeStatus.mediating
    db.flush()
    return session


def close(db: Session, scope: Scope, actor: User, dispute: Dispute, data: dict) -> Dispute:
    """Community staff and above close a dispute, and so does its own mediator."""
    if not can(scope.role, "disputes.close") and dispute.mediator_id != actor.id:
        raise Forbidden()
    _check_open(dispute)
    dispute.status, dispute.outcome = DisputeStatus.closed, data["outcome"]
    dispute.closing_note, dispute.closed_at = data.get("note"), datetime.now(UTC)
    db.flush()
    return dispute


def list_disputes(scope: Scope, *, status=None, kind=None, risk_level=None, grid_cell_id=None, mine=False) -> Select:
    stmt = select(Dispute)
    for column, value in ((Dispute.status, status), (Dispute.kind, kind), (Dispute.risk_level, risk_level),
                          (Dispute.grid_cell_id, grid_cell_id)):
        if value is not None:
            stmt = stmt.where(column == value)
    if mine:
        stmt = stmt.where(Dispute.mediator_id == scope.actor_id)
    return scoped(stmt, Dispute, scope).order_by(Dispute.created_at.desc(), Dispute.id)


def detail(db: Session, cipher, dispute: Dispute) -> dict:
    sessions = db.execute(select(MediationSession, User).join(User, User.id == MediationSession.mediator_id)
                          .where(MediationSession.dispute_id == dispute.id)
                          .order_by(MediationSession.held_on, MediationSession.created_at)).unique().all()
    return {"parties": cipher.unseal(PARTIES, dispute.parties_sealed)["parties"],
            "sessions": [{"id": s.id, "held_on": s.held_on, "mediator": user,
                          "notes": cipher.unseal(NOTES, s.notes_sealed)["notes"]} for s, user in sessions]}


def stats(db: Session, scope: Scope, level: str | None = None) -> list[dict]:
    """Mediation success rate (调解成功率) per cell, community and street: agreements ÷ closed."""
    closed = Dispute.status == DisputeStatus.closed
    rows = roll_up(db, scope, Dispute.__table__, Dispute.grid_cell_id,
                   {"registered": func.count(), "open": func.count().filter(~closed), "closed": func.count().filter(closed),
                    "agreements": func.count().filter(Dispute.outcome == DisputeOutcome.agreement)}, level)
    for row in rows:
        row["success_rate_percent"] = round(row["agreements"] / row["closed"] * 100, 1) if row["closed"] else None
    return rows
