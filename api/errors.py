"""One error shape for every error, raised from services as typed domain errors and mapped once.

Every error answer is JSON::

    {"code": 422, "status": "Unprocessable Entity", "error": "validation_failed",
     "message": "请求数据有误。", "errors": {"field": ["…"]}}

``error`` is a stable machine name; ``message`` is Chinese unless the client asks for English
(``Accept-Language: en``).
"""

from __future__ import annotations

import logging
from http import HTTPStatus

from flask import Response, current_app, json, request
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

from api.i18n import negotiate, translate_errors

log = logging.getLogger(__name__)

# error name -> (Chinese, English). Messages may hold {placeholders} filled from the error's params.
MESSAGES: dict[str, tuple[str, str]] = {
    "bad_request": ("请求无效。", "The request is invalid."),
    "malformed_json": ("请求体不是有效的 JSON。", "The request body is not valid JSON."),
    "validation_failed": ("请求数据有误，请检查标出的字段。", "The request data is invalid; see the fields listed."),
    "unauthorized": ("需要登录。", "Authentication is required."),
    "invalid_token": ("登录凭证无效或已过期，请重新登录。", "The access token is invalid or has expired; log in again."),
    "invalid_credentials": ("用户名或密码错误。", "Wrong username or password."),
    "invalid_refresh_token": ("刷新凭证无效或已过期，请重新登录。", "The refresh token is invalid or has expired; log in again."),
    "account_disabled": ("该账号已停用。", "This account is disabled."),
    "forbidden": ("当前角色无权执行此操作。", "Your role may not do this."),
    "csrf_failed": ("缺少或错误的 X-CSRF-Token（请刷新页面后重试）。",
                    "Missing or wrong X-CSRF-Token (reload the page and try again)."),
    "not_found": ("找不到该资源。", "The resource was not found."),
    "method_not_allowed": ("不支持该请求方法。", "This method is not allowed here."),
    "conflict": ("与现有数据冲突。", "This conflicts with existing data."),
    "username_taken": ("用户名或手机号已被使用。", "The username or phone number is already in use."),
    "precondition_failed": ("数据已被他人修改，请刷新后重试。", "The record has changed since you read it; reload and try again."),
    "precondition_required": ("修改前需提供 If-Match 请求头。", "An If-Match header is required to change this record."),
    "payload_too_large": ("请求体过大（上限 {limit} 字节）。", "The request body is too large (limit {limit} bytes)."),
    "too_many_items": ("一次提交的条目过多：{field} 至多 {limit} 条。", "Too many items in one request: {field} holds at most {limit}."),
    "unsupported_media_type": ("不支持的内容类型。", "Unsupported content type."),
    "too_many_requests": ("请求过于频繁，请 {retry_after} 秒后再试。", "Too many requests; try again in {retry_after} s."),
    "login_locked": (
        "登录失败次数过多，请 {retry_after} 秒后再试。",
        "Too many failed logins; try again in {retry_after} s.",
    ),
    "idempotency_in_progress": ("相同的请求正在处理中，请稍后重试。",
                                "A request with this Idempotency-Key is still running; retry shortly."),
    "idempotency_key_reused": ("Idempotency-Key 已用于另一个请求。", "This Idempotency-Key was used for another request."),
    "invalid_transition": ("该操作与事件当前状态不符。", "This action does not fit the current state."),
    "weak_password": ("密码不符合要求。", "The password does not meet the policy."),
    "internal_error": ("服务器内部错误，请稍后重试。", "Internal server error; please try again later."),
    "service_unavailable": ("服务暂不可用。", "The service is unavailable."),
    "database_unavailable": ("数据库暂时不可用，请稍后重试（创建类请求请使用同一 Idempotency-Key）。",
                             "The database is unavailable for a moment; retry shortly (a create with the same "
                             "Idempotency-Key)."),
    "statement_timeout": ("查询超时，请缩小范围或 {retry_after} 秒后重试。",
                          "The query took too long; narrow it down or try again in {retry_after} s."),
}

DEFAULT_ERROR_BY_STATUS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    412: "precondition_failed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    428: "precondition_required",
    429: "too_many_requests",
    500: "internal_error",
    503: "service_unavailable",
}


