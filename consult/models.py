"""Every model, imported in one place for migrations and the schema test."""

from consult.attendance.models import AggregateAttendance, Attendance, CheckInMethod
from consult.auth.models import User, UserRole
from consult.directory.models import (
    Contact,
    Gender,
    ImportBatch,
    Organisation,
    StakeholderType,
)
from consult.events.models import (
    AgendaItem,
    CalendarFeed,
    Document,
    Meeting,
    MeetingChange,
    Series,
    SeriesLogo,
    series_managers,
)
from consult.files import StoredFile
from consult.groups.models import (
    ConclusionsSend,
    GroupLead,
    Membership,
    MembershipRole,
    WorkingGroup,
    group_managers,
)
from consult.invitations.models import Invitation, InvitationBatch
from consult.mail.models import OutboxAttachment, OutboxMessage, OutboxStatus
from consult.registrations.models import (
    ErasureLog,
    Question,
    Registration,
    RegistrationStatus,
)

__all__ = [
    "ConclusionsSend",
    "ErasureLog",
    "GroupLead",
    "AggregateAttendance",
    "Attendance",
    "CheckInMethod",
    "Contact",
    "Gender",
    "ImportBatch",
    "Organisation",
    "StakeholderType",
    "AgendaItem",
    "CalendarFeed",
    "Document",
    "Meeting",
    "MeetingChange",
    "StoredFile",
    "OutboxAttachment",
    "OutboxMessage",
    "OutboxStatus",
    "Question",
    "Registration",
    "RegistrationStatus",
    "Series",
    "SeriesLogo",
    "User",
    "UserRole",
    "Invitation",
    "InvitationBatch",
    "Membership",
    "MembershipRole",
    "WorkingGroup",
    "group_managers",
    "series_managers",
]
