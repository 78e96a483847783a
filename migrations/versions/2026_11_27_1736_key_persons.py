"""key persons and care targets

One table, two kinds that are never mixed (重点人员 / 关爱对象); category details sealed with AES-GCM.

Revision ID: 7c680c1169ae
Revises: 25b757d94608
Create Date: 2026-11-27 17:36:23.502098+00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '7c680c1169ae'
down_revision = '25b757d94608'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('followed_persons',
    sa.Column('id', sa.Uuid(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('kind', sa.Enum('key_person', 'care_target', name='followed_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('resident_id', sa.Uuid(), nullable=False),
    sa.Column('grid_cell_id', sa.Uuid(), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('attention_level', sa.Enum('high', 'medium', 'low', name='attention_level', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('follow_up_days', sa.Integer(), nullable=False),
    sa.Column('responsible_user_id', sa.Uuid(), nullable=True),
    sa.Column('next_follow_up_on', sa.Date(), nullable=False),
    sa.Column('last_follow_up_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('details_sealed', sa.Text(), nullable=True),
    sa.Column('status', sa.Enum('active', 'closed', name='followed_status', native_enum=False, create_constraint=True, length=32), server_default='active', nullable=False),
    sa.Column('opened_on', sa.Date(), nullable=False),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('close_reason', sa.String(length=200), nullable=True),
    sa.Column('details_purged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("(status = 'closed') = (closed_on IS NOT NULL)", name=op.f('ck_followed_persons_closed_with_date')),
    sa.CheckConstraint("kind <> 'care_target' OR category IN ('elderly_alone', 'left_behind_child', 'disabled', 'low_income')", name=op.f('ck_followed_persons_care_target_category')),
    sa.CheckConstraint("kind <> 'key_person' OR category IN ('released_prisoner', 'community_correction', 'severe_mental_disorder', 'drug_user', 'aids_risk', 'at_risk_youth', 'key_petitioner')", name=op.f('ck_followed_persons_key_person_category')),
    sa.CheckConstraint('follow_up_days BETWEEN 1 AND 366', name=op.f('ck_followed_persons_follow_up_days_range')),
    sa.ForeignKeyConstraint(['grid_cell_id'], ['places.id'], name=op.f('fk_followed_persons_grid_cell_id_places'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['resident_id'], ['residents.id'], name=op.f('fk_followed_persons_resident_id_residents'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['responsible_user_id'], ['users.id'], name=op.f('fk_followed_persons_responsible_user_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_followed_persons'))
    )
    op.create_index('ix_followed_persons_due', 'followed_persons', ['kind', 'grid_cell_id', 'next_follow_up_on'], unique=False, postgresql_where=sa.text("status = 'active'"))
    op.create_index(op.f('ix_followed_persons_grid_cell_id'), 'followed_persons', ['grid_cell_id'], unique=False)
    op.create_index(op.f('ix_followed_persons_resident_id'), 'followed_persons', ['resident_id'], unique=False)
    op.create_index('uq_followed_persons_active', 'followed_persons', ['kind', 'resident_id', 'category'], unique=True, postgresql_where=sa.text("status = 'active'"))


def downgrade() -> None:
    op.drop_index('uq_followed_persons_active', table_name='followed_persons', postgresql_where=sa.text("status = 'active'"))
    op.drop_index(op.f('ix_followed_persons_resident_id'), table_name='followed_persons')
    op.drop_index(op.f('ix_followed_persons_grid_cell_id'), table_name='followed_persons')
    op.drop_index('ix_followed_persons_due', table_name='followed_persons', postgresql_where=sa.text("status = 'active'"))
    op.drop_table('followed_persons')
