"""Command-line tasks: `flask --app wsgi db upgrade`, `flask --app wsgi demo load`, `flask --app wsgi users create-admin`."""

from __future__ import annotations

import getpass
import json
import logging
import time
import uuid
from pathlib import Path

import click
from alembic import command
from alembic.config import Config
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import create_engine, make_url, select

from api.auth import passwords
from api.demo import loader
from api.errors import ValidationFailed
from api.geo.coords import CoordSystem
from api.grids import service as grids
from api.policy import Scope
from models import ADMIN_ROLES, Place, PlaceKind, Role, User
from models.db import db_session
from models.grants import grant_app_role

ROOT = Path(__file__).resolve().parent.parent


def alembic_config(url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["url"] = url
    return config


def register(app: Flask) -> None:
    db_cli = AppGroup("db", help="Database schema (Alembic migrations).")
    demo_cli = AppGroup("demo", help="The demo district (never in production).")
    users_cli = AppGroup("users", help="Accounts that the API cannot create.")
    grid_cli = AppGroup("grid", help="Import and export places and grid cells as GeoJSON.")
    pii_cli = AppGroup("pii", help="Personal data at rest: key rotation.")

    @pii_cli.command("rotate")
    def pii_rotate():
        """Re-seal every identity number and sealed record made with a previous key (PII_PREVIOUS_KEYS)
        with the current one (PII_KEY_ID). Batches are committed; safe to run again."""
        from api.sealed import rotate

        counts = rotate(db_session, current_app.extensions["gridgov.identity"])
        click.echo("pii rotate: " + ", ".join(f"{name} {n}" for name, n in counts.items()))

    worker_cli = AppGroup("worker", help="The background worker: outbox delivery, deadline reminders, retention.")

    @worker_cli.command("run")
    @click.option("--interval", default=5.0, show_default=True, help="Seconds between rounds.")
    @click.option("--once", is_flag=True, help="One round, then exit.")
    def worker_run(interval, once):
        """Deliver the outbox, sweep matter and petition deadlines and unacknowledged dispatches, and
        purge what is past its retention, round after round (make run starts it)."""
        from api.emergency.dispatch import sweep_unacknowledged
        from api.emergency.stream import prune
        from api.governance.service import purge_expired
        from api.matters.deadlines import sweep
        from api.notifications.service import deliver_all
        from api.petitions import reminders

        def retention(db):
            return purge_expired(db, current_app.config["FOLLOWED_RETENTION_DAYS"])

        def petitions(db):
            return reminders.sweep(db, current_app.config["PETITION_WARN_DAYS"])

        def dispatches(db):
            config = current_app.config
            return sweep_unacknowledged(db, ack_minutes=config["DISPATCH_ACK_MINUTES"],
                                        radius_m=config["INCIDENT_RADIUS_METRES"],
                                        fresh_seconds=config["RESPONDER_POSITION_FRESH_SECONDS"],
                                        auto_replace=config["DISPATCH_AUTO_REPLACE"])

        def stream_retention(db):
            return prune(db, current_app.config["STREAM_RETENTION_HOURS"])

        log = logging.getLogger("gridgov.worker")
        while True:
            # Each step commits on its own: a failing sweep must not stop deliveries, or the reverse.
            for name, step in (("sweep", sweep), ("petitions", petitions), ("dispatches", dispatches),
                               ("delivery", deliver_all), ("retention", retention),
                               ("stream", stream_retention)):
                try:
                    result = step(db_session)
                    db_session.commit()
                    if result:
                        log.info("worker %s: %s", name, result)
                except Exception:  # keep going: the next round retries whatever failed
                    db_session.rollback()
                    log.exception("worker %s failed", name)
                finally:
                    db_session.remove()
            if once:
                return
            time.sleep(interval)

    @grid_cli.command("import")
    @click.argument("path", type=click.File("r", encoding="utf-8"))
    @click.option("--coord-system", type=click.Choice([c.value for c in CoordSystem]), default="wgs84",
                  help="Coordinate system of the file's polygons (converted to WGS-84).")
    @click.option("--dry-run", is_flag=True, help="Check everything, write nothing.")
    def grid_import(path, coord_system, dry_run):
        """Import a GeoJSON FeatureCollection of places (codes of 6/9/12/15 digits), all or nothing."""
        try:
            collection = json.load(path)
        except json.JSONDecodeError as exc:
            raise click.ClickException(f"not JSON: {exc}") from None
        if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection" \
                or not isinstance(collection.get("features"), list):
            raise click.ClickException("expected a GeoJSON FeatureCollection")
        try:
            result = grids.apply_features(db_session, None, collection["features"], coord_system=CoordSystem(coord_system))
        except ValidationFailed as exc:
            db_session.rollback()
            for index, problems in exc.errors.get("features", {}).items():
                for field, messages in problems.items():
                    for message in messages:
                        click.echo(f"feature {index}: {field}: {message[1] if isinstance(message, tuple) else message}", err=True)
            raise click.ClickException("nothing imported") from None
        for community in result.communities:
            report = grids.coverage(db_session, community)
            if report["uncovered_m2"]:
                click.echo(f"{community.code} {community.name}: {report['uncovered_m2']} m² not covered by cells")
        if dry_run:
            db_session.rollback()
        else:
            db_session.commit()
        click.echo(f"{'checked' if dry_run else 'imported'}: {len(result.created)} created, "
                   f"{len(result.updated)} updated, {len(result.unchanged)} unchanged")

    @grid_cli.command("export")
    @click.option("--code", default=None, help="Only places whose code starts with this.")
    @click.option("--with-parents", is_flag=True, help="Also districts, streets and communities.")
    def grid_export(code, with_parents):
        """Write the grid cells (and with --with-parents their parents) as GeoJSON to stdout."""
        everything = Scope(actor_id=uuid.UUID(int=0), role=Role.system_admin, place_id=uuid.UUID(int=0),
                           place_paths=("/",))
        collection = grids.export_places(db_session, everything, code=code, with_parents=with_parents)
        click.echo(json.dumps(collection, ensure_ascii=False))

    @db_cli.command("upgrade")
    @click.argument("revision", default="head")
    def db_upgrade(revision):
        """Migrate the database to REVISION (default: head) as the owner role (DATABASE_OWNER_URL),
        then grant the application's role (DATABASE_URL's user) what it needs and no more."""
        owner_url = current_app.config["DATABASE_OWNER_URL"]
        command.upgrade(alembic_config(owner_url), revision)
        app_role = make_url(current_app.config["DATABASE_URL"]).username
        if app_role and app_role != make_url(owner_url).username:
            engine = create_engine(owner_url)
            with engine.begin() as conn:
                grant_app_role(conn, app_role)
            engine.dispose()
            click.echo(f"db: granted the application role {app_role!r} its privileges (audit log: insert only)")

    @db_cli.command("downgrade")
    @click.argument("revision")
    def db_downgrade(revision):
        """Migrate the database down to REVISION (e.g. -1 or base), as the owner role."""
        command.downgrade(alembic_config(current_app.config["DATABASE_OWNER_URL"]), revision)

    @demo_cli.command("load")
    @click.option("--if-empty", is_flag=True, help="Load only into a database with no places at all.")
    def demo_load(if_empty):
        """Load the demo district (召陵区) and the demo accounts."""
        if not current_app.config["ALLOW_DEMO_DATA"]:
            raise click.ClickException("demo data is never loaded with production settings")
        if if_empty and not loader.is_empty(db_session):
            click.echo("demo: the database already holds places; nothing loaded")
            return
        if loader.is_loaded(db_session):
            click.echo("demo: already loaded")
            return
        counts = loader.load(db_session, passwords.hasher_from(current_app.config),
                             current_app.extensions["gridgov.identity"])
        db_session.commit()
        click.echo("demo: loaded " + ", ".join(f"{v} {k}" for k, v in counts.items()))

    @demo_cli.command("responders")
    def demo_responders():
        """Move the demo's responders a few metres and make their positions current, as their
        phones would (recommendations only offer responders with a fresh position)."""
        from api.demo.emergency import refresh_positions

        if not current_app.config["ALLOW_DEMO_DATA"]:
            raise click.ClickException("demo data is never touched with production settings")
        moved = refresh_positions(db_session)
        db_session.commit()
        click.echo(f"demo: {moved} responders reported a fresh position")

    @users_cli.command("create-admin")
    @click.argument("username")
    @click.option("--role", type=click.Choice(sorted(r.value for r in ADMIN_ROLES | {Role.district_admin})),
                  required=True)
    @click.option("--district-code", required=True, help="The district the account belongs to.")
    @click.option("--display-name", default=None)
    def create_admin(username, role, district_code, display_name):
        """Create an administrator account (the API only creates ordinary accounts)."""
        district = db_session.scalars(
            select(Place).where(Place.code == district_code, Place.kind == PlaceKind.district)
        ).first()
        if district is None:
            raise click.ClickException(f"no district with code {district_code}")
        password = getpass.getpass("Password: ")
        problems = passwords.password_problems(password, username)
        if problems:
            raise click.ClickException(" ".join(en for _, en in problems))
        db_session.add(User(
            id=uuid.uuid4(), username=username, display_name=display_name or username, role=Role(role),
            place_id=district.id, password_hash=passwords.hash_password(passwords.hasher_from(current_app.config), password),
        ))
        db_session.commit()
        click.echo(f"created {role} {username}")

    app.cli.add_command(db_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(grid_cli)
    app.cli.add_command(worker_cli)
    app.cli.add_command(pii_cli)

    open311_cli = AppGroup("open311", help="Open311 partner keys.")

    @open311_cli.command("issue-key")
    @click.argument("name")
    @click.option("--place-code", required=True, help="The district or street the partner works for.")
    def issue_key(name, place_code):
        """Issue an api_key to a partner system (printed once; only its hash is kept)."""
        import secrets

        from api.open311.resources import hash_key
        from models import Open311Key

        place = db_session.scalars(select(Place).where(Place.code == place_code)).first()
        if place is None:
            raise click.ClickException(f"no place with code {place_code}")
        key = secrets.token_urlsafe(24)
        db_session.add(Open311Key(name=name, key_hash=hash_key(key), place_id=place.id))
        db_session.commit()
        click.echo(key)

    app.cli.add_command(open311_cli)

    matters_cli = AppGroup("matters", help="Matters: the cockpit's per-day figures.")

    @matters_cli.command("rebuild-facts")
    @click.option("--check", is_flag=True, help="Only compare the kept figures with a recomputation.")
    def matters_rebuild_facts(check):
        """Recompute the cockpit's facts — matter_day_facts and matter_month_facts from the matters,
        visit_community_weeks from the cells' visit coverage — after a bulk load that bypassed
        their triggers, or with --check report whether the kept figures are exact."""
        from api.cockpit import facts

        if check:
            wrong, wrong_visits = facts.differences(db_session), facts.visit_week_differences(db_session)
            db_session.rollback()
            if wrong or wrong_visits:
                raise click.ClickException(f"{len(wrong)} rows of the matter facts and {len(wrong_visits)} of "
                                           "visit_community_weeks differ from a recomputation")
            click.echo("matters: the per-day figures and the communities' visits per week are exact")
            return
        written = facts.rebuild(db_session)
        weeks = facts.rebuild_visit_weeks(db_session)
        db_session.commit()
        click.echo(f"matters: rebuilt {written} rows of per-day figures and {weeks} community-weeks of visits")

    app.cli.add_command(matters_cli)
