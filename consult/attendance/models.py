from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult.auth.models import User
from consult.db import UTCDateTime, created_at_column, enum_column, utcnow
from consult.events.models import Document, Meeting
from consult.extensions import db
from consult.registrations.models import Registration, RegistrationStatus


class CheckInMethod(enum.Enum):
    DOOR = "door"  # searched and tapped at the door
    QR = "qr"  # the QR code of the confirmation mail
    WALK_IN = "walk_in"  # came without registering
    LIST = "list"  # marked from a paper sign-in sheet
    ONLINE = "online"  # from a video platform's participant report


CHECK_IN_METHOD_LABELS = {
    CheckInMethod.DOOR: _l("at the door"),
    CheckInMethod.QR: _l("QR code"),
    CheckInMethod.WALK_IN: _l("walk-in"),
    CheckInMethod.LIST: _l("from a sign-in list"),
    CheckInMethod.ONLINE: _l("online platform report"),
}


class Attendance(db.Model):
    """A registered (or walk-in) person was there."""

    __tablename__ = "attendances"

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        sa.ForeignKey("registrations.id", ondelete="CASCADE"), unique=True
    )
    meeting_id: Mapped[int] = mapped_column(
        sa.ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    checked_in_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    checked_in_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    method: Mapped[CheckInMethod] = mapped_column(
        enum_column(CheckInMethod), default=CheckInMethod.DOOR
    )
    online: Mapped[bool] = mapped_column(default=False)  # took part online (hybrid meetings)
    # a waitlisted (or pending) person let in at the door gets the seat; undoing the check-in
    # gives them back the status they had
    status_before: Mapped[RegistrationStatus | None] = mapped_column(
        enum_column(RegistrationStatus))

    registration: Mapped[Registration] = relationship()
    meeting: Mapped[Meeting] = relationship()
    checked_in_by: Mapped[User | None] = relationship()


class AggregateAttendance(db.Model):
    """Counts recorded without personal records (a crowded local meeting where people do not
    register): kept apart from, and added to, the per-person figures, always labelled."""

    __tablename__ = "aggregate_attendances"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        sa.ForeignKey("meetings.id", ondelete="CASCADE"), unique=True
    )
    # {"female": 12, "male": 9, "other": 0, "undisclosed": 2}
    by_gender: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    # {"municipality": 4, "civil_society": 3}, by stakeholder type code
    by_type: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    note: Mapped[str] = mapped_column(sa.Text, default="")
    # the scanned, signed sheet the counts come from
    evidence_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("documents.id", ondelete="SET NULL")
    )
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    meeting: Mapped[Meeting] = relationship()
    evidence: Mapped[Document | None] = relationship()

    @property
    def total(self) -> int:
        return sum(int(n) for n in (self.by_gender or {}).values())
