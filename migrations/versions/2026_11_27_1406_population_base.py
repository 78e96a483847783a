"""grid cell kinds, population base, responsibility chain

Adds the kind of each grid cell (existing cells become residential) and checks that codes have
their level's length; the population base (property companies, compounds, buildings,
households, residents with encrypted identity numbers, party members' households); and the
responsibility chain (四长一员) with its default posts.

Revision ID: e1baec1e6102
Revises: 3ecd938cc6c5
Create Date: 2026-11-27 14:06:45.771277+00:00
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision = 'e1baec1e6102'
down_revision = '3ecd938cc6c5'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('responsibility_posts',
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('title', sa.String(length=20), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('is_grid_member', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_responsibility_posts')),
    sa.UniqueConstraint('rank', name=op.f('uq_responsibility_posts_rank'))
    )
    op.create_table('property_companies',
    sa.Column('id', sa.Uuid(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('place_id', sa.Uuid(), nullable=False),
    sa.Column('is_demo', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['place_id'], ['places.id'], name=op.f('fk_property_companies_place_id_places'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_property_companies'))
    )
    op.create_index(op.f('ix_property_companies_place_id'), 'property_companies', ['place_id'], unique=False)
    op.create_geospatial_table('compounds',
    sa.Column('id', sa.Uuid(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('community_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('boundary', Geometry(geometry_type='MULTIPOLYGON', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('property_company_id', sa.Uuid(), nullable=True),
    sa.Column('owners_committee_name', sa.String(length=100), nullable=True),
    sa.Column('owners_committee_chair', sa.String(length=50), nullable=True),
    sa.Column('owners_committee_phone', sa.String(length=20), nullable=True),
    sa.Column('is_demo', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['places.id'], name=op.f('fk_compounds_community_id_places'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['property_company_id'], ['property_companies.id'], name=op.f('fk_compounds_property_company_id_property_companies'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_compounds'))
    )
    op.create_geospatial_index('idx_compounds_boundary', 'compounds', ['boundary'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_compounds_community_id'), 'compounds', ['community_id'], unique=False)
    op.create_index(op.f('ix_compounds_property_company_id'), 'compounds', ['property_company_id'], unique=False)
    op.create_geospatial_table('buildings',
    sa.Column('id', sa.Uuid(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('grid_cell_id', sa.Uuid(), nullable=False),
    sa.Column('compound_id', sa.Uuid(), nullable=True),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=False),
    sa.Column('location', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('floors', sa.Integer(), nullable=True),
    sa.Column('units', sa.Integer(), nullable=True),
    sa.Column('is_demo', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('floors IS NULL OR floors BETWEEN 1 AND 200', name=op.f('ck_buildings_floors_range')),
    sa.CheckConstraint('units IS NULL OR units BETWEEN 1 AND 50', name=op.f('ck_buildings_units_range')),
    sa.ForeignKeyConstraint(['compound_id'], ['compounds.id'], name=op.f('fk_buildings_compound_id_compounds'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['grid_cell_id'], ['places.id'], name=op.f('fk_buildings_grid_cell_id_places'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_buildings'))
    )
    op.create_geospatial_index('idx_buildings_location', 'buildings', ['location'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_buildings_compound_id'), 'buildings', ['compound_id'], unique=False)
    op.create_index(op.f('ix_buildings_grid_cell_id'), 'buildings', ['grid_cell_id'], unique=False)
    op.create_table('households',
    sa.Column('id', sa.Uuid(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('grid_cell_id', sa.Uuid(), nullable=False),
    sa.Column('building_id', sa.Uuid(), nullable=True),
    sa.Column('unit', sa.String(length=20), nullable=True),
    sa.Column('room', sa.String(length=20), nullable=True),
    sa.Column('address', sa.String(length=200), nullable=False),
    sa.Column('is_demo', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['building_id'], ['buildings.id'], name=op.f('fk_households_building_id_buildings'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['grid_cell_id'], ['places.id'], name=op.f('fk_households_grid_cell_id_places'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_households'))
    )
    op.create_index(op.f('ix_households_building_id'), 'households', ['building_id'], unique=False)
    op.create_index(op.f('ix_households_grid_cell_id'), 'households', ['grid_cell_id'], unique=False)
    op.create_table('residents',
    sa.Column('id', sa.Uuid(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('grid_cell_id', sa.Uuid(), nullable=False),
    sa.Column('household_id', sa.Uuid(), nullable=True),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('gender', sa.Enum('male', 'female', name='gender', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('birth_date', sa.Date(), nullable=True),
    sa.Column('id_number_cipher', sa.String(length=200), nullable=True),
    sa.Column('id_number_hash', sa.String(length=64), nullable=True),
    sa.Column('id_number_masked', sa.String(length=18), nullable=True),
    sa.Column('phone', sa.String(length=11), nullable=True),
    sa.Column('kind', sa.Enum('registered', 'migrant', 'foreign', 'left_behind', name='resident_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('relation', sa.Enum('householder', 'spouse', 'child', 'parent', 'other', name='relation', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('tags', postgresql.ARRAY(sa.String(length=32)), server_default=sa.text("'{}'"), nullable=False),
    sa.Column('moved_out_on', sa.Date(), nullable=True),
    sa.Column('is_demo', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("id_number_masked IS NULL OR id_number_masked ~ '^[0-9]{4}[*]{10}[0-9]{3}[0-9X]$'", name=op.f('ck_residents_id_number_masked_form')),
    sa.CheckConstraint("phone IS NULL OR phone ~ '^1[0-9]{10}$'", name=op.f('ck_residents_phone_mobile')),
    sa.CheckConstraint('(id_number_cipher IS NULL) = (id_number_hash IS NULL)', name=op.f('ck_residents_id_number_parts')),
    sa.ForeignKeyConstraint(['grid_cell_id'], ['places.id'], name=op.f('fk_residents_grid_cell_id_places'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_residents_household_id_households'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_residents'))
    )
    op.create_index(op.f('ix_residents_grid_cell_id'), 'residents', ['grid_cell_id'], unique=False)
    op.create_index(op.f('ix_residents_household_id'), 'residents', ['household_id'], unique=False)
    op.create_index('ix_residents_tags', 'residents', ['tags'], unique=False, postgresql_using='gin')
    op.create_index('uq_residents_id_number_hash', 'residents', ['id_number_hash'], unique=True, postgresql_where=sa.text('id_number_hash IS NOT NULL'))
    op.create_table('grid_responsibilities',
    sa.Column('id', sa.Uuid(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('grid_cell_id', sa.Uuid(), nullable=False),
    sa.Column('post_code', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=True),
    sa.Column('resident_id', sa.Uuid(), nullable=True),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('phone', sa.String(length=11), nullable=True),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('is_demo', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("phone IS NULL OR phone ~ '^1[0-9]{10}$'", name=op.f('ck_grid_responsibilities_phone_mobile')),
    sa.CheckConstraint('ends_on IS NULL OR ends_on >= starts_on', name=op.f('ck_grid_responsibilities_period_order')),
    sa.ForeignKeyConstraint(['grid_cell_id'], ['places.id'], name=op.f('fk_grid_responsibilities_grid_cell_id_places'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['post_code'], ['responsibility_posts.code'], name=op.f('fk_grid_responsibilities_post_code_responsibility_posts'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['resident_id'], ['residents.id'], name=op.f('fk_grid_responsibilities_resident_id_residents'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_grid_responsibilities_user_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grid_responsibilities'))
    )
    op.create_index('ix_grid_responsibilities_cell', 'grid_responsibilities', ['grid_cell_id', 'post_code', 'starts_on'], unique=False)
    op.create_index(op.f('ix_grid_responsibilities_resident_id'), 'grid_responsibilities', ['resident_id'], unique=False)
    op.create_index(op.f('ix_grid_responsibilities_user_id'), 'grid_responsibilities', ['user_id'], unique=False)
    op.create_index('uq_grid_responsibilities_current', 'grid_responsibilities', ['grid_cell_id', 'post_code'], unique=True, postgresql_where=sa.text('ends_on IS NULL'))
    op.create_table('party_links',
    sa.Column('id', sa.Uuid(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('resident_id', sa.Uuid(), nullable=False),
    sa.Column('household_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_party_links_household_id_households'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['resident_id'], ['residents.id'], name=op.f('fk_party_links_resident_id_residents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_party_links')),
    sa.UniqueConstraint('resident_id', 'household_id', name=op.f('uq_party_links_resident_id'))
    )
    op.create_index(op.f('ix_party_links_household_id'), 'party_links', ['household_id'], unique=False)
    op.create_index(op.f('ix_party_links_resident_id'), 'party_links', ['resident_id'], unique=False)
    op.add_column('places', sa.Column('cell_kind', sa.Enum('residential', 'commercial', 'mixed', 'dedicated', name='cell_kind', native_enum=False, create_constraint=True, length=32), nullable=True))
    op.execute("UPDATE places SET cell_kind = 'residential' WHERE kind = 'grid_cell'")
    op.create_check_constraint(op.f('ck_places_cell_kind_for_cells'), 'places', "(kind = 'grid_cell') = (cell_kind IS NOT NULL)")
    op.create_check_constraint(
        op.f('ck_places_code_length_by_level'), 'places',
        "length(code) = CASE kind WHEN 'district' THEN 6 WHEN 'street' THEN 9 WHEN 'community' THEN 12 ELSE 15 END",
    )
    posts = sa.table('responsibility_posts', sa.column('code'), sa.column('title'), sa.column('rank'),
                     sa.column('is_grid_member'))
    op.bulk_insert(posts, [
        {"code": "area_leader", "title": "片长", "rank": 10, "is_grid_member": False},
        {"code": "grid_leader", "title": "网格长", "rank": 20, "is_grid_member": False},
        {"code": "building_leader", "title": "楼栋长", "rank": 30, "is_grid_member": False},
        {"code": "unit_leader", "title": "单元长", "rank": 40, "is_grid_member": False},
        {"code": "grid_member", "title": "网格员", "rank": 50, "is_grid_member": True},
    ])


def downgrade() -> None:
    op.drop_constraint(op.f('ck_places_code_length_by_level'), 'places', type_='check')
    op.drop_constraint(op.f('ck_places_cell_kind_for_cells'), 'places', type_='check')
    op.drop_column('places', 'cell_kind')
    op.drop_index(op.f('ix_party_links_resident_id'), table_name='party_links')
    op.drop_index(op.f('ix_party_links_household_id'), table_name='party_links')
    op.drop_table('party_links')
    op.drop_index('uq_grid_responsibilities_current', table_name='grid_responsibilities', postgresql_where=sa.text('ends_on IS NULL'))
    op.drop_index(op.f('ix_grid_responsibilities_user_id'), table_name='grid_responsibilities')
    op.drop_index(op.f('ix_grid_responsibilities_resident_id'), table_name='grid_responsibilities')
    op.drop_index('ix_grid_responsibilities_cell', table_name='grid_responsibilities')
    op.drop_table('grid_responsibilities')
    op.drop_index('uq_residents_id_number_hash', table_name='residents', postgresql_where=sa.text('id_number_hash IS NOT NULL'))
    op.drop_index('ix_residents_tags', table_name='residents', postgresql_using='gin')
    op.drop_index(op.f('ix_residents_household_id'), table_name='residents')
    op.drop_index(op.f('ix_residents_grid_cell_id'), table_name='residents')
    op.drop_table('residents')
    op.drop_index(op.f('ix_households_grid_cell_id'), table_name='households')
    op.drop_index(op.f('ix_households_building_id'), table_name='households')
    op.drop_table('households')
    op.drop_index(op.f('ix_buildings_grid_cell_id'), table_name='buildings')
    op.drop_index(op.f('ix_buildings_compound_id'), table_name='buildings')
    op.drop_geospatial_index('idx_buildings_location', table_name='buildings', postgresql_using='gist', column_name='location')
    op.drop_geospatial_table('buildings')
    op.drop_index(op.f('ix_compounds_property_company_id'), table_name='compounds')
    op.drop_index(op.f('ix_compounds_community_id'), table_name='compounds')
    op.drop_geospatial_index('idx_compounds_boundary', table_name='compounds', postgresql_using='gist', column_name='boundary')
    op.drop_geospatial_table('compounds')
    op.drop_index(op.f('ix_property_companies_place_id'), table_name='property_companies')
    op.drop_table('property_companies')
    op.drop_table('responsibility_posts')
