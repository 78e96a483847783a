"""Least privilege for the application's database role.

The schema belongs to the owner role that runs the migrations; the application connects as a
role that may read and write the business tables but only INSERT and SELECT the audit log, and
that owns nothing, so it can neither UPDATE, DELETE or TRUNCATE audit rows nor switch off the
triggers that also refuse those statements.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

APPEND_ONLY_TABLES = ("audit_events",)


def grant_app_role(conn: Connection, role: str) -> None:
    """Give ``role`` what the application needs, and no more. Safe to run again."""
    quoted = conn.dialect.identifier_preparer.quote(role)
    statements = [
        f"GRANT USAGE ON SCHEMA public TO {quoted}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}",
        f"REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA public FROM {quoted}",
    ]
    for table in APPEND_ONLY_TABLES:
        statements.append(f"REVOKE UPDATE, DELETE ON {table} FROM {quoted}")
    for statement in statements:
        conn.execute(text(statement))
