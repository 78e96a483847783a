"""visit coverage per cell and week

Households visited per grid cell and ISO week, kept by the sync; households per grid cell, kept by
statement-level triggers on households. Both filled here from the existing rows.

Revision ID: 25b757d94608
Revises: 680f5b48e8d9
Create Date: 2026-11-27 16:56:13.669091+00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '25b757d94608'
down_revision = '680f5b48e8d9'
branch_labels = None
depends_on = None


COUNT_TRIGGERS = """
CREATE FUNCTION cell_households_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO cell_households (grid_cell_id, households)
  SELECT grid_cell_id, count(*) FROM added GROUP BY grid_cell_id ORDER BY grid_cell_id
  ON CONFLICT (grid_cell_id) DO UPDATE SET households = cell_households.households + EXCLUDED.households;
  RETURN NULL;
END $$;
CREATE FUNCTION cell_households_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE cell_households c SET households = c.households - r.n
  FROM (SELECT grid_cell_id, count(*) AS n FROM removed GROUP BY grid_cell_id ORDER BY grid_cell_id) r
  WHERE c.grid_cell_id = r.grid_cell_id;
  RETURN NULL;
END $$;
CREATE FUNCTION cell_households_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- only rows whose cell changed count; other updates (a visit's time, an address) cost one join
  INSERT INTO cell_households (grid_cell_id, households)
  SELECT cell, sum(delta) FROM (
    SELECT o.grid_cell_id AS cell, -1 AS delta FROM removed o JOIN added n ON n.id = o.id
     WHERE n.grid_cell_id <> o.grid_cell_id
    UNION ALL
    SELECT n.grid_cell_id, 1 FROM removed o JOIN added n ON n.id = o.id WHERE n.grid_cell_id <> o.grid_cell_id
  ) moves GROUP BY cell ORDER BY cell
  ON CONFLICT (grid_cell_id) DO UPDATE SET households = cell_households.households + EXCLUDED.households;
  RETURN NULL;
END $$;
CREATE TRIGGER households_counted_insert AFTER INSERT ON households
  REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION cell_households_added();
CREATE TRIGGER households_counted_delete AFTER DELETE ON households
  REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION cell_households_removed();
CREATE TRIGGER households_counted_update AFTER UPDATE ON households
  REFERENCING OLD TABLE AS removed NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION cell_households_moved();
"""


def upgrade() -> None:
    op.create_table('cell_households',
    sa.Column('grid_cell_id', sa.Uuid(), nullable=False),
    sa.Column('households', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['grid_cell_id'], ['places.id'], name=op.f('fk_cell_households_grid_cell_id_places'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('grid_cell_id', name=op.f('pk_cell_households'))
    )
    op.execute(COUNT_TRIGGERS)
    op.execute("INSERT INTO cell_households (grid_cell_id, households) "
               "SELECT grid_cell_id, count(*) FROM households GROUP BY grid_cell_id")
    op.create_table('visit_coverage',
    sa.Column('grid_cell_id', sa.Uuid(), nullable=False),
    sa.Column('week', sa.String(length=8), nullable=False),
    sa.Column('visited', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['grid_cell_id'], ['places.id'], name=op.f('fk_visit_coverage_grid_cell_id_places'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('grid_cell_id', 'week', name=op.f('pk_visit_coverage'))
    )
    op.create_index('ix_visit_coverage_week', 'visit_coverage', ['week'], unique=False)
    op.execute("INSERT INTO visit_coverage (grid_cell_id, week, visited) "
               "SELECT grid_cell_id, week, count(DISTINCT household_id) FROM visits GROUP BY grid_cell_id, week")


def downgrade() -> None:
    for trigger in ("insert", "delete", "update"):
        op.execute(f"DROP TRIGGER households_counted_{trigger} ON households")
    for function in ("added", "removed", "moved"):
        op.execute(f"DROP FUNCTION cell_households_{function}()")
    op.drop_table('cell_households')
    op.drop_index('ix_visit_coverage_week', table_name='visit_coverage')
    op.drop_table('visit_coverage')
