"""petition outcomes, repeats, attachments, reminders

The 15-day decision (accepted / not accepted / routed, and to whom), the level a petition went up
to (三零), keyed hashes of petitioners for repeat detection, photos of petitions, and the deadline
reminders sent.

Revision ID: 6af1a13286ff
Revises: cf1997273b12
Create Date: 2026-11-27 20:53:36.563737+00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '6af1a13286ff'
down_revision = 'cf1997273b12'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('petition_reminders',
    sa.Column('petition_id', sa.Uuid(), nullable=False),
    sa.Column('deadline', sa.String(length=32), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("kind IN ('yellow', 'red')", name=op.f('ck_petition_reminders_kind_known')),
    sa.ForeignKeyConstraint(['petition_id'], ['petitions.id'], name=op.f('fk_petition_reminders_petition_id_petitions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('petition_id', 'deadline', 'due_on', 'kind', name=op.f('pk_petition_reminders'))
    )
    op.create_table('petitioner_keys',
    sa.Column('petition_id', sa.Uuid(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['petition_id'], ['petitions.id'], name=op.f('fk_petitioner_keys_petition_id_petitions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('petition_id', 'key', name=op.f('pk_petitioner_keys'))
    )
    op.create_index(op.f('ix_petitioner_keys_key'), 'petitioner_keys', ['key'], unique=False)
    op.add_column('petitions', sa.Column('decision', sa.String(length=16), nullable=True))
    op.add_column('petitions', sa.Column('decided_on', sa.Date(), nullable=True))
    op.add_column('petitions', sa.Column('routed_to', sa.String(length=200), nullable=True))
    op.add_column('petitions', sa.Column('went_up_to', sa.String(length=16), nullable=True))
    op.add_column('petitions', sa.Column('went_up_on', sa.Date(), nullable=True))
    op.add_column('photos', sa.Column('petition_id', sa.Uuid(), nullable=True))
    op.create_index(op.f('ix_photos_petition_id'), 'photos', ['petition_id'], unique=False)
    op.create_foreign_key(op.f('fk_photos_petition_id_petitions'), 'photos', 'petitions', ['petition_id'], ['id'], ondelete='CASCADE')
    op.drop_constraint(op.f('ck_photos_attached_once'), 'photos', type_='check')
    op.drop_constraint(op.f('ck_photos_attached_with_purpose'), 'photos', type_='check')
    op.create_check_constraint(op.f('ck_photos_attached_once'), 'photos',
                               "num_nonnulls(matter_id, visit_id, petition_id) <= 1")
    op.create_check_constraint(op.f('ck_photos_attached_with_purpose'), 'photos',
                               "(num_nonnulls(matter_id, visit_id, petition_id) = 0) = (purpose IS NULL)")
    # petitions registered before: their decision from their status or acceptance date
    op.execute("""
        UPDATE petitions SET decision = CASE WHEN accepted_on IS NOT NULL THEN 'accepted' ELSE status END,
               decided_on = coalesce(accepted_on,
                   (SELECT e.at::date FROM petition_events e WHERE e.petition_id = petitions.id
                     AND e.action IN ('not_accept', 'route') ORDER BY e.at LIMIT 1), received_on)
         WHERE accepted_on IS NOT NULL OR status IN ('not_accepted', 'routed')
            OR (status = 'closed' AND EXISTS (SELECT 1 FROM petition_events e WHERE e.petition_id = petitions.id
                                              AND e.action IN ('not_accept', 'route')))""")
    op.execute("""
        UPDATE petitions SET decision = (SELECT CASE e.action WHEN 'route' THEN 'routed' ELSE 'not_accepted' END
                                           FROM petition_events e WHERE e.petition_id = petitions.id
                                            AND e.action IN ('not_accept', 'route') ORDER BY e.at LIMIT 1)
         WHERE decision = 'closed'""")
    op.execute("""
        UPDATE petitions SET routed_to = coalesce(left((SELECT e.data->>'note' FROM petition_events e
                                                        WHERE e.petition_id = petitions.id AND e.action = 'route'
                                                        ORDER BY e.at LIMIT 1), 200), '（未记录）')
         WHERE decision = 'routed'""")
    for name, condition in (
            ('decision_known', "decision IS NULL OR decision IN ('accepted', 'not_accepted', 'routed')"),
            ('decided_with_date', "(decision IS NULL) = (decided_on IS NULL)"),
            ('routed_with_organ', "(decision = 'routed') = (routed_to IS NOT NULL)"),
            ('went_up_level_known',
             "went_up_to IS NULL OR went_up_to IN ('street', 'district', 'city', 'province', 'national')"),
            ('went_up_with_date', "(went_up_to IS NULL) = (went_up_on IS NULL)")):
        op.create_check_constraint(op.f(f'ck_petitions_{name}'), 'petitions', condition)


def downgrade() -> None:
    for name in ('went_up_with_date', 'went_up_level_known', 'routed_with_organ', 'decided_with_date',
                 'decision_known'):
        op.drop_constraint(op.f(f'ck_petitions_{name}'), 'petitions', type_='check')
    op.drop_constraint(op.f('ck_photos_attached_with_purpose'), 'photos', type_='check')
    op.drop_constraint(op.f('ck_photos_attached_once'), 'photos', type_='check')
    op.execute("DELETE FROM photos WHERE petition_id IS NOT NULL")
    op.create_check_constraint(op.f('ck_photos_attached_once'), 'photos', "num_nonnulls(matter_id, visit_id) <= 1")
    op.create_check_constraint(op.f('ck_photos_attached_with_purpose'), 'photos',
                               "(matter_id IS NULL AND visit_id IS NULL) = (purpose IS NULL)")
    op.drop_constraint(op.f('fk_photos_petition_id_petitions'), 'photos', type_='foreignkey')
    op.drop_index(op.f('ix_photos_petition_id'), table_name='photos')
    op.drop_column('photos', 'petition_id')
    op.drop_column('petitions', 'went_up_on')
    op.drop_column('petitions', 'went_up_to')
    op.drop_column('petitions', 'routed_to')
    op.drop_column('petitions', 'decided_on')
    op.drop_column('petitions', 'decision')
    op.drop_index(op.f('ix_petitioner_keys_key'), table_name='petitioner_keys')
    op.drop_table('petitioner_keys')
    op.drop_table('petition_reminders')
