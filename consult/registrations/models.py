from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult.db import UTCDateTime, created_at_column, enum_column, utcnow
from consult.directory.models import Contact, Gender, Organisation, StakeholderType
from consult.events.models import Meeting
from consult.extensions import db
from consult.invitations.models import Invitation, new_token


class RegistrationStatus(enum.Enum):
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    PENDING = "pending"  # waiting for the organizer's approval
    REJECTED = "rejected"
    CANCELLED = "cancelled"


REGISTRATION_STATUS_LABELS = {
    RegistrationStatus.CONFIRMED: _l("confirmed"),
    RegistrationStatus.WAITLISTED: _l("on the waiting list"),
    RegistrationStatus.PENDING: _l("waiting for approval"),
    RegistrationStatus.REJECTED: _l("not accepted"),
    RegistrationStatus.CANCELLED: _l("cancelled"),
}

# the statuses of people who will come, or may: they hear about changes to the meeting
ACTIVE_STATUSES = (
    RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED, RegistrationStatus.PENDING,
)


class Registration(db.Model):
    """A person's registration for one meeting.

    Name, gender, organisation, type and region are a snapshot taken at registration:
    reports must not change when the directory entry is edited later.
    """

    __tablename__ = "registrations"
    # one e-mail, one registration per meeting: registering twice finds the first one
    __table_args__ = (
        sa.UniqueConstraint("meeting_id", "email", name="uq_registrations_meeting_email"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        sa.ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    contact_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contacts.id"), index=True)
    invitation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("invitations.id"), index=True
    )
    token: Mapped[str] = mapped_column(sa.String(64), unique=True, default=new_token)
    status: Mapped[RegistrationStatus] = mapped_column(
        enum_column(RegistrationStatus), default=RegistrationStatus.CONFIRMED
    )
    name: Mapped[str] = mapped_column(sa.String(200))
    email: Mapped[str] = mapped_column(sa.String(254))  # lower-case
    gender: Mapped[Gender] = mapped_column(enum_column(Gender), default=Gender.UNDISCLOSED)
    organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"))
    organisation_name: Mapped[str] = mapped_column(sa.String(300), default="")
    stakeholder_type_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("stakeholder_types.id"), index=True
    )
    region: Mapped[str] = mapped_column(sa.String(120), default="")
    municipality: Mapped[str] = mapped_column(sa.String(120), default="")
    position: Mapped[str] = mapped_column(sa.String(200), default="")
    phone: Mapped[str] = mapped_column(sa.String(50), default="")
    accessibility_needs: Mapped[str] = mapped_column(sa.Text, default="")
    interpretation_language: Mapped[str] = mapped_column(sa.String(60), default="")
    locale: Mapped[str] = mapped_column(sa.String(8), default="en")
    answers: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    consent_text: Mapped[str] = mapped_column(sa.Text, default="")
    consent_version: Mapped[str] = mapped_column(sa.String(40), default="")
    publish_consent: Mapped[bool] = mapped_column(default=False)
    # the answer to the meeting's sensitive question: None (not asked / no consent), or
    # "yes" / "no" / "prefer_not"; reported only in aggregate, small counts hidden
    sensitive_answer: Mapped[str | None] = mapped_column(sa.String(20))
    # personal data removed by retention or on request; the counts stay
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status_reason: Mapped[str] = mapped_column(sa.Text, default="")
    # name, e-mail and organisation, folded and in their Latin spellings: the door search
    # finds "Георги" when "georgi" is typed, "Šuto" when "suto" is (directory.search_key)
    search_text: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # added to the meeting's SEQUENCE in this person's calendar messages, and raised with
    # each status mail that carries one: their calendar takes a seat given up (CANCEL) and
    # one taken again (REQUEST) in order, though the meeting itself did not change
    calendar_sequence: Mapped[int] = mapped_column(default=0, server_default="0")

    meeting: Mapped[Meeting] = relationship()
    contact: Mapped[Contact | None] = relationship()
    invitation: Mapped[Invitation | None] = relationship()
    organisation: Mapped[Organisation | None] = relationship()
    stakeholder_type: Mapped[StakeholderType | None] = relationship(lazy="joined")

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    def refresh_search(self) -> None:
        from consult.directory.models import search_key

        self.search_text = search_key(self.name, self.email, self.organisation_name)



def person_key():
    """SQL: who a registration is, across meetings: its directory contact, else its
    lower-cased e-mail address. Reports and group pages count different people with it."""
    return sa.func.coalesce(
        sa.literal("c:") + sa.cast(Registration.contact_id, sa.String),
        sa.literal("e:") + sa.func.lower(Registration.email),
    )

class ErasureLog(db.Model):
    """A record that personal data was erased or anonymised, and why (no personal data)."""

    __tablename__ = "erasure_logs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20))  # "retention" | "request"
    registrations: Mapped[int] = mapped_column(default=0)
    contacts: Mapped[int] = mapped_column(default=0)
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_at_column()


class QuestionKind(enum.Enum):
    TEXT = "text"
    SINGLE = "single"  # one of the options
    MULTIPLE = "multiple"  # any of the options
    YES_NO = "yes_no"


QUESTION_KIND_LABELS = {
    QuestionKind.TEXT: _l("text answer"),
    QuestionKind.SINGLE: _l("one choice"),
    QuestionKind.MULTIPLE: _l("several choices"),
    QuestionKind.YES_NO: _l("yes or no"),
}


class Question(db.Model):
    """A meeting's own question on its registration form, with per-language wording."""

    __tablename__ = "meeting_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        sa.ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[QuestionKind] = mapped_column(enum_column(QuestionKind),
                                               default=QuestionKind.TEXT)
    label: Mapped[dict] = mapped_column(sa.JSON, default=dict)  # {"bg": "…", "en": "…"}
    # choices, each per language: [{"bg": "…", "en": "…"}, …]
    options: Mapped[list] = mapped_column(sa.JSON, default=list)
    required: Mapped[bool] = mapped_column(default=False)

    meeting: Mapped[Meeting] = relationship()
