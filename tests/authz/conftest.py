"""Fixtures of the authorization matrix: a test transaction whose connection the harness can
savepoint around each cell, so that one caller's write never changes what the next one finds."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from models.db import db_session, get_engine, session_factory
from tests.authz import harness
from tests.conftest import ApiClient


@pytest.fixture
def matrix(app):
    """(world, connection): the world of one operation's cells, in a transaction rolled back at the end."""
    from tests.authz.world import World

    connection = get_engine().connect()
    outer = connection.begin()
    connection.execute(text("SET CONSTRAINTS matter_facts IMMEDIATE"))
    session_factory.configure(bind=connection, join_transaction_mode="create_savepoint")
    db_session.remove()
    try:
        yield World(client=ApiClient(app.test_client()), app=app), connection
    finally:
        db_session.remove()
        outer.rollback()
        connection.close()
        session_factory.configure(bind=get_engine(), join_transaction_mode="conditional_savepoint")


def pytest_terminal_summary(terminalreporter):
    if harness.COUNTS:
        terminalreporter.write_sep("-", "authorization matrix")
        for line in harness.summary_lines():
            terminalreporter.write_line(line)
