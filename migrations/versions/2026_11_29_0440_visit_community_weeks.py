"""a community's visits per week, kept by a trigger on visit coverage

The assessment's timely reporting (上报及时率) of a district's communities over twelve months summed
530,000 cell-weeks (500–700 ms on the city); per community it is 44,000 narrow rows. The trigger
adds each change of a cell-week's ``visits`` and ``late`` to its community's row (the community is
read off the cell's path); streets and districts sum their communities when asked. Filled from
the existing coverage.

Revision ID: 5d7e1c9a3b24
Revises: 9b2e4f7c1d30
Create Date: 2026-11-29 04:40:00+00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '5d7e1c9a3b24'
down_revision = '9b2e4f7c1d30'
branch_labels = None
depends_on = None

# a cell's community: the fourth field of /district/street/community/cell/, the path up to it
COMMUNITY_ID = "split_part({path}, '/', 4)::uuid"
COMMUNITY_PATH = "regexp_replace({path}, '[^/]+/$', '')"


def upgrade() -> None:
    op.create_table(
        'visit_community_weeks',
        sa.Column('community_id', sa.Uuid(), nullable=False),
        sa.Column('week', sa.String(length=8), nullable=False),
        sa.Column('place_path', sa.String(length=200), nullable=False),
        sa.Column('visits', sa.Integer(), server_default='0', nullable=False),
        sa.Column('late', sa.Integer(), server_default='0', nullable=False),
        sa.ForeignKeyConstraint(['community_id'], ['places.id'],
                                name=op.f('fk_visit_community_weeks_community_id_places'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('community_id', 'week', name=op.f('pk_visit_community_weeks')),
    )
    op.create_index('ix_visit_community_weeks_week_path', 'visit_community_weeks', ['week', 'place_path'],
                    unique=False, postgresql_ops={'place_path': 'text_pattern_ops'},
                    postgresql_include=['visits', 'late'])
    community_id, community_path = COMMUNITY_ID.format(path="p"), COMMUNITY_PATH.format(path="p")
    op.execute(f"""
        CREATE FUNCTION visit_community_weeks_add(p text, w text, d_visits integer, d_late integer)
        RETURNS void LANGUAGE sql AS $$
            INSERT INTO visit_community_weeks AS c (community_id, week, place_path, visits, late)
            VALUES ({community_id}, w, {community_path}, d_visits, d_late)
            ON CONFLICT (community_id, week) DO UPDATE
            SET visits = c.visits + EXCLUDED.visits, late = c.late + EXCLUDED.late
        $$""")
    op.execute("""
        CREATE FUNCTION visit_community_weeks_keep() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                PERFORM visit_community_weeks_add(NEW.place_path, NEW.week, NEW.visits, NEW.late);
            ELSIF TG_OP = 'DELETE' THEN
                PERFORM visit_community_weeks_add(OLD.place_path, OLD.week, -OLD.visits, -OLD.late);
            ELSIF (OLD.visits, OLD.late, OLD.week, OLD.place_path)
                  IS DISTINCT FROM (NEW.visits, NEW.late, NEW.week, NEW.place_path) THEN
                PERFORM visit_community_weeks_add(OLD.place_path, OLD.week, -OLD.visits, -OLD.late);
                PERFORM visit_community_weeks_add(NEW.place_path, NEW.week, NEW.visits, NEW.late);
            END IF;
            RETURN NULL;
        END $$""")
    op.execute("CREATE TRIGGER visit_community_weeks AFTER INSERT OR UPDATE OR DELETE ON visit_coverage "
               "FOR EACH ROW EXECUTE FUNCTION visit_community_weeks_keep()")
    op.execute(REBUILD)


# the kept table recomputed from the coverage (also after a bulk load that bypassed the trigger)
REBUILD = f"""
    INSERT INTO visit_community_weeks (community_id, week, place_path, visits, late)
    SELECT {COMMUNITY_ID.format(path="place_path")}, week, min({COMMUNITY_PATH.format(path="place_path")}),
           sum(visits), sum(late)
    FROM visit_coverage GROUP BY 1, 2"""


def downgrade() -> None:
    op.execute("DROP TRIGGER visit_community_weeks ON visit_coverage")
    op.execute("DROP FUNCTION visit_community_weeks_keep()")
    op.execute("DROP FUNCTION visit_community_weeks_add(text, text, integer, integer)")
    op.drop_index('ix_visit_community_weeks_week_path', table_name='visit_community_weeks')
    op.drop_table('visit_community_weeks')
