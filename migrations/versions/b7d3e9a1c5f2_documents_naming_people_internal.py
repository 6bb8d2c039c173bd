"""documents: signed sign-in sheets and lists of invitees are internal

A signed sign-in sheet (the scan that backs recorded counts) and a list of invitees name
people, with their signatures or addresses. The upload form offered them as public, ticked
by default, and a sheet uploaded that way appeared on the meeting's page and in the public
record. Such documents are now always internal (consult.events.models.NAMING_PEOPLE); this
makes those uploaded before internal too.

Revision ID: b7d3e9a1c5f2
Revises: 8a4f2c9e6b1d
Create Date: 2026-11-29 15:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7d3e9a1c5f2'
down_revision = '8a4f2c9e6b1d'
branch_labels = None
depends_on = None


def upgrade():
    op.execute(sa.text(
        "UPDATE documents SET public = :internal "
        "WHERE type IN ('signed_sign_in_sheet', 'list_of_invitees')").bindparams(internal=False))


def downgrade():
    pass  # which of them were public before cannot be told, and none should be
