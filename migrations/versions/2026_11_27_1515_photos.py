"""photos

Photos of matters, re-encoded without EXIF, referenced by id from reports and transitions.

Revision ID: bd02c0682c1a
Revises: 17395cf084b7
Create Date: 2026-11-27 15:15:23.358524+00:00
"""

import sqlalchemy as sa
from alembic import op

revision = 'bd02c0682c1a'
down_revision = '17395cf084b7'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('photos',
    sa.Column('id', sa.Uuid(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('uploader_id', sa.Uuid(), nullable=False),
    sa.Column('matter_id', sa.Uuid(), nullable=True),
    sa.Column('purpose', sa.String(length=16), nullable=True),
    sa.Column('content_type', sa.String(length=32), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('(matter_id IS NULL) = (purpose IS NULL)', name=op.f('ck_photos_attached_with_purpose')),
    sa.ForeignKeyConstraint(['matter_id'], ['matters.id'], name=op.f('fk_photos_matter_id_matters'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploader_id'], ['users.id'], name=op.f('fk_photos_uploader_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_photos'))
    )
    op.create_index(op.f('ix_photos_matter_id'), 'photos', ['matter_id'], unique=False)
    op.create_index(op.f('ix_photos_uploader_id'), 'photos', ['uploader_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_photos_uploader_id'), table_name='photos')
    op.drop_index(op.f('ix_photos_matter_id'), table_name='photos')
    op.drop_table('photos')
