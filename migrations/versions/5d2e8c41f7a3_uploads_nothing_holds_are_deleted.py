"""stored files: delete the uploads nothing holds

Removing a document or a logo now deletes its uploaded bytes in the same transaction
(consult.files.delete_unreferenced). Uploads removed before that still sit in
stored_files, out of every page's reach but in every backup, and an agenda or a list of
participants can hold personal data. This deletes them once. A mail attachment lets go of
its file (ON DELETE SET NULL), so it does not hold one.

Revision ID: 5d2e8c41f7a3
Revises: 3c1f0b7a9d2e
Create Date: 2026-11-29 12:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5d2e8c41f7a3'
down_revision = '3c1f0b7a9d2e'
branch_labels = None
depends_on = None


def upgrade():
    op.execute(sa.text(
        "DELETE FROM stored_files WHERE id NOT IN (SELECT file_id FROM series_logos) "
        "AND id NOT IN (SELECT file_id FROM documents WHERE file_id IS NOT NULL)"))


def downgrade():
    pass  # what was deleted could not be reached: nothing to bring back