class DomainError(Exception):
    """Raised by services; turned into the one error shape by :func:`handle_exception`."""

    status = 400
    error = "bad_request"

    def __init__(self, error: str | None = None, *, status: int | None = None, errors: dict | None = None,
                 headers: dict | None = None, **params):
        self.error = error or self.error
        self.status = status or self.status
        self.errors = errors or {}
        self.headers = headers or {}
        self.params = params
        super().__init__(self.error)


class BadRequest(DomainError):
    status, error = 400, "bad_request"


class Unauthorized(DomainError):
    status, error = 401, "unauthorized"


class Forbidden(DomainError):
    status, error = 403, "forbidden"


class NotFound(DomainError):
    status, error = 404, "not_found"


class Conflict(DomainError):
    status, error = 409, "conflict"


class ValidationFailed(DomainError):
    """A 422 naming the fields: ``ValidationFailed({"place_id": ["…"]})``."""

    status, error = 422, "validation_failed"

    def __init__(self, errors: dict | None = None, error: str | None = None, **kw):
        super().__init__(error, errors=errors, **kw)


class TooManyRequests(DomainError):
    status, error = 429, "too_many_requests"

    def __init__(self, error: str | None = None, *, retry_after: int = 60, **kw):
        retry_after = max(1, int(retry_after))
        super().__init__(error, headers={"Retry-After": str(retry_after)}, retry_after=retry_after, **kw)


def localized(zh: str, en: str) -> str:
    """Pick the caller's language for a message written in both."""
    return en if current_language() == "en" else zh


def field_error(field: str, zh: str, en: str) -> dict:
    """An ``errors`` entry in the caller's language."""
    return {field: [localized(zh, en)]}


def current_language() -> str:
    try:
        return negotiate(request.headers.get("Accept-Language"))
    except RuntimeError:  # outside a request
        return "zh"


def message_for(error: str, lang: str, params: dict | None = None) -> str:
    zh, en = MESSAGES.get(error, MESSAGES["bad_request"])
    template = en if lang == "en" else zh
    try:
        return template.format(**(params or {}))
    except (KeyError, IndexError):
        return template


def error_response(status: int, error: str | None = None, *, errors: dict | None = None,
                   params: dict | None = None, headers: dict | None = None) -> Response:
    lang = current_language()
    error = error or DEFAULT_ERROR_BY_STATUS.get(status, "bad_request")
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Error"
    body = {
        "code": status,
        "status": reason,
        "error": error,
        "message": message_for(error, lang, params),
        "errors": translate_errors(_localize(errors or {}, lang), lang),
    }
    response = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype="application/json")
    for key, value in (headers or {}).items():
        response.headers[key] = value
    response.headers["Content-Language"] = "en" if lang == "en" else "zh-CN"
    return response


def _localize(errors, lang: str):
    """Services write messages as (Chinese, English) pairs; pick the caller's language."""
    if isinstance(errors, tuple) and len(errors) == 2 and all(isinstance(m, str) for m in errors):
        return errors[1] if lang == "en" else errors[0]
    if isinstance(errors, dict):
        return {key: _localize(value, lang) for key, value in errors.items()}
    if isinstance(errors, (list, tuple)):
        return [_localize(value, lang) for value in errors]
    return errors


def _flatten_locations(messages) -> dict:
    """webargs keys errors by location ({"json": {...}, "query": {...}}); clients want fields."""
    if not isinstance(messages, dict):
        return {"_request": messages if isinstance(messages, list) else [str(messages)]}
    flat: dict = {}
    for location, errs in messages.items():
        if isinstance(errs, dict):
            for field, value in errs.items():
                flat.setdefault(field, value)
        else:
            flat[f"_{location}"] = errs if isinstance(errs, list) else [errs]
    return flat


