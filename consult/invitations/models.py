from __future__ import annotations

import enum
import secrets
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult.auth.models import User
from consult.db import UTCDateTime, created_at_column, enum_column
from consult.directory.models import Contact, Organisation
from consult.events.models import Meeting, Series
from consult.extensions import db


def new_token() -> str:
    """256 random bits, URL-safe: a personal link nobody can guess."""
    return secrets.token_urlsafe(32)


class InvitationBatch(db.Model):
    """One sending: the audience an organizer chose, for one or several meetings."""

    __tablename__ = "invitation_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int | None] = mapped_column(sa.ForeignKey("series.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # what the organizer chose, in words, for the record ("municipality, civil_society; …")
    audience: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    meeting_ids: Mapped[list] = mapped_column(sa.JSON, default=list)
    total: Mapped[int] = mapped_column(default=0)  # mails queued
    created_at: Mapped[datetime] = created_at_column()

    series: Mapped[Series | None] = relationship()
    created_by: Mapped[User | None] = relationship()

    @property
    def mail_batch(self) -> str:
        """The outbox's name for this batch's mails (pause, resume and progress use it)."""
        return f"invitations:{self.id}"


class Response(enum.Enum):
    NONE = "none"
    REGISTERED = "registered"
    DECLINED = "declined"
    CANCELLED = "cancelled"  # registered, then cancelled: may register again


class InvitationStatus(enum.Enum):
    """What the dashboard shows: the answer if there is one, else the mail's delivery."""

    QUEUED = "queued"
    SENT = "sent"  # delivered to the mail server, no answer yet
    FAILED = "failed"
    WITHDRAWN = "withdrawn"  # the organizer stopped the sending before this mail went
    REGISTERED = "registered"
    CANCELLED = "cancelled"
    DECLINED = "declined"


INVITATION_STATUS_LABELS = {
    InvitationStatus.QUEUED: _l("queued"),
    InvitationStatus.SENT: _l("sent, no answer yet"),
    InvitationStatus.FAILED: _l("mail failed"),
    InvitationStatus.WITHDRAWN: _l("not sent (sending stopped)"),
    InvitationStatus.REGISTERED: _l("registered"),
    InvitationStatus.CANCELLED: _l("registered, then cancelled"),
    InvitationStatus.DECLINED: _l("declined"),
}


class Invitation(db.Model):
    """A person, or an organisation that names its delegates, invited to one meeting.

    The token works for this meeting only. Delivery is read from the outbox message
    whose dedupe key is ``mail_key`` (one mail may carry the links of several meetings).
    """

    __tablename__ = "invitations"
    __table_args__ = (
        sa.UniqueConstraint("meeting_id", "contact_id", name="uq_invitations_meeting_contact"),
        sa.UniqueConstraint("meeting_id", "organisation_id",
                            name="uq_invitations_meeting_organisation"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        sa.ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    batch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("invitation_batches.id"),
                                                 index=True)
    contact_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contacts.id"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisations.id"), index=True
    )
    token: Mapped[str] = mapped_column(sa.String(64), unique=True, default=new_token)
    email: Mapped[str] = mapped_column(sa.String(254))  # where the invitation went
    name: Mapped[str] = mapped_column(sa.String(300), default="")
    locale: Mapped[str] = mapped_column(sa.String(8), default="en")
    max_delegates: Mapped[int] = mapped_column(default=1)
    mail_key: Mapped[str] = mapped_column(sa.String(200), index=True)
    response: Mapped[Response] = mapped_column(enum_column(Response), default=Response.NONE)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decline_reason: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = created_at_column()

    meeting: Mapped[Meeting] = relationship()
    batch: Mapped[InvitationBatch | None] = relationship()
    contact: Mapped[Contact | None] = relationship()
    organisation: Mapped[Organisation | None] = relationship()

    def went_to(self, email: str) -> bool:
        """Whether ``email`` is the address this invitation was sent to: whoever used its
        link reads that mailbox."""
        return (self.email or "").lower() == email.lower()

    @property
    def for_organisation(self) -> bool:
        return self.organisation_id is not None
