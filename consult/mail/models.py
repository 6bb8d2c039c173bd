from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult.db import UTCDateTime, created_at_column, enum_column, utcnow
from consult.extensions import db


class OutboxStatus(enum.Enum):
    PENDING = "pending"  # waiting for its next attempt
    SENDING = "sending"  # claimed by a worker until lease_until
    SENT = "sent"
    FAILED = "failed"  # refused permanently (5xx) or out of attempts; kept for the organizer
    HELD = "held"  # its batch is paused: not sent until resumed
    WITHDRAWN = "withdrawn"  # its batch was stopped before it went; never sent


class OutboxMessage(db.Model):
    """One mail to one recipient, written in the transaction of the thing that causes it."""

    __tablename__ = "outbox_messages"
    __table_args__ = (sa.Index("ix_outbox_messages_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # one logical mail (e.g. "invitation:meeting 7:contact 12") is queued once, by design
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(200), unique=True)
    topic: Mapped[str] = mapped_column(sa.String(60), default="", index=True)
    # messages sent as one batch (e.g. "invitations:12"): paused, resumed and counted together
    batch: Mapped[str | None] = mapped_column(sa.String(60), index=True)
    # extra headers, e.g. List-Unsubscribe
    headers: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    recipient: Mapped[str] = mapped_column(sa.String(254))
    recipient_name: Mapped[str] = mapped_column(sa.String(200), default="")
    sender: Mapped[str | None] = mapped_column(sa.String(320))
    reply_to: Mapped[str | None] = mapped_column(sa.String(320))
    locale: Mapped[str] = mapped_column(sa.String(8), default="en")
    subject: Mapped[str] = mapped_column(sa.String(998))
    body_text: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str | None] = mapped_column(sa.Text)
    # {"preparer", "args", "base_url"} while the body is still to be made by the worker
    # (see consult.mail.services.queue_prepared_later); None once it is written
    prepare_with: Mapped[dict | None] = mapped_column(sa.JSON(none_as_null=True))
    status: Mapped[OutboxStatus] = mapped_column(
        enum_column(OutboxStatus), default=OutboxStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claimed_by: Mapped[str | None] = mapped_column(sa.String(64))
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = created_at_column()
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    attachments: Mapped[list[OutboxAttachment]] = relationship(
        back_populates="message", cascade="all, delete-orphan", order_by="OutboxAttachment.id"
    )

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.status.value} to {self.recipient}>"


class OutboxAttachment(db.Model):
    __tablename__ = "outbox_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(
        sa.ForeignKey("outbox_messages.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(sa.String(255))
    content_type: Mapped[str] = mapped_column(sa.String(120))
    # the bytes, or the stored file they are in: a document mailed to a whole group is kept
    # once, not once per member (NULL with no data: the file was deleted before sending)
    data: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    stored_file_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("stored_files.id", ondelete="SET NULL"), index=True
    )

    message: Mapped[OutboxMessage] = relationship(back_populates="attachments")


STATUS_LABELS = {
    OutboxStatus.PENDING: _l("waiting"),
    OutboxStatus.SENDING: _l("sending"),
    OutboxStatus.SENT: _l("sent"),
    OutboxStatus.FAILED: _l("failed"),
    OutboxStatus.HELD: _l("paused"),
    OutboxStatus.WITHDRAWN: _l("withdrawn"),
}
