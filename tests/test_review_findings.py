"""Defects found in review, each pinned by a test."""

from __future__ import annotations

import socket
import threading
import time

import sqlalchemy as sa

from consult.events.models import Meeting, MeetingStatus
from tests.conftest import AuthActions, csrf_token, make_app, post_form
from tests.factories import make_group, make_meeting, make_series, make_user


def test_a_draft_cannot_be_cancelled_into_public_view(client, auth, db):
    organizer = make_user(email="maria@example.bg")
    series = make_series(managers=[organizer], published=True)
    draft = make_meeting(series, title={"bg": "Тайна чернова"})
    auth.login("maria@example.bg")
    assert "Cancel the meeting" not in client.get(f"/manage/meetings/{draft.id}/?lang=en") \
        .get_data(as_text=True)
    token = csrf_token(client, f"/manage/meetings/{draft.id}/")
    client.post(f"/manage/meetings/{draft.id}/cancel", data={"csrf_token": token})
    client.post(f"/manage/meetings/{draft.id}/held", data={"csrf_token": token})
    assert db.session.get(Meeting, draft.id).status is MeetingStatus.DRAFT
    auth.logout()
    assert client.get(f"/meetings/{draft.id}").status_code == 404
    assert "Тайна чернова" not in client.get("/meetings/?when=all").get_data(as_text=True)


def test_a_new_password_signs_out_other_sessions(app, auth, db):
    make_user(email="maria@example.bg")
    stolen = app.test_client()
    AuthActions(stolen).login("maria@example.bg")
    assert stolen.get("/manage/").status_code == 200
    auth.login("maria@example.bg")
    post_form(auth.client, "/account/", {"pw-current": "correct horse battery",
                                         "pw-password": "a brand new password",
                                         "pw-confirm": "a brand new password"})
    assert auth.client.get("/manage/").status_code == 200  # this browser stays in
    assert stolen.get("/manage/").status_code == 302  # the other one is out


def test_public_cache_is_per_host(_schema, database_url, smtp_server, db):
    from consult import cache

    cache.clear()
    app = make_app(database_url, MAIL_PORT=smtp_server.port, PUBLIC_CACHE_SECONDS=60,
                   SERVER_NAME=None)
    series = make_series(published=True)
    meeting = make_meeting(series, status=MeetingStatus.PUBLISHED)
    client = app.test_client()
    client.get(f"/meetings/{meeting.id}", headers={"Host": "evil.example"})
    page = client.get(f"/meetings/{meeting.id}", headers={"Host": "consult.example.org"})
    assert "evil.example" not in page.get_data(as_text=True)
    cache.clear()


def test_absurd_months_and_pages_are_not_errors(client, db):
    for query in ("month=0000-01", "month=9999-12", "page=9223372036854775807", "page=-5"):
        assert client.get(f"/meetings/?when=all&{query}").status_code == 200, query


def test_region_filter_lists_only_public_meetings(client, db):
    hidden = make_series(published=False)
    make_meeting(hidden, status=MeetingStatus.PUBLISHED, region="Тайна област")
    assert "Тайна област" not in client.get("/meetings/").get_data(as_text=True)


def test_language_links_on_odd_paths_stay_on_the_site(client):
    page = client.get("/%5Cevil.example").get_data(as_text=True)
    assert 'href="/\\evil.example' not in page
    assert 'href="/%5Cevil.example?lang=bg"' in page


def test_group_meetings_are_in_the_organizers_feed_and_home(client, auth, db):
    organizer = make_user(email="elena@example.mk")
    group = make_group(managers=[organizer])
    make_meeting(group=group, day="2030-11-16", title={"mk": "Пленарна средба"})
    auth.login("elena@example.mk")
    assert "Пленарна средба" in client.get("/manage/").get_data(as_text=True)
    from consult.auth.models import User
    from consult.events.services import feed_meetings

    user = db.session.scalar(sa.select(User).where(User.email == "elena@example.mk"))
    assert [m.title["mk"] for m in feed_meetings(user)] == ["Пленарна средба"]


def test_a_silent_smtp_server_cannot_hold_the_worker(_schema, database_url, db):
    from flask_babel import lazy_gettext as _l

    from consult.auth.models import User
    from consult.mail.services import queue_mail
    from consult.mail.worker import deliver_pending

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)  # accepts connections, never says a word
    accepted = []
    threading.Thread(target=lambda: accepted.append(listener.accept()), daemon=True).start()
    app = make_app(database_url, MAIL_PORT=listener.getsockname()[1], MAIL_TIMEOUT_SECONDS=1)
    try:
        with app.app_context():
            queue_mail(to="x@example.org", template="password_reset",
                       subject=_l("Reset your Consult password"),
                       context={"user": User(email="x@example.org", name="X"), "link": "l",
                                "minutes": 60})
            db.session.commit()
            started = time.monotonic()
            stats = deliver_pending()
            assert time.monotonic() - started < 10
            assert stats.retried == 1
            db.engine.dispose()
    finally:
        listener.close()


