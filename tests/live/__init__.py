"""Tests that commit for real (threads, several connections): each cleans up what it wrote."""

from sqlalchemy.engine import make_url


def libpq_dsn(app) -> str:
    """The test database as a libpq DSN, for psycopg2 connections of the test's own."""
    return make_url(app.config["DATABASE_URL"]).set(drivername="postgresql").render_as_string(hide_password=False)
