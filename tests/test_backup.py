"""`make backup` / `make restore` (scripts/backup.sh), run for real: the committed demo district is
copied into a source database of its own, where the application's role gets its grants
(models/grants.py) and the audit log a row; the script dumps it and restores the dump into a fresh
database, which must hold the same rows, the same schema, owners and privileges, a working PostGIS
and an audit log the application's role can still only append to. Damaged dumps, non-empty targets
and missing roles are refused without touching anything. Every database made here is dropped."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
from contextlib import contextmanager
from hashlib import sha256
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from models.grants import grant_app_role
from scripts.dbtool import database_exists, derive, drop_database, ensure_database
from scripts.serving import ROOT
from tests.conftest import database_url_for_tests, pg_program

SCRIPT = ROOT / "scripts" / "backup.sh"
DUMP_NAME = re.compile(r"^gridgov-\d{8}T\d{6}Z\.dump$")
# what the script reads from the environment: each run here says what it means
SETTINGS = ("DATABASE_URL", "DATABASE_OWNER_URL", "RESTORE_DATABASE_URL", "RESTORE_FORCE", "BACKUP",
            "BACKUP_DIR", "BACKUP_KEEP", "PG_BIN")


def backup_sh(*args: str, **settings: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS}
    env.update(settings)
    return subprocess.run([str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=600, check=False)


def _connect(url: str):
    return create_engine(url, poolclass=NullPool).connect()


def _role(conn: Connection, name: str) -> None:
    if conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": name}).first() is None:
        conn.execute(text(f'CREATE ROLE "{name}" NOLOGIN'))


@contextmanager
def scratch_databases(*suffixes: str, role: str):
    """Fresh databases named <test db><suffix> (dropped first, if a failed run left them) and a role
    <test db>_<role>, all dropped afterwards however the block ends; yields their URLs and the role."""
    test_url = database_url_for_tests()
    urls = [derive(test_url, suffix) for suffix in suffixes]
    role_name = f"{make_url(test_url).database}_{role}"
    try:
        for url in urls:
            drop_database(url)
        yield urls, role_name
    finally:
        for url in urls:
            drop_database(url)
        with _connect(test_url) as conn:
            conn.execute(text(f'DROP ROLE IF EXISTS "{role_name}"'))
            conn.commit()


def _normal(definition: str | None) -> str:
    """A definition without casts, brackets and spaces: PostgreSQL prints `x IN (…)` over varchar
    one way when the migrations made it and another when a dump re-created it (same meaning)."""
    return re.sub(r"[()\s]", "", re.sub(r"::[a-z_ ]+(\[\])?", "", definition or ""))


def table_contents(url: str) -> dict[str, tuple[int, str]]:
    """Every table of the public schema: its row count and a checksum of its rows; every sequence's position."""
    with _connect(url) as conn:
        tables = conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")).scalars()
        contents = {
            name: tuple(conn.execute(text(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) FROM public.\"{name}\" t"  # noqa: S608
            )).one())
            for name in list(tables)
        }
        for name, last, called in conn.execute(text(
                "SELECT sequencename, last_value, last_value IS NOT NULL FROM pg_sequences WHERE schemaname = 'public'")):
            contents[f"sequence {name}"] = (last or 0, str(called))
    return contents


