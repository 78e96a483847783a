"""A real PostgreSQL + PostGIS database for every test.

Once per run the test database's schema is rebuilt from the migrations (never ``create_all``) and
the demo district is loaded. Each test then runs inside an outer transaction that is rolled back at
its end: the code under test may commit (its commits become savepoints), and nothing leaks into
the next test. ``make test`` provides TEST_DATABASE_URL.
"""

from __future__ import annotations

import glob
import os
import shutil

import pytest
from alembic import command
from sqlalchemy import create_engine, make_url, text

from api import create_app
from api.auth import passwords
from api.cli import alembic_config
from api.demo import loader
from config import TestingConfig
from models.db import db_session, get_engine, session_factory

DEMO_PASSWORD = loader.DEMO_PASSWORD


def database_url_for_tests() -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.exit("TEST_DATABASE_URL is not set: run the suite with `make test`", returncode=2)
    return url


def pg_program(name: str) -> str:
    """A PostgreSQL client program (pg_dump, pg_restore…): on PATH, else Debian's newest; the test is
    skipped where none is installed."""
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)
    if found is None:
        pytest.skip(f"{name} is not installed here")
    return found


def reset_schema(url: str) -> None:
    # This wipes the database: only ever one whose name says it is for tests.
    name = make_url(url).database or ""
    if not name.endswith("_test") or url == os.environ.get("DATABASE_URL"):
        pytest.exit(f"refusing to wipe {name!r}: the test database's name must end in _test", returncode=2)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def app():
    url = database_url_for_tests()
    reset_schema(url)
    command.upgrade(alembic_config(url), "head")
    config = TestingConfig()
    config.DATABASE_URL = url
    application = create_app(config)
    with application.app_context():
        loader.load(db_session, passwords.hasher_from(application.config), application.extensions["gridgov.identity"])
        db_session.commit()
        db_session.remove()
    yield application
    get_engine().dispose()


@pytest.fixture
def db(app):
    """The request-scoped session, bound to a connection whose transaction the test rolls back."""
    connection = get_engine().connect()
    outer = connection.begin()
    # The code's commits are savepoints here, so a trigger deferred to commit would never run:
    # the per-day figures are applied at each statement instead (the same sums; a test with real
    # commits, tests/test_matter_facts_commit.py, checks the deferred path).
    connection.execute(text("SET CONSTRAINTS matter_facts IMMEDIATE"))
    session_factory.configure(bind=connection, join_transaction_mode="create_savepoint")
    db_session.remove()
    try:
        yield db_session
    finally:
        db_session.remove()
        outer.rollback()
        connection.close()
        session_factory.configure(bind=get_engine(), join_transaction_mode="conditional_savepoint")


@pytest.fixture
def clean_matters(db):
    """No matters, outbox rows or notifications (the demo's are removed inside the test's
    transaction, so they are back for the next test): for tests that count what they create."""
    # no matters, no facts: cleared in two statements, not by the trigger row by row (the demo's
    # half year is 1,500 matters); the trigger is back on for the test (all inside its transaction)
    db.execute(text("ALTER TABLE matters DISABLE TRIGGER matter_facts"))
    db.execute(text("UPDATE matters SET merged_into_id = NULL"))
    db.execute(text("DELETE FROM matters"))
    db.execute(text("DELETE FROM matter_day_facts"))
    db.execute(text("DELETE FROM matter_month_facts"))
    db.execute(text("ALTER TABLE matters ENABLE TRIGGER matter_facts"))
    db.execute(text("DELETE FROM outbox"))
    db.execute(text("DELETE FROM notifications"))
    db.commit()


@pytest.fixture
def clean_activity(db):
    """No visits, patrols or check-ins and no follow-up flags (the demo's are removed inside the
    test's transaction): for tests that count what they record."""
    for table in ("visits", "visit_coverage", "patrols", "check_ins"):
        db.execute(text(f"DELETE FROM {table}"))  # noqa: S608 - fixed names
    db.execute(text("UPDATE households SET last_visited_at = NULL, weekly_follow_up = false, follow_up_reason = NULL"))
    db.commit()


@pytest.fixture
def clean_governance(db):
    """No key persons or care targets (the demo's are removed inside the test's transaction)."""
    db.execute(text("DELETE FROM followed_persons"))
    db.commit()


@pytest.fixture
def clean_petitions(db):
    """No petitions (the demo's are removed inside the test's transaction)."""
    db.execute(text("DELETE FROM petitions"))
    db.commit()


class ApiClient:
    """The Flask test client with a few helpers for logging in as the demo accounts."""

    def __init__(self, flask_client):
        self.raw = flask_client

    def login(self, username: str, password: str = DEMO_PASSWORD, **kw):
        return self.raw.post("/api/v1/auth/login", json={"username": username, "password": password}, **kw)

    def token(self, username: str) -> str:
        response = self.login(username)
        assert response.status_code == 200, response.get_json()
        return response.get_json()["access_token"]

    def auth(self, username: str) -> dict:
        return {"Authorization": f"Bearer {self.token(username)}"}

    def __getattr__(self, name):
        return getattr(self.raw, name)


@pytest.fixture
def client(app, db):
    return ApiClient(app.test_client())


@pytest.fixture
def as_user(client):
    """``as_user("grid_member")`` → headers with a fresh access token of that demo account."""
    return client.auth
