"""Anonymous visitors may get a public page a few seconds old; nobody else ever does."""

from __future__ import annotations

import pytest

from consult import cache
from consult.events.models import MeetingStatus
from tests.conftest import make_app
from tests.factories import make_meeting, make_series, make_user


@pytest.fixture
def cached_client(_schema, database_url, smtp_server, db):
    cache.clear()
    app = make_app(database_url, MAIL_PORT=smtp_server.port, PUBLIC_CACHE_SECONDS=60)
    yield app.test_client()
    cache.clear()


def test_anonymous_pages_are_reused_until_they_expire(cached_client, db):
    series = make_series(published=True)
    meeting = make_meeting(series, status=MeetingStatus.PUBLISHED, venue="Варна")
    first = cached_client.get(f"/meetings/{meeting.id}?lang=bg")
    assert "Варна" in first.get_data(as_text=True)
    meeting.venue = "Русе"
    db.session.commit()
    again = cached_client.get(f"/meetings/{meeting.id}?lang=bg")
    assert "Варна" in again.get_data(as_text=True)  # from the cache
    # another language is another page
    assert "Русе" in cached_client.get(f"/meetings/{meeting.id}?lang=en").get_data(as_text=True)
    cache.clear()
    assert "Русе" in cached_client.get(f"/meetings/{meeting.id}?lang=bg").get_data(
        as_text=True)


def test_signed_in_users_always_get_fresh_pages(cached_client, db):
    organizer = make_user(email="maria@example.bg")
    series = make_series(published=True, managers=[organizer])
    meeting = make_meeting(series, status=MeetingStatus.PUBLISHED, venue="Варна")
    cached_client.get(f"/meetings/{meeting.id}")
    meeting.venue = "Русе"
    db.session.commit()
    from tests.conftest import AuthActions

    AuthActions(cached_client).login("maria@example.bg")
    page = cached_client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "Русе" in page
    assert "Manage this meeting" in page


def test_a_flash_message_is_never_cached_nor_missed(cached_client, db):
    from tests.conftest import AuthActions

    make_user(email="maria@example.bg")
    cached_client.get("/")  # the home page is now cached without any message
    auth = AuthActions(cached_client)
    auth.login("maria@example.bg")
    response = auth.logout()
    assert response.headers["Location"] == "/"
    page = cached_client.get("/").get_data(as_text=True)
    assert "You are signed out." in page
    assert "You are signed out." not in cached_client.get("/").get_data(as_text=True)


def test_calendar_headers_survive_the_cache(cached_client, db):
    series = make_series(published=True, slug="team2")
    make_meeting(series, status=MeetingStatus.PUBLISHED)
    first = cached_client.get("/series/team2.ics")
    second = cached_client.get("/series/team2.ics")
    assert second.data == first.data
    assert second.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert second.headers["Content-Security-Policy"]  # security headers still added


def test_visitors_without_cookies_get_the_finished_page_before_flask_runs(_schema, database_url,
                                                                          smtp_server, db):
    from flask import request_started

    cache.clear()
    app = make_app(database_url, MAIL_PORT=smtp_server.port, PUBLIC_CACHE_SECONDS=60)
    series = make_series(published=True)
    meeting = make_meeting(series, status=MeetingStatus.PUBLISHED, venue="Варна")
    started = []
    request_started.connect(lambda sender, **extra: started.append(1), app, weak=False)
    client = app.test_client(use_cookies=False)
    bulgarian = {"Accept-Language": "bg,en;q=0.5"}
    first = client.get(f"/meetings/{meeting.id}", headers=bulgarian)
    meeting.venue = "Русе"
    db.session.commit()
    again = client.get(f"/meetings/{meeting.id}", headers=bulgarian)
    assert len(started) == 1  # the second answer never entered Flask
    assert again.data == first.data and "Варна" in again.get_data(as_text=True)
    assert again.headers["Content-Security-Policy"] == first.headers["Content-Security-Policy"]
    assert 'lang="bg"' in again.get_data(as_text=True)
    # another Accept-Language is another page; a language chosen by ?lang= sets a cookie,
    # so that answer is not kept for everybody
    english = client.get(f"/meetings/{meeting.id}", headers={"Accept-Language": "en"})
    assert 'lang="en"' in english.get_data(as_text=True) and "Русе" in english.get_data(
        as_text=True)
    chosen = client.get(f"/meetings/{meeting.id}?lang=sq")
    assert "Set-Cookie" in chosen.headers
    client.get(f"/meetings/{meeting.id}?lang=sq")
    assert len(started) == 4
    # a visitor with a cookie (here: a session) always reaches the application
    client.get(f"/meetings/{meeting.id}", headers={**bulgarian, "Cookie": "session=x"})
    assert len(started) == 5
    cache.clear()


