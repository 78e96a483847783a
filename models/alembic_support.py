"""What Alembic compares: our tables, not PostGIS' own (spatial_ref_sys, topology…)."""

from __future__ import annotations

from geoalchemy2 import alembic_helpers

from models.base import Base


def include_object(obj, name, type_, reflected, compare_to):
    if type_ == "table" and reflected and compare_to is None and name not in Base.metadata.tables:
        return False
    return alembic_helpers.include_object(obj, name, type_, reflected, compare_to)
