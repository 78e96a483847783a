"""visit photos, weekly follow-up, patrols and check-ins

Photos attach to a matter or a visit (never both); households carry a weekly follow-up flag;
check-ins and patrol tracks (with the time of each point, per-day totals and the cells covered).

Revision ID: 680f5b48e8d9
Revises: 1e5055d11575
Create Date: 2026-11-27 16:13:02.976335+00:00
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision = '680f5b48e8d9'
down_revision = '1e5055d11575'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_geospatial_table('check_ins',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.Enum('check_in', 'check_out', name='check_in_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('location', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('grid_cell_id', sa.Uuid(), nullable=True),
    sa.Column('in_own_cells', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['grid_cell_id'], ['places.id'], name=op.f('fk_check_ins_grid_cell_id_places'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_check_ins_user_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_check_ins'))
    )
    op.create_index('ix_check_ins_user_day', 'check_ins', ['user_id', 'day'], unique=False)
    op.create_geospatial_table('patrols',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('track', Geometry(geometry_type='LINESTRING', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('point_times', postgresql.ARRAY(sa.DateTime(timezone=True)), nullable=False),
    sa.Column('point_count', sa.Integer(), nullable=False),
    sa.Column('length_m', sa.Float(), nullable=False),
    sa.Column('active_seconds', sa.Integer(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('ended_at >= started_at', name=op.f('ck_patrols_ends_after_start')),
    sa.CheckConstraint('point_count >= 2', name=op.f('ck_patrols_two_points')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_patrols_user_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patrols'))
    )
    op.create_geospatial_index('idx_patrols_track', 'patrols', ['track'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index('ix_patrols_user_started', 'patrols', ['user_id', 'started_at'], unique=False)
    op.create_table('patrol_cells',
    sa.Column('patrol_id', sa.Uuid(), nullable=False),
    sa.Column('grid_cell_id', sa.Uuid(), nullable=False),
    sa.Column('length_m', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['grid_cell_id'], ['places.id'], name=op.f('fk_patrol_cells_grid_cell_id_places'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['patrol_id'], ['patrols.id'], name=op.f('fk_patrol_cells_patrol_id_patrols'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('patrol_id', 'grid_cell_id', name=op.f('pk_patrol_cells'))
    )
    op.create_index(op.f('ix_patrol_cells_grid_cell_id'), 'patrol_cells', ['grid_cell_id'], unique=False)
    op.create_table('patrol_days',
    sa.Column('patrol_id', sa.Uuid(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('active_seconds', sa.Integer(), nullable=False),
    sa.Column('length_m', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['patrol_id'], ['patrols.id'], name=op.f('fk_patrol_days_patrol_id_patrols'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_patrol_days_user_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('patrol_id', 'day', name=op.f('pk_patrol_days'))
    )
    op.create_index('ix_patrol_days_user_day', 'patrol_days', ['user_id', 'day'], unique=False)
    op.add_column('households', sa.Column('weekly_follow_up', sa.Boolean(), server_default=sa.text('false'), nullable=False))
    op.add_column('households', sa.Column('follow_up_reason', sa.String(length=200), nullable=True))
    op.add_column('households', sa.Column('last_visited_at', sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE households h SET last_visited_at = v.last FROM "
               "(SELECT household_id, max(visited_at) AS last FROM visits GROUP BY household_id) v WHERE v.household_id = h.id")
    op.create_index('ix_households_cell_last_visited', 'households', ['grid_cell_id', 'last_visited_at'], unique=False)
    op.add_column('photos', sa.Column('visit_id', sa.Uuid(), nullable=True))
    op.create_index(op.f('ix_photos_visit_id'), 'photos', ['visit_id'], unique=False)
    op.create_foreign_key(op.f('fk_photos_visit_id_visits'), 'photos', 'visits', ['visit_id'], ['id'], ondelete='CASCADE')
    op.drop_constraint(op.f('ck_photos_attached_with_purpose'), 'photos', type_='check')
    op.create_check_constraint(op.f('ck_photos_attached_once'), 'photos', 'num_nonnulls(matter_id, visit_id) <= 1')
    op.create_check_constraint(op.f('ck_photos_attached_with_purpose'), 'photos',
                               '(matter_id IS NULL AND visit_id IS NULL) = (purpose IS NULL)')


def downgrade() -> None:
    op.execute("DELETE FROM photos WHERE visit_id IS NOT NULL")
    op.drop_constraint(op.f('ck_photos_attached_with_purpose'), 'photos', type_='check')
    op.drop_constraint(op.f('ck_photos_attached_once'), 'photos', type_='check')
    op.create_check_constraint(op.f('ck_photos_attached_with_purpose'), 'photos', '(matter_id IS NULL) = (purpose IS NULL)')
    op.drop_constraint(op.f('fk_photos_visit_id_visits'), 'photos', type_='foreignkey')
    op.drop_index(op.f('ix_photos_visit_id'), table_name='photos')
    op.drop_column('photos', 'visit_id')
    op.drop_index('ix_households_cell_last_visited', table_name='households')
    op.drop_column('households', 'last_visited_at')
    op.drop_column('households', 'follow_up_reason')
    op.drop_column('households', 'weekly_follow_up')
    op.drop_index('ix_patrol_days_user_day', table_name='patrol_days')
    op.drop_table('patrol_days')
    op.drop_index(op.f('ix_patrol_cells_grid_cell_id'), table_name='patrol_cells')
    op.drop_table('patrol_cells')
    op.drop_index('ix_patrols_user_started', table_name='patrols')
    op.drop_geospatial_index('idx_patrols_track', table_name='patrols', postgresql_using='gist', column_name='track')
    op.drop_geospatial_table('patrols')
    op.drop_index('ix_check_ins_user_day', table_name='check_ins')
    op.drop_geospatial_table('check_ins')
