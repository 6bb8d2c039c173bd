"""How meetings' dates and times are shown: in the meeting's own zone, always named."""

from __future__ import annotations

from babel.dates import format_date, format_time, get_timezone_name
from flask_babel import get_locale


def _locale():
    return get_locale() or "en"


def meeting_date(meeting) -> str:
    return format_date(meeting.local_start.date(), "full", locale=_locale())


def zone_label(meeting) -> str:
    offset = meeting.local_start.strftime("%z")
    offset = f"UTC{offset[:3]}:{offset[3:]}"
    try:
        # the name for that date: standard time in November, summer time in June
        name = get_timezone_name(meeting.local_start, "long", locale=_locale())
    except LookupError:
        name = meeting.timezone
    return f"{name}, {offset}"


def meeting_time(meeting) -> str:
    start = format_time(meeting.local_start, "HH:mm", tzinfo=meeting.zone, locale=_locale())
    end = format_time(meeting.local_end, "HH:mm", tzinfo=meeting.zone, locale=_locale())
    return f"{start}–{end} ({zone_label(meeting)})"


def meeting_when(meeting) -> str:
    return f"{meeting_date(meeting)}, {meeting_time(meeting)}"


def local_moment(moment, zone: str) -> str:
    """A moment (a send, a delivery) as people read it where the work happens: date and
    time in ``zone``, with the zone's offset."""
    from zoneinfo import ZoneInfo

    local = moment.astimezone(ZoneInfo(zone))
    offset = local.strftime("%z")
    return (f"{format_date(local.date(), 'medium', locale=_locale())} "
            f"{local:%H:%M} (UTC{offset[:3]}:{offset[3:]})")


def register(app) -> None:
    app.jinja_env.globals.update(
        meeting_date=meeting_date, meeting_time=meeting_time, meeting_when=meeting_when,
        zone_label=zone_label, local_moment=local_moment,
    )
