"""Meeting and series pages, public and organizer, in Chromium with axe-core."""

from __future__ import annotations

import pytest

from consult.events.models import AgendaItem, Document, DocumentType, MeetingStatus
from tests.browser.conftest import axe_violations, screenshot
from tests.browser.test_pages import sign_in
from tests.factories import PASSWORD, make_meeting, make_series, make_user

pytestmark = pytest.mark.browser


def team2(db, organizer=None):
    series = make_series(
        managers=[organizer] if organizer else [], published=True, slug="team2-2020",
        title={"bg": "Дискусионни срещи по приоритетите на стратегията",
               "en": "Discussion meetings on the strategy's priorities"},
        funder={"en": "European Union", "bg": "Европейски съюз"}, project_code="854854 – TEAM2",
        programme={"bg": "Програма „Права, равенство и гражданство“"},
        implementing_body={"bg": "Секретариат на Националния съвет"},
        disclaimer={"bg": "Съдържанието е отговорност единствено на изпълнителя.",
                    "en": "The content is the sole responsibility of the implementing body."},
        description={"bg": "Преглед на постигнатото по всеки приоритет."},
        timezone="Europe/Sofia",
    )
    meeting = make_meeting(
        series, status=MeetingStatus.PUBLISHED, format="hybrid", venue="Варна",
        region="Североизточен", day="2030-11-04",
        agenda=[AgendaItem(position=1, title={"bg": "Откриване", "en": "Opening"}),
                AgendaItem(position=2, title={"bg": "Дискусия", "en": "Discussion"})],
    )
    db.session.add(Document(meeting_id=meeting.id, type=DocumentType.AGENDA,
                            title="Дневен ред", url="https://example.org/agenda.pdf"))
    db.session.commit()
    make_meeting(series, status=MeetingStatus.HELD, day="2020-11-02", region="Северозападен")
    from consult.events.models import SeriesLogo
    from consult.files import StoredFile
    from tests.events.test_documents import PNG

    db.session.add(SeriesLogo(series_id=series.id, alt_text="Съфинансирано от ЕС", file=StoredFile(
        filename="eu.png", content_type="image/png", size=len(PNG), sha256="0" * 64, data=PNG)))
    db.session.commit()
    return series, meeting


@pytest.mark.parametrize("language", ["bg", "en", "mk", "sq"])
def test_public_meeting_pages_are_accessible(page, live_server, db, language):
    series, meeting = team2(db)
    for name, path in [("meeting", f"/meetings/{meeting.id}"),
                       ("series", f"/series/{series.slug}"),
                       ("meetings", "/meetings/?when=all"), ("home-meetings", "/")]:
        page.goto(f"{live_server}{path}?lang={language}" if "?" not in path
                  else f"{live_server}{path}&lang={language}")
        assert axe_violations(page) == [], f"{name} in {language}"
        screenshot(page, f"{name}-{language}")


def test_organizer_meeting_pages_are_accessible(page, live_server, db):
    organizer = make_user(email="maria@example.bg", locale="bg")
    series, meeting = team2(db, organizer)
    sign_in(page, live_server, "maria@example.bg")
    for name, path in [
        ("manage-series", f"/manage/series/{series.id}/"),
        ("edit-series", f"/manage/series/{series.id}/edit"),
        ("new-series", "/manage/series/new"),
        ("sessions", f"/manage/series/{series.id}/sessions"),
        ("manage-meeting", f"/manage/meetings/{meeting.id}/"),
        ("edit-meeting", f"/manage/meetings/{meeting.id}/edit"),
        ("cancel-meeting", f"/manage/meetings/{meeting.id}/cancel"),
        ("calendar-feed", "/manage/calendar"),
        ("edit-agenda-item", f"/manage/agenda/{meeting.agenda[0].id}/edit"),
    ]:
        page.goto(f"{live_server}{path}")
        assert page.url.endswith(path), path
        assert axe_violations(page) == [], name
        screenshot(page, name)


