"""RFC 5545 calendars for meetings, series, the whole installation and organizers' feeds."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from flask import url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from icalendar import Calendar, Event, vCalAddress, vText

from consult.db import utcnow
from consult.events.models import FORMAT_LABELS, Meeting, MeetingStatus

PRODID = "-//Consult//Stakeholder consultations//EN"


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
            lines.append(f"{when}{item.text()}{speaker}")
        lines.append("")
    if include_online_link and meeting.online_url and meeting.format.value != "in_person":
        lines += [_("Online link: %(url)s", url=meeting.online_url), ""]
    if meeting.series is not None and meeting.series.text("disclaimer"):
        lines.append(meeting.series.text("disclaimer"))
    return "\n".join(lines).strip()


def meeting_event(meeting: Meeting, include_online_link: bool = False,
                  attendee: tuple[str, str] | None = None) -> Event:
    event = Event()
    event.add("uid", meeting.uid)
    event.add("dtstamp", utcnow())
    # local wall-clock time with its zone, so calendars show 10:00 Sofia time
    event.add("dtstart", meeting.local_start)
    event.add("dtend", meeting.local_end)
    event.add("sequence", meeting.sequence)
    event.add("summary", meeting.display_title)
    status = "CANCELLED" if meeting.status is MeetingStatus.CANCELLED else "CONFIRMED"
    event.add("status", status)
    place = _place(meeting, include_online_link)
    if place:
        event.add("location", place)
    event.add("url", url_for("events.meeting", meeting_id=meeting.id, _external=True))
    description = _description(meeting, include_online_link)
    if description:
        event.add("description", description)
    event.add("last-modified", meeting.updated_at or meeting.created_at)
    organizer_name = ""
    if meeting.series is not None:
        organizer_name = meeting.series.text("implementing_body") or meeting.series.text("title")
    elif meeting.group is not None:
        organizer_name = meeting.group.text("name")
    if organizer_name:
        from flask import current_app

        sender = current_app.config["MAIL_DEFAULT_SENDER"]
        address = sender.rsplit("<", 1)[-1].rstrip(">").strip()
        organizer = vCalAddress(f"mailto:{address}")
        organizer.params["cn"] = vText(organizer_name)
        event.add("organizer", organizer)
    if attendee is not None:
        email, name = attendee
        person = vCalAddress(f"mailto:{email}")
        person.params["cn"] = vText(name)
        person.params["role"] = vText("REQ-PARTICIPANT")
        person.params["partstat"] = vText("ACCEPTED")
        event.add("attendee", person)
    return event


def build_calendar(
    meetings: Iterable[Meeting],
    *,
    name: str | None = None,
    method: str = "PUBLISH",
    include_online_link: bool = False,
    attendee: tuple[str, str] | None = None,
    locale: str | None = None,
) -> bytes:
    meetings = list(meetings)

    def build() -> bytes:
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
        for meeting in meetings:
            calendar.add_component(meeting_event(meeting, include_online_link, attendee))
        if meetings:
            first = min(m.local_start for m in meetings).date() - timedelta(days=366)
            last = max(m.local_end for m in meetings).date() + timedelta(days=366)
            calendar.add_missing_timezones(first_date=first, last_date=last)
        return calendar.to_ical()

    if locale:
        with force_locale(locale):
            return build()
    return build()
