"""merged matters

A duplicate matter is closed into its original (merged_into_id).

Revision ID: 17395cf084b7
Revises: 3b1ed6fde96f
Create Date: 2026-11-27 15:11:14.563833+00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '17395cf084b7'
down_revision = '3b1ed6fde96f'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('matters', sa.Column('merged_into_id', sa.Uuid(), nullable=True))
    op.create_check_constraint(op.f('ck_matters_merged_is_closed'), 'matters',
                               "merged_into_id IS NULL OR (status = 'closed' AND merged_into_id <> id)")
    op.create_index(op.f('ix_matters_merged_into_id'), 'matters', ['merged_into_id'], unique=False)
    op.create_foreign_key(op.f('fk_matters_merged_into_id_matters'), 'matters', 'matters', ['merged_into_id'], ['id'], ondelete='RESTRICT')


def downgrade() -> None:
    op.drop_constraint(op.f('ck_matters_merged_is_closed'), 'matters', type_='check')
    op.drop_constraint(op.f('fk_matters_merged_into_id_matters'), 'matters', type_='foreignkey')
    op.drop_index(op.f('ix_matters_merged_into_id'), table_name='matters')
    op.drop_column('matters', 'merged_into_id')
