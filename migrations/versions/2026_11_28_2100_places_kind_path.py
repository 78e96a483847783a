"""an area's places of one kind

The figures list an area's places of one level (a district's 20 streets, its 10,000 cells) and
scopes find an area's cells: (kind, path) answers both from the index, where the path prefix alone
left a district's 11,000 places to filter by kind (a scan of every place of the city, 20–30 ms).

Revision ID: 7a3e9b41c2d8
Revises: ba24d92c5ca8
Create Date: 2026-11-28 21:00:00+00:00
"""

from alembic import op

revision = '7a3e9b41c2d8'
down_revision = 'ba24d92c5ca8'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_places_kind_path', 'places', ['kind', 'path'], unique=False,
                    postgresql_ops={'path': 'text_pattern_ops'})


def downgrade() -> None:
    op.drop_index('ix_places_kind_path', table_name='places')
