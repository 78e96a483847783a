"""The acting user of a request, and the decorator that requires one.

``@authenticated("users.read")`` on a view: checks the bearer token (or a browser's httpOnly
cookie, whose writes must carry the session's ``X-CSRF-Token``) against its server-side
session (so logout and disabling an account take effect at once), loads the user, checks the
role may take the action (403), and sets :func:`actor` / :func:`scope` for the request.
"""

from __future__ import annotations

import functools
import hmac
import uuid
from copy import deepcopy
from dataclasses import dataclass
from datetime import UTC, datetime

import jwt
from flask import current_app, g, request
from flask_smorest.utils import deepupdate
from sqlalchemy import exists, select
from sqlalchemy.orm import lazyload

from api.auth.tokens import ALGORITHM, csrf_token, decode_access_token
from api.errors import Forbidden, Unauthorized
from api.policy import Scope, require
from models import AuthSession, Place, User
from models.db import db_session


@dataclass
class Actor:
    user: User
    session_id: uuid.UUID
    scope: Scope
    expires_at: float | None = None  # the access token's expiry (epoch seconds)

    @property
    def id(self) -> uuid.UUID:
        return self.user.id

    @property
    def role(self):
        return self.user.role


def actor() -> Actor:
    current = g.get("actor")
    if current is None:
        raise Unauthorized()
    return current


def scope() -> Scope:
    return actor().scope


def client_ip() -> str | None:
    return request.remote_addr


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    kind, _, token = header.partition(" ")
    if kind.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


ACCESS_COOKIE, CSRF_HEADER = "gridgov_access", "X-CSRF-Token"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def _csrf_ok(session_id) -> bool:
    sent = request.headers.get(CSRF_HEADER, "")
    return hmac.compare_digest(sent, csrf_token(secret=current_app.config["SECRET_KEY"], session_id=session_id))


def check_csrf_for_refresh() -> None:
    """A cookie session's refresh is a write: it needs the CSRF header of the session in the
    (possibly expired) access cookie."""
    try:  # an expired access token still names its session; the signature must hold
        claims = jwt.decode(request.cookies.get(ACCESS_COOKIE, ""), current_app.config["SECRET_KEY"],
                            algorithms=[ALGORITHM], options={"verify_exp": False})
        session_id = uuid.UUID(str(claims.get("sid")))
    except (jwt.PyJWTError, ValueError):
        raise Forbidden("csrf_failed") from None
    if not _csrf_ok(session_id):
        raise Forbidden("csrf_failed")


def load_actor() -> Actor:
    token = _bearer_token()
    from_cookie = token is None and request.cookies.get(ACCESS_COOKIE) is not None
    if from_cookie:  # a browser's cookie session (the console)
        token = request.cookies[ACCESS_COOKIE]
    if token is None:
        raise Unauthorized("unauthorized", headers={"WWW-Authenticate": 'Bearer realm="gridgov"'})
    claims = decode_access_token(token, secret=current_app.config["SECRET_KEY"])
    if claims is None:
        raise Unauthorized("invalid_token", headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    if from_cookie and request.method not in SAFE_METHODS and not _csrf_ok(claims["sid"]):
        raise Forbidden("csrf_failed")  # a write from a cookie needs the session's CSRF token
    now = datetime.now(UTC)
    # One query: the user and their place's path (for the scope), provided the session is live
    # (logout and disabling take effect at once). The place and unit objects load when a view
    # asks for them: most requests never do.
    row = db_session.execute(
        select(User, Place.path).join(Place, Place.id == User.place_id)
        .options(lazyload(User.place), lazyload(User.unit))
        .where(
            User.id == claims["sub"],
            User.is_active.is_(True),
            exists().where(AuthSession.id == claims["sid"], AuthSession.user_id == User.id,
                           AuthSession.revoked_at.is_(None), AuthSession.expires_at > now,
                           AuthSession.idle_expires_at > now),
        )
    ).one_or_none()
    if row is None:
        raise Unauthorized("invalid_token", headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    user, place_path = row
    current = Actor(user=user, session_id=claims["sid"], scope=Scope.for_user(user, place_path),
                    expires_at=claims.get("exp"))
    g.actor = current
    return current


def authenticated(action: str | None = None):
    """Require a valid access token, and when ``action`` is given, a role allowed to take it."""

    def decorate(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            current = load_actor()
            if action is not None:
                require(current.role, action)
            return view(*args, **kwargs)

        # Document the bearer requirement in the OpenAPI spec, as flask-smorest's @blp.doc does.
        wrapper._apidoc = deepcopy(getattr(wrapper, "_apidoc", {}))
        wrapper._apidoc["manual_doc"] = deepupdate(
            deepcopy(wrapper._apidoc.get("manual_doc", {})), {"security": [{"bearerAuth": []}]}
        )
        responses = wrapper._apidoc.setdefault("response", {}).setdefault("responses", {})
        responses.setdefault(401, ["UNAUTHORIZED"])  # references to flask-smorest's error responses
        if action is not None:
            responses.setdefault(403, ["FORBIDDEN"])
        wrapper.gridgov_action = action
        return wrapper

    return decorate


def cipher():
    """The app's identity cipher (AES-GCM for identity numbers and every sealed field)."""
    return current_app.extensions["gridgov.identity"]
