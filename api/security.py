"""Security headers on every answer, and cross-origin access (CORS) from a configured allowlist.

Every answer — the API's JSON, errors and 404s included, files, the docs, the console and the app —
carries ``X-Content-Type-Options: nosniff``, ``X-Frame-Options: DENY``, a ``Referrer-Policy``,
``Cross-Origin-Opener-Policy: same-origin``, ``Cross-Origin-Resource-Policy: same-origin``, a
``Permissions-Policy`` that allows nothing, and a ``Content-Security-Policy``: ``default-src
'none'; frame-ancestors 'none'`` for the API (JSON is never a page), the console's and the app's
own (api/web.py, which also allows the phone's position and camera there), and for the Swagger UI
one allowing this origin's scripts plus the page's inline start-up script by its hash.
``Strict-Transport-Security`` is added while ``COOKIE_SECURE`` is on (https deployments).

CORS: a browser page on an origin listed in ``CORS_ALLOWED_ORIGINS`` may call ``/api/`` and
``/open311/`` with a bearer token. Its preflight is answered 204 with the methods and headers the
API takes; its answers carry ``Access-Control-Allow-Origin: <its origin>``, ``Vary: Origin`` and
the headers clients read. Credentials are never allowed cross-origin: the console's cookie session
stays same-origin, so a listed site cannot ride on a logged-in console user's cookies. An origin
not on the list gets no CORS header at all, and its browser refuses to hand it the answer.
``Cross-Origin-Resource-Policy`` does not stand in the way: it governs no-cors loads (an ``<img>``),
while a listed origin reads through CORS.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re

from flask import Flask, Response, current_app, request

API_PATHS = ("/api/", "/open311/")
API_POLICY = "default-src 'none'; frame-ancestors 'none'"
NOTHING_ALLOWED = "camera=(), geolocation=(), microphone=(), payment=(), usb=()"

CORS_METHODS = "GET, POST, PATCH, DELETE"
CORS_REQUEST_HEADERS = ("Authorization, Content-Type, Idempotency-Key, If-Match, If-None-Match, Accept-Language, "
                        "X-Request-ID, Last-Event-ID")
CORS_EXPOSED_HEADERS = ("X-Pagination, ETag, Retry-After, Idempotent-Replayed, X-Request-ID, Location, "
                        "Content-Disposition, Content-Language")
CORS_MAX_AGE = 600  # seconds a browser may keep a preflight's answer (Chromium keeps at most 7,200)

_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.S)


@functools.lru_cache(maxsize=4)  # the page is the same on every request
def docs_policy(page: bytes) -> str:
    """The Swagger UI page: its scripts and styles from this origin (GridGov serves them), the
    start-up script inline in the page allowed by its hash, inline styles (Swagger UI sets them),
    its icons as data: URLs, and requests ("Try it out") to this origin only."""
    hashes = " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(script).digest()).decode()}'"
                      for script in _INLINE_SCRIPT.findall(page))
    return "; ".join([
        "default-src 'none'",
        f"script-src 'self' {hashes}".rstrip(),
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ])


def _is_api(path: str) -> bool:
    return path.startswith(API_PATHS)


def _allowed_origin() -> str | None:
    """The request's Origin when it is on the allowlist (and the path is the API's), else None."""
    origin = request.headers.get("Origin")
    if origin and _is_api(request.path) and origin in current_app.config["CORS_ALLOWED_ORIGINS"]:
        return origin
    return None


def answer_preflight():
    """Before-request hook: a listed origin's preflight (OPTIONS with Access-Control-Request-Method)
    is answered here, 204, without reaching a view. Anything else goes on as usual: an unlisted
    origin's preflight gets Flask's plain OPTIONS answer, with no CORS header in it."""
    if request.method != "OPTIONS" or "Access-Control-Request-Method" not in request.headers:
        return None
    if _allowed_origin() is None:
        return None
    response = Response(status=204)
    del response.headers["Content-Type"]
    response.headers["Access-Control-Allow-Methods"] = CORS_METHODS
    response.headers["Access-Control-Allow-Headers"] = CORS_REQUEST_HEADERS
    response.headers["Access-Control-Max-Age"] = str(CORS_MAX_AGE)
    response.vary.update(("Access-Control-Request-Method", "Access-Control-Request-Headers"))
    return response


def add_headers(response: Response) -> Response:
    """After-request hook: the security headers (where a blueprint has not set its own) and CORS."""
    headers = response.headers
    headers["X-Content-Type-Options"] = "nosniff"
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", NOTHING_ALLOWED)
    if "Content-Security-Policy" not in headers:
        is_docs = (request.endpoint or "").endswith(".openapi_swagger_ui") and response.mimetype == "text/html"
        headers["Content-Security-Policy"] = docs_policy(response.get_data()) if is_docs else API_POLICY
    config = current_app.config
    if config["COOKIE_SECURE"] and config["HSTS_SECONDS"] > 0:
        headers.setdefault("Strict-Transport-Security", f"max-age={config['HSTS_SECONDS']}")
    if config["CORS_ALLOWED_ORIGINS"] and _is_api(request.path):
        response.vary.add("Origin")  # the answer differs by Origin: no cache may hand one to another
        origin = _allowed_origin()
        if origin is not None:
            headers["Access-Control-Allow-Origin"] = origin
            headers["Access-Control-Expose-Headers"] = CORS_EXPOSED_HEADERS
    return response


def register(app: Flask) -> None:
    app.before_request(answer_preflight)
    app.after_request(add_headers)