def test_a_feed_in_the_series_language_is_kept_under_that_language(cached_client, db):
    """The series' language is chosen before the cache looks up its entry: a visitor who
    never chose gets the series' language, one who chose English gets English."""
    from consult.events.models import AgendaItem

    series = make_series(published=True, slug="team2", main_language="bg")
    meeting = make_meeting(series, day="2030-11-02", status=MeetingStatus.PUBLISHED)
    db.session.add(AgendaItem(meeting_id=meeting.id, position=1, title={"bg": "Откриване"}))
    db.session.commit()
    app = cached_client.application
    never_chose = app.test_client()
    never_chose.get("/account/login")  # a session, without a language in it
    feed = never_chose.get("/series/team2.ics", headers={"Accept-Language": "en"})
    assert "Дневен ред" in feed.get_data(as_text=True)
    chose_english = app.test_client()
    chose_english.get("/?lang=en")
    feed = chose_english.get("/series/team2.ics", headers={"Accept-Language": "en"})
    assert "Agenda" in feed.get_data(as_text=True)


def test_a_visitor_whose_session_only_chose_a_language_is_served_before_flask(
        _schema, database_url, smtp_server, db):
    from flask import request_started

    from consult.events.models import AgendaItem

    cache.clear()
    app = make_app(database_url, MAIL_PORT=smtp_server.port, PUBLIC_CACHE_SECONDS=60)
    series = make_series(published=True, slug="team2", main_language="bg")
    meeting = make_meeting(series, day="2030-11-02", status=MeetingStatus.PUBLISHED,
                           venue="Варна")
    db.session.add(AgendaItem(meeting_id=meeting.id, position=1, title={"bg": "Откриване"}))
    db.session.commit()
    started = []
    request_started.connect(lambda sender, **extra: started.append(1), app, weak=False)
    visitor = app.test_client()
    visitor.get(f"/meetings/{meeting.id}?lang=en")  # the choice: a session with lang=en
    assert len(started) == 1
    page = visitor.get(f"/meetings/{meeting.id}")
    assert len(started) == 2 and 'lang="en"' in page.get_data(as_text=True)
    meeting.venue = "Русе"
    db.session.commit()
    again = visitor.get(f"/meetings/{meeting.id}")
    assert len(started) == 2  # the finished page, without entering Flask
    assert again.data == page.data and "Set-Cookie" not in again.headers
    assert again.headers["Content-Security-Policy"]

    # a feed picks the series' language for Accept-Language visitors: kept apart from the
    # entry of a visitor who chose English
    app.test_client(use_cookies=False).get("/series/team2.ics",
                                           headers={"Accept-Language": "en"})
    feed = visitor.get("/series/team2.ics", headers={"Accept-Language": "en"})
    assert "Agenda" in feed.get_data(as_text=True) and "Дневен ред" not in feed.get_data(
        as_text=True)

    # anything more than a language choice goes to the application
    counted = len(started)
    visitor.get(f"/meetings/{meeting.id}?lang=sq")  # a new choice, kept in the session
    assert len(started) == counted + 1
    assert 'lang="sq"' in visitor.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    visitor.get(f"/meetings/{meeting.id}")
    assert len(started) == counted + 2  # the Albanian page once, then from the cache
    cookie = visitor.get_cookie("session").value
    for headers in ({"Cookie": f"session={cookie}; remember_token=1|abc"},
                    {"Cookie": f"session={cookie[:-2]}xx"}):
        app.test_client(use_cookies=False).get(f"/meetings/{meeting.id}", headers=headers)
    assert len(started) == counted + 4
    from tests.conftest import AuthActions

    make_user(email="maria@example.bg")
    AuthActions(visitor).login("maria@example.bg")
    counted = len(started)
    page = visitor.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert len(started) == counted + 1 and "Русе" in page
    cache.clear()
