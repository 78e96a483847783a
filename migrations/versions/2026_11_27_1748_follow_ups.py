"""follow-ups

Follow-ups of key persons and care targets, made on door-knock visits; observations sealed.

Revision ID: 59fc18c04d56
Revises: 7c680c1169ae
Create Date: 2026-11-27 17:48:10.449285+00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '59fc18c04d56'
down_revision = '7c680c1169ae'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('follow_ups',
    sa.Column('id', sa.Uuid(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('visit_id', sa.Uuid(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('by_user_id', sa.Uuid(), nullable=False),
    sa.Column('assessment', sa.Enum('stable', 'needs_attention', 'at_risk', name='follow_up_assessment', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('observations_sealed', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['by_user_id'], ['users.id'], name=op.f('fk_follow_ups_by_user_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['person_id'], ['followed_persons.id'], name=op.f('fk_follow_ups_person_id_followed_persons'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_follow_ups_visit_id_visits'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_ups'))
    )
    op.create_index(op.f('ix_follow_ups_person_id'), 'follow_ups', ['person_id'], unique=False)
    op.create_index(op.f('ix_follow_ups_visit_id'), 'follow_ups', ['visit_id'], unique=False)
    op.create_index('uq_follow_ups_visit_person', 'follow_ups', ['visit_id', 'person_id'], unique=True)
    op.add_column('visits', sa.Column('follow_ups_digest', sa.String(length=64), nullable=True))


def downgrade() -> None:
    op.drop_column('visits', 'follow_ups_digest')
    op.drop_index('uq_follow_ups_visit_person', table_name='follow_ups')
    op.drop_index(op.f('ix_follow_ups_visit_id'), table_name='follow_ups')
    op.drop_index(op.f('ix_follow_ups_person_id'), table_name='follow_ups')
    op.drop_table('follow_ups')
