"""``Idempotency-Key`` on creates a phone may retry (Stripe's design; the IETF httpapi draft).

Same key + same request → the first answer again (header ``Idempotent-Replayed: true``); same key +
another request → 422; the same key sent again while the first is still running → 409
``idempotency_in_progress`` (the client retries later and gets the first's answer; see
:func:`idempotent`). Keys are per user and kept ``IDEMPOTENCY_TTL`` seconds (24 h at least). The
key's row commits in the same transaction as the business row, its audit row and its outbox row,
so a crash cannot separate them.
"""

from __future__ import annotations

import functools
import hashlib
import json
import random
import re
from copy import deepcopy
from datetime import UTC, datetime, timedelta

from flask import Response, current_app, g, request
from flask_smorest.utils import deepupdate
from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert

from api.context import actor
from api.errors import Conflict, ValidationFailed
from models.db import db_session
from models.idempotency import IdempotencyKey

HEADER = "Idempotency-Key"
KEY_FORMAT = re.compile(r"^[\x21-\x7e]{1,100}$")


def commit() -> None:
    """Commit the request's transaction, unless an idempotent request will commit it together
    with its stored answer."""
    if g.get("defer_commit"):
        db_session.flush()
    else:
        db_session.commit()


def _fingerprint() -> str:
    """The request as the server understands it: a JSON body is compared by content, so a retry
    that orders its keys differently is still the same request; a multipart upload by its fields
    and the bytes of its files."""
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.path}\n".encode())
    if request.mimetype == "multipart/form-data":  # an upload: its fields and files, not the random boundary
        for name, value in sorted(request.form.items(multi=True)):
            digest.update(f"{name}={value}\n".encode())
        for name, upload in sorted(request.files.items(multi=True), key=lambda item: item[0]):
            digest.update(f"{name}:{hashlib.sha256(upload.read()).hexdigest()}\n".encode())
            upload.seek(0)
        return digest.hexdigest()
    body = request.get_data(cache=True)
    if request.is_json:
        try:
            body = json.dumps(json.loads(body), sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
        except ValueError:
            pass  # not JSON after all: the raw bytes, and the schema will say what is wrong
    digest.update(body)
    return digest.hexdigest()


def _replay(stored: IdempotencyKey, fingerprint: str) -> Response:
    if stored.request_hash != fingerprint:
        raise ValidationFailed({HEADER: [("该键已用于另一个请求。", "This key was used for another request.")]},
                               error="idempotency_key_reused")
    replay = Response(stored.response_body, status=stored.status_code, mimetype="application/json")
    replay.headers["Idempotent-Replayed"] = "true"
    return replay


def lock_id(user_id, key: str) -> int:
    """The advisory lock (a signed 64-bit number) that a request with this user's key holds while it runs."""
    digest = hashlib.sha256(f"idempotency\n{user_id}\n{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _claim(user_id, key: str) -> bool:
    """Take the key's advisory lock for this transaction (released by its commit or rollback, or by
    the connection's end if the process dies): False when another request with the key holds it."""
    return bool(db_session.execute(select(func.pg_try_advisory_xact_lock(lock_id(user_id, key)))).scalar())


def _stored(user_id, key: str) -> IdempotencyKey | None:
    return db_session.scalars(select(IdempotencyKey).where(
        IdempotencyKey.user_id == user_id, IdempotencyKey.key == key,
        IdempotencyKey.expires_at > datetime.now(UTC))).one_or_none()


def idempotent(view):
    """Decorate a create (inside ``@authenticated``): honour the ``Idempotency-Key`` header.

    First the key's advisory lock is taken for the request's transaction: a request with the same
    key still running holds it, and the retry answers 409 ``idempotency_in_progress`` at once
    (RELIABILITY.md; the IETF draft's rule). Then the key's live row is read (a retry is answered
    from it); the view's writes and the key's row with its answer commit together, the row
    inserted last. Should two first uses still overlap (a view that commits early releases the
    lock), only one can insert the key (its primary key): the other waits for it at that insert,
    rolls its own writes back and replays the winner's answer. A key whose row has expired is used
    afresh."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return view(*args, **kwargs)
        if not KEY_FORMAT.match(key):
            raise ValidationFailed({HEADER: [("须为 1～100 个可见 ASCII 字符。", "1 to 100 visible ASCII characters.")]})
        user_id = actor().id
        fingerprint = _fingerprint()
        if not _claim(user_id, key):
            raise Conflict("idempotency_in_progress")
        stored = _stored(user_id, key)
        if stored is not None:
            return _replay(stored, fingerprint)
        g.defer_commit = True
        try:
            response = view(*args, **kwargs)
        finally:
            g.defer_commit = False
        now = datetime.now(UTC)
        row = {"user_id": user_id, "key": key, "request_hash": fingerprint, "endpoint": request.endpoint or "",
               "status_code": response.status_code, "response_body": response.get_data(as_text=True),
               "created_at": now, "expires_at": now + timedelta(seconds=current_app.config["IDEMPOTENCY_TTL"])}
        table = IdempotencyKey.__table__
        claimed = db_session.execute(
            insert(table).values(row)
            .on_conflict_do_update(index_elements=[table.c.user_id, table.c.key], set_=row,
                                   where=table.c.expires_at <= now)  # an expired key is taken afresh
            .returning(table.c.key)
        ).first()
        if claimed is None:  # another request with this key committed first: its answer, not ours
            db_session.rollback()
            stored = _stored(user_id, key)
            if stored is None:  # (it expired in between)
                raise Conflict("idempotency_in_progress")
            return _replay(stored, fingerprint)
        if random.random() < 0.01:  # expired keys go without a separate job
            db_session.execute(delete(IdempotencyKey).where(IdempotencyKey.expires_at < now))
        db_session.commit()
        return response

    wrapper._apidoc = deepcopy(getattr(wrapper, "_apidoc", {}))
    wrapper._apidoc["manual_doc"] = deepupdate(deepcopy(wrapper._apidoc.get("manual_doc", {})), {"parameters": [{
        "in": "header", "name": HEADER, "required": False, "schema": {"type": "string", "maxLength": 100},
        "description": "Retry-safe create: the same key and body replay the first answer; another body → 422; "
                       "the same key while the first request is still running → 409.",
    }]})
    return wrapper