SCHEMA = {
    "columns": """
        SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
               pg_get_expr(d.adbin, d.adrelid)
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE n.nspname = 'public' AND a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'v', 'm', 'p')""",
    "constraints": """
        SELECT c.conrelid::regclass::text, c.conname, c.contype, pg_get_constraintdef(c.oid), c.condeferrable,
               c.condeferred
        FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = 'public'""",
    "indexes": "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'",
    "triggers": """
        SELECT tgrelid::regclass::text, tgname, tgenabled, pg_get_triggerdef(oid) FROM pg_trigger
        WHERE NOT tgisinternal""",
    "functions": """
        SELECT p.proname, pg_get_function_identity_arguments(p.oid), md5(p.prosrc), p.prosecdef, p.provolatile,
               pg_get_userbyid(p.proowner), coalesce(p.proacl, acldefault('f'::"char", p.proowner))::text
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = 'public'
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid
                          AND d.deptype = 'e')""",
    "owners and privileges": """
        SELECT c.relname, c.relkind, pg_get_userbyid(c.relowner),
               coalesce(c.relacl, acldefault(CASE c.relkind WHEN 'S' THEN 's' ELSE 'r' END::"char", c.relowner))::text
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'S', 'v', 'm', 'p')""",
    "schema": """
        SELECT nspname, pg_get_userbyid(nspowner), array(
            SELECT format('%s=%s', a.grantee::regrole, a.privilege_type)
            FROM aclexplode(coalesce(nspacl, acldefault('n'::"char", nspowner))) a ORDER BY 1)
        FROM pg_namespace WHERE nspname = 'public'""",
    "extensions": "SELECT extname, extversion FROM pg_extension",
}


def schema_of(url: str) -> dict[str, list[tuple]]:
    with _connect(url) as conn:
        return {
            what: sorted(tuple(_normal(v) if isinstance(v, str) else v for v in row) for row in conn.execute(text(sql)))
            for what, sql in SCHEMA.items()
        }


@pytest.fixture(scope="module")
def round_trip(app, tmp_path_factory):
    """The demo copied into <test db>_bsrc_test with the app role's grants, `backup.sh backup` of it,
    and `backup.sh restore` into the fresh <test db>_brestored_test."""
    test_url = database_url_for_tests()
    with scratch_databases("_bsrc_test", "_brestored_test", role="app") as ((source, restored), app_role):
        ensure_database(source)
        with _connect(source) as conn:
            _role(conn, app_role)
            conn.commit()
        dump = subprocess.Popen([pg_program("pg_dump"), "--format=custom", test_url], stdout=subprocess.PIPE)
        subprocess.run([pg_program("pg_restore"), "--single-transaction", "--exit-on-error", "--dbname", source],
                       stdin=dump.stdout, check=True)
        assert dump.wait() == 0
        with _connect(source) as conn:
            grant_app_role(conn, app_role)
            conn.execute(text("INSERT INTO audit_events (action, outcome) VALUES ('backup.test', 'success')"))
            conn.commit()

        backups = tmp_path_factory.mktemp("backups") / "nested"  # created by the script
        made = backup_sh("backup", DATABASE_OWNER_URL=source, BACKUP_DIR=str(backups))
        assert made.returncode == 0, made.stderr
        dump_path = Path(made.stdout.strip())
        loaded = backup_sh("restore", DATABASE_OWNER_URL=source, RESTORE_DATABASE_URL=restored,
                           BACKUP_DIR=str(backups))
        assert loaded.returncode == 0, loaded.stderr
        yield {"source": source, "restored": restored, "dump": dump_path, "app_role": app_role,
               "rows": table_contents(source), "schema": schema_of(source)}  # the source's, which nothing changes


def test_the_dump_is_private_and_checksummed(round_trip):
    dump: Path = round_trip["dump"]
    assert DUMP_NAME.match(dump.name), dump
    assert stat.S_IMODE(dump.stat().st_mode) == 0o600
    assert stat.S_IMODE(dump.parent.stat().st_mode) == 0o700
    sidecar = dump.with_name(dump.name + ".sha256")
    assert stat.S_IMODE(sidecar.stat().st_mode) == 0o600
    assert sidecar.read_text() == f"{sha256(dump.read_bytes()).hexdigest()}  {dump.name}\n"
    assert subprocess.run(["sha256sum", "--check", "--quiet", sidecar.name], cwd=dump.parent).returncode == 0
    assert sorted(p.name for p in dump.parent.iterdir()) == sorted([dump.name, sidecar.name])  # no temporary left
    with dump.open("rb") as f:
        assert f.read(5) == b"PGDMP"  # pg_dump's custom format


