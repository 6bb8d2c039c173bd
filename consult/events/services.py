"""Series and meeting logic: scheduling, publishing, changes that people must hear about."""

from __future__ import annotations

import copy
import re
import secrets
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import date, datetime, time
from enum import Enum
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from consult.auth.models import User
from consult.db import utcnow
from consult.events.models import (
    CalendarFeed,
    Meeting,
    MeetingChange,
    MeetingStatus,
    RegistrationMode,
    Series,
)
from consult.extensions import db
from consult.mail.services import PreparationImpossible, Prepared, preparer


def to_utc(day: date, at: time, zone: str) -> datetime:
    """A wall-clock time in ``zone`` as an aware UTC datetime (a time the clocks pass twice,
    when they go back, is taken the first time)."""
    return datetime.combine(day, at, tzinfo=ZoneInfo(zone)).astimezone(ZoneInfo("UTC"))


def wall_clock_exists(day: date, at: time, zone: str) -> bool:
    """False for a time the clocks skip in ``zone`` that day (e.g. 03:30 in Sofia on the last
    Sunday of March): it would silently become another time."""
    local = to_utc(day, at, zone).astimezone(ZoneInfo(zone))
    return (local.date(), local.time().replace(tzinfo=None)) == (day, at.replace(tzinfo=None))


def slugify(text: str) -> str:
    from consult.i18n import transliterate

    text = unicodedata.normalize("NFKD", transliterate(text)).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:60] or "series"


def unique_slug(base: str, taken: Callable[[str], bool]) -> str:
    slug, n = base, 2
    while taken(slug):
        slug = f"{base}-{n}"
        n += 1
    return slug


def series_slug_taken(slug: str) -> bool:
    return db.session.scalar(sa.select(Series.id).where(Series.slug == slug)) is not None


# --- who may manage what ------------------------------------------------------------------

def visible_to(user: User, model, managers_table):
    """Admins and viewers see every series (or group); organizers those they manage."""
    query = sa.select(model)
    if not (user.is_admin or user.is_viewer):
        query = query.join(managers_table).where(managers_table.c.user_id == user.id)
    return query


def managed_series_query(user: User):
    from consult.events.models import series_managers

    return visible_to(user, Series, series_managers).order_by(Series.created_at.desc())


# --- meeting changes and who hears of them -------------------------------------------------

@dataclass(frozen=True)
class Recipient:
    email: str
    name: str
    locale: str
    calendar_sequence: int = 0  # added to the meeting's in their calendar messages
    seated: bool = True  # False: waiting list or awaiting approval, no calendar entry
    gender: str | None = None  # the salutation's form (see consult.i18n.greeting)
    # their personal page: a registration's (/r/…) to see and change it, or, for someone
    # invited, the invitation's (/i/…) to register or decline
    link: str = ""
    # invited, not registered: their calendar may hold the invitation's published entry
    # (METHOD:PUBLISH, no attendee, no online link), which the change mail replaces
    invited: bool = False
    cancellation_only: bool = False  # hears that the meeting is off, not of other changes
    # registered through their invitation, with no calendar message of their own since: the
    # invitation's published entry is what their calendar may hold
    invitation_entry: bool = False
    unsubscribe_url: str = ""  # invitations' mails carry one


# Registrations plug in here: each provider returns the people to tell about a meeting change.
RECIPIENT_PROVIDERS: list[Callable[[Meeting], Iterable[Recipient]]] = []


def meeting_recipients(meeting: Meeting) -> list[Recipient]:
    seen, people = set(), []
    for provider in RECIPIENT_PROVIDERS:
        for person in provider(meeting):
            if person.email.lower() not in seen:
                seen.add(person.email.lower())
                people.append(person)
    return people


class ChangeKind(Enum):
    MOVED = "moved"
    PLACE = "place"
    CANCELLED = "cancelled"


CHANGE_LABELS = {
    ChangeKind.MOVED: _l("The date or time changed."),
    ChangeKind.PLACE: _l("The place or the online link changed."),
    ChangeKind.CANCELLED: _l("The meeting is cancelled."),
}

TIME_FIELDS = ("starts_at", "ends_at", "timezone")
PLACE_FIELDS = ("venue", "address", "online_url", "format")


