"""matter day facts

Each matter's stages (受理 / 处置 / 核查) remember when they last ended and whether late; the
cockpit's figures per China-time day, grid cell and category are kept in matter_day_facts by a
trigger that applies the difference between a matter's old and new contribution, both computed by
one SQL function (``matter_facts``) that a full rebuild uses too. Visit coverage counts visits and
late ones (reached the server more than a day after the visit: timely reporting, 上报及时率).
Matters keep their cell's place path (scope by one index range; open ones in a partial index).
Existing matters get their stage ends from their timelines and their path, coverage its counts.

Revision ID: ba24d92c5ca8
Revises: e91b9dbb2b6a
Create Date: 2026-11-27 23:34:46.272469+00:00
"""

import sqlalchemy as sa
from alembic import op

revision = 'ba24d92c5ca8'
down_revision = 'e91b9dbb2b6a'
branch_labels = None
depends_on = None

MONTHLY = ("closed", "satisfied", "basically_satisfied", "dissatisfied")
MEASURES = ("reported", "closed", "merged", "handle_seconds", "accept_done", "accept_on_time", "handle_done",
            "handle_on_time", "verify_done", "verify_on_time", "satisfied", "basically_satisfied", "dissatisfied")

# One matter's contribution: a row per day it touches (created, closed, each stage's end) for its
# cell and each place above it (community, street, district: the ids in the cell's path), so a
# scope's figures are the rows of its own places. China time is a fixed UTC+8 (no summer time
# since 1991).
FACTS_FUNCTION = """
CREATE FUNCTION matter_facts(m matters) RETURNS TABLE (
    place_id uuid, day date, category_id uuid, reported int, closed int, merged int, handle_seconds bigint,
    accept_done int, accept_on_time int, handle_done int, handle_on_time int, verify_done int,
    verify_on_time int, satisfied int, basically_satisfied int, dissatisfied int)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT a.place_id, f.day, m.category_id, f.reported, f.closed, f.merged, f.handle_seconds,
           f.accept_done, f.accept_on_time, f.handle_done, f.handle_on_time, f.verify_done,
           f.verify_on_time, f.satisfied, f.basically_satisfied, f.dissatisfied
    FROM places AS cell
    CROSS JOIN LATERAL unnest(string_to_array(trim(both '/' from cell.path), '/')::uuid[]) AS a(place_id)
    CROSS JOIN (VALUES
        (timezone(interval '08:00', m.created_at)::date, 1, 0, 0, 0::bigint, 0, 0, 0, 0, 0, 0, 0, 0, 0),
        (timezone(interval '08:00', m.closed_at)::date, 0,
         (m.status = 'closed' AND m.merged_into_id IS NULL)::int, (m.merged_into_id IS NOT NULL)::int,
         CASE WHEN m.status = 'closed' AND m.merged_into_id IS NULL
              THEN extract(epoch FROM m.closed_at - m.created_at)::bigint ELSE 0 END,
         0, 0, 0, 0, 0, 0,
         (m.rating = 'satisfied')::int, (m.rating = 'basically_satisfied')::int, (m.rating = 'dissatisfied')::int),
        (timezone(interval '08:00', m.accept_done_at)::date, 0, 0, 0, 0, 1, (NOT m.accept_late)::int,
         0, 0, 0, 0, 0, 0, 0),
        (timezone(interval '08:00', m.handle_done_at)::date, 0, 0, 0, 0, 0, 0,
         1, (NOT m.handle_late)::int, 0, 0, 0, 0, 0),
        (timezone(interval '08:00', m.verify_done_at)::date, 0, 0, 0, 0, 0, 0, 0, 0,
         1, (NOT m.verify_late)::int, 0, 0, 0)
    ) AS f(day, reported, closed, merged, handle_seconds, accept_done, accept_on_time, handle_done,
           handle_on_time, verify_done, verify_on_time, satisfied, basically_satisfied, dissatisfied)
    WHERE cell.id = m.grid_cell_id AND f.day IS NOT NULL
$$
"""

_SUMS = ", ".join(f"sum(f.{name} * f.sign)" for name in MEASURES)
_ADD = ", ".join(f"{name} = t.{name} + excluded.{name}" for name in MEASURES)
_NONZERO = " OR ".join(f"sum(f.{name} * f.sign) <> 0" for name in MEASURES)
_MONTH_SUMS = ", ".join(f"sum(f.{name} * f.sign)" for name in MONTHLY)
_MONTH_ADD = ", ".join(f"{name} = t.{name} + excluded.{name}" for name in MONTHLY)
_MONTH_NONZERO = " OR ".join(f"sum(f.{name} * f.sign) <> 0" for name in MONTHLY)

