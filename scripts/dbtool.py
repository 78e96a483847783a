"""Small database chores for the scripts and the tests.

    python scripts/dbtool.py derive-test-url URL   print URL with "_test" appended to its database
    python scripts/dbtool.py ensure URL             create URL's database when it does not exist
    python scripts/dbtool.py conninfo < URL         for libpq's tools (scripts/backup.sh): four lines, the URL
                                                    without its password, the password, the database's name,
                                                    and the URL of the server's "postgres" database (no password)
"""

from __future__ import annotations

import re
import sys
from urllib.parse import unquote, urlsplit, urlunsplit

# psycopg2 and SQLAlchemy are imported where they are used: `conninfo` runs without them, fast


def derive(url: str, suffix: str) -> str:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}{suffix}").render_as_string(hide_password=False)


def maintenance_url(url: str) -> str:
    """The URL of the same server's "postgres" database, from which databases are made and dropped."""
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)


def _on_maintenance(url: str, statement, params=None):
    """Run ``statement`` in autocommit on the server of ``url``; its first row, if it returns rows."""
    import psycopg2

    conn = psycopg2.connect(maintenance_url(url))
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(statement, params)
            return cur.fetchone() if cur.description else None
    finally:
        conn.close()


def database_exists(url: str) -> bool:
    from sqlalchemy.engine import make_url

    return _on_maintenance(url, "SELECT 1 FROM pg_database WHERE datname = %s", (make_url(url).database,)) is not None


def ensure_database(url: str) -> None:
    from psycopg2 import sql
    from sqlalchemy.engine import make_url

    name = make_url(url).database
    if not name or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise SystemExit(f"unsupported database name: {name!r}")
    if not database_exists(url):
        _on_maintenance(url, sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_database(url: str) -> None:
    from psycopg2 import sql
    from sqlalchemy.engine import make_url

    _on_maintenance(url, sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
        sql.Identifier(make_url(url).database)))


def conninfo(url: str) -> list[str]:
    """An SQLAlchemy URL (``postgresql+psycopg2://…``) as libpq takes it, with the password apart so that
    it can go to PGPASSWORD rather than onto a command line that `ps` shows to everyone. The standard
    library only: scripts/backup.sh asks at every run, and importing SQLAlchemy takes a second."""
    parts = urlsplit(url.strip())
    if not parts.scheme.startswith("postgres"):
        raise SystemExit(f"not a PostgreSQL URL: {parts.scheme}://…")
    name = unquote(parts.path.lstrip("/"))
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise SystemExit(f"unsupported database name: {name!r}")
    userinfo, _at, hostport = parts.netloc.rpartition("@")
    user, _, password = userinfo.partition(":")
    netloc = f"{user}@{hostport}" if user else hostport
    bare = urlunsplit(("postgresql", netloc, parts.path, parts.query, ""))
    admin = urlunsplit(("postgresql", netloc, "/postgres", parts.query, ""))
    return [bare, unquote(password), name, admin]


def main(argv: list[str]) -> None:
    if argv[1:] == ["conninfo"]:
        print("\n".join(conninfo(sys.stdin.read())))
        return
    if len(argv) != 3 or argv[1] not in {"derive-test-url", "ensure"}:
        raise SystemExit(__doc__)
    if argv[1] == "derive-test-url":
        print(derive(argv[2], "_test"))
    else:
        ensure_database(argv[2])


if __name__ == "__main__":
    main(sys.argv)