def apply_meeting_changes(meeting: Meeting, values: dict, by: User | None) -> list[ChangeKind]:
    """Set ``values`` on the meeting; a published meeting whose time or place changes gets a
    higher calendar sequence, a change record, and an update mail to everyone registered."""
    kinds = []
    if meeting.id is not None and meeting.status is MeetingStatus.PUBLISHED:
        if any(field in values and values[field] != getattr(meeting, field)
               for field in TIME_FIELDS):
            kinds.append(ChangeKind.MOVED)
        if any(field in values and values[field] != getattr(meeting, field)
               for field in PLACE_FIELDS):
            kinds.append(ChangeKind.PLACE)
    for field, value in values.items():
        setattr(meeting, field, value)
    if kinds:
        record_change(meeting, kinds, by)
    return kinds


def shift_agenda(meeting: Meeting, values: dict) -> int:
    """Move the timed agenda items with the meeting's start, before ``values`` are set: an
    agenda that began at 10:00 with a meeting moved from 10:00 to 11:00 begins at 11:00.
    Returns the minutes moved (0: nothing moved; also when an item would leave its day,
    where the organizer has to decide)."""
    if meeting.id is None or "starts_at" not in values or not any(
            item.starts_at for item in meeting.agenda):
        return 0
    zone = ZoneInfo(values.get("timezone") or meeting.timezone)
    old, new = meeting.local_start, values["starts_at"].astimezone(zone)
    shift = (new.hour * 60 + new.minute) - (old.hour * 60 + old.minute)
    moved = {item: item.starts_at.hour * 60 + item.starts_at.minute + shift
             for item in meeting.agenda if item.starts_at}
    if not shift or not all(0 <= minutes < 24 * 60 for minutes in moved.values()):
        return 0
    for item, minutes in moved.items():
        item.starts_at = time(minutes // 60, minutes % 60)
    return shift


def record_change(meeting: Meeting, kinds: list[ChangeKind], by: User | None) -> MeetingChange:
    meeting.sequence += 1
    change = MeetingChange(
        meeting=meeting,
        sequence=meeting.sequence,
        kind=",".join(kind.value for kind in kinds),
        summary=" ".join(str(CHANGE_LABELS[kind]) for kind in kinds),
        changed_by=by,
    )
    db.session.add(change)
    db.session.flush()
    notify_meeting_changed(meeting, kinds, change)
    return change


def _calendar_update(meeting: Meeting, person: Recipient, cancelled: bool):
    """The .ics that brings ``person``'s calendar up to date, or None when it holds nothing
    of ours. The registered with a seat have a REQUEST naming them (their SEQUENCE raised
    by their own messages): a REQUEST or CANCEL like it. The invited have the invitation's
    PUBLISH: the same published entry, whose higher SEQUENCE replaces it under the same UID
    (a REQUEST would ask them to accept a meeting they have not registered for), or a
    CANCEL of that UID; so do those who registered through their invitation and wait for a
    seat, as long as no calendar message of their own followed it. Nobody else gets one: an
    entry would put the meeting into the calendar of someone waiting for a seat, or undo
    the CANCEL they had when they lost it."""
    from consult.events.calendar import build_calendar
    from consult.mail.services import Attachment

    if person.invited or (person.invitation_entry and not person.seated):
        method = "CANCEL" if cancelled else "PUBLISH"
        body = build_calendar([meeting], method=method, locale=person.locale)
    elif person.seated:
        method = "CANCEL" if cancelled else "REQUEST"
        body = build_calendar([meeting], method=method, include_online_link=True,
                              attendee=(person.email, person.name), locale=person.locale,
                              sequence_offset=person.calendar_sequence)
    else:
        return None
    return Attachment("meeting.ics", f"text/calendar; method={method}", body)


def notify_meeting_changed(meeting: Meeting, kinds: list[ChangeKind], change: MeetingChange):
    """Queue, in this transaction, the update mail for everyone registered and everyone
    invited who may hold the meeting in their calendar (see ``_calendar_update``), once per
    change and address. The outbox worker writes each (``prepare_meeting_changed``): a
    meeting with thousands invited is saved without rendering thousands of mails first."""
    from consult.invitations.services import reply_to_for, sender_for, unsubscribe_headers
    from consult.mail.services import queue_prepared_later

    cancelled = ChangeKind.CANCELLED in kinds
    subject_text = (_l("Cancelled: %(title)s") if cancelled else _l("Changed: %(title)s"))
    sender = sender_for(meeting.series)  # from whom the invitation and the confirmation came
    reply_to = reply_to_for(meeting.series)
    for person in meeting_recipients(meeting):
        if person.cancellation_only and not cancelled:
            continue
        queue_prepared_later(
            to=person.email,
            to_name=person.name,
            locale=person.locale,
            preparer="events.meeting_changed",
            args={"meeting_id": meeting.id, "kinds": [kind.value for kind in kinds],
                  "person": asdict(person)},
            subject=lambda text=subject_text: text % {"title": meeting.display_title},
            dedupe_key=f"meeting-change:{meeting.id}:{change.sequence}:{person.email.lower()}",
            topic="events.meeting_changed",
            sender=sender,
            reply_to=reply_to,
            headers=unsubscribe_headers(person.unsubscribe_url) if person.unsubscribe_url
            else None,
        )


@preparer("events.meeting_changed")
def prepare_meeting_changed(meeting_id: int, kinds: list[str], person: dict) -> Prepared:
    """The change mail as the meeting stands when it is sent, with the calendar update that
    brings the person's entry to it."""
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None:
        raise PreparationImpossible(f"meeting {meeting_id} is gone")
    recipient = Recipient(**person)
    changes = [ChangeKind(kind) for kind in kinds]
    cancelled = ChangeKind.CANCELLED in changes
    attachment = _calendar_update(meeting, recipient, cancelled)
    return Prepared(
        "meeting_changed",
        {"meeting": meeting, "kinds": changes, "labels": CHANGE_LABELS, "person": recipient,
         "cancelled": cancelled, "calendar_attached": attachment is not None},
        [attachment] if attachment is not None else [])


def publish(meeting: Meeting) -> None:
    if meeting.status is MeetingStatus.DRAFT:
        meeting.status = MeetingStatus.PUBLISHED


class StatusChangeRefused(ValueError):
    pass


def cancel(meeting: Meeting, note: str, by: User | None) -> None:
    """Only a published meeting can be cancelled: a draft was never public, and cancelling
    it must not make it so."""
    if meeting.status is not MeetingStatus.PUBLISHED:
        raise StatusChangeRefused(meeting.status)
    meeting.status = MeetingStatus.CANCELLED
    meeting.cancellation_note = note
    record_change(meeting, [ChangeKind.CANCELLED], by)


class NotStartedYet(StatusChangeRefused):
    pass


def mark_held(meeting: Meeting, now=None) -> None:
    """A published meeting that has started can be recorded as held (which closes its
    registration); one still to come cannot."""
    if meeting.status is not MeetingStatus.PUBLISHED:
        raise StatusChangeRefused(meeting.status)
    if meeting.starts_at > (now or utcnow()):
        raise NotStartedYet(meeting.starts_at)
    meeting.status = MeetingStatus.HELD


def duplicate(meeting: Meeting) -> Meeting:
    """A draft copy (same series, place, agenda) for the organizer to give a new date."""
    from consult.events.models import AgendaItem

    copy_ = Meeting(
        series=meeting.series,
        group=meeting.group,
        title=copy.deepcopy(meeting.title),
        description=copy.deepcopy(meeting.description),
        main_language=meeting.main_language,
        type=meeting.type,
        format=meeting.format,
        starts_at=meeting.starts_at,
        ends_at=meeting.ends_at,
        timezone=meeting.timezone,
        venue=meeting.venue,
        address=meeting.address,
        online_url=meeting.online_url,
        region=meeting.region,
        capacity=meeting.capacity,
        registration_mode=meeting.registration_mode,
        co_organisers=meeting.co_organisers,
        languages=list(meeting.languages or []),
        status=MeetingStatus.DRAFT,
        agenda=[
            AgendaItem(position=item.position, starts_at=item.starts_at,
                       duration_minutes=item.duration_minutes,
                       title=copy.deepcopy(item.title), speaker=item.speaker)
            for item in meeting.agenda
        ],
    )
    db.session.add(copy_)
    return copy_


# --- registration state shown on public pages -----------------------------------------------

class RegistrationState(Enum):
    OPEN = "open"
    FULL = "full"  # capacity reached: new people go on the waiting list
    NOT_YET = "not_yet"
    CLOSED = "closed"
    INVITATION_ONLY = "invitation_only"
    CANCELLED = "cancelled"


REGISTRATION_STATE_LABELS = {
    RegistrationState.OPEN: _l("Registration is open"),
    RegistrationState.FULL: _l("Full — you can join the waiting list"),
    RegistrationState.NOT_YET: _l("Registration has not opened yet"),
    RegistrationState.CLOSED: _l("Registration is closed"),
    RegistrationState.INVITATION_ONLY: _l("By invitation only"),
    RegistrationState.CANCELLED: _l("This meeting is cancelled"),
}

# Registrations plug in here: how many seats are taken (confirmed) for a meeting.
SEATS_TAKEN: list[Callable[[Meeting], int]] = []


def seats_taken(meeting: Meeting) -> int:
    return sum(counter(meeting) for counter in SEATS_TAKEN)


def registration_state(meeting: Meeting, now: datetime | None = None) -> RegistrationState:
    now = now or utcnow()
    if meeting.status is MeetingStatus.CANCELLED:
        return RegistrationState.CANCELLED
    if meeting.status is not MeetingStatus.PUBLISHED or meeting.ends_at <= now:
        return RegistrationState.CLOSED
    if meeting.registration_opens_at and now < meeting.registration_opens_at:
        return RegistrationState.NOT_YET
    closes = meeting.registration_closes_at or meeting.starts_at
    if now >= closes:
        return RegistrationState.CLOSED
    if meeting.registration_mode is RegistrationMode.INVITATION:
        return RegistrationState.INVITATION_ONLY
    if meeting.capacity is not None and seats_taken(meeting) >= meeting.capacity:
        return RegistrationState.FULL
    return RegistrationState.OPEN


# --- public listing -----------------------------------------------------------------------

@dataclass
class MeetingFilters:
    series: str = ""
    group: str = ""
    type: str = ""
    region: str = ""
    month: str = ""  # YYYY-MM
    when: str = "upcoming"  # upcoming | past | all


def public_meetings_query(filters: MeetingFilters, now: datetime | None = None):
    from consult.groups.models import WorkingGroup

    now = now or utcnow()
    query = sa.select(Meeting).where(Meeting.status != MeetingStatus.DRAFT)
    query = query.outerjoin(Series, Meeting.series_id == Series.id).outerjoin(
        WorkingGroup, Meeting.group_id == WorkingGroup.id
    )
    # a meeting of an unpublished series or internal group stays off public lists
    query = query.where(sa.or_(Meeting.series_id.is_(None), Series.published.is_(True)))
    query = query.where(sa.or_(Meeting.group_id.is_(None), WorkingGroup.public.is_(True)))
    if filters.series:
        query = query.where(Series.slug == filters.series)
    if filters.group:
        query = query.where(WorkingGroup.slug == filters.group)
    if filters.type:
        query = query.where(Meeting.type == filters.type)
    if filters.region:
        query = query.where(Meeting.region == filters.region)
    if re.fullmatch(r"\d{4}-\d{2}", filters.month or ""):
        year, month = map(int, filters.month.split("-"))
        if 1 <= month <= 12 and 1900 <= year <= 2200:
            # the month where the meeting takes place, not in UTC
            start, end = date(year, month, 1), date(year + month // 12, month % 12 + 1, 1)
            query = query.where(Meeting.local_date >= start, Meeting.local_date < end)
    if filters.when == "past":
        query = query.where(Meeting.ends_at < now).order_by(Meeting.starts_at.desc())
    elif filters.when == "upcoming":
        query = query.where(Meeting.ends_at >= now).order_by(Meeting.starts_at)
    else:
        query = query.order_by(Meeting.starts_at.desc())
    return query


def public_regions() -> list[str]:
    public = public_meetings_query(MeetingFilters(when="all")).order_by(None).subquery()
    rows = db.session.scalars(
        sa.select(public.c.region).where(public.c.region != "").distinct()
        .order_by(public.c.region)
    )
    return list(rows)


# --- private calendar feeds -----------------------------------------------------------------

def calendar_feed(user: User, renew: bool = False) -> CalendarFeed:
    feed = db.session.scalar(sa.select(CalendarFeed).where(CalendarFeed.user_id == user.id))
    if feed is None:
        feed = CalendarFeed(user_id=user.id, token=secrets.token_urlsafe(32))
        db.session.add(feed)
    elif renew:
        feed.token = secrets.token_urlsafe(32)
    return feed


def managed_meetings_query(user: User):
    """Meetings of every series and working group the user manages (all for admins)."""
    from consult.events.models import series_managers
    from consult.groups.models import WorkingGroup, group_managers

    series_ids = visible_to(user, Series, series_managers).with_only_columns(Series.id)
    group_ids = visible_to(user, WorkingGroup, group_managers).with_only_columns(WorkingGroup.id)
    return sa.select(Meeting).where(
        sa.or_(Meeting.series_id.in_(series_ids), Meeting.group_id.in_(group_ids))
    )


def feed_meetings(user: User) -> list[Meeting]:
    """Everything the organizer manages, drafts included; cancelled ones stay to show it."""
    query = managed_meetings_query(user).order_by(Meeting.starts_at)
    return list(db.session.scalars(query))
