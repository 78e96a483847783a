"""The web front ends as files: the app's service worker keeps every file the app needs offline,
and both apps are served with their security headers (the browser tests drive them for real)."""

from __future__ import annotations

import json
import posixpath
import re
from pathlib import Path

from api.web import WEB


def _shell() -> set[str]:
    source = (WEB / "app" / "sw.js").read_text()
    listed = re.search(r"const SHELL = \[(.*?)\];", source, re.S).group(1)
    return set(re.findall(r'"([^"]+)"', listed))


def _files(folder: Path, prefix: str = "") -> set[str]:
    return {prefix + str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file()}


def test_the_service_worker_keeps_every_file_of_the_app():
    """Offline, the app opens only if each of its files is in the shell: a file added to web/app or
    web/common without being listed in sw.js fails here."""
    expected = (_files(WEB / "app") - {"sw.js", "index.html"}) | {"./"} | _files(WEB / "common", "common/")
    assert _shell() == expected


def test_every_module_the_app_imports_is_in_the_shell():
    shell = _shell()
    for script in (WEB / "app" / "js").glob("*.js"):
        for target in re.findall(r'from "(\.[^"]+)"', script.read_text()):
            assert posixpath.normpath(posixpath.join("js", target)) in shell, (script.name, target)


def test_the_manifest_makes_the_app_installable():
    manifest = json.loads((WEB / "app" / "manifest.webmanifest").read_text())
    assert manifest["start_url"] == manifest["scope"] == "/app/" and manifest["display"] == "standalone"
    sizes = {icon["sizes"] for icon in manifest["icons"] if icon["type"] == "image/png"}
    assert {"192x192", "512x512"} <= sizes
    assert all((WEB / "app" / icon["src"]).is_file() for icon in manifest["icons"])


def test_the_app_and_the_console_are_served_with_their_headers(client):
    page = client.raw.get("/app/")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-cache"
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert "geolocation=(self)" in page.headers["Permissions-Policy"]
    worker = client.raw.get("/app/sw.js")
    assert worker.status_code == 200 and worker.mimetype in ("text/javascript", "application/javascript")
    assert worker.headers["Cache-Control"] == "no-cache"  # a deploy replaces the worker at once
    assert client.raw.get("/app/manifest.webmanifest").mimetype == "application/manifest+json"
    for shared in ("/app/common/js/api.js", "/console/common/js/api.js"):
        assert client.raw.get(shared).status_code == 200
    assert client.raw.get("/app").status_code == 308
    assert client.raw.get("/app/../api/web.py").status_code == 404
    assert client.raw.get("/app/common/../../api/web.py").status_code == 404
    vendor = client.raw.get("/console/vendor/VERSIONS.txt")
    assert vendor.status_code == 200 and "max-age=3600" in vendor.headers["Cache-Control"]
