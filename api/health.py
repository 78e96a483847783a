"""Liveness and readiness probes."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from flask import Blueprint, jsonify
from sqlalchemy import text

from models.db import db_session

bp = Blueprint("health", __name__)

ROOT = Path(__file__).resolve().parent.parent


@lru_cache(maxsize=1)
def migration_heads() -> frozenset[str]:
    config = Config(str(ROOT / "alembic.ini"))
    return frozenset(ScriptDirectory.from_config(config).get_heads())


@bp.get("/healthz")
def healthz():
    """The process is up."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """The database answers and its schema is at the migrations' head."""
    try:
        current = set(db_session.scalars(text("SELECT version_num FROM alembic_version")).all())
    except Exception:
        db_session.rollback()
        return jsonify(status="unavailable", database="unreachable or not migrated"), 503
    heads = set(migration_heads())
    if current != heads:
        return jsonify(status="unavailable", database="migrations behind",
                       current=sorted(current), head=sorted(heads)), 503
    return jsonify(status="ok", database="ok", migration=sorted(current))