def test_sessions_form_works_without_javascript_on_a_phone(browser, live_server, db):
    organizer = make_user(email="maria@example.bg", locale="bg")
    series = make_series(managers=[organizer], timezone="Europe/Sofia")
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                  java_script_enabled=False)
    phone = context.new_page()
    try:
        sign_in(phone, live_server, "maria@example.bg")
        phone.goto(f"{live_server}/manage/series/{series.id}/sessions")
        phone.fill("#rows-0-date", "2030-11-02")
        phone.fill("#rows-0-start_time", "10:00")
        phone.fill("#rows-0-end_time", "13:00")
        phone.fill("#rows-0-region", "Северозападен")
        phone.fill("#rows-1-region", "Без дата")
        phone.click("form button.button[type=submit] >> nth=-1")
        phone.wait_for_load_state()
        # the incomplete second row is reported, the first row's input is kept
        assert phone.input_value("#rows-0-region") == "Северозападен"
        assert phone.locator("#rows-1-date-error").is_visible()
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390
        screenshot(phone, "phone-sessions-error")
        phone.fill("#rows-1-region", "")
        phone.click("form button.button[type=submit] >> nth=-1")
        phone.wait_for_load_state()
        assert phone.url.endswith(f"/manage/series/{series.id}/")
        assert "Северозападен" in phone.content()
    finally:
        context.close()


def test_switching_language_on_the_registration_form_keeps_what_was_typed(page, live_server,
                                                                          db):
    _, meeting = team2(db)
    page.goto(f"{live_server}/meetings/{meeting.id}/register?lang=en")
    page.fill("#name", "Ана Петрова")
    page.fill("#email", "ana@example")
    page.fill("#organisation", "Община Варна")
    page.check("#consent")
    page.click(".language-switcher a[hreflang=bg]")
    page.wait_for_load_state()
    assert page.get_attribute("html", "lang") == "bg"
    assert page.input_value("#name") == "Ана Петрова"
    assert page.input_value("#email") == "ana@example"
    assert page.input_value("#organisation") == "Община Варна"
    assert page.is_checked("#consent")
    # nothing was judged or sent: no messages, and the form is still there to send
    assert page.locator(".error-summary, .field-error").count() == 0
    assert axe_violations(page) == []
    screenshot(page, "register-switched-to-bg")


def test_without_javascript_the_form_switches_language_as_typed_too(browser, live_server,
                                                                     db):
    """The header's links would lose what was typed; the form's own buttons keep it, after
    its submit button, so that Enter still registers."""
    _, meeting = team2(db)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{live_server}/meetings/{meeting.id}/register?lang=en")
        page.fill("#name", "Ана Петрова")
        page.fill("#organisation", "Община Варна")
        page.check("#consent")
        page.click(".language-buttons button[lang=sq]")
        page.wait_for_load_state()
        assert page.get_attribute("html", "lang") == "sq"
        assert page.url.endswith("lang=sq")
        assert page.input_value("#name") == "Ана Петрова"
        assert page.input_value("#organisation") == "Община Варна"
        assert page.is_checked("#consent")
        assert page.locator(".error-summary, .field-error").count() == 0
        # (axe needs JavaScript: the buttons are plain buttons named in their language)
        assert page.locator(".language-buttons button[lang=bg]").inner_text() == "Български"
        screenshot(page, "register-switched-to-sq-without-javascript")
        # Enter in a field sends the form itself (its errors, here), not a language button
        page.fill("#email", "ana@example")
        page.press("#email", "Enter")
        page.wait_for_load_state()
        assert page.get_attribute("html", "lang") == "sq"
        assert page.locator("#email-error").count() == 1
    finally:
        context.close()


def test_door_counts_follow_what_the_other_phone_did(browser, live_server, db, meeting_day):
    from playwright.sync_api import expect

    from tests.browser.conftest import PHONE
    from tests.factories import make_attendee

    organizer = make_user(email="maria@example.bg", locale="bg")
    _, meeting = team2(db, organizer)
    make_attendee(meeting, name="Тодор Христов", gender="male", attended=False)
    make_attendee(meeting, name="Надежда Маринова", gender="female", attended=False)
    meeting_day(meeting)
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    first, second = context.new_page(), context.new_page()
    sign_in(first, live_server, "maria@example.bg")
    for door in (first, second):
        door.goto(f"{live_server}/manage/meetings/{meeting.id}/checkin")
        expect(door.locator("[data-count=present]")).to_have_text("0")
    first.fill("#q", "todor")
    expect(first.locator("#results .checkin-row")).to_have_count(1, timeout=15000)
    first.click("#results .checkin-row button")
    expect(first.locator("[data-count=present]")).to_have_text("1", timeout=15000)
    # the tap is said (a live region) and the keyboard stays on that person's row
    expect(first.locator("#checkin-message")).to_contain_text("Тодор Христов", timeout=15000)
    expect(first.locator("#results .checkin-row.is-present button")).to_be_focused()
    # the other phone: its next search brings the list and the counts up to date
    second.fill("#q", "тодор")
    expect(second.locator("#results .checkin-row.is-present")).to_have_count(1, timeout=15000)
    expect(second.locator("[data-count=present]")).to_have_text("1", timeout=15000)
    expect(second.locator("[data-gender=male]")).to_have_text("1")
    # the session ends (signed out elsewhere): a tap takes the phone to the sign-in page,
    # which leads back to the door list, rather than doing nothing
    context.clear_cookies()
    second.fill("#q", "надежда")
    second.wait_for_url(lambda url: "/account/login?next=" in url, timeout=15000)
    assert second.url.endswith(f"next=/manage/meetings/{meeting.id}/checkin")
    second.fill("#email", "maria@example.bg")
    second.fill("#password", PASSWORD)
    second.click("form[action='/account/login'] button[type=submit]")
    second.wait_for_load_state()
    expect(second.locator("#q")).to_be_visible()
    assert second.url.endswith(f"/manage/meetings/{meeting.id}/checkin")
    context.close()


