"""Calendars read back with vobject, a parser independent of the icalendar library we write with."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import vobject

from consult.events.models import MeetingFormat, MeetingStatus
from tests.conftest import post_form
from tests.factories import make_meeting, make_series, make_user

SOFIA = "Europe/Sofia"
TEAM2_DAYS = ["2020-11-02", "2020-11-03", "2020-11-04", "2020-11-05", "2020-11-09",
              "2020-11-10", "2020-11-11"]


def parse(body: bytes):
    return vobject.readOne(body.decode("utf-8"))


def events(calendar):
    return sorted(calendar.vevent_list, key=lambda e: e.dtstart.value)


def team2(db, manager=None, **series_fields):
    series = make_series(managers=[manager] if manager else [], published=True,
                         slug="team2-2020", title={"bg": "Дискусионни срещи по стратегията"},
                         timezone=SOFIA, **series_fields)
    meetings = [
        make_meeting(series, day=day, status=MeetingStatus.PUBLISHED,
                     title={"bg": f"Дискусионна среща {n}"}, format=MeetingFormat.ONLINE,
                     online_url="https://meet.example.org/secret-room")
        for n, day in enumerate(TEAM2_DAYS, start=1)
    ]
    return series, meetings


def test_meeting_ics_has_local_time_zone_uid_and_sequence(client, db):
    series, meetings = team2(db)
    response = client.get(f"/meetings/{meetings[0].id}.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/calendar")
    calendar = parse(response.data)
    assert calendar.method.value == "PUBLISH"
    [event] = calendar.vevent_list
    start = event.dtstart.value
    assert (start.hour, start.minute) == (10, 0)
    assert str(start.tzinfo) in {SOFIA, "<tzicalvtz 'Europe/Sofia'>"} or "Sofia" in repr(
        start.tzinfo)
    assert start.utcoffset().total_seconds() == 2 * 3600  # EET in November
    assert event.dtend.value.hour == 13
    assert event.uid.value == meetings[0].uid
    assert event.sequence.value == "0"
    assert event.summary.value == "Дискусионна среща 1"
    assert hasattr(calendar, "vtimezone")
    assert calendar.vtimezone.tzid.value == SOFIA
    # the online link is for registered participants only
    assert "secret-room" not in response.get_data(as_text=True)


def test_series_feed_shows_seven_meetings_at_ten_sofia_time(client, db):
    series, meetings = team2(db)
    response = client.get("/series/team2-2020.ics")
    calendar = parse(response.data)
    found = events(calendar)
    assert len(found) == 7
    assert [e.dtstart.value.date().isoformat() for e in found] == TEAM2_DAYS
    assert all((e.dtstart.value.hour, e.dtstart.value.minute) == (10, 0) for e in found)
    assert len({e.uid.value for e in found}) == 7
    assert calendar.contents["x-wr-calname"][0].value == "Дискусионни срещи по стратегията"
    assert "refresh-interval" in calendar.contents
    raw = response.data.decode()
    # RFC 5545 folding: no line longer than 75 octets, and Cyrillic survives unfolding
    assert all(len(line.encode()) <= 75 for line in raw.split("\r\n"))
    assert "Дискусионна среща 7" in [e.summary.value for e in found]


def test_feed_follows_a_move_and_a_cancellation(client, auth, db):
    organizer = make_user(email="maria@example.bg")
    series, meetings = team2(db, manager=organizer)
    auth.login("maria@example.bg")
    moved = meetings[2]
    form = {
        "main_language": "bg", "title_bg": "Дискусионна среща 3", "type": "regional_discussion",
        "format": "online", "date": "2020-11-04", "start_time": "11:30", "end_time": "14:00",
        "timezone": SOFIA, "online_url": "https://meet.example.org/secret-room",
        "registration_mode": "open",
    }
    response = post_form(client, f"/manage/meetings/{moved.id}/edit", form)
    assert response.status_code == 302, response.get_data(as_text=True)
    cancelled = meetings[5]
    assert post_form(client, f"/manage/meetings/{cancelled.id}/cancel",
                     {"note": "COVID-19"}).status_code == 302
    auth.logout()
    found = {e.uid.value: e for e in parse(client.get("/series/team2-2020.ics").data).vevent_list}
    assert (found[moved.uid].dtstart.value.hour, found[moved.uid].dtstart.value.minute) == (11, 30)
    assert found[moved.uid].sequence.value == "1"
    assert found[cancelled.uid].status.value == "CANCELLED"
    assert found[cancelled.uid].sequence.value == "1"
    assert found[meetings[0].uid].sequence.value == "0"


def test_public_calendar_leaves_out_drafts_and_unpublished_series(client, db):
    series, meetings = team2(db)
    draft = make_meeting(series, day="2020-12-01", title={"bg": "Чернова"})
    hidden_series = make_series(published=False)
    make_meeting(hidden_series, day="2020-12-02", status=MeetingStatus.PUBLISHED,
                 title={"bg": "Скрита"})
    summaries = {e.summary.value for e in parse(client.get("/calendar.ics").data).vevent_list}
    assert "Чернова" not in summaries and "Скрита" not in summaries
    assert len(summaries) == 7
    assert client.get(f"/meetings/{draft.id}.ics").status_code == 404


def test_private_feed_includes_drafts_and_can_be_revoked(client, auth, db):
    organizer = make_user(email="maria@example.bg")
    series, meetings = team2(db, manager=organizer)
    make_meeting(series, day="2020-12-01", title={"bg": "Чернова"})
    auth.login("maria@example.bg")
    page = client.get("/manage/calendar").get_data(as_text=True)
    url = re.search(r'value="(http://localhost/calendar/private/[^"]+\.ics)"', page).group(1)
    assert "webcal://localhost/calendar/private/" in page
    auth.logout()
    path = url.removeprefix("http://localhost")
    found = parse(client.get(path).data).vevent_list
    summaries = {e.summary.value for e in found}
    assert "Чернова" in summaries and len(summaries) == 8
    # a draft is tentative, the rest confirmed
    status = {e.summary.value: e.status.value for e in found}
    assert status["Чернова"] == "TENTATIVE" and status["Дискусионна среща 1"] == "CONFIRMED"
    auth.login("maria@example.bg")
    post_form(client, "/manage/calendar", {})
    assert client.get(path).status_code == 404


def test_cancelled_update_mail_carries_method_cancel(db, smtp_server, client, auth):
    from consult.events import services
    from consult.mail.worker import deliver_pending

    organizer = make_user(email="maria@example.bg")
    series, meetings = team2(db, manager=organizer)

    def provider(meeting):
        return [services.Recipient("todor@example.bg", "Тодор Христов", "bg")]

    services.RECIPIENT_PROVIDERS.append(provider)
    try:
        auth.login("maria@example.bg")
        post_form(client, f"/manage/meetings/{meetings[0].id}/cancel", {"note": "Отложена"})
    finally:
        services.RECIPIENT_PROVIDERS.remove(provider)
    deliver_pending()
    [mail] = smtp_server.to("todor@example.bg")
    [attachment] = list(mail.iter_attachments())
    assert attachment.get_param("method") == "CANCEL"
    calendar = parse(attachment.get_content().encode())
    assert calendar.method.value == "CANCEL"
    [event] = calendar.vevent_list
    assert event.status.value == "CANCELLED"
    assert event.sequence.value == "1"
    assert event.attendee.value == "mailto:todor@example.bg"
    assert "Отложена" in mail.get_body(preferencelist=("plain",)).get_content()


def test_dtstamp_is_utc(client, db):
    series, meetings = team2(db)
    [event] = parse(client.get(f"/meetings/{meetings[0].id}.ics").data).vevent_list
    assert isinstance(event.dtstamp.value, datetime)
    assert event.dtstamp.value.utcoffset().total_seconds() == 0


def test_feeds_are_in_the_series_or_the_owners_language_when_asked_without_one(client, db):
    """Calendar programs fetch feeds without Accept-Language: the series' language (or the
    feed owner's), unless the subscription link chose one."""
    from consult.events.models import AgendaItem

    series, meetings = team2(db)
    db.session.add(AgendaItem(meeting_id=meetings[0].id, position=1,
                              title={"bg": "Откриване"}))
    db.session.commit()
    bulgarian = client.get("/series/team2-2020.ics").get_data(as_text=True)
    assert "Дневен ред" in bulgarian
    english = client.get("/series/team2-2020.ics?lang=en").get_data(as_text=True)
    assert "Agenda" in english
    page = client.get("/series/team2-2020?lang=sq").get_data(as_text=True)
    assert "webcal://localhost/series/team2-2020.ics?lang=sq" in page


