"""registrations: walk-ins in their meeting's language

The door's walk-in form had no language, and every walk-in was stored as writing English:
nobody chose it, and their mails about the meeting (a change, a reminder, a cancellation,
the certificate) went in English at a Macedonian or Albanian meeting. The form now offers
the mail language, set to the meeting's main language; walk-ins registered before get that
language. Only walk-ins (the consent text the door writes for them) of meetings held in a
language mail is written in, and only where English was the default nobody chose.

Revision ID: 93d7fcc3bc7e
Revises: b7d3e9a1c5f2
Create Date: 2026-12-01 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '93d7fcc3bc7e'
down_revision = 'b7d3e9a1c5f2'
branch_labels = None
depends_on = None

# consult.attendance.services.WALK_IN_CONSENT, as the door stored it
WALK_IN_CONSENT = "Registered at the door by an organizer (walk-in)."


def upgrade():
    op.execute(sa.text(
        "UPDATE registrations SET locale = (SELECT main_language FROM meetings"
        " WHERE meetings.id = registrations.meeting_id)"
        " WHERE consent_text = :walk_in AND locale = 'en' AND meeting_id IN"
        " (SELECT id FROM meetings WHERE main_language IN ('bg', 'mk', 'sq'))"
    ).bindparams(walk_in=WALK_IN_CONSENT))


def downgrade():
    pass  # English was nobody's choice: nothing to give back
