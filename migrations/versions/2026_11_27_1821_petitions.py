"""petitions

Petitions (信访) with their statutory dates, the people they accuse, and their timeline.

Revision ID: cf1997273b12
Revises: 3c51112dd699
Create Date: 2026-11-27 18:21:15.191395+00:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = 'cf1997273b12'
down_revision = '3c51112dd699'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('petitions',
    sa.Column('id', sa.Uuid(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('grid_cell_id', sa.Uuid(), nullable=False),
    sa.Column('channel', sa.Enum('letter', 'visit', 'online', 'phone', name='petition_channel', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('kind', sa.Enum('suggestion', 'accusation', 'claim', name='petition_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('registered_by_id', sa.Uuid(), nullable=False),
    sa.Column('petitioners_sealed', sa.Text(), nullable=False),
    sa.Column('petitioner_count', sa.Integer(), nullable=False),
    sa.Column('collective', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('repeat_of_id', sa.Uuid(), nullable=True),
    sa.Column('repeats_final', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('matter_id', sa.Uuid(), nullable=True),
    sa.Column('status', sa.Enum('registered', 'accepted', 'not_accepted', 'routed', 'assigned', 'replied', 'review_requested', 'reviewed', 're_review_requested', 're_reviewed', 'closed', name='petition_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('unit_id', sa.Uuid(), nullable=True),
    sa.Column('accepted_on', sa.Date(), nullable=True),
    sa.Column('extension_days', sa.Integer(), server_default='0', nullable=False),
    sa.Column('extension_reason', sa.String(length=500), nullable=True),
    sa.Column('replied_on', sa.Date(), nullable=True),
    sa.Column('review_requested_on', sa.Date(), nullable=True),
    sa.Column('review_replied_on', sa.Date(), nullable=True),
    sa.Column('re_review_requested_on', sa.Date(), nullable=True),
    sa.Column('re_review_replied_on', sa.Date(), nullable=True),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('satisfaction', sa.String(length=32), nullable=True),
    sa.Column('accept_due', sa.Date(), nullable=False),
    sa.Column('reply_due', sa.Date(), nullable=True),
    sa.Column('review_request_due', sa.Date(), nullable=True),
    sa.Column('review_due', sa.Date(), nullable=True),
    sa.Column('re_review_request_due', sa.Date(), nullable=True),
    sa.Column('re_review_due', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('collective = (petitioner_count >= 5)', name=op.f('ck_petitions_collective_from_five')),
    sa.CheckConstraint('extension_days BETWEEN 0 AND 30', name=op.f('ck_petitions_one_extension')),
    sa.CheckConstraint('petitioner_count >= 1', name=op.f('ck_petitions_has_petitioner')),
    sa.ForeignKeyConstraint(['grid_cell_id'], ['places.id'], name=op.f('fk_petitions_grid_cell_id_places'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['matter_id'], ['matters.id'], name=op.f('fk_petitions_matter_id_matters'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['registered_by_id'], ['users.id'], name=op.f('fk_petitions_registered_by_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['repeat_of_id'], ['petitions.id'], name=op.f('fk_petitions_repeat_of_id_petitions'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['unit_id'], ['handling_units.id'], name=op.f('fk_petitions_unit_id_handling_units'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_petitions'))
    )
    op.create_index(op.f('ix_petitions_grid_cell_id'), 'petitions', ['grid_cell_id'], unique=False)
    op.create_index(op.f('ix_petitions_repeat_of_id'), 'petitions', ['repeat_of_id'], unique=False)
    op.create_index('ix_petitions_status_accept_due', 'petitions', ['status', 'accept_due'], unique=False)
    op.create_index(op.f('ix_petitions_unit_id'), 'petitions', ['unit_id'], unique=False)
    op.create_table('petition_accused',
    sa.Column('petition_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['petition_id'], ['petitions.id'], name=op.f('fk_petition_accused_petition_id_petitions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_petition_accused_user_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('petition_id', 'user_id', name=op.f('pk_petition_accused'))
    )
    op.create_index(op.f('ix_petition_accused_user_id'), 'petition_accused', ['user_id'], unique=False)
    op.create_table('petition_events',
    sa.Column('id', sa.Uuid(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('petition_id', sa.Uuid(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Uuid(), nullable=True),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('from_status', sa.String(length=32), nullable=True),
    sa.Column('to_status', sa.String(length=32), nullable=False),
    sa.Column('data', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_petition_events_actor_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['petition_id'], ['petitions.id'], name=op.f('fk_petition_events_petition_id_petitions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_petition_events'))
    )
    op.create_index(op.f('ix_petition_events_petition_id'), 'petition_events', ['petition_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_petition_events_petition_id'), table_name='petition_events')
    op.drop_table('petition_events')
    op.drop_index(op.f('ix_petition_accused_user_id'), table_name='petition_accused')
    op.drop_table('petition_accused')
    op.drop_index(op.f('ix_petitions_unit_id'), table_name='petitions')
    op.drop_index('ix_petitions_status_accept_due', table_name='petitions')
    op.drop_index(op.f('ix_petitions_repeat_of_id'), table_name='petitions')
    op.drop_index(op.f('ix_petitions_grid_cell_id'), table_name='petitions')
    op.drop_table('petitions')
