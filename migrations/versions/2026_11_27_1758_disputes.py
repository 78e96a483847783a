"""disputes and mediation

Disputes (矛盾纠纷) with sealed parties, and their mediation sessions with sealed notes.

Revision ID: 3c51112dd699
Revises: 59fc18c04d56
Create Date: 2026-11-27 17:58:22.489107+00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '3c51112dd699'
down_revision = '59fc18c04d56'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('disputes',
    sa.Column('id', sa.Uuid(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('grid_cell_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.Enum('neighbour', 'family', 'property_management', 'land', 'labour', 'contract', 'other', name='dispute_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('summary', sa.String(length=500), nullable=False),
    sa.Column('parties_sealed', sa.Text(), nullable=False),
    sa.Column('party_count', sa.Integer(), nullable=False),
    sa.Column('risk_level', sa.Enum('high', 'medium', 'low', name='dispute_risk', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('status', sa.Enum('registered', 'mediating', 'closed', name='dispute_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('mediator_id', sa.Uuid(), nullable=True),
    sa.Column('mediation_team', sa.String(length=100), nullable=True),
    sa.Column('matter_id', sa.Uuid(), nullable=True),
    sa.Column('visit_id', sa.Uuid(), nullable=True),
    sa.Column('outcome', sa.Enum('agreement', 'court', 'petition', 'escalated', name='dispute_outcome', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('closing_note', sa.String(length=500), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('registered_by_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("(status = 'closed') = (outcome IS NOT NULL AND closed_at IS NOT NULL)", name=op.f('ck_disputes_closed_with_outcome')),
    sa.CheckConstraint('party_count BETWEEN 2 AND 50', name=op.f('ck_disputes_two_parties_or_more')),
    sa.ForeignKeyConstraint(['grid_cell_id'], ['places.id'], name=op.f('fk_disputes_grid_cell_id_places'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['matter_id'], ['matters.id'], name=op.f('fk_disputes_matter_id_matters'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['mediator_id'], ['users.id'], name=op.f('fk_disputes_mediator_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['registered_by_id'], ['users.id'], name=op.f('fk_disputes_registered_by_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_disputes_visit_id_visits'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disputes'))
    )
    op.create_index(op.f('ix_disputes_grid_cell_id'), 'disputes', ['grid_cell_id'], unique=False)
    op.create_index(op.f('ix_disputes_matter_id'), 'disputes', ['matter_id'], unique=False)
    op.create_table('mediation_sessions',
    sa.Column('id', sa.Uuid(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('dispute_id', sa.Uuid(), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('mediator_id', sa.Uuid(), nullable=False),
    sa.Column('notes_sealed', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['dispute_id'], ['disputes.id'], name=op.f('fk_mediation_sessions_dispute_id_disputes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['mediator_id'], ['users.id'], name=op.f('fk_mediation_sessions_mediator_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mediation_sessions'))
    )
    op.create_index(op.f('ix_mediation_sessions_dispute_id'), 'mediation_sessions', ['dispute_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_mediation_sessions_dispute_id'), table_name='mediation_sessions')
    op.drop_table('mediation_sessions')
    op.drop_index(op.f('ix_disputes_matter_id'), table_name='disputes')
    op.drop_index(op.f('ix_disputes_grid_cell_id'), table_name='disputes')
    op.drop_table('disputes')
