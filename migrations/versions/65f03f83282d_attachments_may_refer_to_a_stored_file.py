"""outbox attachments: the bytes, or the stored file they are in

A document mailed to every member of a working group was copied into each member's
message; it is now kept once, as a reference to the uploaded file, and the mail worker reads
it when it sends. Deleting the file sets the reference to NULL: such a message then fails
with the reason instead of going out without its attachment.

Revision ID: 65f03f83282d
Revises: f8bd6cb49538
Create Date: 2026-11-29 05:49:21.873103

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '65f03f83282d'
down_revision = 'f8bd6cb49538'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_attachments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stored_file_id', sa.Integer(), nullable=True))
        batch_op.alter_column('data', existing_type=sa.LargeBinary(), nullable=True)
        batch_op.create_index(batch_op.f('ix_outbox_attachments_stored_file_id'),
                              ['stored_file_id'], unique=False)
        batch_op.create_foreign_key(
            batch_op.f('fk_outbox_attachments_stored_file_id_stored_files'), 'stored_files',
            ['stored_file_id'], ['id'], ondelete='SET NULL')


def downgrade():
    # a waiting message whose file is gone would go out with an empty file: fail it, as the
    # newer worker does
    op.execute("UPDATE outbox_messages SET status = 'failed', lease_until = NULL, "
               "last_error = 'the attached file was deleted before the message was sent' "
               "WHERE status IN ('pending', 'sending', 'held') AND id IN (SELECT message_id "
               "FROM outbox_attachments WHERE data IS NULL AND stored_file_id IS NULL)")
    # every attachment gets its own bytes back (empty where the file is gone)
    op.execute("UPDATE outbox_attachments SET data = (SELECT stored_files.data FROM "
               "stored_files WHERE stored_files.id = outbox_attachments.stored_file_id) "
               "WHERE data IS NULL AND stored_file_id IS NOT NULL")
    op.execute(sa.text("UPDATE outbox_attachments SET data = :empty WHERE data IS NULL")
               .bindparams(sa.bindparam("empty", b"", type_=sa.LargeBinary())))
    with op.batch_alter_table('outbox_attachments', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('fk_outbox_attachments_stored_file_id_stored_files'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_outbox_attachments_stored_file_id'))
        batch_op.alter_column('data', existing_type=sa.LargeBinary(), nullable=False)
        batch_op.drop_column('stored_file_id')
