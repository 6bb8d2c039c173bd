"""Arbitrary, hostile and very long input: never a 500, always a message, always escaped."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consult.events.models import MeetingStatus
from consult.mail.worker import deliver_pending
from tests.conftest import csrf_token, post_form
from tests.factories import make_meeting, make_user

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'
hostile_text = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=50),
    st.just("Георги Иванов\r\nBcc: victim@example.org"),
    st.just(XSS),
    st.just("x" * 20000),
    st.just("\x00\x01\x02\x1b[31m"),
    st.just("' OR 1=1 --"),
)
def expected(codes: set[int], *values: str) -> set[int]:
    """NUL characters are refused up front with a 400 page (tested below)."""
    return codes | {400} if any("\x00" in v for v in values) else codes


FUZZ = settings(max_examples=25, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(email=hostile_text, password=hostile_text, next_=hostile_text)
def test_login_form_survives_anything(client, email, password, next_):
    token = csrf_token(client)
    response = client.post("/account/login", data={
        "email": email, "password": password, "next": next_, "csrf_token": token})
    assert response.status_code in expected({200, 429}, email, password, next_)
    page = response.get_data(as_text=True)
    assert "<script>alert" not in page
    if response.status_code == 200:
        assert 'class="error"' in page


@FUZZ
@given(email=hostile_text)
def test_password_reset_request_survives_anything(client, email):
    response = post_form(client, "/account/password/forgotten", {"email": email})
    assert response.status_code in expected({200, 302, 429}, email)
    assert "<script>alert" not in response.get_data(as_text=True)


@FUZZ
@given(language=hostile_text, next_=hostile_text)
def test_language_switch_survives_anything(client, language, next_):
    response = post_form(client, "/language", {"lang": language, "next": next_},
                         form_page="/account/login")
    assert response.status_code in expected({302}, language, next_)
    if response.status_code == 302:
        location = response.headers["Location"]
        assert location.startswith("/") and not location.startswith("//")


@FUZZ
@given(token=st.text(min_size=1, max_size=300).filter(lambda t: "/" not in t and "\\" not in t))
def test_reset_and_feed_tokens_survive_anything(client, token):
    for url in (f"/account/password/reset/{token}", f"/calendar/private/{token}.ics"):
        response = client.get(url)
        assert response.status_code in {400, 404}, url


@FUZZ
@given(query=hostile_text)
def test_public_filters_survive_anything(client, query):
    response = client.get("/meetings/", query_string={
        "when": query, "series": query, "group": query, "type": query, "region": query,
        "month": query, "page": query})
    assert response.status_code in expected({200}, query)
    assert "<script>alert" not in response.get_data(as_text=True)


def test_xss_in_every_series_and_meeting_field_is_escaped(client, auth, db, smtp_server):
    from consult.events import services

    organizer = make_user(email="maria@example.bg", name=XSS)
    auth.login("maria@example.bg")
    fields = {f"{name}_{code}": XSS for name in ("title", "description", "project_name",
                                                  "funder", "programme",
                                                  "implementing_body", "disclaimer")
              for code in ("bg", "mk", "sq", "en")}
    fields.update({"main_language": "bg", "project_code": XSS,
                   "co_organisers": XSS, "timezone": "Europe/Sofia", "published": "y",
                   "managers": str(organizer.id)})
    response = post_form(client, "/manage/series/new", fields, form_page="/manage/series/new")
    assert response.status_code == 302
    series_id = int(re.search(r"/manage/series/(\d+)/", response.headers["Location"]).group(1))
    from consult.events.models import Series

    series = db.session.get(Series, series_id)
    meeting = make_meeting(series, status=MeetingStatus.PUBLISHED, venue=XSS, address=XSS,
                           region=XSS, co_organisers=XSS, title={"bg": XSS},
                           description={"bg": XSS})
    pages = [f"/series/{series.slug}", f"/meetings/{meeting.id}", "/", "/meetings/",
             f"/manage/series/{series.id}/", f"/manage/meetings/{meeting.id}/", "/manage/"]
    for url in pages:
        page = client.get(url).get_data(as_text=True)
        assert "<script>alert" not in page, url
        assert "<img src=x" not in page, url
    # and in the HTML mail that tells registrants of a change
    services.RECIPIENT_PROVIDERS.append(
        lambda m: [services.Recipient("todor@example.bg", XSS, "bg")])
    try:
        post_form(client, f"/manage/meetings/{meeting.id}/cancel", {"note": XSS})
    finally:
        services.RECIPIENT_PROVIDERS.pop()
    deliver_pending()
    [mail] = smtp_server.to("todor@example.bg")
    html = mail.get_body(preferencelist=("html",)).get_content()
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;" in html


def test_nul_characters_get_a_clear_400_everywhere(client, auth, db):
    organizer = make_user(email="maria@example.bg")
    assert client.get("/meetings/?region=a\x00b").status_code == 400
    assert client.get("/series/a%00b").status_code == 400
    response = post_form(client, "/account/login", {"email": "a\x00@example.org",
                                                    "password": "x"})
    assert response.status_code == 400
    auth.login("maria@example.bg")
    response = post_form(client, "/manage/series/new", {"main_language": "bg",
                                                        "title_bg": "Серия\x00",
                                                        "timezone": "Europe/Sofia",
                                                        "managers": str(organizer.id)},
                         form_page="/manage/series/new")
    assert response.status_code == 400


def test_a_number_too_large_for_any_row_is_no_page(app, client, auth, db):
    """Every page with a number in its address, given one no database column holds: 404,
    for visitors and for an organizer (never the database's overflow as a 500)."""
    make_user(email="maria@example.bg")
    paths = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or "<int" not in rule.rule:
            continue
        path = re.sub(r"<int(\([^)]*\))?:\w+>", "9" * 20, rule.rule)
        paths.append(re.sub(r"<[^>]+>", "x", path))
    assert len(paths) > 30
    for signed_in in (False, True):
        if signed_in:
            auth.login("maria@example.bg")
        for path in paths:
            assert client.get(path).status_code == 404, path
