"""series: the funder in each language

The funder was one text for every language, so a Bulgarian "Европейски съюз" showed on the
English pages and an English "European Union" in Bulgarian mail. It becomes a per-language
mapping like the programme and the implementing body; an existing text is kept as the
series' main language.

Revision ID: 3c1f0b7a9d2e
Revises: bf64db34ee9a
Create Date: 2026-11-29 08:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3c1f0b7a9d2e'
down_revision = 'bf64db34ee9a'
branch_labels = None
depends_on = None

def _series(funder_type, new_column, new_type):
    return sa.table('series', sa.column('id', sa.Integer), sa.column('main_language', sa.String),
                    sa.column('funder', funder_type), sa.column(new_column, new_type))


def upgrade():
    series = _series(sa.String, 'funder_texts', sa.JSON)
    with op.batch_alter_table('series', schema=None) as batch_op:
        batch_op.add_column(sa.Column('funder_texts', sa.JSON(), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(sa.select(series.c.id, series.c.main_language, series.c.funder))
    for ident, language, funder in rows.all():
        connection.execute(series.update().where(series.c.id == ident).values(
            funder_texts={language or 'en': funder} if funder else {}))
    with op.batch_alter_table('series', schema=None) as batch_op:
        batch_op.drop_column('funder')
        batch_op.alter_column('funder_texts', new_column_name='funder',
                              existing_type=sa.JSON(), nullable=False)


def downgrade():
    series = _series(sa.JSON, 'funder_text', sa.String)
    with op.batch_alter_table('series', schema=None) as batch_op:
        batch_op.add_column(sa.Column('funder_text', sa.String(length=200), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(sa.select(series.c.id, series.c.main_language, series.c.funder))
    for ident, language, texts in rows.all():
        texts = texts or {}
        text = texts.get(language) or next((t for t in texts.values() if t), '')
        connection.execute(series.update().where(series.c.id == ident).values(
            funder_text=text[:200]))
    with op.batch_alter_table('series', schema=None) as batch_op:
        batch_op.drop_column('funder')
        batch_op.alter_column('funder_text', new_column_name='funder',
                              existing_type=sa.String(length=200), nullable=False)
