"""matters searchable by their characters' bigrams

The matter list's text filter (``q=``) looks for the words in the description or the address
(``LIKE '%…%'``). Chinese queries are mostly two to four characters, too short for pg_trgm's
trigrams, and pg_bigm is not packaged by Debian: so a GIN index over each matter's character
bigrams (two consecutive characters of the description and the address), which the list uses as
a prefilter — every bigram of the query must be among the matter's — before the LIKE checks the
few rows left. A district's search for 路灯 reads 3,400 matters instead of 100,000.

Revision ID: 9b2e4f7c1d30
Revises: 3f8c2d6e1a47
Create Date: 2026-11-28 20:50:00+00:00
"""

from alembic import op

revision = '9b2e4f7c1d30'
down_revision = '3f8c2d6e1a47'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE FUNCTION text_bigrams(t text) RETURNS text[] LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
            SELECT coalesce(array_agg(DISTINCT substr(t, i, 2)), '{}')
            FROM generate_series(1, char_length(t) - 1) AS i
        $$""")
    op.execute("""
        CREATE FUNCTION matter_bigrams(description text, address text) RETURNS text[]
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
            SELECT text_bigrams(coalesce(description, '') || E'\\n' || coalesce(address, ''))
        $$""")
    op.execute("CREATE INDEX ix_matters_bigrams ON matters USING gin (matter_bigrams(description, address))")


def downgrade() -> None:
    op.execute("DROP INDEX ix_matters_bigrams")
    op.execute("DROP FUNCTION matter_bigrams(text, text)")
    op.execute("DROP FUNCTION text_bigrams(text)")
