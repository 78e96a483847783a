"""outbox, notifications, supervision

The transactional outbox and the in-app notifications it delivers; deadline reminders already
sent; supervision (督办) and urges (催办) on matters.

Revision ID: 3b1ed6fde96f
Revises: 0bd9baa8ea15
Create Date: 2026-11-27 15:07:46.380318+00:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '3b1ed6fde96f'
down_revision = '0bd9baa8ea15'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('outbox',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('topic', sa.String(length=64), nullable=False),
    sa.Column('recipient_id', sa.Uuid(), nullable=False),
    sa.Column('payload', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox'))
    )
    op.create_index('ix_outbox_pending', 'outbox', ['next_attempt_at'], unique=False, postgresql_where=sa.text('delivered_at IS NULL'))
    op.create_table('notifications',
    sa.Column('id', sa.Uuid(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('outbox_id', sa.BigInteger(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('topic', sa.String(length=64), nullable=False),
    sa.Column('payload', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('matter_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notifications_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications')),
    sa.UniqueConstraint('outbox_id', name=op.f('uq_notifications_outbox_id'))
    )
    op.create_index('ix_notifications_user_created', 'notifications', ['user_id', 'created_at'], unique=False)
    op.create_table('deadline_reminders',
    sa.Column('matter_id', sa.Uuid(), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['matter_id'], ['matters.id'], name=op.f('fk_deadline_reminders_matter_id_matters'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('matter_id', 'due_at', 'kind', name=op.f('pk_deadline_reminders'))
    )
    op.add_column('matters', sa.Column('supervised', sa.Boolean(), server_default=sa.text('false'), nullable=False))
    op.add_column('matters', sa.Column('urge_count', sa.Integer(), server_default='0', nullable=False))


def downgrade() -> None:
    op.drop_column('matters', 'urge_count')
    op.drop_column('matters', 'supervised')
    op.drop_table('deadline_reminders')
    op.drop_index('ix_notifications_user_created', table_name='notifications')
    op.drop_table('notifications')
    op.drop_index('ix_outbox_pending', table_name='outbox', postgresql_where=sa.text('delivered_at IS NULL'))
    op.drop_table('outbox')
