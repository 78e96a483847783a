"""matter_bigrams names text_bigrams by its schema, so that a dump restores

pg_restore runs with an empty search_path, and the index ix_matters_bigrams is built by inlining
matter_bigrams, whose body called text_bigrams unqualified: "function text_bigrams(text) does not
exist", and the whole restore of a dump (make restore) failed. Qualified, the function still
inlines into the same expression, so the index and the matter list's search are unchanged.

Revision ID: f1fab7a59667
Revises: 5d7e1c9a3b24
Create Date: 2026-11-29 07:30:00+00:00
"""

from alembic import op

revision = 'f1fab7a59667'
down_revision = '5d7e1c9a3b24'
branch_labels = None
depends_on = None


def _matter_bigrams(text_bigrams: str) -> str:
    return f"""
        CREATE OR REPLACE FUNCTION matter_bigrams(description text, address text) RETURNS text[]
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
            SELECT {text_bigrams}(coalesce(description, '') || E'\\n' || coalesce(address, ''))
        $$"""


def upgrade() -> None:
    op.execute(_matter_bigrams("public.text_bigrams"))


def downgrade() -> None:
    op.execute(_matter_bigrams("text_bigrams"))