def test_a_tap_on_someone_without_a_seat_opens_their_page_first(browser, live_server, db,
                                                                 meeting_day):
    """With the page's script: a tap before the meeting's day is refused in place; on the
    day, a tap on someone on the waiting list opens their page, which asks, and the yes
    comes back to the list as it was."""
    from playwright.sync_api import expect

    from consult.registrations.models import RegistrationStatus
    from tests.browser.conftest import PHONE
    from tests.factories import make_attendee

    organizer = make_user(email="maria@example.bg", locale="en")
    _, meeting = team2(db, organizer)
    todor = make_attendee(meeting, name="Тодор Христов", gender="male", attended=False)
    todor.status = RegistrationStatus.WAITLISTED
    db.session.commit()
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    door = context.new_page()
    door.set_default_timeout(15000)
    sign_in(door, live_server, "maria@example.bg")
    door.goto(f"{live_server}/manage/meetings/{meeting.id}/checkin")
    door.fill("#q", "todor")
    expect(door.locator("#results .checkin-row .badge")).to_have_text("on the waiting list")
    door.evaluate("window.stillThisPage = true")
    door.click("#results .checkin-row button")
    expect(door.locator("#checkin-message")).to_contain_text(
        "Check-in opens on the day of the meeting")
    assert door.evaluate("window.stillThisPage === true")
    meeting_day(meeting)
    door.click("#results .checkin-row button")
    door.wait_for_url(lambda url: "/manage/checkin/" in url)
    expect(door.locator(".notice[role=alert]")).to_contain_text(
        "This person is on the waiting list.")
    assert axe_violations(door) == []
    screenshot(door, "door-asks-first-phone")
    door.click("main form button[type=submit]")
    door.wait_for_url(lambda url: url.endswith(f"/manage/meetings/{meeting.id}/checkin?q=todor"))
    expect(door.locator("[data-count=present]")).to_have_text("1")
    expect(door.locator("#results .checkin-row.is-present")).to_have_count(1)
    context.close()


def test_the_registrations_list_reads_as_blocks_on_a_phone(phone, live_server, db):
    """At the door or on the way, an organizer reads each person's status and actions
    without scrolling a table sideways; on a desktop it stays a table."""
    from consult.directory.models import Gender
    from consult.registrations import services

    organizer = make_user(email="maria@example.bg", locale="bg")
    _, meeting = team2(db, organizer)
    meeting.capacity = 1
    db.session.commit()
    for name, address in (("Ана Стоянова", "ana@example.bg"),
                          ("Бойко Петров-Славейков", "boyko.petrov-slaveykov@example.bg")):
        services.register(meeting, {"name": name, "email": address, "gender": Gender.FEMALE,
                                    "organisation_name": "Сдружение „Общност и развитие“"})
    db.session.commit()
    sign_in(phone, live_server, "maria@example.bg")
    phone.goto(f"{live_server}/manage/meetings/{meeting.id}/registrations")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    # every cell of every row lies within the phone's width: nothing to scroll to
    right = phone.evaluate("""Math.max(...Array.from(
        document.querySelectorAll('table.stacks td')).map(c => c.getBoundingClientRect().right))""")
    assert right <= 390
    # the waiting list's "Give a seat", within reach
    assert phone.locator("td.row-actions form[action*=confirm] button").is_visible()
    assert axe_violations(phone) == []
    screenshot(phone, "phone-registrations")
    desktop = phone.context.browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        desktop.context.add_cookies(phone.context.cookies())
        desktop.goto(f"{live_server}/manage/meetings/{meeting.id}/registrations")
        assert desktop.evaluate(
            "getComputedStyle(document.querySelector('table.stacks td')).display") == "table-cell"
    finally:
        desktop.close()
