"""mail prepared by the worker

A message can wait in the outbox for its body: the worker renders it just before sending
(registration confirmations with their .ics and QR code).

Revision ID: fc17e2884ccc
Revises: b8311fbffb00
Create Date: 2026-11-29 03:27:38.586163

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'fc17e2884ccc'
down_revision = 'b8311fbffb00'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('prepare_with', sa.JSON(none_as_null=True), nullable=True))



def downgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_column('prepare_with')

