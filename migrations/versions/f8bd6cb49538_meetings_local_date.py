"""meetings: their local date

The calendar day a meeting starts on where it takes place. The public month filter, report
periods and "member on the meeting's date" compare with it, instead of the UTC date (a
meeting at 00:30 in Sofia on the 1st belongs to that month, not the one before). Existing
meetings get it computed from starts_at and timezone.

Revision ID: f8bd6cb49538
Revises: fc17e2884ccc
Create Date: 2026-11-29 03:46:57.630082

"""
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f8bd6cb49538'
down_revision = 'fc17e2884ccc'
branch_labels = None
depends_on = None


def _aware(value) -> datetime:
    if isinstance(value, str):  # SQLite: naive UTC text
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def upgrade():
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('local_date', sa.Date(), nullable=True))

    meetings = sa.table('meetings', sa.column('id', sa.Integer), sa.column('starts_at'),
                        sa.column('timezone', sa.String), sa.column('local_date', sa.Date))
    connection = op.get_bind()
    rows = connection.execute(sa.select(meetings.c.id, meetings.c.starts_at,
                                        meetings.c.timezone)).all()
    for meeting_id, starts_at, zone in rows:
        local = _aware(starts_at).astimezone(ZoneInfo(zone or 'UTC')).date()
        connection.execute(meetings.update().where(meetings.c.id == meeting_id)
                           .values(local_date=local))

    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.alter_column('local_date', existing_type=sa.Date(), nullable=False)
        batch_op.create_index(batch_op.f('ix_meetings_local_date'), ['local_date'], unique=False)


def downgrade():
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meetings_local_date'))
        batch_op.drop_column('local_date')
