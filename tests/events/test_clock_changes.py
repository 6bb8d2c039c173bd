"""Local times the clocks skip (summer time begins) are refused with a message, not moved."""

from __future__ import annotations

from datetime import date, time

import sqlalchemy as sa

from consult.events.models import Meeting
from consult.events.services import to_utc, wall_clock_exists
from tests.conftest import post_form
from tests.events.test_meetings import sessions_form
from tests.factories import make_series, make_user

# in 2021 Europe/Sofia went from 03:00 to 04:00 on 28 March and back at 04:00 on 31 October
SPRING, AUTUMN = date(2021, 3, 28), date(2021, 10, 31)


def test_skipped_and_doubled_wall_clock_times():
    assert not wall_clock_exists(SPRING, time(3, 30), "Europe/Sofia")
    assert wall_clock_exists(SPRING, time(2, 59), "Europe/Sofia")
    assert wall_clock_exists(SPRING, time(4, 0), "Europe/Sofia")
    assert wall_clock_exists(SPRING, time(3, 30), "UTC")
    # a time passed twice exists; it is taken the first time (summer time, UTC+3)
    assert wall_clock_exists(AUTUMN, time(3, 30), "Europe/Sofia")
    assert to_utc(AUTUMN, time(3, 30), "Europe/Sofia").hour == 0


def test_the_meeting_form_refuses_a_skipped_time(client, auth, db):
    organizer = make_user(email="maria@example.bg")
    series = make_series(managers=[organizer])
    auth.login("maria@example.bg")
    data = {"main_language": "bg", "title_bg": "Нощна среща", "type": "workshop",
            "format": "online", "date": SPRING.isoformat(), "start_time": "03:15",
            "end_time": "05:00", "timezone": "Europe/Sofia", "registration_mode": "open",
            "registration_closes": "2021-03-28T03:30"}
    response = post_form(client, f"/manage/meetings/new?series={series.id}&lang=en", data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="start_time-error"' in page and 'id="end_time-error"' not in page
    assert 'id="registration_closes-error"' in page
    assert "This time does not exist on that day in Europe/Sofia" in page
    assert 'value="Нощна среща"' in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Meeting)) == 0


def test_a_session_row_at_a_skipped_time_is_refused(client, auth, db):
    organizer = make_user(email="maria@example.bg")
    series = make_series(managers=[organizer])
    auth.login("maria@example.bg")
    rows = [{"date": "2021-03-27", "start_time": "10:00", "end_time": "13:00"},
            {"date": SPRING.isoformat(), "start_time": "02:30", "end_time": "03:30"}]
    response = post_form(client, f"/manage/series/{series.id}/sessions?lang=en",
                         sessions_form(rows))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="rows-1-end_time-error"' in page and 'id="rows-1-start_time-error"' not in page
    assert "Please correct the following" in page  # the summary at the top lists it too
    assert 'id="rows-0-start_time-error"' not in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Meeting)) == 0
