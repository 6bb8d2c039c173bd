"""Several phones at the door check in the same people at the same moment, over real HTTP
connections: every tap gets an answer (no error page), and each person is present once."""

from __future__ import annotations

import http.cookiejar
import re
import threading
import urllib.error
import urllib.parse
import urllib.request

import sqlalchemy as sa

from consult.attendance.models import Attendance
from consult.events.models import MeetingStatus
from tests.factories import PASSWORD, make_attendee, make_meeting, make_series, make_user
from tests.registrations.test_race import server  # noqa: F401 - the fixture

PHONES = 4
PEOPLE = 6


def _phone(base: str, email: str):
    """A signed-in organizer's browser, and a CSRF token of its session."""
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    page = opener.open(f"{base}/account/login", timeout=30).read().decode()  # noqa: S310
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    opener.open(f"{base}/account/login", urllib.parse.urlencode(  # noqa: S310
        {"csrf_token": token, "email": email, "password": PASSWORD}).encode(), timeout=30)
    page = opener.open(f"{base}/manage/", timeout=30).read().decode()  # noqa: S310
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    return opener, token


def test_phones_checking_in_the_same_people_at_once(server, db, meeting_day):  # noqa: F811
    organizer = make_user(email="door@example.bg")
    meeting = make_meeting(make_series(managers=[organizer]), day="2027-06-01",
                           status=MeetingStatus.PUBLISHED)
    meeting_day(meeting)
    people = [make_attendee(meeting, attended=False).id for _ in range(PEOPLE)]
    db.session.commit()
    phones = [_phone(server, "door@example.bg") for _ in range(PHONES)]
    statuses: list[int] = []

    def tap(opener, token, registration_id, start):
        body = urllib.parse.urlencode({"csrf_token": token, "action": "in"}).encode()
        url = f"{server}/manage/registrations/{registration_id}/checkin"
        start.wait()
        try:
            statuses.append(opener.open(url, body, timeout=60).status)  # noqa: S310
        except urllib.error.HTTPError as error:
            statuses.append(error.code)

    for registration_id in people:
        start = threading.Barrier(PHONES)
        threads = [threading.Thread(target=tap, args=(*phone, registration_id, start))
                   for phone in phones]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)

    assert statuses == [200] * (PHONES * PEOPLE)  # the door list again, after the redirect
    db.session.expire_all()
    present = db.session.scalars(sa.select(Attendance.registration_id)).all()
    assert sorted(present) == sorted(people)
