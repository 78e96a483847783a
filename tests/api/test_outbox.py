"""The background worker drains the outbox in one round, a batch per transaction."""

from __future__ import annotations

from sqlalchemy import func, select, text

from api.notifications.service import deliver_all
from models import Notification, OutboxMessage, User


def test_a_round_drains_more_than_a_batch(db, clean_matters):
    resident = db.scalar(select(User.id).where(User.username == "resident"))
    db.execute(text("INSERT INTO outbox (topic, recipient_id, payload) "
                    "SELECT 'matter.accepted', :user, jsonb_build_object('number', n) FROM generate_series(1, 450) n"),
               {"user": resident})
    assert deliver_all(db, batch=200) == 450
    assert db.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.delivered_at.is_(None))) == 0
    assert db.scalar(select(func.count(func.distinct(Notification.outbox_id)))) == 450
