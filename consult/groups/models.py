from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult.auth.models import User
from consult.db import created_at_column, enum_column
from consult.extensions import db
from consult.i18n import localized

if TYPE_CHECKING:
    from consult.directory.models import Contact, Organisation

group_managers = sa.Table(
    "group_managers",
    db.metadata,
    sa.Column(
        "group_id", sa.ForeignKey("working_groups.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class WorkingGroup(db.Model):
    """A standing body that meets repeatedly (plenary, operational, technical meetings)."""

    __tablename__ = "working_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    main_language: Mapped[str] = mapped_column(sa.String(8), default="en")
    name: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    mandate: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    established_on: Mapped[date | None]
    timezone: Mapped[str] = mapped_column(sa.String(64), default="UTC")
    public: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = created_at_column()

    managers: Mapped[list[User]] = relationship(secondary=group_managers)
    leads: Mapped[list[GroupLead]] = relationship(
        back_populates="group", order_by="GroupLead.starts_on", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<WorkingGroup {self.slug}>"

    def text(self, field: str) -> str:
        return localized(getattr(self, field), self.main_language)


class MembershipRole(enum.Enum):
    CHAIR = "chair"
    MEMBER = "member"
    OBSERVER = "observer"
    SECRETARIAT = "secretariat"


MEMBERSHIP_ROLE_LABELS = {
    MembershipRole.CHAIR: _l("chair"),
    MembershipRole.MEMBER: _l("member"),
    MembershipRole.OBSERVER: _l("observer"),
    MembershipRole.SECRETARIAT: _l("secretariat"),
}


class Membership(db.Model):
    """A contact's seat in a working group from one date to another (open-ended while current)."""

    __tablename__ = "memberships"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(
        sa.ForeignKey("working_groups.id", ondelete="CASCADE"), index=True
    )
    contact_id: Mapped[int] = mapped_column(sa.ForeignKey("contacts.id"), index=True)
    # the institution the member represents in the group (may differ from the directory's)
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisations.id"), index=True
    )
    role: Mapped[MembershipRole] = mapped_column(
        enum_column(MembershipRole), default=MembershipRole.MEMBER
    )
    starts_on: Mapped[date | None]
    ends_on: Mapped[date | None]
    # the member agreed that their name appears on the public pages of the group
    publish_consent: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = created_at_column()

    group: Mapped[WorkingGroup] = relationship()
    contact: Mapped[Contact] = relationship()
    organisation: Mapped[Organisation | None] = relationship()

    @classmethod
    def current_on(cls, day: date):
        """SQL condition: the membership covers ``day``."""
        return sa.and_(sa.or_(cls.starts_on.is_(None), cls.starts_on <= day),
                       sa.or_(cls.ends_on.is_(None), cls.ends_on >= day))


class LeadRole(enum.Enum):
    LEAD = "lead"
    CO_LEAD = "co_lead"


LEAD_ROLE_LABELS = {LeadRole.LEAD: _l("lead institution"), LeadRole.CO_LEAD: _l("co-lead")}


class GroupLead(db.Model):
    """Which institution leads (or co-leads) the group, from when to when: the lead can pass
    from one ministry to another, and the record keeps the history."""

    __tablename__ = "group_leads"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(
        sa.ForeignKey("working_groups.id", ondelete="CASCADE"), index=True
    )
    institution: Mapped[dict] = mapped_column(sa.JSON, default=dict)  # per language
    role: Mapped[LeadRole] = mapped_column(enum_column(LeadRole), default=LeadRole.LEAD)
    starts_on: Mapped[date | None]
    ends_on: Mapped[date | None]

    group: Mapped[WorkingGroup] = relationship(back_populates="leads")

    def name(self) -> str:
        return localized(self.institution, self.group.main_language if self.group else "en")


class ConclusionsSend(db.Model):
    """Conclusions or minutes of a group meeting mailed to the members: who sent what, when;
    each delivery is the outbox message of batch ``mail_batch``."""

    __tablename__ = "conclusions_sends"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        sa.ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    document_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("documents.id", ondelete="SET NULL")
    )
    sent_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    recipients: Mapped[int] = mapped_column(default=0)
    note: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = created_at_column()

    sent_by: Mapped[User | None] = relationship()

    @property
    def mail_batch(self) -> str:
        return f"conclusions:{self.id}"