def test_exported_names_cannot_run_as_spreadsheet_formulas(client, auth, db):
    from consult.directory.models import Contact

    make_user(email="maria@example.bg")
    db.session.add(Contact(name='=HYPERLINK("http://evil.example","Иван")',
                           email="ivan@example.bg"))
    db.session.commit()
    auth.login("maria@example.bg")
    body = client.get("/manage/directory/export.csv").data.decode("utf-8-sig")
    assert "'=HYPERLINK" in body


def test_a_meeting_still_to_come_cannot_be_marked_as_held(client, auth, db):
    organizer = make_user(email="maria@example.bg")
    series = make_series(managers=[organizer], published=True)
    coming = make_meeting(series, day="2099-12-15", status=MeetingStatus.PUBLISHED)
    past = make_meeting(series, day="2020-11-02", status=MeetingStatus.PUBLISHED)
    auth.login("maria@example.bg")
    assert "Mark as held" not in client.get(f"/manage/meetings/{coming.id}/?lang=en") \
        .get_data(as_text=True)
    response = post_form(client, f"/manage/meetings/{coming.id}/held", {},
                         form_page=f"/manage/meetings/{coming.id}/", follow_redirects=True)
    assert "A meeting can be marked as held once it has started." in response.get_data(
        as_text=True)
    assert db.session.get(Meeting, coming.id).status is MeetingStatus.PUBLISHED
    assert "Mark as held" in client.get(f"/manage/meetings/{past.id}/?lang=en") \
        .get_data(as_text=True)
    post_form(client, f"/manage/meetings/{past.id}/held", {},
              form_page=f"/manage/meetings/{past.id}/")
    db.session.expire_all()
    assert db.session.get(Meeting, past.id).status is MeetingStatus.HELD


def test_the_accessibility_statement_has_what_the_directive_asks(_schema, database_url,
                                                                smtp_server, db):
    """Compliance status, preparation date and method, a contact, the enforcement body."""
    app = make_app(database_url, MAIL_PORT=smtp_server.port,
                   ACCESSIBILITY_CONTACT="dostapnost@example.bg",
                   ACCESSIBILITY_ENFORCEMENT_URL="https://example.bg/enforcement")
    page = app.test_client().get("/accessibility?lang=en").get_data(as_text=True)
    assert "partially compliant with WCAG 2.1 level AA" in page
    assert "This statement was prepared on November 29, 2026, by self-assessment" in page
    assert "write to dostapnost@example.bg" in page
    assert '<a href="https://example.bg/enforcement">' in page
    # without a contact configured it still says where to turn
    page = make_app(database_url, MAIL_PORT=smtp_server.port).test_client().get(
        "/accessibility?lang=en").get_data(as_text=True)
    assert "tell the organizer of the consultation" in page and "Enforcement procedure" in page


def test_every_page_names_an_icon_that_exists(client):
    import re

    page = client.get("/").get_data(as_text=True)
    href = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', page).group(1)
    icon = client.get(href)
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
    assert b"<svg" in icon.data


def test_the_registered_already_page_names_only_meetings_the_public_may_see(client, app, db):
    """/meetings/<id>/registered-already is public and takes any meeting's number: it named
    meetings kept from the public (unpublished series, internal working group), whose own
    page is "not found". Only the visitor whose form just led there sees which meeting."""
    from tests.factories import make_group

    hidden = make_meeting(make_series(published=False), status=MeetingStatus.PUBLISHED,
                          day="2030-05-04", title={"bg": "Тайна среща"})
    internal = make_meeting(group=make_group(public=False), status=MeetingStatus.PUBLISHED,
                            day="2030-05-05", title={"mk": "Интерна средба"},
                            main_language="mk")
    for meeting, title in ((hidden, "Тайна среща"), (internal, "Интерна средба")):
        assert client.get(f"/meetings/{meeting.id}").status_code == 404
        page = client.get(f"/meetings/{meeting.id}/registered-already?lang=en")
        assert page.status_code == 200
        text = page.get_data(as_text=True)
        assert title not in text and "2030" not in text
        assert "Please look in your mailbox" in text
    # a public meeting is named, as before
    public = make_meeting(make_series(published=True), status=MeetingStatus.PUBLISHED,
                          title={"bg": "Открита среща"})
    assert "Открита среща" in client.get(
        f"/meetings/{public.id}/registered-already").get_data(as_text=True)


