"""stakeholder directory: types, organisations, contacts, import batches

Revision ID: e072ced7baaf
Revises: 7e5932d3ef51
Create Date: 2026-11-23 20:22:58.522455

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e072ced7baaf'
down_revision = '7e5932d3ef51'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('stakeholder_types',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=60), nullable=False),
    sa.Column('name', sa.JSON(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stakeholder_types')),
    sa.UniqueConstraint('code', name=op.f('uq_stakeholder_types_code'))
    )
    op.create_table('import_batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('applied_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_import_batches_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_batches'))
    )
    op.create_table('organisations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('stakeholder_type_id', sa.Integer(), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('region', sa.String(length=120), nullable=False),
    sa.Column('oblast', sa.String(length=120), nullable=False),
    sa.Column('municipality', sa.String(length=120), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('search_text', sa.Text(), nullable=False),
    sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['stakeholder_type_id'], ['stakeholder_types.id'], name=op.f('fk_organisations_stakeholder_type_id_stakeholder_types')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisations'))
    )
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organisations_name'), ['name'], unique=False)
        batch_op.create_index(batch_op.f('ix_organisations_region'), ['region'], unique=False)
        batch_op.create_index(batch_op.f('ix_organisations_stakeholder_type_id'), ['stakeholder_type_id'], unique=False)

    op.create_table('contacts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('phone', sa.String(length=50), nullable=False),
    sa.Column('gender', sa.Enum('female', 'male', 'other', 'undisclosed', name='gender', native_enum=False, length=20), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('stakeholder_type_id', sa.Integer(), nullable=True),
    sa.Column('position', sa.String(length=200), nullable=False),
    sa.Column('region', sa.String(length=120), nullable=False),
    sa.Column('oblast', sa.String(length=120), nullable=False),
    sa.Column('municipality', sa.String(length=120), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('search_text', sa.Text(), nullable=False),
    sa.Column('unsubscribed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_contacts_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['stakeholder_type_id'], ['stakeholder_types.id'], name=op.f('fk_contacts_stakeholder_type_id_stakeholder_types')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contacts')),
    sa.UniqueConstraint('email', name=op.f('uq_contacts_email'))
    )
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contacts_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contacts_region'), ['region'], unique=False)
        batch_op.create_index(batch_op.f('ix_contacts_stakeholder_type_id'), ['stakeholder_type_id'], unique=False)



    # the stakeholder types DESIGN.md names; organizers add their own in the app
    types = sa.table(
        "stakeholder_types",
        sa.column("code", sa.String),
        sa.column("name", sa.JSON),
        sa.column("position", sa.Integer),
    )
    op.bulk_insert(types, [
        {'code': 'ministry', 'name': {"en": "Ministry", "bg": "Министерство", "mk": "Министерство", "sq": "Ministri"}, 'position': 10},
        {'code': 'national_agency', 'name': {"en": "National agency", "bg": "Национална агенция", "mk": "Национална агенција", "sq": "Agjenci kombëtare"}, 'position': 20},
        {'code': 'regional_administration', 'name': {"en": "Regional (oblast) administration", "bg": "Областна администрация", "mk": "Регионална администрација", "sq": "Administratë rajonale"}, 'position': 30},
        {'code': 'municipality', 'name': {"en": "Municipality", "bg": "Община", "mk": "Општина", "sq": "Bashki"}, 'position': 40},
        {'code': 'civil_society', 'name': {"en": "Civil society organisation", "bg": "Организация на гражданското общество", "mk": "Граѓанска организација", "sq": "Organizatë e shoqërisë civile"}, 'position': 50},
        {'code': 'mediator', 'name': {"en": "Mediator", "bg": "Медиатор", "mk": "Медијатор", "sq": "Ndërmjetës"}, 'position': 60},
        {'code': 'international_org', 'name': {"en": "International organisation", "bg": "Международна организация", "mk": "Меѓународна организација", "sq": "Organizatë ndërkombëtare"}, 'position': 70},
        {'code': 'academia', 'name': {"en": "Academia / expert", "bg": "Академични среди / експерт", "mk": "Академска заедница / експерт", "sq": "Akademi / ekspert"}, 'position': 80},
        {'code': 'media', 'name': {"en": "Media", "bg": "Медии", "mk": "Медиуми", "sq": "Media"}, 'position': 90},
        {'code': 'national_contact_point', 'name': {"en": "National contact point", "bg": "Национално звено за контакт", "mk": "Национална контакт точка", "sq": "Pikë kombëtare kontakti"}, 'position': 100},
        {'code': 'project_team', 'name': {"en": "Project team", "bg": "Екип на проекта", "mk": "Проектен тим", "sq": "Ekipi i projektit"}, 'position': 110},
        {'code': 'other', 'name': {"en": "Other", "bg": "Друго", "mk": "Друго", "sq": "Tjetër"}, 'position': 120},
    ])


def downgrade():
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contacts_stakeholder_type_id'))
        batch_op.drop_index(batch_op.f('ix_contacts_region'))
        batch_op.drop_index(batch_op.f('ix_contacts_organisation_id'))

    op.drop_table('contacts')
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organisations_stakeholder_type_id'))
        batch_op.drop_index(batch_op.f('ix_organisations_region'))
        batch_op.drop_index(batch_op.f('ix_organisations_name'))

    op.drop_table('organisations')
    op.drop_table('import_batches')
    op.drop_table('stakeholder_types')
