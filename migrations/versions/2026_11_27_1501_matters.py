"""matter categories, matters, timelines

Seeds the default two-level category taxonomy with per-stage time limits (hours: accept, handle,
verify); districts edit them through the API.

Revision ID: 0bd9baa8ea15
Revises: bb5ac3b1b388
Create Date: 2026-11-27 15:01:36.960215+00:00
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision = '0bd9baa8ea15'
down_revision = 'bb5ac3b1b388'
branch_labels = None
depends_on = None


# code, name, English name, accept / handle / verify hours (None: the primary's), secondaries
CATEGORIES = [
    ("ENV", "环境卫生", "Environment and sanitation", 2, 24, 24, [
        ("ENV-GARBAGE", "垃圾堆放", "Garbage piles", None, None, None),
        ("ENV-SEWAGE", "污水外溢", "Sewage overflow", 1, 12, None),
        ("ENV-DUMPING", "乱倒建筑垃圾", "Dumped construction waste", None, 48, None),
        ("ENV-GREENERY", "绿化损毁", "Damaged greenery", None, 72, None),
    ]),
    ("ROAD", "道路设施", "Roads and facilities", 2, 48, 24, [
        ("ROAD-LIGHT", "路灯不亮", "Street light out", None, None, None),
        ("ROAD-PAVEMENT", "路面破损", "Damaged pavement", None, 72, None),
        ("ROAD-MANHOLE", "井盖缺损", "Missing or broken manhole cover", 1, 4, 12),
        ("ROAD-PARKING", "乱停乱放", "Illegal parking", None, 12, None),
    ]),
    ("SECURITY", "治安安全", "Public security", 1, 12, 24, [
        ("SEC-HAZARD", "安全隐患", "Safety hazard", None, None, None),
        ("SEC-FIRE-EXIT", "消防通道堵塞", "Blocked fire exit", None, 6, None),
        ("SEC-GAS", "燃气隐患", "Gas hazard", 1, 2, 12),
    ]),
    ("DISPUTE", "矛盾纠纷", "Disputes", 4, 72, 48, [
        ("DISP-NEIGHBOUR", "邻里纠纷", "Dispute between neighbours", None, None, None),
        ("DISP-FAMILY", "家庭纠纷", "Family dispute", None, None, None),
        ("DISP-LABOUR", "劳资纠纷", "Wage dispute", None, 120, None),
    ]),
    ("PROPERTY", "物业管理", "Property management", 4, 72, 48, [
        ("PROP-ELEVATOR", "电梯故障", "Lift out of order", 2, 24, None),
        ("PROP-STAIR-LIGHT", "楼道灯不亮", "Stairwell light out", None, 48, None),
        ("PROP-LEAK", "房屋漏水", "Leaking roof or pipes", None, None, None),
        ("PROP-SERVICE", "物业服务纠纷", "Complaint about the property company", None, 120, None),
    ]),
    ("LIVELIHOOD", "民生服务", "Livelihood help", 8, 120, 72, [
        ("LIVE-ELDERLY", "独居老人帮扶", "Help for an elderly person living alone", 4, 48, None),
        ("LIVE-HARDSHIP", "困难救助", "Hardship assistance", None, None, None),
        ("LIVE-POLICY", "政策咨询", "Policy question", None, 72, None),
    ]),
    ("OTHER", "其他", "Other", 8, 120, 72, [
        ("OTHER-GENERAL", "其他事项", "Other matter", None, None, None),
    ]),
]


def upgrade() -> None:
    op.create_table('matter_categories',
    sa.Column('id', sa.Uuid(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('name_en', sa.String(length=80), nullable=False),
    sa.Column('parent_id', sa.Uuid(), nullable=True),
    sa.Column('accept_hours', sa.Integer(), nullable=True),
    sa.Column('handle_hours', sa.Integer(), nullable=True),
    sa.Column('verify_hours', sa.Integer(), nullable=True),
    sa.Column('default_unit_id', sa.Uuid(), nullable=True),
    sa.Column('photo_required', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('is_active', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('sort_order', sa.Integer(), server_default='0', nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("code ~ '^[A-Z][A-Z0-9_-]{1,19}$'", name=op.f('ck_matter_categories_code_format')),
    sa.CheckConstraint('coalesce(accept_hours, 1) > 0 AND coalesce(handle_hours, 1) > 0 AND coalesce(verify_hours, 1) > 0', name=op.f('ck_matter_categories_limits_positive')),
    sa.CheckConstraint('parent_id IS NOT NULL OR (accept_hours IS NOT NULL AND handle_hours IS NOT NULL AND verify_hours IS NOT NULL)', name=op.f('ck_matter_categories_primary_has_limits')),
    sa.ForeignKeyConstraint(['default_unit_id'], ['handling_units.id'], name=op.f('fk_matter_categories_default_unit_id_handling_units'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['parent_id'], ['matter_categories.id'], name=op.f('fk_matter_categories_parent_id_matter_categories'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_matter_categories')),
    sa.UniqueConstraint('code', name=op.f('uq_matter_categories_code'))
    )
    op.create_index(op.f('ix_matter_categories_parent_id'), 'matter_categories', ['parent_id'], unique=False)
    op.create_geospatial_table('matters',
    sa.Column('id', sa.Uuid(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('number', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('category_id', sa.Uuid(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=True),
    sa.Column('location', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('grid_cell_id', sa.Uuid(), nullable=True),
    sa.Column('needs_placement', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('source', sa.Enum('app', 'console', 'hotline_12345', 'door_knock', 'open311', name='matter_source', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('reporter_id', sa.Uuid(), nullable=True),
    sa.Column('anonymous', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('status', sa.Enum('submitted', 'accepted', 'rejected', 'registered', 'dispatched', 'handled', 'verified', 'closed', name='matter_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('level', sa.Enum('grid', 'community', 'street', 'district', name='matter_level', native_enum=False, create_constraint=True, length=32), server_default='grid', nullable=False),
    sa.Column('unit_id', sa.Uuid(), nullable=True),
    sa.Column('assignee_id', sa.Uuid(), nullable=True),
    sa.Column('rating', sa.Enum('satisfied', 'basically_satisfied', 'dissatisfied', name='rating', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('reopen_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('stage_started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('stage_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("rating IS NULL OR status = 'closed' OR reopen_count > 0", name=op.f('ck_matters_rated_when_closed')),
    sa.CheckConstraint("status <> 'dispatched' OR unit_id IS NOT NULL OR assignee_id IS NOT NULL", name=op.f('ck_matters_dispatched_to_someone')),
    sa.CheckConstraint('(grid_cell_id IS NULL) = needs_placement', name=op.f('ck_matters_placed_or_flagged')),
    sa.CheckConstraint('length(description) BETWEEN 1 AND 2000', name=op.f('ck_matters_description_length')),
    sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], name=op.f('fk_matters_assignee_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['category_id'], ['matter_categories.id'], name=op.f('fk_matters_category_id_matter_categories'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['grid_cell_id'], ['places.id'], name=op.f('fk_matters_grid_cell_id_places'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['reporter_id'], ['users.id'], name=op.f('fk_matters_reporter_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['unit_id'], ['handling_units.id'], name=op.f('fk_matters_unit_id_handling_units'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_matters')),
    sa.UniqueConstraint('number', name=op.f('uq_matters_number'))
    )
    op.create_geospatial_index('idx_matters_location', 'matters', ['location'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_matters_assignee_id'), 'matters', ['assignee_id'], unique=False)
    op.create_index(op.f('ix_matters_category_id'), 'matters', ['category_id'], unique=False)
    op.create_index(op.f('ix_matters_grid_cell_id'), 'matters', ['grid_cell_id'], unique=False)
    op.create_index(op.f('ix_matters_reporter_id'), 'matters', ['reporter_id'], unique=False)
    op.create_index(op.f('ix_matters_stage_due_at'), 'matters', ['stage_due_at'], unique=False)
    op.create_index('ix_matters_status_created', 'matters', ['status', 'created_at'], unique=False)
    op.create_index(op.f('ix_matters_unit_id'), 'matters', ['unit_id'], unique=False)
    op.create_table('matter_events',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=True), nullable=False),
    sa.Column('matter_id', sa.Uuid(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Uuid(), nullable=True),
    sa.Column('actor_role', sa.String(length=32), nullable=True),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('from_status', sa.String(length=32), nullable=True),
    sa.Column('to_status', sa.String(length=32), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('data', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.ForeignKeyConstraint(['matter_id'], ['matters.id'], name=op.f('fk_matter_events_matter_id_matters'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_matter_events'))
    )
    op.create_index('ix_matter_events_matter_id_id', 'matter_events', ['matter_id', 'id'], unique=False)
    insert = sa.text("INSERT INTO matter_categories (code, name, name_en, parent_id, accept_hours, handle_hours, "
                     "verify_hours, sort_order) VALUES (:code, :name, :name_en, "
                     "(SELECT id FROM matter_categories WHERE code = :parent), :a, :h, :v, :sort)")
    for order, (code, name, name_en, a, h, v, children) in enumerate(CATEGORIES):
        op.execute(insert.bindparams(code=code, name=name, name_en=name_en, parent=None, a=a, h=h, v=v,
                                     sort=order * 100))
        for index, (child, child_name, child_en, ca, ch, cv) in enumerate(children):
            op.execute(insert.bindparams(code=child, name=child_name, name_en=child_en, parent=code, a=ca, h=ch,
                                         v=cv, sort=order * 100 + index + 1))


def downgrade() -> None:
    op.drop_index('ix_matter_events_matter_id_id', table_name='matter_events')
    op.drop_table('matter_events')
    op.drop_index(op.f('ix_matters_unit_id'), table_name='matters')
    op.drop_index('ix_matters_status_created', table_name='matters')
    op.drop_index(op.f('ix_matters_stage_due_at'), table_name='matters')
    op.drop_index(op.f('ix_matters_reporter_id'), table_name='matters')
    op.drop_index(op.f('ix_matters_grid_cell_id'), table_name='matters')
    op.drop_index(op.f('ix_matters_category_id'), table_name='matters')
    op.drop_index(op.f('ix_matters_assignee_id'), table_name='matters')
    op.drop_geospatial_index('idx_matters_location', table_name='matters', postgresql_using='gist', column_name='location')
    op.drop_geospatial_table('matters')
    op.drop_index(op.f('ix_matter_categories_parent_id'), table_name='matter_categories')
    op.drop_table('matter_categories')
