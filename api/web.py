"""The two web front ends GridGov serves itself, from ``web/``: the management console (管理端) at
``/console/`` and the companion mobile web app (移动端) at ``/app/``. Plain static files — ES modules
and the libraries vendored by scripts/vendor.sh, so no Node.js is needed — under a strict
Content-Security-Policy. Both talk to the API with a cookie session (httpOnly tokens, a CSRF header
on writes). ``web/common/`` (the API client, DOM helpers) is served inside each app's own path, so
the app's service worker, whose scope is ``/app/``, can keep it for offline use."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from flask import Blueprint, current_app, jsonify, redirect, send_from_directory

WEB = Path(__file__).resolve().parent.parent / "web"
COMMON = WEB / "common"


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
        "manifest-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


def _headers(response):
    response.headers["Content-Security-Policy"] = content_security_policy()
    # nosniff and X-Frame-Options: DENY come with every answer (api/security.py)
    response.headers["Referrer-Policy"] = "same-origin"
    # the phone's position and camera for this origin only; nothing else a page could ask for
    response.headers["Permissions-Policy"] = "geolocation=(self), camera=(self), microphone=(), payment=(), usb=()"
    return response


def _file(folder: Path, name: str, *, cached: bool):
    response = send_from_directory(folder, name)  # refuses paths outside the folder (404)
    response.headers["Cache-Control"] = "public, max-age=3600" if cached else "no-cache"
    return response


def site(name: str, prefix: str, folder: Path, *, cached=lambda path: False, mimetypes=None) -> Blueprint:
    """A static single-page app at ``prefix/`` from ``folder``, with ``web/common`` at
    ``prefix/common/``. ``cached(path)`` says which files may be cached for an hour (vendored
    libraries); everything else is revalidated on each load (``no-cache``), so a deploy is seen at once."""
    bp = Blueprint(name, __name__)
    bp.after_request(_headers)
    types = mimetypes or {}

    @bp.get(prefix)
    def _slash():
        return redirect(f"{prefix}/", code=308)

    @bp.get(f"{prefix}/")
    def index():
        return _file(folder, "index.html", cached=False)

    @bp.get(f"{prefix}/common/<path:path>")
    def common(path: str):
        return _file(COMMON, path, cached=False)

    @bp.get(f"{prefix}/<path:path>")
    def static_file(path: str):
        response = _file(folder, path, cached=cached(path))
        for suffix, mimetype in types.items():
            if path.endswith(suffix):
                response.mimetype = mimetype
        return response

    return bp


console = site("console", "/console", WEB / "console", cached=lambda path: path.startswith("vendor/"))


@console.get("/console/config.json")
def console_config():
    """What the page needs to know of the deployment: the base map (none: a plain background)."""
    return jsonify({"basemap_url": current_app.config["CONSOLE_BASEMAP_URL"] or None,
                    "basemap_attribution": current_app.config["CONSOLE_BASEMAP_ATTRIBUTION"] or None})


# The service worker (sw.js) is revalidated on every load like the rest: a new deploy replaces it.
app = site("app", "/app", WEB / "app", mimetypes={".webmanifest": "application/manifest+json"})
