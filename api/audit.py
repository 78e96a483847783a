"""Writing the audit log (审计日志). Rows go into the request's transaction, so a write and its
audit row commit together; a refused or failed write is recorded after the rollback."""

from __future__ import annotations

import logging
import uuid

from flask import g, has_request_context, request
from sqlalchemy import inspect as sa_inspect

from api.errors import database_unavailable
from models import AuditEvent
from models.db import db_session

log = logging.getLogger(__name__)

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def record(action: str, *, outcome: str = "success", object_type: str | None = None, object_id=None,
           actor_user=None, detail: dict | None = None, actor_username: str | None = None) -> AuditEvent:
    """Add an audit row to the current transaction. ``detail`` must never hold personal data."""
    if actor_user is None and has_request_context() and g.get("actor") is not None:
        actor_user = g.actor.user
    event = AuditEvent(
        actor_id=getattr(actor_user, "id", None),
        actor_username=getattr(actor_user, "username", None) or actor_username,
        actor_role=getattr(getattr(actor_user, "role", None), "value", None),
        action=action,
        object_type=object_type,
        object_id=str(object_id) if object_id is not None else None,
        outcome=outcome,
        ip=request.remote_addr if has_request_context() else None,
        request_id=g.get("request_id") if has_request_context() else None,
        detail=detail,
    )
    db_session.add(event)
    if has_request_context():
        g.setdefault("audit_events", []).append(event)
    return event


def _committed(events) -> bool:
    """Whether one of the request's own audit rows made it into the database (a rollback after
    the flush leaves the object without an identity)."""
    return any(sa_inspect(event).has_identity and not sa_inspect(event).pending for event in events)


def _outcome_for(status: int) -> str:
    if status in (401, 403, 404):
        return "denied"
    if status >= 500:
        return "error"
    return "rejected"


def record_failed_write(response) -> None:
    """After-request hook: a write that did not succeed still leaves a trace, in its own commit."""
    if request.method not in WRITE_METHODS or response.status_code < 400 or _committed(g.get("audit_events", [])):
        return
    if not (request.path.startswith("/api/") or request.path.startswith("/open311/")):
        return
    try:
        db_session.rollback()
        record(
            request.endpoint or "unknown",
            outcome=_outcome_for(response.status_code),
            object_id=next(iter((request.view_args or {}).values()), None),
            detail={"method": request.method, "path": request.path[:200], "status": response.status_code},
        )
        db_session.commit()
    except Exception as exc:  # the database itself may be what failed; the answer must still go out
        db_session.rollback()
        if database_unavailable(exc):  # stopped or restarting: said once already, no stack trace
            log.warning("could not audit a failed %s %s: the database is unavailable", request.method, request.path)
        else:
            log.exception("could not audit a failed %s %s", request.method, request.path)


def new_request_id() -> str:
    incoming = request.headers.get("X-Request-ID", "")
    if 8 <= len(incoming) <= 64 and incoming.replace("-", "").isalnum():
        return incoming
    return uuid.uuid4().hex
