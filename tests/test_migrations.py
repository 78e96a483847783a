"""The migrations are the schema: they run up, down and up again, and agree with the models."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

import models
from api.cli import alembic_config
from models.alembic_support import include_object
from scripts.dbtool import derive, drop_database, ensure_database
from tests.conftest import database_url_for_tests


@pytest.fixture(scope="module")
def scratch_url():
    """A database of its own, so the round trip cannot disturb the other tests."""
    url = derive(database_url_for_tests(), "_migrations")
    drop_database(url)
    ensure_database(url)
    yield url
    drop_database(url)


def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade(scratch_url):
    """head → base → head works, and base leaves no table of ours behind."""
    config = alembic_config(scratch_url)
    command.upgrade(config, "head")
    assert {"places", "users", "audit_events"} <= _tables(scratch_url)
    command.downgrade(config, "base")
    assert _tables(scratch_url) <= {"alembic_version"}
    command.upgrade(config, "head")
    engine = create_engine(scratch_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT extname FROM pg_extension WHERE extname = 'postgis'")).scalar() == "postgis"
    engine.dispose()


def test_models_match_migrations(app):
    """Autogenerate finds nothing to do: the models and the migrations describe the same schema."""
    engine = create_engine(database_url_for_tests())
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": include_object, "compare_type": True})
        diff = compare_metadata(context, models.metadata)
    engine.dispose()
    assert diff == []


def test_check_constraints_match(app):
    """Autogenerate does not compare CHECK constraints: every one the models declare exists, and no other."""
    engine = create_engine(database_url_for_tests())
    inspector = inspect(engine)
    try:
        for table in models.metadata.sorted_tables:
            declared = {c.name for c in table.constraints if c.__class__.__name__ == "CheckConstraint"}
            stored = {c["name"] for c in inspector.get_check_constraints(table.name)}
            assert declared == stored, table.name
    finally:
        engine.dispose()


def test_migration_files_have_real_names():
    """Migration files are named by date and say what they do (no 'empty message')."""
    from pathlib import Path

    for path in (Path(__file__).resolve().parent.parent / "migrations" / "versions").glob("*.py"):
        assert path.name[:4].isdigit(), path.name
        assert "empty message" not in path.read_text()
