"""Logging in, refreshing, logging out, and ending sessions. Plain functions, no Flask imports."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import case, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from api.auth import passwords, tokens
from models import AuthSession, LoginThrottle, RefreshToken, User


@dataclass(frozen=True)
class AuthSettings:
    secret: str
    access_ttl: int
    session_ttl: int
    idle_timeout: int
    max_failures: int
    lock_seconds: int

    @classmethod
    def from_config(cls, config) -> AuthSettings:
        return cls(
            secret=config["SECRET_KEY"],
            access_ttl=config["ACCESS_TOKEN_TTL"],
            session_ttl=config["REFRESH_SESSION_TTL"],
            idle_timeout=config["SESSION_IDLE_TIMEOUT"],
            max_failures=config["LOGIN_MAX_FAILURES"],
            lock_seconds=config["LOGIN_LOCK_SECONDS"],
        )


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str
    expires_in: int
    session_id: uuid.UUID


@dataclass(frozen=True)
class LoginOutcome:
    """What happened, for the audit log, plus the tokens on success."""

    user: User | None
    tokens: Tokens | None
    reason: str | None = None


def _now() -> datetime:
    return datetime.now(UTC)


def find_login_user(db: Session, login: str) -> User | None:
    """A username (any case) or an 11-digit mobile number. Usernames may not look like mobile
    numbers, so the two never collide; a username match would win all the same."""
    login = login.strip()
    by_name = func.lower(User.username) == login.lower()
    return db.scalars(
        select(User).where(or_(by_name, User.phone == login)).order_by(by_name.desc())
    ).unique().first()


def login_key(login: str) -> str:
    """Attempts are counted per name as typed (a username, or a phone number): unknown names lock
    exactly like real ones, and one name's lock says nothing about any other name."""
    return f"login:{login.strip().lower()[:90]}"


def reserve_attempt(db: Session, key: str, settings: AuthSettings) -> int:
    """Count an attempt *before* the password is checked, atomically, and answer how many seconds
    ``key`` is locked for (0: go ahead). Parallel guesses each take a slot, so at most
    ``max_failures`` attempts get through per lock period. The caller commits at once, so that
    concurrent requests see the count, and refunds the slot on success (:func:`clear_attempts`)."""
    now = _now()
    window = timedelta(seconds=settings.lock_seconds)
    locked = LoginThrottle.locked_until > now
    stmt = (
        insert(LoginThrottle)
        .values(key=key, failures=1, last_failure_at=now)
        .on_conflict_do_update(
            index_elements=[LoginThrottle.key],
            set_={
                "failures": case((locked, LoginThrottle.failures),
                                 (LoginThrottle.last_failure_at > now - window, LoginThrottle.failures + 1),
                                 else_=1),
                "last_failure_at": case((locked, LoginThrottle.last_failure_at), else_=now),
            },
        )
        .returning(LoginThrottle.failures, LoginThrottle.locked_until)
    )
    failures, locked_until = db.execute(stmt).one()
    if locked_until is not None and locked_until > now:
        return int((locked_until - now).total_seconds()) + 1
    if failures > settings.max_failures:
        db.execute(update(LoginThrottle).where(LoginThrottle.key == key).values(failures=0, locked_until=now + window))
        return settings.lock_seconds
    return 0


def clear_attempts(db: Session, *keys: str) -> None:
    db.execute(update(LoginThrottle).where(LoginThrottle.key.in_(keys)).values(failures=0, locked_until=None))


def start_session(db: Session, user: User, settings: AuthSettings, *, ip: str | None, user_agent: str | None,
                  now: datetime | None = None) -> Tokens:
    now = now or _now()
    session = AuthSession(
        id=uuid.uuid4(),
        user_id=user.id,
        created_at=now,
        last_refreshed_at=now,
        expires_at=now + timedelta(seconds=settings.session_ttl),
        idle_expires_at=now + timedelta(seconds=settings.idle_timeout),
        ip=ip,
        user_agent=(user_agent or "")[:200] or None,
    )
    db.add(session)
    return _issue(db, user, session, settings, now)