def test_a_viewer_renews_their_own_calendar_address(client, auth, db):
    make_user("viewer", email="viewer@example.org")
    auth.login("viewer@example.org")
    page = client.get("/manage/calendar").get_data(as_text=True)
    old = re.search(r'value="http://localhost(/calendar/private/[^"]+\.ics)"', page).group(1)
    assert client.get(old).status_code == 200
    assert post_form(client, "/manage/calendar", {}).status_code == 302
    assert client.get(old).status_code == 404
    page = client.get("/manage/calendar").get_data(as_text=True)
    new = re.search(r'value="http://localhost(/calendar/private/[^"]+\.ics)"', page).group(1)
    assert new != old and client.get(new).status_code == 200


def _offset(text: str) -> timedelta:
    sign = -1 if text.startswith("-") else 1
    return sign * timedelta(hours=int(text[1:3]), minutes=int(text[3:5]))


def _changes(zone: str, first: datetime, last: datetime) -> list[tuple[datetime, timedelta]]:
    """The instants (naive UTC) at which the zone's offset changes, to the minute, with the
    offset it changes to."""
    tz, found = ZoneInfo(zone), []
    hour, step = first.replace(tzinfo=UTC), timedelta(hours=1)
    while hour < last.replace(tzinfo=UTC):
        before = hour.astimezone(tz).utcoffset()
        if before != (hour + step).astimezone(tz).utcoffset():
            minute = hour
            while minute.astimezone(tz).utcoffset() == before:
                minute += timedelta(minutes=1)
            found.append((minute.replace(tzinfo=None), minute.astimezone(tz).utcoffset()))
        hour += step
    return found


