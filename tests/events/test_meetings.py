"""Organizers plan series and meetings in the UI; the public sees them in every language."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from consult.events import services
from consult.events.models import (
    AgendaItem,
    Meeting,
    MeetingChange,
    MeetingStatus,
    MeetingType,
    RegistrationMode,
    Series,
)
from consult.mail.models import OutboxMessage
from tests.conftest import post_form
from tests.factories import make_group, make_meeting, make_series, make_user

SERIES_FORM = {
    "main_language": "bg",
    "title_bg": "Дискусионни срещи по приоритетите на стратегията",
    "title_en": "Discussion meetings on the strategy",
    "description_bg": "Преглед на постигнатото",
    "project_code": "854854 – TEAM2",
    "funder_bg": "Европейски съюз",
    "funder_en": "European Union",
    "programme_bg": "Програма „Права, равенство и гражданство“",
    "implementing_body_bg": "Секретариат на Националния съвет",
    "disclaimer_bg": "Съдържанието е отговорност единствено на изпълнителя.",
    "disclaimer_en": "The content is the sole responsibility of the implementing body.",
    "timezone": "Europe/Sofia",
    "published": "y",
}


def sessions_form(rows):
    data = {"type": "regional_discussion", "timezone": "Europe/Sofia",
            "registration_mode": "invitation_only", "capacity": "40", "publish": "y"}
    for n, row in enumerate(rows):
        for key, value in row.items():
            data[f"rows-{n}-{key}"] = value
    return data


TEAM2_ROWS = [
    {"date": "2020-11-02", "start_time": "10:00", "end_time": "13:00", "region": "Северозападен",
     "format": "online", "online_url": "https://meet.example.org/nw"},
    {"date": "2020-11-03", "start_time": "10:00", "end_time": "13:00",
     "region": "Северен централен", "format": "online"},
    {"date": "2020-11-04", "start_time": "10:00", "end_time": "13:00", "region": "Североизточен",
     "format": "hybrid", "venue": "Варна"},
    {"date": "2020-11-05", "start_time": "10:00", "end_time": "13:00", "region": "Югоизточен",
     "format": "online"},
    {"date": "2020-11-09", "start_time": "10:00", "end_time": "13:00", "region": "Югозападен",
     "format": "online"},
    {"date": "2020-11-10", "start_time": "10:00", "end_time": "13:00", "region": "Южен централен",
     "format": "hybrid", "venue": "Пловдив"},
    {"date": "2020-11-11", "start_time": "14:00", "end_time": "17:00",
     "region": "София (столица)", "format": "in_person", "venue": "София"},
]


def test_organizer_sets_up_team2_in_the_ui(client, auth, db):
    organizer = make_user(email="maria@example.bg")
    auth.login("maria@example.bg")
    response = post_form(client, "/manage/series/new", SERIES_FORM, form_page="/manage/series/new")
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    series = db.session.scalar(sa.select(Series))
    assert series.slug.startswith("diskusionni-sreshti")
    assert [m.id for m in series.managers] == [organizer.id]
    assert series.disclaimer["en"].startswith("The content")
    assert series.funder == {"bg": "Европейски съюз", "en": "European Union"}
    # the edit form gives each language back
    form = client.get(f"/manage/series/{series.id}/edit").get_data(as_text=True)
    assert 'name="funder_bg"' in form and 'value="Европейски съюз"' in form
    response = post_form(client, f"/manage/series/{series.id}/sessions",
                         sessions_form(TEAM2_ROWS))
    assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
    meetings = db.session.scalars(sa.select(Meeting).order_by(Meeting.starts_at)).all()
    assert len(meetings) == 7
    first = meetings[0]
    # 10:00 in Sofia in November (EET, UTC+2) is 08:00 UTC
    assert first.starts_at == datetime(2020, 11, 2, 8, 0, tzinfo=UTC)
    assert first.local_start.hour == 10
    assert meetings[-1].local_start.hour == 14
    assert {m.status for m in meetings} == {MeetingStatus.PUBLISHED}
    assert {m.registration_mode for m in meetings} == {RegistrationMode.INVITATION}
    assert meetings[2].venue == "Варна"
    assert {m.type for m in meetings} == {MeetingType.REGIONAL}


def test_series_form_keeps_input_and_asks_for_the_main_title(client, auth, db):
    make_user(email="maria@example.bg")
    auth.login("maria@example.bg")
    data = dict(SERIES_FORM, title_bg="")
    response = post_form(client, "/manage/series/new", data, form_page="/manage/series/new")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="title_bg-error"' in page
    assert "854854 – TEAM2" in page
    assert "Съдържанието е отговорност единствено на изпълнителя." in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Series)) == 0


def test_switching_language_on_the_series_form_keeps_it_as_typed(client, auth, db):
    from consult.auth.models import User

    user = make_user(email="maria@example.bg", locale="en")
    auth.login("maria@example.bg")
    page = client.get("/manage/series/new").get_data(as_text=True)
    assert "data-keeps-input" in page and "keep-input.js" in page
    data = dict(SERIES_FORM, title_bg="", switch_language="bg")  # half done: no main title
    response = post_form(client, "/manage/series/new", data, form_page="/manage/series/new")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and '<html lang="bg">' in page
    assert "854854 – TEAM2" in page and 'id="title_bg-error"' not in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Series)) == 0
    db.session.expire_all()
    assert db.session.get(User, user.id).locale == "bg"


def test_incomplete_session_row_is_reported_and_nothing_is_saved(client, auth, db):
    organizer = make_user(email="maria@example.bg")
    series = make_series(managers=[organizer])
    auth.login("maria@example.bg")
    rows = [TEAM2_ROWS[0], {"region": "Югоизточен", "venue": "Бургас"},
            {"date": "2020-11-05", "start_time": "13:00", "end_time": "10:00"}]
    response = post_form(client, f"/manage/series/{series.id}/sessions", sessions_form(rows))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="rows-1-date-error"' in page
    assert 'id="rows-2-end_time-error"' in page
    assert 'value="Бургас"' in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Meeting)) == 0


def test_duplicate_makes_a_draft_copy_with_the_agenda(client, auth, db):
    organizer = make_user(email="maria@example.bg")
    series = make_series(managers=[organizer])
    meeting = make_meeting(series, status=MeetingStatus.PUBLISHED, venue="Видин",
                           agenda=[AgendaItem(position=1, title={"bg": "Откриване"})])
    auth.login("maria@example.bg")
    response = post_form(client, f"/manage/meetings/{meeting.id}/duplicate", {},
                         form_page=f"/manage/meetings/{meeting.id}/")
    assert response.status_code == 302
    copy = db.session.scalar(sa.select(Meeting).where(Meeting.id != meeting.id))
    assert copy.status is MeetingStatus.DRAFT
    assert copy.uid != meeting.uid
    assert copy.venue == "Видин"
    assert [item.title["bg"] for item in copy.agenda] == ["Откриване"]
    assert response.headers["Location"].endswith(f"/manage/meetings/{copy.id}/edit")


def edit_form(meeting, **changes):
    data = {
        "main_language": "bg", "title_bg": meeting.title.get("bg", "Среща"),
        "type": meeting.type.value, "format": meeting.format.value,
        "date": meeting.local_start.date().isoformat(),
        "start_time": meeting.local_start.strftime("%H:%M"),
        "end_time": meeting.local_end.strftime("%H:%M"), "timezone": meeting.timezone,
        "venue": meeting.venue, "address": meeting.address, "online_url": meeting.online_url,
        "region": meeting.region, "registration_mode": meeting.registration_mode.value,
    }
    data.update(changes)
    return data


def test_moving_a_published_meeting_records_and_mails_the_change(client, auth, db, smtp_server):
    from consult.mail.worker import deliver_pending

    organizer = make_user(email="maria@example.bg")
    series = make_series(managers=[organizer], disclaimer={"bg": "Отговорност на изпълнителя."})
    meeting = make_meeting(series, status=MeetingStatus.PUBLISHED, venue="Варна")
    from datetime import time

    from consult.events.models import AgendaItem

    meeting.agenda.extend([
        AgendaItem(position=1, starts_at=time(10, 0), title={"bg": "Откриване"}),
        AgendaItem(position=2, starts_at=time(10, 30), title={"bg": "Дискусия"}),
        AgendaItem(position=3, title={"bg": "Разни"})])
    db.session.commit()

    def provider(m):
        return [services.Recipient("elena@example.bg", "Елена Петрова", "bg")] if m.id == \
            meeting.id else []

    services.RECIPIENT_PROVIDERS.append(provider)
    try:
        auth.login("maria@example.bg")
        # a new title alone is not a change people must be told of
        post_form(client, f"/manage/meetings/{meeting.id}/edit",
                  edit_form(meeting, title_bg="Нов заглавие"))
        db.session.refresh(meeting)
        assert meeting.sequence == 0
        response = post_form(client, f"/manage/meetings/{meeting.id}/edit?lang=en",
                             edit_form(meeting, start_time="11:00", end_time="14:00",
                                       venue="Русе"), follow_redirects=True)
        # the agenda moves with the meeting, and the organizer is told
        assert "The agenda moved with the meeting: it begins at 11:00." in \
            response.get_data(as_text=True)
    finally:
        services.RECIPIENT_PROVIDERS.remove(provider)
    db.session.refresh(meeting)
    assert meeting.sequence == 1
    [change] = db.session.scalars(sa.select(MeetingChange)).all()
    assert change.kind == "moved,place"
    assert change.changed_by_id == organizer.id
    # the organizer reads when it changed in the meeting's own time
    local = change.created_at.astimezone(ZoneInfo("Europe/Sofia"))
    offset = f"{local:%z}"
    page = client.get(f"/manage/meetings/{meeting.id}/?lang=en").get_data(as_text=True)
    assert f"{local:%H:%M} (UTC{offset[:3]}:{offset[3:]}) — " in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 1
    deliver_pending()
    [mail] = smtp_server.to("elena@example.bg")
    text = mail.get_body(preferencelist=("plain",)).get_content()
    assert "11:00–14:00" in text
    assert "Русе" in text
    assert "Отговорност на изпълнителя." in text
    [attachment] = list(mail.iter_attachments())
    assert attachment.get_param("method") == "REQUEST"
    ics = attachment.get_content()
    assert "SEQUENCE:1" in ics and "METHOD:REQUEST" in ics
    assert "DTSTART;TZID=Europe/Sofia:20201102T110000" in ics
    assert [item.starts_at for item in meeting.agenda] == [time(11, 0), time(11, 30), None]
    assert "11:00 Откриване" in ics and "10:00" not in ics  # the calendar has the new times


def test_changes_before_publication_are_silent(client, auth, db):
    organizer = make_user(email="maria@example.bg")
    series = make_series(managers=[organizer])
    meeting = make_meeting(series)
    auth.login("maria@example.bg")
    post_form(client, f"/manage/meetings/{meeting.id}/edit", edit_form(meeting, start_time="09:00"))
    db.session.refresh(meeting)
    assert meeting.sequence == 0
    assert meeting.local_start.hour == 9


def test_meeting_form_validation_keeps_input(client, auth, db):
    organizer = make_user(email="maria@example.bg")
    series = make_series(managers=[organizer])
    auth.login("maria@example.bg")
    data = {"main_language": "bg", "title_bg": "Среща във Видин", "type": "workshop",
            "format": "online", "date": "2020-11-02", "start_time": "13:00",
            "end_time": "10:00", "timezone": "Europe/Sofia", "online_url": "meet.example.org",
            "registration_mode": "open", "capacity": "0"}
    response = post_form(client, f"/manage/meetings/new?series={series.id}", data)
    page = response.get_data(as_text=True)
    assert 'id="end_time-error"' in page
    assert 'id="online_url-error"' in page
    assert 'id="capacity-error"' in page
    assert 'value="Среща във Видин"' in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Meeting)) == 0
    # an empty title is allowed (sessions carry the series' title), and the form says so
    form = client.get(f"/manage/meetings/new?series={series.id}&lang=en").get_data(as_text=True)
    assert 'aria-describedby="title-hint"' in form
    assert "Left empty, the meeting is called by the title of its series" in form


def test_public_meeting_page_in_bulgarian(client, db):
    series = make_series(published=True,
                         funder={"en": "European Union", "bg": "Европейски съюз"},
                         disclaimer={"bg": "Отговорност единствено на изпълнителя."},
                         implementing_body={"bg": "Секретариат на НССЕИВ"})
    meeting = make_meeting(series, status=MeetingStatus.PUBLISHED, format="hybrid",
                           venue="Пловдив", online_url="https://meet.example.org/secret",
                           languages=["bg", "sq"],
                           agenda=[AgendaItem(position=1, title={"bg": "Откриване",
                                                                  "en": "Opening"})])
    page = client.get(f"/meetings/{meeting.id}?lang=bg").get_data(as_text=True)
    assert "Откриване" in page
    # languages by their own names, each marked as such
    assert '<span lang="bg">Български</span>, <span lang="sq">Shqip</span>' in page
    assert "10:00–13:00" in page
    assert "UTC+02:00" in page
    assert "Източноевропейско стандартно време" in page  # November: standard, not summer time
    assert "Пловдив" in page
    assert "secret" not in page
    # the funder in the page's language; where it falls back, marked as such
    assert '<dd><span lang="bg">Европейски съюз</span></dd>' in page
    assert "European Union" not in page
    series.funder = {"bg": "Европейски съюз"}
    db.session.commit()
    assert '<dd><span lang="bg">Европейски съюз</span></dd>' in client.get(
        f"/meetings/{meeting.id}?lang=sq").get_data(as_text=True)
    series.funder = {"en": "European Union", "bg": "Европейски съюз"}
    db.session.commit()
    assert "European Union" in client.get(f"/meetings/{meeting.id}?lang=en").get_data(
        as_text=True)
    page = client.get(f"/meetings/{meeting.id}?lang=bg").get_data(as_text=True)
    assert "Отговорност единствено на изпълнителя." in page
    assert '<meta property="og:title"' in page
    data = json.loads(re.search(
        r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1))
    assert data["@type"] == "Event"
    assert data["startDate"] == "2020-11-02T10:00:00+02:00"
    assert data["eventAttendanceMode"].endswith("MixedEventAttendanceMode")
    assert "secret" not in json.dumps(data)


def test_drafts_are_hidden_from_the_public_but_not_from_managers(client, auth, db):
    organizer = make_user(email="maria@example.bg")
    series = make_series(managers=[organizer], published=True)
    draft = make_meeting(series, title={"bg": "Чернова"})
    assert client.get(f"/meetings/{draft.id}").status_code == 404
    assert "Чернова" not in client.get("/meetings/?when=all").get_data(as_text=True)
    auth.login("maria@example.bg")
    assert client.get(f"/meetings/{draft.id}").status_code == 200


def test_public_list_filters_and_pages(client, db):
    series = make_series(published=True, slug="team2")
    group = make_group(slug="swg")
    for n in range(25):
        region = "Североизточен" if n % 2 else "Югозападен"
        make_meeting(series, day=f"2020-11-{n + 1:02d}", status=MeetingStatus.PUBLISHED,
                     title={"bg": f"Среща {n + 1}"}, region=region)
    make_meeting(group=group, day="2020-11-19", status=MeetingStatus.HELD,
                 type=MeetingType.TECHNICAL, title={"mk": "Технички состанок"})
    page = client.get("/meetings/?when=all").get_data(as_text=True)
    assert "26" in page and 'rel="next"' in page
    technical = client.get("/meetings/?when=all&type=technical").get_data(as_text=True)
    assert "Технички состанок" in technical and "Среща 1<" not in technical
    region = client.get("/meetings/?when=all&region=Североизточен").get_data(as_text=True)
    assert "Среща 2<" in region and "Среща 1<" not in region
    by_group = client.get("/meetings/?when=all&group=swg").get_data(as_text=True)
    assert "Технички состанок" in by_group and "Среща" not in by_group
    december = client.get("/meetings/?when=all&month=2020-12").get_data(as_text=True)
    assert "No meeting matches" in december
    garbage = client.get("/meetings/?when=all&month=2020-13&type=<script>")
    assert garbage.status_code == 200


def test_registration_state(db):
    from datetime import timedelta

    series = make_series(published=True)
    meeting = make_meeting(series, status=MeetingStatus.PUBLISHED, capacity=2)
    before = meeting.starts_at - timedelta(days=3)
    assert services.registration_state(meeting, before) is services.RegistrationState.OPEN
    meeting.registration_opens_at = meeting.starts_at - timedelta(days=2)
    assert services.registration_state(meeting, before) is services.RegistrationState.NOT_YET
    meeting.registration_opens_at = None
    meeting.registration_closes_at = meeting.starts_at - timedelta(days=4)
    assert services.registration_state(meeting, before) is services.RegistrationState.CLOSED
    meeting.registration_closes_at = None
    services.SEATS_TAKEN.append(lambda m: 2)
    try:
        assert services.registration_state(meeting, before) is services.RegistrationState.FULL
    finally:
        services.SEATS_TAKEN.pop()
    meeting.registration_mode = RegistrationMode.INVITATION
    assert services.registration_state(
        meeting, before) is services.RegistrationState.INVITATION_ONLY
    meeting.status = MeetingStatus.CANCELLED
    assert services.registration_state(meeting, before) is services.RegistrationState.CANCELLED


def test_agenda_items_are_added_moved_and_removed(client, auth, db):
    organizer = make_user(email="maria@example.bg")
    series = make_series(managers=[organizer])
    meeting = make_meeting(series)
    auth.login("maria@example.bg")
    url = f"/manage/meetings/{meeting.id}/agenda"
    page = f"/manage/meetings/{meeting.id}/"
    missing = post_form(client, url, {"main_language": "bg", "title_en": "Opening"},
                        form_page=page)
    assert missing.status_code == 400
    assert 'id="title_bg-error"' in missing.get_data(as_text=True)
    for title in ("Откриване", "Дискусия"):
        post_form(client, url, {"main_language": "bg", "title_bg": title, "starts_at": "10:00"},
                  form_page=page)
    db.session.expire_all()
    items = db.session.scalars(sa.select(AgendaItem).order_by(AgendaItem.position)).all()
    assert [i.title["bg"] for i in items] == ["Откриване", "Дискусия"]
    post_form(client, f"/manage/agenda/{items[1].id}/move", {"direction": "up"}, form_page=page)
    db.session.expire_all()
    assert [i.title["bg"] for i in db.session.get(Meeting, meeting.id).agenda] == [
        "Дискусия", "Откриване"]
    edit = f"/manage/agenda/{items[0].id}/edit"
    assert 'value="Откриване"' in client.get(edit).get_data(as_text=True)
    post_form(client, edit, {"main_language": "bg", "title_bg": "Откриване и цели",
                             "title_en": "Opening and aims", "speaker": "Мария Г."})
    db.session.expire_all()
    assert db.session.get(AgendaItem, items[0].id).title == {"bg": "Откриване и цели",
                                                              "en": "Opening and aims"}
    # the first item cannot move up nor the last down
    manage = client.get(f"/manage/meetings/{meeting.id}/?lang=en").get_data(as_text=True)
    assert manage.count(">Move up<") == 1 and manage.count(">Move down<") == 1
    # removing asks first
    confirm = client.get(f"/manage/agenda/{items[0].id}/delete?lang=en").get_data(as_text=True)
    assert "Remove “Opening and aims” from the agenda of" in confirm
    assert len(db.session.get(Meeting, meeting.id).agenda) == 2
    post_form(client, f"/manage/agenda/{items[0].id}/delete", {})
    db.session.expire_all()
    assert [i.title["bg"] for i in db.session.get(Meeting, meeting.id).agenda] == ["Дискусия"]


def test_viewer_can_read_but_not_change(client, auth, db):
    series = make_series()
    meeting = make_meeting(series)
    make_user("viewer", email="journalist@example.org")
    auth.login("journalist@example.org")
    assert client.get(f"/manage/meetings/{meeting.id}/").status_code == 200
    assert client.get(f"/manage/series/{series.id}/").status_code == 200
    assert client.get(f"/manage/meetings/{meeting.id}/edit").status_code == 403


def test_drafts_can_be_deleted_after_confirmation_published_meetings_cannot(client, auth, db):
    organizer = make_user(email="maria@example.bg")
    series = make_series(managers=[organizer])
    draft = make_meeting(series, agenda=[AgendaItem(position=1, title={"bg": "Откриване"})])
    published = make_meeting(series, status=MeetingStatus.PUBLISHED)
    draft_id, published_id = draft.id, published.id
    auth.login("maria@example.bg")
    confirm_page = client.get(f"/manage/meetings/{draft_id}/delete")
    assert confirm_page.status_code == 200
    assert db.session.get(Meeting, draft_id) is not None  # asking is not deleting
    response = post_form(client, f"/manage/meetings/{draft_id}/delete", {})
    assert response.status_code == 302
    db.session.expunge_all()
    assert db.session.get(Meeting, draft_id) is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AgendaItem)) == 0
    post_form(client, f"/manage/meetings/{published_id}/delete", {},
              form_page=f"/manage/meetings/{published_id}/")
    assert db.session.get(Meeting, published_id) is not None


def test_an_agenda_that_would_leave_its_day_stays_for_the_organizer(db):
    from datetime import time, timedelta

    from consult.events.models import AgendaItem

    meeting = make_meeting(make_series(), status=MeetingStatus.PUBLISHED)
    meeting.agenda.extend([AgendaItem(position=1, starts_at=time(10, 0), title={"bg": "А"}),
                           AgendaItem(position=2, starts_at=time(23, 30), title={"bg": "Б"})])
    db.session.commit()
    later = {"starts_at": meeting.starts_at + timedelta(hours=1),
             "ends_at": meeting.ends_at + timedelta(hours=1)}
    assert services.shift_agenda(meeting, later) == 0
    assert [i.starts_at for i in meeting.agenda] == [time(10, 0), time(23, 30)]
    earlier = {"starts_at": meeting.starts_at - timedelta(minutes=30)}
    assert services.shift_agenda(meeting, earlier) == -30
    assert [i.starts_at for i in meeting.agenda] == [time(9, 30), time(23, 0)]


def test_a_meeting_without_an_agenda_says_whether_one_is_still_to_come(client, db):
    from consult.events.models import MeetingStatus

    series = make_series(published=True)
    held = make_meeting(series, day="2020-11-02", status=MeetingStatus.HELD)
    coming = make_meeting(series, day="2099-11-02", status=MeetingStatus.PUBLISHED)
    db.session.commit()
    assert "No agenda was published for this meeting." in client.get(
        f"/meetings/{held.id}?lang=en").get_data(as_text=True)
    assert "The agenda will be published here." in client.get(
        f"/meetings/{coming.id}?lang=en").get_data(as_text=True)


def test_those_who_took_part_and_agreed_are_named_on_the_meetings_page(client, db):
    from consult.events.models import MeetingStatus
    from tests.factories import make_attendee

    series = make_series(published=True)
    held = make_meeting(series, day="2020-11-02", status=MeetingStatus.HELD)
    coming = make_meeting(series, day="2099-11-02", status=MeetingStatus.PUBLISHED)
    for meeting in (held, coming):
        named = make_attendee(meeting, name="Ана Стоянова", attended=meeting is held)
        named.publish_consent, named.organisation_name = True, "Община Видин"
        make_attendee(meeting, name="Борис Иванов")  # did not agree
        absent = make_attendee(meeting, name="Вера Колева", attended=False)
        absent.publish_consent = True  # agreed, but did not come
    db.session.commit()
    page = client.get(f"/meetings/{held.id}?lang=en").get_data(as_text=True)
    assert "<li>Ана Стоянова — Община Видин</li>" in page
    assert "Борис Иванов" not in page and "Вера Колева" not in page
    # before a meeting nobody is named
    page = client.get(f"/meetings/{coming.id}?lang=en").get_data(as_text=True)
    assert "Ана Стоянова" not in page and 'id="participants-heading"' not in page
