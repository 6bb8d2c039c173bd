"""RFC 5545 calendars for meetings, series, the whole installation and organizers' feeds.

Each meeting is first reduced to plain values; a calendar whose values were seen before
comes from a small in-process cache, since serializing with icalendar (line folding
above all) costs far more than the queries behind it and calendar clients poll feeds.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from datetime import timedelta
from threading import Lock

from flask import url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from icalendar import Calendar, Event, vCalAddress, vText

from consult.db import utcnow
from consult.events.models import FORMAT_LABELS, Meeting, MeetingStatus
from consult.i18n import current_language

PRODID = "-//Consult//Stakeholder consultations//EN"
CACHE_SIZE = 256
_cache: OrderedDict[tuple, bytes] = OrderedDict()
_cache_lock = Lock()


def _place(meeting: Meeting, include_online_link: bool) -> str:
    parts = [p for p in (meeting.venue, meeting.address) if p] if meeting.has_place else []
    if meeting.format.value != "in_person":
        parts.append(meeting.online_url if include_online_link and meeting.online_url
                     else str(FORMAT_LABELS[meeting.format]))
    return ", ".join(parts)


def _description(meeting: Meeting, include_online_link: bool) -> str:
    lines = []
    description = meeting.text("description")
    if description:
        lines += [description, ""]
    if meeting.agenda:
        lines.append(_("Agenda"))
        for item in meeting.agenda:
            when = f"{item.starts_at:%H:%M} " if item.starts_at else ""
            speaker = f" — {item.speaker}" if item.speaker else ""
            lines.append(f"{when}{item.text(meeting.main_language)}{speaker}")
        lines.append("")
    if include_online_link and meeting.online_url and meeting.format.value != "in_person":
        lines += [_("Online link: %(url)s", url=meeting.online_url), ""]
    if meeting.series is not None and meeting.series.text("disclaimer"):
        lines.append(meeting.series.text("disclaimer"))
    return "\n".join(lines).strip()


def _organizer(meeting: Meeting) -> tuple[str, str] | None:
    name = ""
    if meeting.series is not None:
        name = meeting.series.text("implementing_body") or meeting.series.text("title")
    elif meeting.group is not None:
        name = meeting.group.text("name")
    if not name:
        return None
    from consult.invitations.services import installation_address, reply_to_for

    # where a calendar program's answer (or a "decline") goes: the organizers' own address
    # when the series has one, as the mails' Reply-To does
    return name, reply_to_for(meeting.series) or installation_address()


def meeting_values(meeting: Meeting, include_online_link: bool = False) -> tuple:
    """Everything the event says, as hashable plain values."""
    return (
        meeting.uid,
        meeting.local_start,
        meeting.local_end,
        meeting.sequence,
        meeting.display_title,
        {MeetingStatus.CANCELLED: "CANCELLED", MeetingStatus.DRAFT: "TENTATIVE"}.get(
            meeting.status, "CONFIRMED"),  # drafts appear only in an organizer's own feed
        _place(meeting, include_online_link),
        url_for("events.meeting", meeting_id=meeting.id, _external=True),
        _description(meeting, include_online_link),
        meeting.updated_at or meeting.created_at,
        _organizer(meeting),
    )


def _event(values: tuple, attendee: tuple[str, str] | None) -> Event:
    (uid, start, end, sequence, title, status, place, url, description, modified,
     organizer) = values
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", utcnow())
    # local wall-clock time with its zone, so calendars show 10:00 Sofia time
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("sequence", sequence)
    event.add("summary", title)
    if status is not None:
        event.add("status", status)
    if place:
        event.add("location", place)
    event.add("url", url)
    if description:
        event.add("description", description)
    event.add("last-modified", modified)
    if organizer is not None:
        name, address = organizer
        person = vCalAddress(f"mailto:{address}")
        person.params["cn"] = vText(name)
        event.add("organizer", person)
    if attendee is not None:
        email, name = attendee
        person = vCalAddress(f"mailto:{email}")
        person.params["cn"] = vText(name)
        person.params["role"] = vText("REQ-PARTICIPANT")
        person.params["partstat"] = vText("ACCEPTED")
        event.add("attendee", person)
    return event


def _serialize(events: list[tuple], name: str | None, method: str,
               attendee: tuple[str, str] | None) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    if name:
        calendar.add("x-wr-calname", name)
        calendar.add("name", name)
        calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", "PT1H")
    for values in events:
        calendar.add_component(_event(values, attendee))
    if events:
        first = min(values[1] for values in events).date() - timedelta(days=366)
        last = max(values[2] for values in events).date() + timedelta(days=366)
        calendar.add_missing_timezones(first_date=first, last_date=last)
        for zone in calendar.walk("VTIMEZONE"):
            _onsets_before_the_change(zone)
    return calendar.to_ical()


def _onsets_before_the_change(zone) -> None:
    """RFC 5545 §3.6.5 reads an observance's DTSTART (and RDATE) in the offset in use
    *before* it begins. icalendar writes the first wall-clock time *after* the change,
    which is the same when clocks go back but an hour late when they go forward (03:00 in
    Sofia written 04:00): a client that keeps the calendar's VTIMEZONE would then put the
    first hour of summer time in winter time."""
    for observance in zone.subcomponents:
        gap = observance.TZOFFSETTO - observance.TZOFFSETFROM
        if gap <= timedelta(0):
            continue
        onsets = [start for start, _end in observance.rdates]
        observance.DTSTART = observance.DTSTART - gap
        if onsets:
            observance.pop("RDATE")
            observance.add("RDATE", [onset - gap for onset in onsets])


def build_calendar(
    meetings: Iterable[Meeting],
    *,
    name: str | None = None,
    method: str = "PUBLISH",
    include_online_link: bool = False,
    attendee: tuple[str, str] | None = None,
    locale: str | None = None,
    sequence_offset: int = 0,
) -> bytes:
    """The meetings as iCalendar. ``sequence_offset`` raises the SEQUENCE of a person's own
    messages (their registration's ``calendar_sequence``). A CANCEL of a meeting that still
    takes place (a person's seat given up) carries no STATUS: RFC 5546 §3.2.5 keeps
    STATUS:CANCELLED for the whole event, and forbids it when one attendee is uninvited."""
    meetings = list(meetings)

    def build() -> bytes:
        events = [meeting_values(m, include_online_link) for m in meetings]
        if method == "CANCEL" or sequence_offset:
            events = [(*v[:3], v[3] + sequence_offset, v[4],
                       None if method == "CANCEL" and v[5] != "CANCELLED" else v[5], *v[6:])
                      for v in events]
        if attendee is not None:  # personal: not worth keeping
            return _serialize(events, name, method, attendee)
        key = (method, name, current_language(), tuple(events))
        with _cache_lock:
            cached = _cache.get(key)
            if cached is not None:
                _cache.move_to_end(key)
                return cached
        body = _serialize(events, name, method, None)
        with _cache_lock:
            _cache[key] = body
            while len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
        return body

    if locale:
        with force_locale(locale):
            return build()
    return build()
