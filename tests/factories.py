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
