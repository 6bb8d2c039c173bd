"""Every model, imported in one place for migrations and the schema test."""

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
from consult.groups.models import WorkingGroup, group_managers
from consult.mail.models import OutboxAttachment, OutboxMessage, OutboxStatus

__all__ = [
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
    "Series",
    "SeriesLogo",
    "User",
    "UserRole",
    "WorkingGroup",
    "group_managers",
    "series_managers",
]
