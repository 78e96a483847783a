"""Authentication: login, refresh, logout, the current user, changing one's password."""

from __future__ import annotations

from flask import current_app, make_response, request
from flask.views import MethodView
from sqlalchemy import func

from api import audit, ratelimit
from api.auth import passwords, service
from api.auth.schemas import LoginSchema, MeSchema, PasswordChangeSchema, RefreshSchema, TokenSchema
from api.auth.tokens import csrf_token
from api.context import actor, authenticated, check_csrf_for_refresh, client_ip
from api.errors import DomainError, TooManyRequests, Unauthorized, ValidationFailed, field_error, localized
from api.extensions import MOBILE_RE, Blueprint, ErrorSchema
from models import Role
from models.db import db_session

blp = Blueprint("auth", __name__, url_prefix="/api/v1", description="Login, tokens and the current user (登录与账号)")


def _settings() -> service.AuthSettings:
    return service.AuthSettings.from_config(current_app.config)


def _hasher():
    return passwords.hasher_from(current_app.config)


def _loggable(login: str) -> str:
    """What the audit log keeps of a name that matched no account: a mobile number is masked."""
    login = login.strip()[:64]
    return login[:3] + "****" + login[-4:] if MOBILE_RE.match(login) else login


def _token_body(tokens: service.Tokens) -> dict:
    return {"access_token": tokens.access_token, "refresh_token": tokens.refresh_token, "token_type": "Bearer",
            "expires_in": tokens.expires_in}


ACCESS_COOKIE, REFRESH_COOKIE, CSRF_COOKIE = "gridgov_access", "gridgov_refresh", "gridgov_csrf"


def _answer(tokens: service.Tokens, as_cookies: bool):
    """The tokens in the body (apps), or in httpOnly cookies that scripts cannot read (browsers),
    with a CSRF token bound to the session for the writes."""
    if not as_cookies:
        return _token_body(tokens), 200, {"Cache-Control": "no-store"}
    config = current_app.config
    csrf = csrf_token(secret=config["SECRET_KEY"], session_id=tokens.session_id)
    response = make_response({"token_type": "cookie", "expires_in": tokens.expires_in, "csrf_token": csrf})
    common = {"secure": config["COOKIE_SECURE"], "samesite": "Strict"}
    # the cookie outlives the token in it, so that an expired session can still be refreshed
    response.set_cookie(ACCESS_COOKIE, tokens.access_token, max_age=config["REFRESH_SESSION_TTL"], httponly=True,
                        path="/", **common)
    response.set_cookie(REFRESH_COOKIE, tokens.refresh_token, max_age=config["REFRESH_SESSION_TTL"], httponly=True,
                        path="/api/v1/auth", **common)
    response.set_cookie(CSRF_COOKIE, csrf, max_age=config["REFRESH_SESSION_TTL"], httponly=False, path="/", **common)
    response.headers["Cache-Control"] = "no-store"
    return response


def _forget_cookies(response):
    for name, path in ((ACCESS_COOKIE, "/"), (REFRESH_COOKIE, "/api/v1/auth"), (CSRF_COOKIE, "/")):
        response.delete_cookie(name, path=path, secure=current_app.config["COOKIE_SECURE"], samesite="Strict")
    return response


@blp.route("/auth/login")
class Login(MethodView):
    @blp.arguments(LoginSchema)
    @blp.response(200, TokenSchema)
    @blp.alt_response(401, schema=ErrorSchema, description="Wrong username or password (the same answer for unknown users)")
    @blp.alt_response(403, schema=ErrorSchema, description="Account disabled")
    @blp.alt_response(429, schema=ErrorSchema, description="Too many attempts, or the account is locked for a while")
    def post(self, body):
        """Log in with a username or mobile number and a password."""
        ip = client_ip()
        ratelimit.hit(f"login-ip:{ip}", limit=current_app.config["LOGIN_RATE_PER_MINUTE"], window_seconds=60)
        locked = service.reserve_attempt(db_session, service.login_key(body["username"]), _settings())
        db_session.commit()  # the attempt counts, and concurrent guesses see it, before argon2 runs
        if locked:
            passwords.burn_time(_hasher(), body["password"])
            audit.record("auth.login", outcome="denied", object_type="user",
                         actor_username=_loggable(body["username"]), detail={"reason": "login_locked"})
            db_session.commit()
            raise TooManyRequests("login_locked", retry_after=locked)
        outcome = service.login(db_session, body["username"], body["password"], _settings(), _hasher(),
                                ip=ip, user_agent=request.user_agent.string)
        user = outcome.user
        audit.record(
            "auth.login",
            outcome="success" if outcome.tokens else "failure",
            object_type="user",
            object_id=user.id if user else None,
            actor_user=user,
            actor_username=None if user else _loggable(body["username"]),
            detail=None if outcome.tokens else {"reason": outcome.reason},
        )
        db_session.commit()
        if outcome.reason == "account_disabled":
            raise DomainError("account_disabled", status=403)
        if outcome.tokens is None:
            raise Unauthorized("invalid_credentials")
        return _answer(outcome.tokens, body["cookie"])


