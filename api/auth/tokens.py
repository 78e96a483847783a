"""Access tokens (short-lived JWTs, HS256) and opaque refresh tokens (only their hash is stored)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from datetime import UTC, datetime, timedelta

import jwt

ALGORITHM = "HS256"
ISSUER = "gridgov"


def issue_access_token(*, secret: str, user_id: uuid.UUID, session_id: uuid.UUID, role: str, ttl: int,
                       now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    claims = {
        "iss": ISSUER,
        "sub": str(user_id),
        "sid": str(session_id),
        "role": role,
        "typ": "access",
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=ttl)).timestamp()),
        "jti": secrets.token_hex(8),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode_access_token(token: str, *, secret: str) -> dict | None:
    """The claims of a valid access token, or None (forged, ``alg: none``, expired, wrong type)."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],  # a fixed list: "none" and other algorithms are refused
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "sid", "typ"]},
        )
    except jwt.PyJWTError:
        return None
    if claims.get("typ") != "access":
        return None
    try:
        claims["sub"] = uuid.UUID(claims["sub"])
        claims["sid"] = uuid.UUID(claims["sid"])
    except (ValueError, TypeError):
        return None
    return claims


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def hash_refresh_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def csrf_token(*, secret: str, session_id: uuid.UUID) -> str:
    """The CSRF token of a cookie session: bound to the session, so nothing is stored for it."""
    return hmac.new(secret.encode(), f"csrf:{session_id}".encode(), hashlib.sha256).hexdigest()
