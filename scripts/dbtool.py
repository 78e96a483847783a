"""Small database chores for the scripts and the tests.

    python scripts/dbtool.py derive-test-url URL   print URL with "_test" appended to its database
    python scripts/dbtool.py ensure URL             create URL's database when it does not exist
"""

from __future__ import annotations

import re
import sys

import psycopg2
from psycopg2 import sql
from sqlalchemy.engine import make_url


def derive(url: str, suffix: str) -> str:
    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}{suffix}").render_as_string(hide_password=False)


def ensure_database(url: str) -> None:
    parsed = make_url(url)
    name = parsed.database
    if not name or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise SystemExit(f"unsupported database name: {name!r}")
    maintenance = parsed.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    conn = psycopg2.connect(maintenance)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if cur.fetchone() is None:
                cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    finally:
        conn.close()


def drop_database(url: str) -> None:
    parsed = make_url(url)
    maintenance = parsed.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    conn = psycopg2.connect(maintenance)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(parsed.database)))
    finally:
        conn.close()


def main(argv: list[str]) -> None:
    if len(argv) != 3 or argv[1] not in {"derive-test-url", "ensure"}:
        raise SystemExit(__doc__)
    if argv[1] == "derive-test-url":
        print(derive(argv[2], "_test"))
    else:
        ensure_database(argv[2])


if __name__ == "__main__":
    main(sys.argv)
