"""The management console (管理端), served at ``/console/``: static files from ``console/`` (the
front-end libraries vendored there by scripts/vendor.sh, so no Node.js is needed), under a strict
Content-Security-Policy. The page talks to the API with a cookie session (httpOnly tokens, CSRF
header on writes)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from flask import Blueprint, current_app, jsonify, redirect, send_from_directory

ROOT = Path(__file__).resolve().parent.parent / "console"

bp = Blueprint("console", __name__)


def _basemap_origin() -> str:
    url = current_app.config["CONSOLE_BASEMAP_URL"]
    if not url:
        return ""
    parts = urlsplit(url.replace("{s}", "a"))
    return f"{parts.scheme}://{parts.netloc}"


def content_security_policy() -> str:
    """Only this origin's scripts and styles, nothing inline; map workers from blob: URLs (how
    MapLibre starts them); images and tiles from here and the configured base map."""
    base = _basemap_origin()
    extra = f" {base}" if base else ""
    return "; ".join([
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        f"img-src 'self' data: blob:{extra}",
        f"connect-src 'self'{extra}",
        "worker-src 'self' blob:",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


@bp.after_request
def _headers(response):
    response.headers["Content-Security-Policy"] = content_security_policy()
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "DENY"
    return response


@bp.get("/console")
def _slash():
    return redirect("/console/", code=308)


@bp.get("/console/")
def index():
    response = send_from_directory(ROOT, "index.html")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/console/config.json")
def config():
    """What the page needs to know of the deployment: the base map (none: a plain background)."""
    return jsonify({"basemap_url": current_app.config["CONSOLE_BASEMAP_URL"] or None,
                    "basemap_attribution": current_app.config["CONSOLE_BASEMAP_ATTRIBUTION"] or None})


@bp.get("/console/<path:name>")
def static_file(name: str):
    response = send_from_directory(ROOT, name)  # refuses paths outside the folder (404)
    response.headers["Cache-Control"] = "public, max-age=3600" if name.startswith("vendor/") else "no-cache"
    return response
