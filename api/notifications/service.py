"""Notifications through a transactional outbox (消息).

:func:`enqueue` writes outbox rows in the caller's transaction, so a message exists exactly when
the change that caused it committed. The worker (:func:`deliver_pending`) turns them into in-app
notifications at least once; a notification is keyed by its outbox id, so a second delivery of
the same message changes nothing. Texts are rendered in the reader's language when read.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from sqlalchemy import Select, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from models import Notification, OutboxMessage, User

# topic -> (Chinese title, English title, Chinese body, English body), formatted with the payload
TEMPLATES: dict[str, tuple[str, str, str, str]] = {
    "matter.accepted": ("事件已受理", "Matter accepted", "您上报的第 {number} 号事件已受理。",
                        "Your matter no. {number} was accepted."),
    "matter.rejected": ("事件未予受理", "Matter not accepted", "第 {number} 号事件未予受理：{note}",
                        "Matter no. {number} was not accepted: {note}"),
    "matter.dispatched": ("事件已派遣", "Matter dispatched", "第 {number} 号事件已派遣处置。",
                          "Matter no. {number} was dispatched for handling."),
    "matter.assigned": ("新派遣事件", "New matter for you", "第 {number} 号事件（{category}）派给了您，请在 {due} 前处置。",
                        "Matter no. {number} ({category}) is yours; handle it by {due}."),
    "matter.closed": ("事件已办结", "Matter closed", "第 {number} 号事件已办结，请评价。",
                      "Matter no. {number} is closed; please rate it."),
    "matter.merged": ("事件已合并", "Matter merged", "第 {number} 号事件与已有事件重复，已合并处理。",
                      "Matter no. {number} duplicated an earlier one and was merged into it."),
    "matter.urged": ("催办", "Reminder from a leader", "第 {number} 号事件被催办：{note}",
                     "Matter no. {number} was urged: {note}"),
    "matter.due_soon": ("事件即将超期", "Matter due soon", "第 {number} 号事件将于 {due} 到期。",
                        "Matter no. {number} is due at {due}."),
    "matter.overdue": ("事件已超期", "Matter overdue", "第 {number} 号事件已于 {due} 超期。",
                       "Matter no. {number} was due at {due}."),
    "incident.dispatched": ("新的出警任务", "New dispatch", "{level} 级突发事件第 {number} 号（{title}）派给了您，请立即确认。",
                            "Level {level} incident no. {number} ({title}) is yours: acknowledge now."),
    "incident.declined": ("出警被拒绝", "Dispatch declined", "{responder} 拒绝了第 {number} 号突发事件（{title}）的出警。",
                          "{responder} declined incident no. {number} ({title})."),
    "incident.unacknowledged": ("出警超时未确认", "Dispatch not acknowledged",
                                "{responder} 未按时确认第 {number} 号突发事件（{title}）的出警；最近的可派人员：{next_name}。",
                                "{responder} did not acknowledge incident no. {number} ({title}) in time; "
                                "nearest available: {next_name}."),
    "petition.due_soon": ("信访件即将到期", "Petition due soon", "一件信访件的{deadline_zh}将于 {due} 届满。",
                          "A petition's {deadline_en} ends on {due}."),
    "petition.overdue": ("信访件已超期", "Petition overdue", "一件信访件的{deadline_zh}已于 {due} 届满，请尽快办理。",
                         "A petition's {deadline_en} ended on {due}: act now."),
}

RETRY_BASE_SECONDS = 30


def enqueue(db: Session, topic: str, recipient_ids: Iterable[uuid.UUID], payload: dict) -> int:
    """Queue a message for each recipient, in the current transaction."""
    count = 0
    for recipient_id in dict.fromkeys(r for r in recipient_ids if r is not None):
        db.add(OutboxMessage(topic=topic, recipient_id=recipient_id, payload=payload))
        count += 1
    return count


def deliver_pending(db: Session, *, limit: int = 200, now: datetime | None = None) -> int:
    """Deliver due outbox rows (several workers may run: rows are claimed with SKIP LOCKED)."""
    now = now or datetime.now(UTC)
    rows = db.scalars(select(OutboxMessage).where(OutboxMessage.delivered_at.is_(None),
                                                  OutboxMessage.next_attempt_at <= now)
                      .order_by(OutboxMessage.id).limit(limit).with_for_update(skip_locked=True)).all()
    for row in rows:
        try:
            with db.begin_nested():
                if db.get(User, row.recipient_id) is not None:
                    db.execute(insert(Notification).values(
                        id=uuid.uuid4(), outbox_id=row.id, user_id=row.recipient_id, topic=row.topic,
                        payload=row.payload, matter_id=row.payload.get("matter_id"),
                    ).on_conflict_do_nothing(index_elements=[Notification.outbox_id]))
            row.delivered_at = now
        except Exception as exc:  # a bad row must not stop the others; retry later, backing off
            row.attempts += 1
            row.last_error = str(exc)[:500]
            row.next_attempt_at = now + timedelta(seconds=RETRY_BASE_SECONDS * 2 ** min(row.attempts, 10))
    return len(rows)


def deliver_all(db: Session, *, batch: int = 200) -> int:
    """Drain the due outbox, a batch per transaction (a Monday morning's notifications are not held
    to one batch per worker round); workers running side by side take different batches."""
    total = 0
    while True:
        delivered = deliver_pending(db, limit=batch)
        db.commit()
        total += delivered
        if delivered < batch:
            return total


def render(notification: Notification, lang: str) -> dict:
    zh_title, en_title, zh_body, en_body = TEMPLATES.get(notification.topic, (notification.topic,) * 4)
    params = {k: ("" if v is None else v) for k, v in notification.payload.items()}
    body = en_body if lang == "en" else zh_body
    try:
        body = body.format(**params)
    except (KeyError, IndexError):
        pass
    return {"id": notification.id, "topic": notification.topic, "title": en_title if lang == "en" else zh_title,
            "body": body, "matter_id": notification.matter_id,
            "petition_id": notification.payload.get("petition_id"),
            "incident_id": notification.payload.get("incident_id"), "created_at": notification.created_at,
            "read_at": notification.read_at}


def list_for(user_id: uuid.UUID, *, unread: bool | None = None) -> Select:
    stmt = select(Notification).where(Notification.user_id == user_id)
    if unread:
        stmt = stmt.where(Notification.read_at.is_(None))
    return stmt.order_by(Notification.created_at.desc(), Notification.id)


def mark_read(db: Session, user_id: uuid.UUID, ids: list[uuid.UUID] | None) -> int:
    stmt = update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    if ids is not None:
        stmt = stmt.where(Notification.id.in_(ids))
    return db.execute(stmt.values(read_at=datetime.now(UTC))).rowcount