def test_the_restored_database_holds_the_same_rows(round_trip):
    source, restored = round_trip["rows"], table_contents(round_trip["restored"])
    assert source["residents"][0] > 1000 and source["audit_events"][0] >= 1 and source["photos"][0] > 0
    assert restored == source


def test_the_restored_database_has_the_same_schema_owners_and_privileges(round_trip):
    source, restored = round_trip["schema"], schema_of(round_trip["restored"])
    assert source["triggers"] and any("audit_events_append_only" in t[3] for t in source["triggers"])
    for what in SCHEMA:
        assert restored[what] == source[what], what
    with _connect(round_trip["source"]) as a, _connect(round_trip["restored"]) as b:
        version = "SELECT version_num FROM alembic_version"
        assert b.execute(text(version)).scalars().all() == a.execute(text(version)).scalars().all() != []


def test_postgis_works_in_the_restored_database(round_trip):
    area = text("""SELECT code, round(ST_Area(boundary::geography)) FROM places
                   WHERE kind = 'grid_cell' AND boundary IS NOT NULL ORDER BY code LIMIT 3""")
    with _connect(round_trip["source"]) as a, _connect(round_trip["restored"]) as b:
        cells = b.execute(area).all()
        assert cells == a.execute(area).all() and all(m2 > 0 for _, m2 in cells)
        inside = b.execute(text("""SELECT count(*) FROM places p, places c WHERE p.kind = 'district'
                                   AND c.kind = 'grid_cell' AND ST_Covers(p.boundary, ST_PointOnSurface(c.boundary))""")).scalar()
        assert inside == len(b.execute(text("SELECT id FROM places WHERE kind = 'grid_cell'")).all())


def test_the_audit_log_is_still_append_only_for_the_application(round_trip):
    role = round_trip["app_role"]
    with _connect(round_trip["restored"]) as conn:
        privileges = {p: conn.execute(text("SELECT has_table_privilege(:r, 'audit_events', :p)"),
                                      {"r": role, "p": p}).scalar()
                      for p in ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "TRIGGER")}
        assert privileges == {"SELECT": True, "INSERT": True, "UPDATE": False, "DELETE": False,
                              "TRUNCATE": False, "TRIGGER": False}
        assert conn.execute(text("SELECT has_table_privilege(:r, 'residents', 'UPDATE')"), {"r": role}).scalar()
        with pytest.raises(DBAPIError, match="append-only"):  # even the owner: the trigger
            conn.execute(text("UPDATE audit_events SET outcome = 'changed'"))
        conn.rollback()
        conn.execute(text(f'SET ROLE "{role}"'))
        conn.execute(text("INSERT INTO audit_events (action, outcome) VALUES ('backup.test', 'success')"))
        for statement in ("UPDATE audit_events SET outcome = 'x'", "DELETE FROM audit_events", "TRUNCATE audit_events",
                          "ALTER TABLE audit_events DISABLE TRIGGER ALL"):
            conn.execute(text("SAVEPOINT s"))
            with pytest.raises(DBAPIError, match="permission denied|must be owner"):
                conn.execute(text(statement))
            conn.execute(text("ROLLBACK TO SAVEPOINT s"))
        conn.rollback()


