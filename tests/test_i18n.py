"""Every user-facing string is translated, and the language is chosen in the documented order."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from tests.conftest import post_form
from tests.factories import make_user

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ["bg", "mk", "sq"]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None,
            "lazy_ngettext": (1, 2), "pgettext": ((1, "c"), 2),
            "lazy_pgettext": ((1, "c"), 2),
            "_l": None}


def source_messages() -> set[tuple[str, str | None]]:
    """Extract msgids from the code and templates now, as `make messages` would."""
    method_map = [
        ("consult/**.py", "python"),
        ("templates/**.html", "jinja2"),
        ("templates/**.txt", "jinja2"),
    ]
    ids = set()
    for _filename, _lineno, message, _comments, context in extract_from_dir(
        str(ROOT), method_map=method_map, keywords=KEYWORDS
    ):
        ids.add((message if isinstance(message, str) else message[0], context))
    return ids


@pytest.fixture(scope="module")
def messages():
    return source_messages()


def test_source_has_messages(messages):
    assert ("Sign in", None) in messages
    assert ("Name", "person") in messages
    assert len(messages) > 50


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalog_translates_every_message(language, messages):
    with open(ROOT / "translations" / language / "LC_MESSAGES" / "messages.po", "rb") as f:
        catalog = read_po(f)
    def translated(key):
        msgid, context = key
        entry = catalog.get(msgid, context=context)
        string = entry.string if entry is not None else ""
        return all(string) if isinstance(string, tuple) else bool(string)

    missing = sorted(m for m in messages if not translated(m))
    fuzzy = sorted(m.id for m in catalog if m.id and m.fuzzy)
    assert missing == [], f"untranslated in {language} (run `make messages`, then translate)"
    assert fuzzy == [], f"fuzzy in {language}"
    for message in catalog:
        if not message.id:
            continue
        for placeholder in ("%(name)s", "%(email)s", "%(n)s", "%(code)s", "%(page)s"):
            if placeholder in message.id:
                assert placeholder in message.string, (language, message.id)


@pytest.mark.parametrize(
    ("language", "sign_in"), [("en", "Sign in"), ("bg", "Вход"), ("mk", "Најави се")]
)
def test_login_page_in_each_language(client, language, sign_in):
    page = client.get(f"/account/login?lang={language}").get_data(as_text=True)
    assert f'<html lang="{language}">' in page
    assert sign_in in page


def test_accept_language_is_used_without_other_choice(client):
    page = client.get("/account/login", headers={"Accept-Language": "mk,en;q=0.5"})
    assert '<html lang="mk">' in page.get_data(as_text=True)


def test_switcher_links_remember_the_choice_for_the_session(client):
    page = client.get("/meetings/?when=past").get_data(as_text=True)
    assert 'href="/meetings/?when=past&amp;lang=sq"' in page
    client.get("/meetings/?when=past&lang=sq")
    assert '<html lang="sq">' in client.get("/").get_data(as_text=True)
    # an explicit ?lang= wins over the session's choice, and is kept from then on
    assert '<html lang="bg">' in client.get("/?lang=bg").get_data(as_text=True)
    assert '<html lang="bg">' in client.get("/accessibility").get_data(as_text=True)


def test_language_form_works_for_visitors_too(client):
    response = post_form(client, "/language", {"lang": "sq", "next": "/account/login"},
                         form_page="/account/login")
    assert response.headers["Location"] == "/account/login"
    assert '<html lang="sq">' in client.get("/").get_data(as_text=True)


def test_users_setting_wins_and_the_switcher_updates_it(client, auth, db):
    user = make_user(email="ivana@example.mk", locale="mk")
    auth.login("ivana@example.mk")
    page = client.get("/manage/?lang=en", headers={"Accept-Language": "bg"})
    assert '<html lang="mk">' in page.get_data(as_text=True)
    post_form(client, "/language", {"lang": "sq"}, form_page="/manage/")
    db.session.refresh(user)
    assert user.locale == "sq"
    assert '<html lang="sq">' in client.get("/manage/").get_data(as_text=True)


def test_unknown_language_is_ignored(client):
    page = client.get("/?lang=xx", headers={"Accept-Language": "en"})
    assert '<html lang="en">' in page.get_data(as_text=True)


@pytest.mark.parametrize("language", ["bg", "mk", "sq"])
def test_error_pages_are_translated(client, language):
    english = client.get("/no-such-page?lang=en").get_data(as_text=True)
    response = client.get(f"/no-such-page?lang={language}")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "Page not found" in english
    assert "Page not found" not in page
    assert f'<html lang="{language}">' in page


def test_403_page_is_translated(client, auth):
    make_user(email="org@example.bg", locale="bg")
    auth.login("org@example.bg")
    response = client.get("/manage/outbox/")
    assert response.status_code == 403
    assert "You may not open this page" not in response.get_data(as_text=True)


def test_form_library_messages_come_from_our_catalogs(client, auth):
    make_user(email="ivana@example.mk", locale="mk")
    auth.login("ivana@example.mk")
    response = post_form(client, "/account/", {"name": "Ивана", "locale": "xx"})
    page = response.get_data(as_text=True)
    assert 'id="locale-error"' in page
    assert "Not a valid choice." not in page


def test_500_page_is_translated_and_hides_details(app, client):
    @app.route("/boom")
    def boom():
        raise RuntimeError("secret detail")

    app.view_functions["boom"].is_public = True
    response = client.get("/boom?lang=bg")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "secret detail" not in page
    assert "Something went wrong on our side" not in page
    assert '<html lang="bg">' in page


def test_personal_links_open_in_the_persons_language(client, db):
    """A participant who registered in Bulgarian opens their link in a browser that asks
    for English: the page is in Bulgarian, unless they pick another language."""
    from consult.events.models import MeetingStatus
    from consult.invitations.models import Invitation
    from consult.registrations.models import Registration
    from tests.factories import make_attendee, make_meeting, make_series

    meeting = make_meeting(make_series(), day="2030-11-02", status=MeetingStatus.PUBLISHED)
    registration = make_attendee(meeting, name="Ана Петрова", email="ana@example.bg",
                                 attended=False)
    db.session.get(Registration, registration.id).locale = "bg"
    db.session.add(Invitation(meeting_id=meeting.id, email="ilir@example.al", name="Ilir",
                              locale="sq", mail_key="k-sq", token="t" * 43))
    db.session.commit()
    english = {"Accept-Language": "en"}
    for path, language in ((f"/r/{registration.token}", "bg"),
                           (f"/r/{registration.token}/edit", "bg"), (f"/i/{'t' * 43}", "sq")):
        page = client.get(path, headers=english).get_data(as_text=True)
        assert f'<html lang="{language}">' in page, path
    # the visitor's own choice wins
    page = client.get(f"/r/{registration.token}?lang=en", headers=english)
    assert '<html lang="en">' in page.get_data(as_text=True)
    # and other pages follow the browser as before
    assert '<html lang="en">' in client.get("/meetings/", headers=english).get_data(
        as_text=True)


@pytest.mark.parametrize("language, woman, man, unsaid", [
    ("bg", "Уважаема Ана,", "Уважаеми Ана,", "Уважаеми/а Ана,"),
    ("mk", "Почитувана Ана,", "Почитуван Ана,", "Почитуван/а Ана,"),
    ("sq", "E nderuar Ana,", "I nderuar Ana,", "I/E nderuar Ana,"),
    ("en", "Dear Ana,", "Dear Ana,", "Dear Ana,"),
])
def test_mail_greetings_follow_the_persons_gender(app, language, woman, man, unsaid):
    from flask_babel import force_locale

    from consult.directory.models import Gender
    from consult.i18n import greeting

    name = "Ana" if language in ("sq", "en") else "Ана"
    with app.test_request_context(), force_locale(language):
        assert greeting(name, Gender.FEMALE) == woman
        assert greeting(name, "male") == man
        assert greeting(name, Gender.UNDISCLOSED) == greeting(name, Gender.OTHER) == unsaid
        assert greeting(name) == unsaid


@pytest.mark.parametrize("language", ["bg", "mk", "sq", "en"])
def test_a_long_date_ending_a_sentence_gets_one_full_stop(app, language):
    """A Bulgarian or Macedonian long date ends in "г.": the sentence adds no second stop."""
    from datetime import date

    from flask_babel import force_locale, format_date, gettext

    with app.test_request_context(), force_locale(language):
        day = format_date(date(2020, 6, 30), "long")
        sentences = [
            gettext("The membership of %(name)s ends on %(day)s.", name="Ана", day=day),
            gettext("The term of %(name)s ends on %(day)s.", name="ЗМК", day=day),
            gettext("The institution is added; the previous term ends on %(day)s.", day=day),
        ]
    for sentence in sentences:
        assert sentence.endswith(day.rstrip(".") + ".") and ".." not in sentence, sentence
