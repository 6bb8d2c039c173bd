from __future__ import annotations

import enum
import uuid
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult.auth.models import User
from consult.db import UTCDateTime, created_at_column, enum_column, utcnow
from consult.extensions import db
from consult.files import StoredFile
from consult.groups.models import WorkingGroup
from consult.i18n import localized

series_managers = sa.Table(
    "series_managers",
    db.metadata,
    sa.Column("series_id", sa.ForeignKey("series.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class Series(db.Model):
    """A consultation programme or project: one funder block, one disclaimer, many meetings."""

    __tablename__ = "series"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    main_language: Mapped[str] = mapped_column(sa.String(8), default="en")
    # per-language texts: {"bg": "...", "en": "..."}
    title: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    description: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    project_code: Mapped[str] = mapped_column(sa.String(200), default="")
    project_name: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    funder: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    programme: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    implementing_body: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    co_organisers: Mapped[str] = mapped_column(sa.Text, default="")
    disclaimer: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    timezone: Mapped[str] = mapped_column(sa.String(64), default="UTC")
    published: Mapped[bool] = mapped_column(default=False)
    # invitations go out under this name, and answers by mail to this address
    mail_from_name: Mapped[str] = mapped_column(sa.String(200), default="")
    reply_to: Mapped[str] = mapped_column(sa.String(254), default="")
    created_at: Mapped[datetime] = created_at_column()

    managers: Mapped[list[User]] = relationship(secondary=series_managers)
    logos: Mapped[list[SeriesLogo]] = relationship(
        back_populates="series", order_by="SeriesLogo.position", cascade="all, delete-orphan"
    )
    meetings: Mapped[list[Meeting]] = relationship(
        back_populates="series", order_by="Meeting.starts_at"
    )

    def __repr__(self) -> str:
        return f"<Series {self.slug}>"

    def text(self, field: str) -> str:
        return localized(getattr(self, field), self.main_language)


class SeriesLogo(db.Model):
    """Funder, programme and organiser logos shown in the series' funder block."""

    __tablename__ = "series_logos"

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(
        sa.ForeignKey("series.id", ondelete="CASCADE"), index=True
    )
    file_id: Mapped[int] = mapped_column(sa.ForeignKey("stored_files.id"))
    alt_text: Mapped[str] = mapped_column(sa.String(200))  # e.g. "Co-funded by the EU"
    position: Mapped[int] = mapped_column(default=0)

    series: Mapped[Series] = relationship(back_populates="logos")
    file: Mapped[StoredFile] = relationship()


class MeetingType(enum.Enum):
    PLENARY = "plenary"
    OPERATIONAL = "operational"
    TECHNICAL = "technical"
    REGIONAL = "regional_discussion"
    WORKSHOP = "workshop"
    OTHER = "other"


class MeetingFormat(enum.Enum):
    IN_PERSON = "in_person"
    ONLINE = "online"
    HYBRID = "hybrid"


class RegistrationMode(enum.Enum):
    OPEN = "open"
    INVITATION = "invitation_only"
    APPROVAL = "approval"


class MeetingStatus(enum.Enum):
    DRAFT = "draft"
    PUBLISHED = "published"
    HELD = "held"
    CANCELLED = "cancelled"


MEETING_TYPE_LABELS = {
    MeetingType.PLENARY: _l("plenary meeting"),
    MeetingType.OPERATIONAL: _l("operational meeting"),
    MeetingType.TECHNICAL: _l("technical meeting"),
    MeetingType.REGIONAL: _l("regional discussion"),
    MeetingType.WORKSHOP: _l("workshop"),
    MeetingType.OTHER: _l("other"),
}
FORMAT_LABELS = {
    MeetingFormat.IN_PERSON: _l("in person"),
    MeetingFormat.ONLINE: _l("online"),
    MeetingFormat.HYBRID: _l("hybrid (in person and online)"),
}
REGISTRATION_MODE_LABELS = {
    RegistrationMode.OPEN: _l("open to anyone"),
    RegistrationMode.INVITATION: _l("by invitation only"),
    RegistrationMode.APPROVAL: _l("open, with approval by the organizer"),
}
MEETING_STATUS_LABELS = {
    MeetingStatus.DRAFT: _l("draft"),
    MeetingStatus.PUBLISHED: _l("published"),
    MeetingStatus.HELD: _l("held"),
    MeetingStatus.CANCELLED: _l("cancelled"),
}


def _new_uid() -> str:
    return f"{uuid.uuid4()}@consult"


class Meeting(db.Model):
    __tablename__ = "meetings"
    __table_args__ = (sa.Index("ix_meetings_status_starts_at", "status", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(sa.String(80), unique=True, default=_new_uid)
    series_id: Mapped[int | None] = mapped_column(sa.ForeignKey("series.id"), index=True)
    group_id: Mapped[int | None] = mapped_column(sa.ForeignKey("working_groups.id"), index=True)
    title: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    description: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    main_language: Mapped[str] = mapped_column(sa.String(8), default="en")
    type: Mapped[MeetingType] = mapped_column(
        enum_column(MeetingType, 30), default=MeetingType.OTHER
    )
    format: Mapped[MeetingFormat] = mapped_column(
        enum_column(MeetingFormat), default=MeetingFormat.IN_PERSON
    )
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    timezone: Mapped[str] = mapped_column(sa.String(64), default="UTC")
    # the calendar day the meeting starts on where it takes place, kept by the ORM from
    # starts_at and timezone: months, report periods and membership dates compare with it
    local_date: Mapped[date] = mapped_column(sa.Date, index=True)
    venue: Mapped[str] = mapped_column(sa.String(300), default="")
    address: Mapped[str] = mapped_column(sa.String(500), default="")
    online_url: Mapped[str] = mapped_column(sa.String(1000), default="")
    region: Mapped[str] = mapped_column(sa.String(120), default="", index=True)
    capacity: Mapped[int | None]
    registration_mode: Mapped[RegistrationMode] = mapped_column(
        enum_column(RegistrationMode), default=RegistrationMode.OPEN
    )
    registration_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    registration_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    co_organisers: Mapped[str] = mapped_column(sa.Text, default="")
    languages: Mapped[list] = mapped_column(sa.JSON, default=list)
    status: Mapped[MeetingStatus] = mapped_column(
        enum_column(MeetingStatus), default=MeetingStatus.DRAFT
    )
    # RFC 5545 SEQUENCE: raised on every change of time, place or status people must know of
    sequence: Mapped[int] = mapped_column(default=0)
    cancellation_note: Mapped[str] = mapped_column(sa.Text, default="")
    # an optional sensitive question (e.g. self-identification as a member of a minority),
    # asked only with explicit consent and reported only in aggregate
    sensitive_question: Mapped[dict] = mapped_column(sa.JSON, default=dict)  # per language
    # a reminder this many days before the start, to the registered (and, if chosen, to
    # the invited who have not answered); sent once
    reminder_days: Mapped[int | None]
    remind_unanswered: Mapped[bool] = mapped_column(default=False)
    reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    # loaded with the meeting: every page and calendar that shows a meeting shows these
    series: Mapped[Series | None] = relationship(back_populates="meetings", lazy="joined")
    group: Mapped[WorkingGroup | None] = relationship(lazy="joined")
    agenda: Mapped[list[AgendaItem]] = relationship(
        back_populates="meeting", order_by="AgendaItem.position", cascade="all, delete-orphan",
        lazy="selectin",
    )
    changes: Mapped[list[MeetingChange]] = relationship(
        back_populates="meeting", order_by="MeetingChange.id", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Meeting {self.id} {self.starts_at:%Y-%m-%d}>"

    def text(self, field: str) -> str:
        return localized(getattr(self, field), self.main_language)

    @property
    def display_title(self) -> str:
        own = self.text("title")
        if own:
            return own
        if self.series is not None:
            return self.series.text("title")
        if self.group is not None:
            return self.group.text("name")
        return ""

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def local_start(self) -> datetime:
        return self.starts_at.astimezone(self.zone)

    @property
    def local_end(self) -> datetime:
        return self.ends_at.astimezone(self.zone)

    @property
    def is_public(self) -> bool:
        return self.status is not MeetingStatus.DRAFT

    @property
    def has_ended(self) -> bool:
        return self.ends_at <= utcnow()

    @property
    def has_place(self) -> bool:
        return self.format is not MeetingFormat.ONLINE

    @property
    def managers(self) -> list[User]:
        people = list(self.series.managers) if self.series else []
        if self.group is not None:
            people += list(self.group.managers)
        return people



@sa.event.listens_for(Meeting, "before_insert")
@sa.event.listens_for(Meeting, "before_update")
def _keep_local_date(_mapper, _connection, meeting: Meeting) -> None:
    if meeting.starts_at is not None:
        # before the INSERT the column default has not been applied yet
        zone = ZoneInfo(meeting.timezone or "UTC")
        meeting.local_date = meeting.starts_at.astimezone(zone).date()


class AgendaItem(db.Model):
    __tablename__ = "agenda_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        sa.ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    starts_at: Mapped[time | None]  # local wall-clock time in the meeting's zone
    duration_minutes: Mapped[int | None]
    title: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    speaker: Mapped[str] = mapped_column(sa.String(300), default="")

    meeting: Mapped[Meeting] = relationship(back_populates="agenda")

    def text(self, fallback: str | None = None) -> str:
        return localized(self.title, fallback or self.meeting.main_language)


class MeetingChange(db.Model):
    """What changed in a published meeting, when, and the calendar sequence it got."""

    __tablename__ = "meeting_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        sa.ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    sequence: Mapped[int]
    kind: Mapped[str] = mapped_column(sa.String(20))  # "moved", "place", "cancelled"
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    changed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_at_column()

    meeting: Mapped[Meeting] = relationship(back_populates="changes")
    changed_by: Mapped[User | None] = relationship()


class DocumentType(enum.Enum):
    AGENDA = "agenda"
    INVITATION = "invitation"
    MINUTES = "minutes"
    CONCLUSIONS = "conclusions"
    PRESENTATION = "presentation"
    REPORT = "report"
    ACTION_PLAN = "action_plan"
    INVITEES = "list_of_invitees"
    WORK_PLAN = "work_plan"
    ANNUAL_REPORT = "annual_report"
    RULES = "rules_of_procedure"
    INDICATORS = "indicators"
    CALL_FOR_MEMBERS = "call_for_members"
    METHODOLOGY = "methodology"
    STRATEGIC_RESPONSE = "strategic_response"
    SIGNED_SHEET = "signed_sign_in_sheet"  # the scanned sheet: evidence of recorded counts
    OTHER = "other"


# documents that name people (signatures, addresses): never published, whatever the box says
NAMING_PEOPLE = frozenset({DocumentType.SIGNED_SHEET, DocumentType.INVITEES})

DOCUMENT_TYPE_LABELS = {
    DocumentType.AGENDA: _l("agenda"),
    DocumentType.INVITATION: _l("invitation"),
    DocumentType.MINUTES: _l("minutes"),
    DocumentType.CONCLUSIONS: _l("conclusions"),
    DocumentType.PRESENTATION: _l("presentation"),
    DocumentType.REPORT: _l("report"),
    DocumentType.ACTION_PLAN: _l("action plan"),
    DocumentType.INVITEES: _l("list of invitees"),
    DocumentType.WORK_PLAN: _l("work plan"),
    DocumentType.ANNUAL_REPORT: _l("annual report"),
    DocumentType.RULES: _l("rules of procedure"),
    DocumentType.INDICATORS: _l("performance indicators"),
    DocumentType.CALL_FOR_MEMBERS: _l("call for members"),
    DocumentType.METHODOLOGY: _l("methodology"),
    DocumentType.STRATEGIC_RESPONSE: _l("strategic response"),
    DocumentType.SIGNED_SHEET: _l("signed sign-in sheet (scan)"),
    DocumentType.OTHER: _l("other document"),
}


class Document(db.Model):
    """A file or a link attached to a meeting, a series or a working group."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    series_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("series.id", ondelete="CASCADE"), index=True
    )
    group_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("working_groups.id", ondelete="CASCADE"), index=True
    )
    type: Mapped[DocumentType] = mapped_column(
        enum_column(DocumentType, 30), default=DocumentType.OTHER
    )
    title: Mapped[str] = mapped_column(sa.String(300))
    language: Mapped[str] = mapped_column(sa.String(8), default="")
    public: Mapped[bool] = mapped_column(default=True)
    year: Mapped[int | None]
    url: Mapped[str] = mapped_column(sa.String(1000), default="")
    # e.g. when a call for members was published (at ``url``)
    published_on: Mapped[date | None]
    file_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stored_files.id"))
    created_at: Mapped[datetime] = created_at_column()

    file: Mapped[StoredFile | None] = relationship()
    meeting: Mapped[Meeting | None] = relationship()
    series: Mapped[Series | None] = relationship()


class CalendarFeed(db.Model):
    """An organizer's private calendar address, drafts included; a new token revokes the old."""

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), unique=True
    )
    token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = created_at_column()

    user: Mapped[User] = relationship()

