"""Fixtures of the authorization matrix: a test transaction whose connection the harness can
savepoint around each cell, so that one caller's write never changes what the next one finds."""

from __future__ import annotations

import pytest

from tests.authz import harness
from tests.authz.world import World


@pytest.fixture
def matrix(app, client, db):
    """(world, connection): the world of one operation's cells, in the test's transaction (the
    ``db`` fixture's, rolled back at the end); the harness savepoints around each cell on its
    connection, which the session is bound to."""
    return World(client=client, app=app), db.get_bind()


def pytest_terminal_summary(terminalreporter):
    if harness.COUNTS:
        terminalreporter.write_sep("-", "authorization matrix")
        for line in harness.summary_lines():
            terminalreporter.write_line(line)
