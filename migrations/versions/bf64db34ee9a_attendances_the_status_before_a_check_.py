"""attendances: the status a check-in replaced

A waitlisted or pending person let in at the door gets the seat. Undoing that check-in (a
mistap at the door) now gives them back the status they had, so the meeting is not left
over its capacity; the column keeps that status.

Revision ID: bf64db34ee9a
Revises: 65f03f83282d
Create Date: 2026-11-29 06:12:50.433448

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'bf64db34ee9a'
down_revision = '65f03f83282d'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('attendances', schema=None) as batch_op:
        batch_op.add_column(sa.Column(
            'status_before',
            sa.Enum('confirmed', 'waitlisted', 'pending', 'rejected', 'cancelled',
                    name='registrationstatus', native_enum=False, length=20),
            nullable=True))


def downgrade():
    with op.batch_alter_table('attendances', schema=None) as batch_op:
        batch_op.drop_column('status_before')
