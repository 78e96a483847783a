"""open311 keys

Partner systems' API keys (hashed) and, on matters, the key and external contact of Open311 reports.

Revision ID: cc9f8c937d29
Revises: bd02c0682c1a
Create Date: 2026-11-27 15:21:30.204490+00:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = 'cc9f8c937d29'
down_revision = 'bd02c0682c1a'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('open311_keys',
    sa.Column('id', sa.Uuid(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('place_id', sa.Uuid(), nullable=False),
    sa.Column('is_active', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('is_demo', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['place_id'], ['places.id'], name=op.f('fk_open311_keys_place_id_places'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_open311_keys')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_open311_keys_key_hash'))
    )
    op.add_column('matters', sa.Column('open311_key_id', sa.Uuid(), nullable=True))
    op.add_column('matters', sa.Column('external_contact', postgresql.JSONB(astext_type=sa.Text()), nullable=True))
    op.create_foreign_key(op.f('fk_matters_open311_key_id_open311_keys'), 'matters', 'open311_keys', ['open311_key_id'], ['id'], ondelete='RESTRICT')
    op.create_check_constraint(op.f('ck_matters_reported_by_someone'), 'matters',
                               "reporter_id IS NOT NULL OR open311_key_id IS NOT NULL")


def downgrade() -> None:
    op.drop_constraint(op.f('ck_matters_reported_by_someone'), 'matters', type_='check')
    op.drop_constraint(op.f('fk_matters_open311_key_id_open311_keys'), 'matters', type_='foreignkey')
    op.drop_column('matters', 'external_contact')
    op.drop_column('matters', 'open311_key_id')
    op.drop_table('open311_keys')