@pytest.mark.parametrize("zone", [SOFIA, "Europe/Skopje", "Europe/Dublin",
                                  "America/Santiago", "Australia/Sydney"])
def test_the_time_zone_changes_when_the_clocks_do(client, db, zone):
    """An observance's DTSTART and RDATEs are read in the offset in use *before* it begins
    (RFC 5545 §3.6.5); calendar clients that keep the calendar's VTIMEZONE (Outlook does)
    would otherwise put the clocks' change an hour off."""
    series = make_series(published=True, timezone=zone)
    meeting = make_meeting(series, day="2021-06-15", zone=zone,
                           status=MeetingStatus.PUBLISHED)
    calendar = parse(client.get(f"/meetings/{meeting.id}.ics").data)
    written = []
    for kind in ("standard", "daylight"):
        for observance in calendar.vtimezone.contents.get(kind, []):
            before, after = (_offset(observance.tzoffsetfrom.value),
                             _offset(observance.tzoffsetto.value))
            if before == after:
                continue  # the offset in force when the calendar's range begins
            onsets = [observance.dtstart.value] + [
                datetime.strptime(rdate.value, "%Y%m%dT%H%M%S")
                for rdate in observance.contents.get("rdate", [])]
            written += [(onset - before, after) for onset in onsets]
    # the calendar covers a year either side of the meeting
    expected = _changes(zone, datetime(2020, 6, 15), datetime(2022, 6, 15))
    assert len(expected) >= 4
    assert sorted(written) == expected


def test_the_organizer_of_an_entry_is_the_series_reply_address(client, app, db):
    """A calendar program's answer ("decline") goes to the event's ORGANIZER: the
    organizers' own address where the series has one, as the mails' Reply-To."""
    series, meetings = team2(db)
    calendar = parse(client.get(f"/meetings/{meetings[0].id}.ics").data)
    default = app.config["MAIL_DEFAULT_SENDER"].rsplit("<", 1)[-1].rstrip(">")
    assert calendar.vevent.organizer.value.lower() == f"mailto:{default}".lower()
    series.reply_to = "sekretariat@example.bg"
    db.session.commit()
    calendar = parse(client.get(f"/meetings/{meetings[1].id}.ics").data)
    assert calendar.vevent.organizer.value.lower() == "mailto:sekretariat@example.bg"
    assert calendar.vevent.organizer.params["CN"] == ["Дискусионни срещи по стратегията"]
