"""door-knock visits

Visits keyed by the phone's own UUID, with the server's change counter (sequence visit_versions).

Revision ID: 1e5055d11575
Revises: cc9f8c937d29
Create Date: 2026-11-27 15:50:02.617912+00:00
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision = '1e5055d11575'
down_revision = 'cc9f8c937d29'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE SEQUENCE visit_versions")
    op.create_geospatial_table('visits',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('household_id', sa.Uuid(), nullable=False),
    sa.Column('grid_cell_id', sa.Uuid(), nullable=False),
    sa.Column('visitor_id', sa.Uuid(), nullable=False),
    sa.Column('visited_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('week', sa.String(length=8), nullable=False),
    sa.Column('location', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('far_from_household', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('result', sa.Enum('met', 'nobody_home', 'refused', name='visit_result', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('findings', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('roster_changes', postgresql.JSONB(astext_type=sa.Text()), server_default='[]', nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['grid_cell_id'], ['places.id'], name=op.f('fk_visits_grid_cell_id_places'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_visits_household_id_households'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['visitor_id'], ['users.id'], name=op.f('fk_visits_visitor_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visits'))
    )
    op.create_index('ix_visits_cell_week', 'visits', ['grid_cell_id', 'week'], unique=False)
    op.create_index(op.f('ix_visits_household_id'), 'visits', ['household_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_visits_household_id'), table_name='visits')
    op.drop_index('ix_visits_cell_week', table_name='visits')
    op.drop_geospatial_table('visits')
    op.execute("DROP SEQUENCE visit_versions")
