"""The per-day figures' trigger is deferred to commit: checked with real commits, outside the
tests' rolled-back transaction (everything written here is removed at the end)."""

from __future__ import annotations

from sqlalchemy import create_engine, text

from api.cockpit import facts

COPY_A_MATTER = text("""
    INSERT INTO matters (category_id, description, location, grid_cell_id, place_path, needs_placement, source,
                         reporter_id, status, level, stage_started_at, stage_due_at)
    SELECT category_id, '提交测试', location, grid_cell_id, place_path, false, source, reporter_id, 'submitted', 'grid',
           now(), now() + interval '2 hours'
    FROM matters WHERE grid_cell_id IS NOT NULL ORDER BY number LIMIT 1
    RETURNING id
""")
DISTRICT_REPORTED_TODAY = text("""
    SELECT coalesce(sum(f.reported), 0) FROM matter_day_facts f JOIN places p ON p.id = f.place_id
    WHERE p.kind = 'district' AND f.day = timezone(interval '08:00', now())::date
""")


def test_figures_change_at_commit_and_two_transactions_add_up(app):
    engine = create_engine(app.config["DATABASE_URL"])
    created = []
    try:
        with engine.connect() as first, engine.connect() as second:
            before = first.execute(DISTRICT_REPORTED_TODAY).scalar()
            first.commit()
            created.append(first.execute(COPY_A_MATTER).scalar())
            created.append(second.execute(COPY_A_MATTER).scalar())
            assert first.execute(DISTRICT_REPORTED_TODAY).scalar() == before  # not yet: at commit
            first.commit()
            second.commit()
            assert first.execute(DISTRICT_REPORTED_TODAY).scalar() == before + 2
            assert facts.differences(first) == {}
            first.rollback()
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM matters WHERE id = ANY(:ids)"), {"ids": created})
        with engine.connect() as conn:
            assert facts.differences(conn) == {}
        engine.dispose()