# The old row's contribution is taken away and the new one's added, when the change's transaction
# commits (a deferred constraint trigger: a district's row of the day is locked only while the
# commit runs, not for the whole request); rows are locked in key order, so two commits never
# deadlock on the same facts.
TRIGGER_FUNCTION = f"""
CREATE FUNCTION matter_facts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO matter_day_facts AS t (place_id, day, category_id, {", ".join(MEASURES)})
    SELECT f.place_id, f.day, f.category_id, {_SUMS}
    FROM (SELECT 1 AS sign, * FROM matter_facts(NEW) UNION ALL SELECT -1, * FROM matter_facts(OLD)) AS f
    GROUP BY f.place_id, f.day, f.category_id
    HAVING {_NONZERO}
    ORDER BY f.place_id, f.day, f.category_id
    ON CONFLICT (place_id, day, category_id) DO UPDATE SET {_ADD};
    -- closings and ratings per place and month, for the assessment's whole months (a new report
    -- adds nothing here, so intake never waits on a district's month)
    INSERT INTO matter_month_facts AS t (place_id, month, {", ".join(MONTHLY)})
    SELECT f.place_id, date_trunc('month', f.day)::date, {_MONTH_SUMS}
    FROM (SELECT 1 AS sign, * FROM matter_facts(NEW) UNION ALL SELECT -1, * FROM matter_facts(OLD)) AS f
    GROUP BY f.place_id, date_trunc('month', f.day)
    HAVING {_MONTH_NONZERO}
    ORDER BY 1, 2
    ON CONFLICT (place_id, month) DO UPDATE SET {_MONTH_ADD};
    RETURN NULL;
END
$$
"""

TRIGGER = """
CREATE CONSTRAINT TRIGGER matter_facts AFTER INSERT OR DELETE OR UPDATE OF
    status, grid_cell_id, category_id, created_at, closed_at, rating, merged_into_id,
    accept_done_at, accept_late, handle_done_at, handle_late, verify_done_at, verify_late
ON matters DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION matter_facts_apply()
"""

REBUILD = f"""
INSERT INTO matter_day_facts (place_id, day, category_id, {", ".join(MEASURES)})
SELECT f.place_id, f.day, f.category_id, {", ".join(f"sum(f.{name})" for name in MEASURES)}
FROM matters AS m, LATERAL matter_facts(m) AS f
GROUP BY f.place_id, f.day, f.category_id
"""

REBUILD_MONTHS = f"""
INSERT INTO matter_month_facts (place_id, month, {", ".join(MONTHLY)})
SELECT place_id, date_trunc('month', day)::date, {", ".join(f"sum({name})" for name in MONTHLY)}
FROM matter_day_facts GROUP BY place_id, date_trunc('month', day)
HAVING {" OR ".join(f"sum({name}) <> 0" for name in MONTHLY)}
"""

LIMITS = """
    SELECT c.id, coalesce(c.accept_hours, p.accept_hours) AS accept, coalesce(c.handle_hours, p.handle_hours) AS handle,
           coalesce(c.verify_hours, p.verify_hours) AS verify
    FROM matter_categories c LEFT JOIN matter_categories p ON p.id = c.parent_id
"""

# (stage, the statuses inside it): a stage ends with the last step out of those statuses, and that
# run of the stage began with the last step into them from outside (its deadline counted from there;
# the accept stage's from the matter's creation).
STAGE_STATUSES = {"accept": "('submitted')", "handle": "('accepted', 'registered', 'dispatched')",
                  "verify": "('handled', 'verified')"}


def _backfill_stage(stage: str, inside: str) -> str:
    started = ("m.created_at" if stage == "accept" else
               f"""(SELECT max(b.at) FROM matter_events b WHERE b.matter_id = e.matter_id AND b.id < e.id
                    AND b.to_status IN {inside} AND (b.from_status IS NULL OR b.from_status NOT IN {inside}))""")
    return f"""
        UPDATE matters AS m SET {stage}_done_at = s.at,
            {stage}_late = coalesce(s.at > s.started + make_interval(hours => s.hours), false)
        FROM (SELECT DISTINCT ON (e.matter_id) e.matter_id, e.at, {started} AS started, l.{stage} AS hours
              FROM matter_events e JOIN matters m ON m.id = e.matter_id JOIN ({LIMITS}) l ON l.id = m.category_id
              WHERE e.from_status IN {inside} AND e.to_status NOT IN {inside}
              ORDER BY e.matter_id, e.id DESC) AS s
        WHERE s.matter_id = m.id
    """


