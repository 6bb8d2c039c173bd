"""Many people register at once for a meeting with few seats, over real HTTP connections:
exactly the capacity is confirmed, the rest wait, nobody is lost or registered twice."""

from __future__ import annotations

import http.cookiejar
import re
import threading
import urllib.parse
import urllib.request

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from consult.events.models import MeetingStatus
from consult.registrations.models import Registration, RegistrationStatus
from tests.conftest import free_port
from tests.factories import make_meeting, make_series, make_user

PEOPLE = 24
SEATS = 5


@pytest.fixture
def server(app):
    port = free_port()
    app.config["SERVER_NAME"] = f"127.0.0.1:{port}"
    httpd = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    httpd.shutdown()
    thread.join(5)


def test_concurrent_registrations_never_overbook(server, db):
    series = make_series(managers=[make_user()], published=True)
    meeting = make_meeting(series, day="2027-06-01", status=MeetingStatus.PUBLISHED,
                           capacity=SEATS)
    url = f"{server}/meetings/{meeting.id}/register"
    start = threading.Barrier(PEOPLE)
    outcomes: dict[int, int] = {}

    def register(n: int) -> None:
        opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        page = opener.open(url, timeout=30).read().decode()  # noqa: S310 - our own server
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        body = urllib.parse.urlencode({
            "csrf_token": token, "name": f"Участник {n}", "email": f"p{n}@example.bg",
            "gender": "female" if n % 2 else "male", "consent": "y"}).encode()
        start.wait()
        try:
            request = urllib.request.Request(url, data=body)  # noqa: S310 - our own server
            response = opener.open(request, timeout=60)  # noqa: S310
            outcomes[n] = response.status
        except urllib.error.HTTPError as error:
            outcomes[n] = error.code

    threads = [threading.Thread(target=register, args=(n,)) for n in range(PEOPLE)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    assert all(status == 200 for status in outcomes.values()), outcomes  # after redirect
    assert len(outcomes) == PEOPLE
    rows = db.session.scalars(sa.select(Registration)).all()
    assert len(rows) == PEOPLE
    assert len({r.email for r in rows}) == PEOPLE
    confirmed = [r for r in rows if r.status is RegistrationStatus.CONFIRMED]
    waiting = [r for r in rows if r.status is RegistrationStatus.WAITLISTED]
    assert len(confirmed) == SEATS
    assert len(waiting) == PEOPLE - SEATS