def test_a_damaged_or_unchecked_dump_is_refused(round_trip, tmp_path):
    restored = round_trip["restored"]
    before = table_contents(restored)
    damaged = tmp_path / round_trip["dump"].name
    data = bytearray(round_trip["dump"].read_bytes())
    data[len(data) // 2] ^= 0x01
    damaged.write_bytes(bytes(data))
    shutil.copy(round_trip["dump"].with_name(round_trip["dump"].name + ".sha256"), tmp_path)
    refused = backup_sh("restore", str(damaged), RESTORE_DATABASE_URL=restored, RESTORE_FORCE="1")
    assert refused.returncode != 0
    assert "checksum mismatch" in refused.stderr and "nothing restored" in refused.stderr, refused.stderr
    Path(f"{damaged}.sha256").unlink()
    refused = backup_sh("restore", RESTORE_DATABASE_URL=restored, RESTORE_FORCE="1", BACKUP=str(damaged))
    assert refused.returncode != 0 and "no checksum file" in refused.stderr, refused.stderr
    assert table_contents(restored) == before


def test_a_restore_over_a_database_in_use_must_be_forced_and_is_all_or_nothing(round_trip):
    restored, dump = round_trip["restored"], str(round_trip["dump"])
    with _connect(restored) as conn:
        conn.execute(text("DELETE FROM visits WHERE id IN (SELECT id FROM visits LIMIT 5)"))
        conn.execute(text("UPDATE residents SET name = 'changed' WHERE id IN (SELECT id FROM residents LIMIT 5)"))
        conn.commit()
    changed = table_contents(restored)
    assert changed != round_trip["rows"]

    refused = backup_sh("restore", dump, RESTORE_DATABASE_URL=restored)
    assert refused.returncode != 0 and "is not empty" in refused.stderr and "RESTORE_FORCE=1" in refused.stderr
    assert table_contents(restored) == changed

    # a view of the target's own on a table of the dump: dropping the table fails half-way, all is rolled back
    with _connect(restored) as conn:
        conn.execute(text("CREATE VIEW local_report AS SELECT id FROM residents"))
        conn.commit()
    failed = backup_sh("restore", dump, RESTORE_DATABASE_URL=restored, RESTORE_FORCE="1")
    assert failed.returncode != 0 and "rolled back" in failed.stderr, failed.stderr
    assert table_contents(restored) == changed
    with _connect(restored) as conn:
        conn.execute(text("DROP VIEW local_report"))
        conn.commit()

    forced = backup_sh("restore", dump, RESTORE_DATABASE_URL=restored, RESTORE_FORCE="1")
    assert forced.returncode == 0, forced.stderr
    assert table_contents(restored) == round_trip["rows"]
    assert schema_of(restored) == round_trip["schema"]


def test_pruning_the_newest_by_default_and_roles_that_are_gone(app, tmp_path):
    """BACKUP_KEEP keeps the newest dumps; restore takes the newest; a dump whose roles the server
    no longer has is refused before anything is created."""
    with scratch_databases("_bgone_test", "_bgone2_test", role="gone") as ((small, target), gone):
        ensure_database(small)
        with _connect(small) as conn:
            _role(conn, gone)
            conn.execute(text("CREATE TABLE notes (id int PRIMARY KEY, body text)"))
            conn.execute(text("INSERT INTO notes VALUES (1, '备份')"))
            conn.execute(text(f'GRANT SELECT ON notes TO "{gone}"'))
            conn.commit()
        for stamp in ("20200101T000000Z", "20200102T000000Z", "20200103T000000Z"):
            (tmp_path / f"gridgov-{stamp}.dump").write_bytes(b"old")
            (tmp_path / f"gridgov-{stamp}.dump.sha256").write_text("x")
        (tmp_path / "unrelated.txt").write_text("kept")
        made = backup_sh("backup", DATABASE_OWNER_URL=small, BACKUP_DIR=str(tmp_path), BACKUP_KEEP="2")
        assert made.returncode == 0, made.stderr
        newest = Path(made.stdout.strip()).name
        assert sorted(p.name for p in tmp_path.iterdir()) == sorted([
            "gridgov-20200103T000000Z.dump", "gridgov-20200103T000000Z.dump.sha256", newest, f"{newest}.sha256",
            "unrelated.txt"])

        with _connect(small) as conn:
            conn.execute(text(f'DROP OWNED BY "{gone}"'))
            conn.execute(text(f'DROP ROLE "{gone}"'))
            conn.commit()
        refused = backup_sh("restore", BACKUP_DIR=str(tmp_path), RESTORE_DATABASE_URL=target)
        assert refused.returncode != 0, refused.stderr
        assert f"checksum verified: {tmp_path / newest}" in refused.stderr  # the newest, not the 2020 ones
        assert f"roles this server does not have: {gone}" in refused.stderr
        assert not database_exists(target)