def _issue(db: Session, user: User, session: AuthSession, settings: AuthSettings, now: datetime) -> Tokens:
    refresh = tokens.new_refresh_token()
    db.add(RefreshToken(token_hash=tokens.hash_refresh_token(refresh), session=session, issued_at=now))
    access = tokens.issue_access_token(
        secret=settings.secret, user_id=user.id, session_id=session.id, role=user.role.value,
        ttl=settings.access_ttl, now=now,
    )
    return Tokens(access_token=access, refresh_token=refresh, expires_in=settings.access_ttl, session_id=session.id)


def login(db: Session, login_name: str, password: str, settings: AuthSettings, hasher, *, ip: str | None,
          user_agent: str | None) -> LoginOutcome:
    """Check a password whose attempt was already counted (:func:`reserve_attempt`). Returns the
    tokens, or why not: invalid_credentials (the same whether or not the account exists; unknown
    names spend the same argon2 time) or account_disabled (only with the right password)."""
    now = _now()
    user = find_login_user(db, login_name)
    if user is None:
        passwords.burn_time(hasher, password)
        return LoginOutcome(user=None, tokens=None, reason="invalid_credentials")
    ok, needs_rehash = passwords.verify_password(hasher, user.password_hash, password)
    if not ok:
        return LoginOutcome(user=user, tokens=None, reason="invalid_credentials")
    if not user.is_active:
        return LoginOutcome(user=user, tokens=None, reason="account_disabled")
    if needs_rehash:
        user.password_hash = passwords.hash_password(hasher, password)
    clear_attempts(db, login_key(login_name))
    user.last_login_at = now
    return LoginOutcome(user=user, tokens=start_session(db, user, settings, ip=ip, user_agent=user_agent, now=now))


def refresh(db: Session, refresh_token: str, settings: AuthSettings) -> tuple[User | None, Tokens | None, str | None]:
    """Rotate a refresh token. A token used twice means it leaked: the session is revoked."""
    now = _now()
    row = db.execute(
        select(RefreshToken, AuthSession)
        .join(AuthSession, AuthSession.id == RefreshToken.session_id)
        .where(RefreshToken.token_hash == tokens.hash_refresh_token(refresh_token))
        .with_for_update(of=[RefreshToken, AuthSession])
    ).unique().one_or_none()
    if row is None:
        return None, None, "unknown"
    token, session = row
    user = session.user
    if token.used_at is not None:
        if session.revoked_at is None:
            session.revoked_at, session.revoked_reason = now, "refresh_reuse"
        return user, None, "reused"
    if session.revoked_at is not None or session.expires_at <= now or session.idle_expires_at <= now:
        return user, None, "expired"
    if not user.is_active:
        return user, None, "disabled"
    token.used_at = now
    session.last_refreshed_at = now
    session.idle_expires_at = min(now + timedelta(seconds=settings.idle_timeout), session.expires_at)
    return user, _issue(db, user, session, settings, now), None


def revoke_session(db: Session, session_id: uuid.UUID, reason: str) -> None:
    db.execute(
        update(AuthSession)
        .where(AuthSession.id == session_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=func.now(), revoked_reason=reason)
    )


def revoke_user_sessions(db: Session, user_id: uuid.UUID, reason: str, *, keep: uuid.UUID | None = None) -> int:
    """End every session of an account (all but ``keep``): disabling, password change."""
    stmt = update(AuthSession).where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
    if keep is not None:
        stmt = stmt.where(AuthSession.id != keep)
    return db.execute(stmt.values(revoked_at=func.now(), revoked_reason=reason)).rowcount


def unlock(db: Session, user: User) -> None:
    """Lift the locks on every name the account logs in with."""
    clear_attempts(db, *(login_key(name) for name in (user.username, user.phone) if name))