def upgrade() -> None:
    op.create_table('matter_day_facts',
    sa.Column('place_id', sa.Uuid(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('category_id', sa.Uuid(), nullable=False),
    sa.Column('reported', sa.Integer(), server_default='0', nullable=False),
    sa.Column('closed', sa.Integer(), server_default='0', nullable=False),
    sa.Column('merged', sa.Integer(), server_default='0', nullable=False),
    sa.Column('handle_seconds', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('accept_done', sa.Integer(), server_default='0', nullable=False),
    sa.Column('accept_on_time', sa.Integer(), server_default='0', nullable=False),
    sa.Column('handle_done', sa.Integer(), server_default='0', nullable=False),
    sa.Column('handle_on_time', sa.Integer(), server_default='0', nullable=False),
    sa.Column('verify_done', sa.Integer(), server_default='0', nullable=False),
    sa.Column('verify_on_time', sa.Integer(), server_default='0', nullable=False),
    sa.Column('satisfied', sa.Integer(), server_default='0', nullable=False),
    sa.Column('basically_satisfied', sa.Integer(), server_default='0', nullable=False),
    sa.Column('dissatisfied', sa.Integer(), server_default='0', nullable=False),
    sa.PrimaryKeyConstraint('place_id', 'day', 'category_id', name=op.f('pk_matter_day_facts'))
    )
    op.create_table('matter_month_facts',
    sa.Column('place_id', sa.Uuid(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('closed', sa.Integer(), server_default='0', nullable=False),
    sa.Column('satisfied', sa.Integer(), server_default='0', nullable=False),
    sa.Column('basically_satisfied', sa.Integer(), server_default='0', nullable=False),
    sa.Column('dissatisfied', sa.Integer(), server_default='0', nullable=False),
    sa.PrimaryKeyConstraint('place_id', 'month', name=op.f('pk_matter_month_facts'))
    )
    op.add_column('matters', sa.Column('accept_done_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('matters', sa.Column('accept_late', sa.Boolean(), nullable=True))
    op.add_column('matters', sa.Column('handle_done_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('matters', sa.Column('handle_late', sa.Boolean(), nullable=True))
    op.add_column('matters', sa.Column('verify_done_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('matters', sa.Column('verify_late', sa.Boolean(), nullable=True))
    op.add_column('visit_coverage', sa.Column('visits', sa.Integer(), server_default='0', nullable=False))
    op.add_column('visit_coverage', sa.Column('late', sa.Integer(), server_default='0', nullable=False))
    op.add_column('matters', sa.Column('place_path', sa.String(length=200), nullable=True))
    op.execute("UPDATE matters AS m SET place_path = p.path FROM places AS p WHERE p.id = m.grid_cell_id")
    op.create_check_constraint(op.f('ck_matters_path_with_cell'), 'matters', "(grid_cell_id IS NULL) = (place_path IS NULL)")
    op.create_index('ix_matters_place_path', 'matters', ['place_path'], unique=False,
                    postgresql_ops={'place_path': 'text_pattern_ops'})
    op.create_index('ix_matters_open_path', 'matters', ['place_path'], unique=False,
                    postgresql_ops={'place_path': 'text_pattern_ops'}, postgresql_include=['status', 'stage_due_at'],
                    postgresql_where=sa.text("status IN ('submitted', 'accepted', 'registered', 'dispatched', "
                                             "'handled', 'verified')"))
    for stage in STAGE_STATUSES:
        op.create_check_constraint(op.f(f"ck_matters_{stage}_done_and_late"), "matters",
                                   f"({stage}_done_at IS NULL) = ({stage}_late IS NULL)")
    for stage, inside in STAGE_STATUSES.items():
        op.execute(_backfill_stage(stage, inside))
    op.execute("""
        UPDATE visit_coverage AS c SET visits = s.visits, late = s.late
        FROM (SELECT grid_cell_id, week, count(*) AS visits,
                     count(*) FILTER (WHERE created_at > visited_at + interval '24 hours') AS late
              FROM visits GROUP BY grid_cell_id, week) AS s
        WHERE s.grid_cell_id = c.grid_cell_id AND s.week = c.week
    """)
    op.execute(FACTS_FUNCTION)
    op.execute(TRIGGER_FUNCTION)
    op.execute(TRIGGER)
    op.execute(REBUILD)
    op.execute(REBUILD_MONTHS)


def downgrade() -> None:
    op.execute("DROP TRIGGER matter_facts ON matters")
    op.execute("DROP FUNCTION matter_facts_apply()")
    op.execute("DROP FUNCTION matter_facts(matters)")
    op.drop_index('ix_matters_open_path', table_name='matters')
    op.drop_index('ix_matters_place_path', table_name='matters')
    op.drop_constraint(op.f('ck_matters_path_with_cell'), 'matters', type_='check')
    op.drop_column('matters', 'place_path')
    for stage in reversed(STAGE_STATUSES):
        op.drop_constraint(op.f(f"ck_matters_{stage}_done_and_late"), "matters", type_="check")
    op.drop_column('visit_coverage', 'late')
    op.drop_column('visit_coverage', 'visits')
    op.drop_column('matters', 'verify_late')
    op.drop_column('matters', 'verify_done_at')
    op.drop_column('matters', 'handle_late')
    op.drop_column('matters', 'handle_done_at')
    op.drop_column('matters', 'accept_late')
    op.drop_column('matters', 'accept_done_at')
    op.drop_table('matter_month_facts')
    op.drop_table('matter_day_facts')
