"""registrations: a calendar sequence of their own

A person who gave up their seat got a CANCEL with the meeting's SEQUENCE, the same number as
the REQUEST it was meant to replace, and calendars may ignore a message that is not newer;
registering again sent that number a third time. Each status mail with a calendar entry now
raises the registration's own number, added to the meeting's.

Revision ID: 8a4f2c9e6b1d
Revises: 5d2e8c41f7a3
Create Date: 2026-11-29 12:35:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8a4f2c9e6b1d'
down_revision = '5d2e8c41f7a3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('calendar_sequence', sa.Integer(), server_default='0',
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.drop_column('calendar_sequence')
