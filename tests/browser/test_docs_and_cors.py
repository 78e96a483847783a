"""The API docs and cross-origin access in a real browser (Playwright, Debian's Chromium, GridGov
under gunicorn): Swagger UI works under its Content-Security-Policy; a web app on a listed origin
calls the API with a bearer token; one on any other origin, or sending the cookie session, is
refused by the browser itself."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.browser.conftest import screenshot, watch
from tests.conftest import DEMO_PASSWORD
from tests.live_server import running_server

# Runs in a page of the origin under test: log in with a bearer token, then read /me with it.
BEARER_CALLS = """async ([api, password]) => {
  try {
    const login = await fetch(api + "/api/v1/auth/login", {method: "POST",
      headers: {"Content-Type": "application/json", "Accept-Language": "en"},
      body: JSON.stringify({username: "grid_member", password})});
    const token = (await login.json()).access_token;
    const me = await fetch(api + "/api/v1/me", {headers: {Authorization: "Bearer " + token}});
    return {status: me.status, username: (await me.json()).username, requestId: me.headers.get("X-Request-ID")};
  } catch (error) {
    return {error: String(error)};
  }
}"""
WITH_COOKIES = """async (api) => {
  try { return {status: (await fetch(api + "/api/v1/me", {credentials: "include"})).status}; }
  catch (error) { return {error: String(error)}; }
}"""


class _BlankPage(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - the http.server's name
        body = b"<!doctype html><title>another web app</title>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def other_app():
    """Another web app's server (a blank page): http://127.0.0.1:<port> is listed, the same
    server reached as http://localhost:<port> is another origin, not listed."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _BlankPage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def api(app, other_app, tmp_path_factory):
    with running_server(app.config["DATABASE_URL"], tmp_path_factory.mktemp("cors") / "gunicorn.log",
                        CORS_ALLOWED_ORIGINS=f"http://127.0.0.1:{other_app}") as port:
        yield f"http://127.0.0.1:{port}"


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = watch(context.new_page())
    yield page
    screenshot(page, request.node.name)
    context.close()


def test_swagger_ui_works_under_its_content_security_policy(page, api):
    """The docs draw GridGov's operations from their own assets; the policy blocks nothing they
    need (a blocked script or style is a console error), and nothing is asked of another origin."""
    errors = []
    page.on("console", lambda m: errors.append((m.text, m.location.get("url", ""))) if m.type == "error" else None)
    requested = []
    page.on("request", lambda r: requested.append(r.url))
    page.goto(f"{api}/api/docs")
    page.locator(".swagger-ui .info .title").filter(has_text="GridGov").wait_for()
    page.locator(".opblock").first.wait_for()
    assert page.locator(".opblock").count() > 100
    assert [e for e in errors if not e[1].endswith("/favicon.ico")] == [] and page.failed == []
    assert all(url.startswith(api) for url in requested), requested


def test_a_listed_origin_calls_the_api_with_a_bearer_token(page, api, other_app):
    page.goto(f"http://127.0.0.1:{other_app}/")
    answer = page.evaluate(BEARER_CALLS, [api, DEMO_PASSWORD])
    assert answer.get("status") == 200 and answer["username"] == "grid_member", (answer, page.problems)
    assert answer["requestId"]  # an exposed header


def test_another_origin_and_cookies_are_refused_by_the_browser(page, api, other_app):
    """A page on an origin not listed cannot read the API's answers; the listed one cannot send
    the cookie session (no Access-Control-Allow-Credentials)."""
    page.goto(f"http://localhost:{other_app}/")
    refused = page.evaluate(BEARER_CALLS, [api, DEMO_PASSWORD])
    assert "Failed to fetch" in refused.get("error", ""), refused
    assert any("CORS policy" in problem for problem in page.problems), page.problems
    page.goto(f"http://127.0.0.1:{other_app}/")
    with_cookies = page.evaluate(WITH_COOKIES, api)
    assert "Failed to fetch" in with_cookies.get("error", ""), with_cookies
