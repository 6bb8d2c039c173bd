"""Small builders for test data."""

from __future__ import annotations

import itertools

from consult.auth.models import User, UserRole
from consult.events.models import Series
from consult.extensions import db
from consult.groups.models import WorkingGroup

PASSWORD = "correct horse battery"
_counter = itertools.count(1)


def make_user(role: str = "organizer", email: str | None = None, **fields) -> User:
    n = next(_counter)
    user = User(
        email=email or f"user{n}@example.org",
        name=fields.pop("name", f"User {n}"),
        role=UserRole(role),
        **fields,
    )
    user.set_password(PASSWORD)
    db.session.add(user)
    db.session.commit()
    return user


def make_series(managers=(), **fields) -> Series:
    n = next(_counter)
    series = Series(
        slug=fields.pop("slug", f"series-{n}"),
        title=fields.pop("title", {"en": f"Series {n}", "bg": f"Серия {n}"}),
        main_language=fields.pop("main_language", "bg"),
        managers=list(managers),
        **fields,
    )
    db.session.add(series)
    db.session.commit()
    return series


def make_group(managers=(), **fields) -> WorkingGroup:
    n = next(_counter)
    group = WorkingGroup(
        slug=fields.pop("slug", f"group-{n}"),
        name=fields.pop("name", {"en": f"Group {n}", "mk": f"Група {n}"}),
        main_language=fields.pop("main_language", "mk"),
        managers=list(managers),
        **fields,
    )
    db.session.add(group)
    db.session.commit()
    return group


def make_meeting(series=None, group=None, day="2020-11-02", start="10:00", end="13:00",
                 zone="Europe/Sofia", **fields):
    from datetime import date, time

    from consult.events.models import Meeting, MeetingStatus
    from consult.events.services import to_utc

    meeting = Meeting(
        series=series,
        group=group,
        title=fields.pop("title", {"bg": "Дискусионна среща", "en": "Discussion meeting"}),
        main_language=fields.pop("main_language", "bg"),
        starts_at=to_utc(date.fromisoformat(day), time.fromisoformat(start), zone),
        ends_at=to_utc(date.fromisoformat(day), time.fromisoformat(end), zone),
        timezone=zone,
        status=fields.pop("status", MeetingStatus.DRAFT),
        **fields,
    )
    db.session.add(meeting)
    db.session.commit()
    return meeting


def make_organisation(name: str | None = None, type_code: str | None = None, **fields):
    import sqlalchemy as sa

    from consult.directory.models import Organisation, StakeholderType

    n = next(_counter)
    if type_code:
        fields["stakeholder_type_id"] = db.session.scalar(
            sa.select(StakeholderType.id).where(StakeholderType.code == type_code))
    organisation = Organisation(name=name or f"Организация {n}", **fields)
    organisation.refresh_search()
    db.session.add(organisation)
    db.session.commit()
    return organisation


def make_contact(name: str | None = None, email: str | None = "auto", organisation=None,
                 type_code: str | None = None, **fields):
    import sqlalchemy as sa

    from consult.directory.models import Contact, StakeholderType

    n = next(_counter)
    if type_code:
        fields["stakeholder_type_id"] = db.session.scalar(
            sa.select(StakeholderType.id).where(StakeholderType.code == type_code))
    contact = Contact(name=name or f"Контакт {n}",
                      email=f"contact{n}@example.bg" if email == "auto" else email,
                      organisation=organisation, tags=fields.pop("tags", []), **fields)
    db.session.add(contact)
    contact.refresh_search()
    db.session.commit()
    return contact


def make_membership(group, contact, starts_on=None, ends_on=None, role: str = "member"):
    from consult.groups.models import Membership, MembershipRole

    membership = Membership(group_id=group.id, contact_id=contact.id, starts_on=starts_on,
                            ends_on=ends_on, role=MembershipRole(role))
    db.session.add(membership)
    db.session.commit()
    return membership


# --- working groups (tests/groups) ------------------------------------------------------------

def make_member(group, contact, organisation=None, starts_on=None, ends_on=None,
                role: str = "member", publish_consent: bool = False):
    """A seat in a working group, with the organisation represented and publication consent."""
    from consult.groups.models import Membership, MembershipRole

    membership = Membership(group_id=group.id, contact_id=contact.id,
                            organisation_id=organisation.id if organisation else None,
                            starts_on=starts_on, ends_on=ends_on, role=MembershipRole(role),
                            publish_consent=publish_consent)
    db.session.add(membership)
    db.session.commit()
    return membership


def make_attendee(meeting, contact=None, name: str | None = None, email: str | None = None,
                  gender: str = "undisclosed", type_code: str | None = None,
                  attended: bool = True):
    """A confirmed registration (of a directory contact, or of anyone), and with
    ``attended`` its attendance: written directly, no mail."""
    import sqlalchemy as sa

    from consult.attendance.models import Attendance
    from consult.directory.models import Gender, StakeholderType
    from consult.registrations.models import Registration, RegistrationStatus

    n = next(_counter)
    type_id = db.session.scalar(sa.select(StakeholderType.id).where(
        StakeholderType.code == type_code)) if type_code else None
    registration = Registration(
        meeting_id=meeting.id, contact_id=contact.id if contact else None,
        name=name or (contact.name if contact else f"Участник {n}"),
        email=email or (contact.email if contact else f"attendee{n}@example.mk"),
        gender=contact.gender if contact and gender == "undisclosed" else Gender(gender),
        stakeholder_type_id=type_id, status=RegistrationStatus.CONFIRMED,
    )
    registration.refresh_search()
    db.session.add(registration)
    db.session.flush()
    if attended:
        db.session.add(Attendance(registration_id=registration.id, meeting_id=meeting.id))
    db.session.commit()
    return registration
