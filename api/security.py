"""Security headers on every answer.

Every answer — the API's JSON, errors and 404s included, files, the docs, the console and the app —
carries ``X-Content-Type-Options: nosniff``, ``X-Frame-Options: DENY``, a ``Referrer-Policy``,
``Cross-Origin-Opener-Policy: same-origin``, ``Cross-Origin-Resource-Policy: same-origin``, a
``Permissions-Policy`` that allows nothing, and a ``Content-Security-Policy``: ``default-src
'none'; frame-ancestors 'none'`` for the API (JSON is never a page), the console's and the app's
own (api/web.py, which also allows the phone's position and camera there), and for the Swagger UI
one allowing this origin's scripts plus the page's inline start-up script by its hash.
``Strict-Transport-Security`` is added while ``COOKIE_SECURE`` is on (https deployments).
"""

from __future__ import annotations

import base64
import hashlib
import re

from flask import Flask, Response, current_app, request

API_POLICY = "default-src 'none'; frame-ancestors 'none'"
NOTHING_ALLOWED = "camera=(), geolocation=(), microphone=(), payment=(), usb=()"

_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.S)


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


def add_headers(response: Response) -> Response:
    """After-request hook: the security headers, where a blueprint has not set its own."""
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
    return response


def register(app: Flask) -> None:
    app.after_request(add_headers)
