"""What the browser tests share: Debian's headless Chromium driven by Playwright, a page that
records its console errors and failed answers, and a screenshot of every test in test-artifacts/
(kept by CI as the run's artifacts)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright
from sqlalchemy import create_engine, text

from tests.live_server import ROOT

ARTIFACTS = ROOT / "test-artifacts"
# what a sandboxed root on a closed network needs (no background calls home, no GPU)
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--use-gl=swiftshader", "--enable-unsafe-swiftshader"]


@pytest.fixture(scope="session")
def browser():
    executable = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    if not Path(executable).exists():
        pytest.fail(f"{executable} is missing: run the suite with `make test` (it installs Debian's chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, headless=True, args=FLAGS)
        yield launched
        launched.close()


def watch(page):
    """Record the page's console errors (page.problems) and its answers of 400 and above (page.failed)."""
    problems, failed = [], []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("response", lambda r: failed.append(f"{r.status} {r.request.method} {r.url}") if r.status >= 400 else None)
    page.problems = problems
    page.failed = failed
    return page


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def forget(database_url: str, mark: str, *, since=None) -> None:
    """Remove what a browser test module committed for real: matters, incidents and petitions whose
    text holds ``mark`` (with what they queued), door-knock visits whose notes hold it (and the
    households' last visits and the coverage they counted, recounted), residents named with it, the
    demo grid member's check-ins and patrols since ``since``, and the responders' positions and the
    live stream."""
    from sqlalchemy.orm import Session

    from api.visits.service import refresh_coverage, refresh_last_visited

    engine = create_engine(database_url)
    like = {"m": f"%{mark}%"}
    with engine.begin() as conn:
        mine = "SELECT id FROM matters WHERE description LIKE :m"
        incidents = f"SELECT id::text FROM incidents WHERE title LIKE :m OR matter_id IN ({mine})"
        petitions = "SELECT id::text FROM petitions WHERE summary LIKE :m"
        for table in ("outbox", "notifications"):  # what the matters, incidents and petitions queued
            conn.execute(text(f"DELETE FROM {table} WHERE payload->>'incident_id' IN ({incidents}) "  # noqa: S608
                              f"OR payload->>'petition_id' IN ({petitions}) "
                              f"OR payload->>'matter_id' IN (SELECT id::text FROM matters WHERE description LIKE :m)"), like)
        conn.execute(text(f"DELETE FROM incidents WHERE id::text IN ({incidents})"), like)  # noqa: S608
        conn.execute(text("DELETE FROM petitions WHERE summary LIKE :m"), like)
        conn.execute(text("UPDATE responders SET duty_status = 'off_duty', position = NULL, position_at = NULL "
                          "WHERE user_id = (SELECT id FROM users WHERE username = 'responder')"))
        conn.execute(text(f"UPDATE matters SET merged_into_id = NULL WHERE id IN ({mine})"), like)  # noqa: S608
        conn.execute(text("DELETE FROM matters WHERE description LIKE :m"), like)
        visited = conn.execute(text("DELETE FROM visits WHERE notes LIKE :m RETURNING household_id, grid_cell_id, week"),
                               like).all()
        conn.execute(text("DELETE FROM residents WHERE name LIKE :m"), like)  # newcomers recorded at a door
        if since is not None:
            member = "(SELECT id FROM users WHERE username = 'grid_member')"
            conn.execute(text(f"DELETE FROM check_ins WHERE user_id = {member} AND created_at >= :t"), {"t": since})  # noqa: S608
            conn.execute(text(f"DELETE FROM patrols WHERE user_id = {member} AND created_at >= :t"), {"t": since})  # noqa: S608
        # the demo responder's phone reported positions: back to the demo's
        conn.execute(text("DELETE FROM responder_tracks"))
        conn.execute(text("DELETE FROM stream_events"))
    if visited:
        with Session(engine) as session, session.begin():
            refresh_last_visited(session, list({row.household_id for row in visited}))
            refresh_coverage(session, {(row.grid_cell_id, row.week) for row in visited})
    engine.dispose()
