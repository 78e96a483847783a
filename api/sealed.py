"""Every column sealed with the PII key, and the rotation that re-seals them with the current key.

A rotation (密钥轮换): set the new key with a new ``PII_KEY_ID``, keep the old one in
``PII_PREVIOUS_KEYS``, run ``flask pii rotate`` (batches, each committed; safe to interrupt and run
again), then remove the old key. Lookup hashes of identity numbers use their own key and stay."""

from __future__ import annotations

from sqlalchemy import String, cast, literal, select
from sqlalchemy.orm import Session

from api import audit
from api.disputes.service import NOTES, PARTIES
from models import Dispute, FollowedPerson, FollowUp, MediationSession, Resident

BATCH = 500


def _columns():
    """(name, select of (row, purpose), the sealed attribute) for each sealed column."""
    yield "residents.id_number_cipher", select(Resident, literal("id_number")), "id_number_cipher"
    yield "followed_persons.details_sealed", select(FollowedPerson, FollowedPerson.kind), "details_sealed"
    yield ("follow_ups.observations_sealed",
           select(FollowUp, cast(FollowedPerson.kind, String) + "_follow_up").join(FollowedPerson, FollowedPerson.id == FollowUp.person_id),
           "observations_sealed")
    yield "disputes.parties_sealed", select(Dispute, literal(PARTIES)), "parties_sealed"
    yield "mediation_sessions.notes_sealed", select(MediationSession, literal(NOTES)), "notes_sealed"


def rotate(db: Session, cipher, *, batch: int = BATCH) -> dict:
    """Re-seal, with the current key, every token made with a previous one; returns counts per column."""
    counts = {}
    for name, stmt, attribute in _columns():
        model = stmt.column_descriptions[0]["entity"]
        column = getattr(model, attribute)
        stale = column.isnot(None) & ~column.startswith(f"v{cipher.key_id}:", autoescape=True)
        done = 0
        while True:
            rows = db.execute(stmt.where(stale).order_by(model.id).limit(batch).with_for_update(of=model)).unique().all()
            if not rows:
                break
            for row, purpose in rows:
                purpose = purpose.value if hasattr(purpose, "value") else purpose
                setattr(row, attribute, cipher.rewrap(str(purpose), getattr(row, attribute)))
            done += len(rows)
            audit.record("pii.rotate", object_type=name.split(".")[0], actor_username="system",
                         detail={"column": name, "rows": len(rows), "key_id": cipher.key_id})
            db.commit()
        counts[name] = done
    return counts
