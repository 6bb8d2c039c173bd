"""search keys: the spellings of Albanian and of Latin letters with marks

The search keys of contacts, organisations and registrations (search_text, made by
consult.directory.models.search_key) now also hold the Latin spellings of letters with marks
("Šuto" is kept as "shuto" and "suto" too, "Çeliku" as "celiku"), the Albanian spelling of
"џ", "ќ", "ѕ" ("Реџепи" as "rexhepi") and Albanian "ll", "rr", "dh", "th" as Cyrillic
writes them ("Abdullahu" as "abdulahu"). The keys already stored are made again, so the
people already in the directory and on the lists are found as new ones are; the search asks
the new keys for those spellings. A key left empty on purpose (an anonymised or erased
person) stays empty. Going back needs nothing: the old search finds what it found in the
new keys, which hold the old ones' text.

Revision ID: 71e519116d50
Revises: 93d7fcc3bc7e
Create Date: 2026-12-01 16:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '71e519116d50'
down_revision = '93d7fcc3bc7e'
branch_labels = None
depends_on = None

BATCH = 2000


def _refresh(connection, table, query) -> None:
    """Make the key of every row of ``query`` (id, key, then the key's parts) again, in
    batches by id; rows whose key is empty or unchanged are left alone."""
    from consult.directory.models import search_key

    last = 0
    while True:
        rows = connection.execute(query.where(table.c.id > last).order_by(table.c.id)
                                  .limit(BATCH)).all()
        if not rows:
            return
        changed = []
        for row_id, key, *parts in rows:
            fresh = search_key(*parts)
            if key and fresh != key:
                changed.append({"row_id": row_id, "fresh": fresh})
        if changed:
            connection.execute(table.update().where(table.c.id == sa.bindparam("row_id"))
                               .values(search_text=sa.bindparam("fresh")), changed)
        last = rows[-1][0]


def upgrade():
    connection = op.get_bind()
    organisations = sa.table('organisations', sa.column('id', sa.Integer),
                             sa.column('name', sa.String), sa.column('email', sa.String),
                             sa.column('search_text', sa.Text))
    contacts = sa.table('contacts', sa.column('id', sa.Integer), sa.column('name', sa.String),
                        sa.column('email', sa.String), sa.column('organisation_id', sa.Integer),
                        sa.column('search_text', sa.Text))
    registrations = sa.table('registrations', sa.column('id', sa.Integer),
                             sa.column('name', sa.String), sa.column('email', sa.String),
                             sa.column('organisation_name', sa.String),
                             sa.column('search_text', sa.Text))
    _refresh(connection, organisations, sa.select(
        organisations.c.id, organisations.c.search_text, organisations.c.name,
        organisations.c.email))
    # a contact's key holds the name of its organisation (Contact.refresh_search)
    _refresh(connection, contacts, sa.select(
        contacts.c.id, contacts.c.search_text, contacts.c.name, contacts.c.email,
        organisations.c.name).select_from(contacts.outerjoin(
            organisations, organisations.c.id == contacts.c.organisation_id)))
    _refresh(connection, registrations, sa.select(
        registrations.c.id, registrations.c.search_text, registrations.c.name,
        registrations.c.email, registrations.c.organisation_name))


def downgrade():
    pass  # the new keys hold the old ones' text: the old search finds what it found