@blp.route("/auth/refresh")
class Refresh(MethodView):
    @blp.arguments(RefreshSchema)
    @blp.response(200, TokenSchema)
    @blp.alt_response(401, schema=ErrorSchema, description="Unknown, used, expired or revoked refresh token")
    def post(self, body):
        """Trade a refresh token for new tokens. Each refresh token works once; using one twice
        ends its session (the token was stolen). In a cookie session the cookie's is used (with
        the X-CSRF-Token header) and new cookies are set."""
        from_cookie = "refresh_token" not in body and request.cookies.get(REFRESH_COOKIE) is not None
        if from_cookie:
            check_csrf_for_refresh()
        elif "refresh_token" not in body:
            raise ValidationFailed({"refresh_token": [("缺少刷新凭证。", "Missing.")]})
        token = request.cookies[REFRESH_COOKIE] if from_cookie else body["refresh_token"]
        user, tokens, problem = service.refresh(db_session, token, _settings())
        audit.record("auth.refresh", outcome="success" if tokens else "denied", object_type="user",
                     object_id=user.id if user else None, actor_user=user,
                     detail={"reason": problem} if problem else None)
        db_session.commit()
        if tokens is None:
            raise Unauthorized("invalid_refresh_token")
        return _answer(tokens, from_cookie)


@blp.route("/auth/logout")
class Logout(MethodView):
    @authenticated()
    @blp.response(204)
    def post(self):
        """End the current session: its access and refresh tokens stop working at once."""
        current = actor()
        service.revoke_session(db_session, current.session_id, "logout")
        audit.record("auth.logout", object_type="session", object_id=current.session_id)
        db_session.commit()
        return _forget_cookies(make_response("", 204))


def me_payload(user) -> dict:
    place = user.place
    payload = {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "phone": user.phone,
        "role": user.role.value,
        "place": place,
        "place_chain": [*place.ancestors(), place],
    }
    if user.role == Role.grid_member:
        payload["grid_cells"] = list(user.grid_cells)
    if user.role == Role.unit_staff:
        payload["unit"] = user.unit
    return payload


@blp.route("/me")
class Me(MethodView):
    @authenticated()
    @blp.response(200, MeSchema)
    def get(self):
        """The logged-in user, their place, and (by role) their grid cells or handling unit."""
        return me_payload(actor().user)


@blp.route("/me/password")
class MyPassword(MethodView):
    @authenticated()
    @blp.arguments(PasswordChangeSchema)
    @blp.response(204)
    @blp.alt_response(422, schema=ErrorSchema, description="Wrong current password, or the new one breaks the policy")
    def post(self, body):
        """Change one's own password. Every other session of the account ends."""
        current = actor()
        user = current.user
        hasher = _hasher()
        key = f"password-change:{user.id}"
        locked = service.reserve_attempt(db_session, key, _settings())
        db_session.commit()  # a stolen token may not guess the password at leisure
        if locked:
            raise TooManyRequests("login_locked", retry_after=locked)
        ok, _ = passwords.verify_password(hasher, user.password_hash, body["current_password"])
        if not ok:
            raise ValidationFailed(field_error("current_password", "当前密码不正确。", "The current password is wrong."))
        problems = passwords.password_problems(body["new_password"], user.username)
        if problems:
            raise ValidationFailed({"new_password": [localized(zh, en) for zh, en in problems]}, error="weak_password")
        service.clear_attempts(db_session, key)
        user.password_hash = passwords.hash_password(hasher, body["new_password"])
        user.password_changed_at = func.now()
        service.revoke_user_sessions(db_session, user.id, "password_changed", keep=current.session_id)
        audit.record("user.password_change", object_type="user", object_id=user.id)
        db_session.commit()