def test_an_invitee_sent_to_the_registered_already_page_still_sees_the_meeting(
        client, app, db, smtp_server):
    """The invitation form of a meeting kept from the public leads there too: whoever used
    that form sees the meeting, a stranger with the number does not."""
    from consult.invitations.models import Invitation

    meeting = make_meeting(make_series(published=False), status=MeetingStatus.PUBLISHED,
                           day="2030-05-04", title={"bg": "Среща по покана"})
    invitation = Invitation(meeting_id=meeting.id, name="Ана", email="ana@example.bg",
                            mail_key="k-ana")
    db.session.add(invitation)
    db.session.commit()
    url = f"/i/{invitation.token}/register"
    fields = {"name": "Ана", "email": "ana@example.bg", "gender": "female", "consent": "y"}
    assert post_form(client, url, fields).status_code == 302
    again = post_form(client, url, fields)
    assert again.headers["Location"].endswith(f"/meetings/{meeting.id}/registered-already")
    assert "Среща по покана" in client.get(again.headers["Location"]).get_data(as_text=True)
    stranger = app.test_client()
    assert "Среща по покана" not in stranger.get(
        f"/meetings/{meeting.id}/registered-already").get_data(as_text=True)


def test_the_directory_and_audiences_filter_only_by_groups_one_manages(client, auth, db):
    """A contact's page shows an organizer only the seats in the groups they manage ("how
    many, never what"); the group filter of the directory, its exports and the invitation
    audience listed the members of any group, an internal one included."""
    from datetime import date

    from tests.factories import make_contact, make_member

    owner = make_user(email="owner@example.mk")
    internal = make_group(managers=[owner], public=False, name={"en": "Closed group"})
    make_member(internal, make_contact("Тајна Членка", email="member@example.mk"),
                starts_on=date(2020, 1, 1))
    make_contact("Друг Контакт", email="other@example.mk")
    intruder = make_user(email="intruder@example.bg")
    meeting = make_meeting(make_series(managers=[intruder]), status=MeetingStatus.PUBLISHED,
                           day="2030-05-04")
    auth.login("intruder@example.bg")
    for url in (f"/manage/directory/?group={internal.id}",
                f"/manage/directory/export.csv?group={internal.id}",
                f"/manage/directory/export.xlsx?group={internal.id}",
                f"/manage/meetings/{meeting.id}/invite?group={internal.id}"):
        response = client.get(url)
        assert response.status_code == 403, url
    # nor is the group offered in the filters
    for url in ("/manage/directory/?lang=en", f"/manage/meetings/{meeting.id}/invite?lang=en"):
        page = client.get(url).get_data(as_text=True)
        assert "Closed group" not in page, url
    # nor can invitations be sent to its members
    token = csrf_token(client, f"/manage/meetings/{meeting.id}/invite")
    assert client.post(f"/manage/meetings/{meeting.id}/invite?group={internal.id}",
                       data={"csrf_token": token}).status_code == 403
    from consult.invitations.models import Invitation

    assert db.session.scalar(sa.select(sa.func.count()).select_from(Invitation)) == 0
    # the group's managers and administrators filter by it as before
    auth.logout()
    auth.login("owner@example.mk")
    page = client.get(f"/manage/directory/?group={internal.id}&lang=en").get_data(as_text=True)
    assert "Тајна Членка" in page and "Друг Контакт" not in page and "Closed group" in page
    make_user("admin", email="admin@example.mk")
    auth.logout()
    auth.login("admin@example.mk")
    csv = client.get(f"/manage/directory/export.csv?group={internal.id}").get_data(
        as_text=True)
    assert "Тајна Членка" in csv and "Друг Контакт" not in csv


def test_every_secondary_or_danger_button_is_a_button_first():
    """``button-secondary`` and ``button-danger`` only restyle ``.button``: alone, they left
    a bare, tiny system button (the personal page's "Send it to …")."""
    import re
    from pathlib import Path

    templates = Path(__file__).parent.parent / "templates"
    found = 0
    for path in templates.rglob("*.html"):
        for classes in re.findall(r'class="([^"]*)"', path.read_text(encoding="utf-8")):
            names = re.sub(r"{%.*?%}", " ", classes).split()
            if {"button-secondary", "button-danger"} & set(names):
                found += 1
                assert "button" in names, (path.name, classes)
    assert found > 20