def handle_http_exception(exc: HTTPException) -> Response:
    if request.path.startswith("/open311/"):  # Open311 clients expect the spec's error shape, even for 404/405
        from api.open311.resources import open311_http_error

        return open311_http_error(exc)
    status = exc.code or 500
    data = getattr(exc, "data", None) or {}
    messages = data.get("messages")
    error = None
    errors = None
    params: dict = {}
    headers = dict(data.get("headers") or {})
    if status == 400 and messages and "Invalid JSON body." in str(messages):
        error = "malformed_json"
    elif status == 422 and messages:
        errors = _flatten_locations(messages)
    elif status == 413:  # the cap of this request: an upload's or an import's may be higher
        params["limit"] = request.max_content_length or current_app.config.get("MAX_CONTENT_LENGTH")
    elif status == 429:
        params["retry_after"] = headers.get("Retry-After", 60)
    if status == 405 and exc.valid_methods if hasattr(exc, "valid_methods") else False:
        headers["Allow"] = ", ".join(exc.valid_methods)
    return error_response(status, error, errors=errors, params=params, headers=headers)


def handle_domain_error(exc: DomainError) -> Response:
    return error_response(exc.status, exc.error, errors=exc.errors, params=exc.params, headers=exc.headers)


# PostgreSQL error codes that mean "the request clashed with the data", not "the server broke".
_PG_CONFLICTS = {"23505": (409, "conflict"), "23503": (409, "conflict"), "23514": (422, "validation_failed"),
                 "40001": (409, "conflict"), "40P01": (409, "conflict")}
# query_canceled: a statement ran past DB_STATEMENT_TIMEOUT_MS (statement_timeout) and PostgreSQL
# cancelled it. The request's transaction is rolled back like any failed request's; the client is
# told to come back later rather than to retry at once into the same wall.
_QUERY_CANCELED = "57014"
STATEMENT_TIMEOUT_RETRY_AFTER = 30


# A database that is going away or not back yet: admin_shutdown (a fast or immediate stop),
# crash_shutdown, cannot_connect_now (starting up, recovering), too_many_connections; class 08 is
# the connection exceptions.
_PG_UNAVAILABLE = {"57P01", "57P02", "57P03", "53300"}


def database_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` says the database cannot be reached right now (stopped, restarting, the
    connection cut), not that the request or the code is wrong."""
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:  # SQLAlchemy saw the connection die; the pool drops it
        return True
    pgcode = getattr(exc.orig, "pgcode", None)
    if pgcode:
        return pgcode.startswith("08") or pgcode in _PG_UNAVAILABLE
    # no SQLSTATE: libpq's own error, connecting ("Connection refused", "the database system is
    # starting up") or on a connection the server closed
    return isinstance(exc, OperationalError | InterfaceError)


def handle_unexpected(exc: Exception) -> Response:
    if isinstance(exc, HTTPException):
        return handle_http_exception(exc)
    if database_unavailable(exc):
        # Nothing the client did and no bug to trace: 503, and the client sends the request again.
        # A commit whose answer was cut may have happened; a create's retry with its
        # Idempotency-Key is then answered with what was stored.
        log.warning("database unavailable on %s %s: %s", request.method, request.path,
                    str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else type(exc.orig).__name__)
        return error_response(503, "database_unavailable", headers={"Retry-After": "1"})
    if isinstance(exc, RecursionError):  # JSON nested thousands deep
        return error_response(400, "malformed_json")
    if isinstance(exc, UnicodeError) or (isinstance(exc, ValueError) and "NUL" in str(exc)):
        # text the database cannot store, reaching it from a path or a query parameter
        return error_response(422, "validation_failed")
    pgcode = getattr(getattr(exc, "orig", None), "pgcode", None) or ""
    if pgcode == _QUERY_CANCELED:
        log.warning("statement timeout on %s %s", request.method, request.path)
        retry_after = STATEMENT_TIMEOUT_RETRY_AFTER
        return error_response(503, "statement_timeout", params={"retry_after": retry_after},
                              headers={"Retry-After": str(retry_after)})
    if pgcode in _PG_CONFLICTS or pgcode.startswith("22"):
        # e.g. two requests racing for the same unique username: the loser gets 409, not 500;
        # a value the database cannot hold (class 22, e.g. a page number past bigint) is bad input.
        log.info("database refused %s %s: %s", request.method, request.path, pgcode)
        status, error = _PG_CONFLICTS.get(pgcode, (422, "validation_failed"))
        return error_response(status, error)
    log.exception("unhandled error on %s %s", request.method, request.path)
    return error_response(500)


def register_error_handlers(app) -> None:
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)
