"""emergency dispatch

Incidents (突发事件) graded I–IV with their command log, the four teams and their responders (duty
status, latest position as geography with a KNN index over those available, a bounded track),
dispatches, and the live stream's events (a transactional outbox ordered by transaction id).

Revision ID: e91b9dbb2b6a
Revises: 6af1a13286ff
Create Date: 2026-11-27 21:07:22.688631+00:00
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geography, Geometry
from sqlalchemy.dialects import postgresql

revision = 'e91b9dbb2b6a'
down_revision = '6af1a13286ff'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('teams',
    sa.Column('id', sa.Uuid(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('place_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.Enum('governance', 'mediation', 'patrol', 'rescue', name='team_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['place_id'], ['places.id'], name=op.f('fk_teams_place_id_places'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_teams'))
    )
    op.create_index('uq_teams_place_kind', 'teams', ['place_id', 'kind'], unique=True)
    op.create_geospatial_table('responder_tracks',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=True), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('position', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('accuracy_m', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_responder_tracks_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_responder_tracks'))
    )
    op.create_index('ix_responder_tracks_user_at', 'responder_tracks', ['user_id', 'at'], unique=False)
    op.create_geospatial_table('responders',
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('team_id', sa.Uuid(), nullable=False),
    sa.Column('skills', postgresql.ARRAY(sa.String(length=32)), server_default=sa.text("'{}'"), nullable=False),
    sa.Column('duty_status', sa.Enum('on_duty', 'busy', 'off_duty', name='duty_status', native_enum=False, create_constraint=True, length=32), server_default='off_duty', nullable=False),
    sa.Column('position', Geography(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeogFromText', name='geography'), nullable=True),
    sa.Column('position_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('accuracy_m', sa.Float(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('(position IS NULL) = (position_at IS NULL)', name=op.f('ck_responders_position_with_time')),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_responders_team_id_teams'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_responders_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_responders'))
    )
    op.create_geospatial_index('ix_responders_position_available', 'responders', ['position'], unique=False, postgresql_using='gist', postgresql_where=sa.text("duty_status = 'on_duty' AND position IS NOT NULL"), postgresql_ops={})
    op.create_index(op.f('ix_responders_team_id'), 'responders', ['team_id'], unique=False)
    op.create_table('stream_events',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=True), nullable=False),
    sa.Column('xid', sa.BigInteger(), server_default=sa.text('(pg_current_xact_id()::text)::bigint'), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('topic', sa.String(length=48), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=True),
    sa.Column('place_path', sa.String(length=200), nullable=True),
    sa.Column('payload', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.CheckConstraint('num_nonnulls(user_id, place_path) = 1', name=op.f('ck_stream_events_one_audience')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_stream_events_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stream_events'))
    )
    op.create_index('ix_stream_events_at', 'stream_events', ['at'], unique=False)
    op.create_index('ix_stream_events_cursor', 'stream_events', ['xid', 'id'], unique=False)
    op.create_index('ix_stream_events_user', 'stream_events', ['user_id', 'id'], unique=False)
    op.create_geospatial_table('incidents',
    sa.Column('id', sa.Uuid(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('number', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('kind', sa.Enum('natural_disaster', 'accident', 'public_health', 'public_security', name='incident_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('subtype', sa.String(length=32), nullable=False),
    sa.Column('level', sa.Enum('I', 'II', 'III', 'IV', name='incident_level', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('status', sa.Enum('open', 'responding', 'contained', 'closed', name='incident_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('location', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=True),
    sa.Column('grid_cell_id', sa.Uuid(), nullable=True),
    sa.Column('place_id', sa.Uuid(), nullable=False),
    sa.Column('teams', postgresql.ARRAY(sa.String(length=16)), nullable=False),
    sa.Column('commander_id', sa.Uuid(), nullable=True),
    sa.Column('matter_id', sa.Uuid(), nullable=True),
    sa.Column('reported_by_id', sa.Uuid(), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('responding_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('contained_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('is_demo', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("(status = 'closed') = (closed_at IS NOT NULL)", name=op.f('ck_incidents_closed_with_time')),
    sa.CheckConstraint('cardinality(teams) >= 1', name=op.f('ck_incidents_needs_a_team')),
    sa.ForeignKeyConstraint(['commander_id'], ['users.id'], name=op.f('fk_incidents_commander_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['grid_cell_id'], ['places.id'], name=op.f('fk_incidents_grid_cell_id_places'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['matter_id'], ['matters.id'], name=op.f('fk_incidents_matter_id_matters'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['place_id'], ['places.id'], name=op.f('fk_incidents_place_id_places'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['reported_by_id'], ['users.id'], name=op.f('fk_incidents_reported_by_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incidents')),
    sa.UniqueConstraint('matter_id', name=op.f('uq_incidents_matter_id')),
    sa.UniqueConstraint('number', name=op.f('uq_incidents_number'))
    )
    op.create_geospatial_index('idx_incidents_location', 'incidents', ['location'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_incidents_grid_cell_id'), 'incidents', ['grid_cell_id'], unique=False)
    op.create_index('ix_incidents_status_level', 'incidents', ['status', 'level'], unique=False)
    op.create_table('dispatches',
    sa.Column('id', sa.Uuid(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('incident_id', sa.Uuid(), nullable=False),
    sa.Column('responder_id', sa.Uuid(), nullable=False),
    sa.Column('status', sa.Enum('dispatched', 'acknowledged', 'en_route', 'on_scene', 'done', 'declined', 'cancelled', name='dispatch_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('dispatched_by_id', sa.Uuid(), nullable=True),
    sa.Column('automatic', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('replaces_id', sa.Uuid(), nullable=True),
    sa.Column('distance_m', sa.Float(), nullable=True),
    sa.Column('dispatched_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ack_due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('en_route_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('on_scene_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('declined_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('overdue_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['dispatched_by_id'], ['users.id'], name=op.f('fk_dispatches_dispatched_by_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_dispatches_incident_id_incidents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['replaces_id'], ['dispatches.id'], name=op.f('fk_dispatches_replaces_id_dispatches'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['responder_id'], ['users.id'], name=op.f('fk_dispatches_responder_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dispatches'))
    )
    op.create_index(op.f('ix_dispatches_incident_id'), 'dispatches', ['incident_id'], unique=False)
    op.create_index(op.f('ix_dispatches_responder_id'), 'dispatches', ['responder_id'], unique=False)
    op.create_index('ix_dispatches_unacknowledged', 'dispatches', ['ack_due_at'], unique=False, postgresql_where=sa.text("status = 'dispatched' AND overdue_at IS NULL"))
    op.create_index('uq_dispatches_live', 'dispatches', ['incident_id', 'responder_id'], unique=True, postgresql_where=sa.text("status IN ('dispatched', 'acknowledged', 'en_route', 'on_scene')"))
    op.create_table('incident_events',
    sa.Column('id', sa.Uuid(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('incident_id', sa.Uuid(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Uuid(), nullable=True),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('data', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_incident_events_actor_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_incident_events_incident_id_incidents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incident_events'))
    )
    op.create_index(op.f('ix_incident_events_incident_id'), 'incident_events', ['incident_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_incident_events_incident_id'), table_name='incident_events')
    op.drop_table('incident_events')
    op.drop_index('uq_dispatches_live', table_name='dispatches', postgresql_where=sa.text("status IN ('dispatched', 'acknowledged', 'en_route', 'on_scene')"))
    op.drop_index('ix_dispatches_unacknowledged', table_name='dispatches', postgresql_where=sa.text("status = 'dispatched' AND overdue_at IS NULL"))
    op.drop_index(op.f('ix_dispatches_responder_id'), table_name='dispatches')
    op.drop_index(op.f('ix_dispatches_incident_id'), table_name='dispatches')
    op.drop_table('dispatches')
    op.drop_index('ix_incidents_status_level', table_name='incidents')
    op.drop_index(op.f('ix_incidents_grid_cell_id'), table_name='incidents')
    op.drop_geospatial_index('idx_incidents_location', table_name='incidents', postgresql_using='gist', column_name='location')
    op.drop_geospatial_table('incidents')
    op.drop_index('ix_stream_events_user', table_name='stream_events')
    op.drop_index('ix_stream_events_cursor', table_name='stream_events')
    op.drop_index('ix_stream_events_at', table_name='stream_events')
    op.drop_table('stream_events')
    op.drop_index(op.f('ix_responders_team_id'), table_name='responders')
    op.drop_geospatial_index('ix_responders_position_available', table_name='responders', postgresql_using='gist', postgresql_where=sa.text("duty_status = 'on_duty' AND position IS NOT NULL"), column_name='position')
    op.drop_geospatial_table('responders')
    op.drop_index('ix_responder_tracks_user_at', table_name='responder_tracks')
    op.drop_geospatial_table('responder_tracks')
    op.drop_index('uq_teams_place_kind', table_name='teams')
    op.drop_table('teams')
