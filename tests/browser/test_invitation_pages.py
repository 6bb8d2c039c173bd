"""The main journey in Chromium: the organizer creates a meeting and invites three contacts;
a participant opens the link from the mail (read from the SMTP server) on a phone and
registers in Bulgarian; the organizer checks them in on a phone; the meeting's figures and
the series' participation report show them by gender. axe-core on every page; a screenshot
of every step."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from consult.directory.models import Contact, Gender, Organisation, StakeholderType
from consult.mail.worker import deliver_pending
from consult.registrations.models import Registration, RegistrationStatus
from tests.browser.conftest import PHONE, axe_violations, screenshot
from tests.browser.test_pages import sign_in
from tests.factories import make_series, make_user

pytestmark = pytest.mark.browser


def directory(db):
    municipality = db.session.scalar(sa.select(StakeholderType).where(
        StakeholderType.code == "municipality"))
    vidin = Organisation(name="Община Видин", stakeholder_type_id=municipality.id,
                         region="Северозападен")
    people = [
        Contact(name="Тодор Иванов", email="todor@vidin.example.bg", language="bg",
                gender=Gender.MALE, region="Северозападен", organisation=vidin),
        Contact(name="Надежда Маринова", email="nadezhda@vidin.example.bg", language="bg",
                gender=Gender.FEMALE, region="Северозападен", organisation=vidin),
        Contact(name="Emil Hoxha", email="emil@example.org", language="en",
                region="Северозападен", organisation=vidin),
    ]
    for person in people:
        person.refresh_search()
    db.session.add_all([vidin, *people])
    db.session.commit()


def check(page, name):
    assert axe_violations(page) == [], name
    screenshot(page, name)


def test_main_journey(browser, page, live_server, db, smtp_server, meeting_day):
    organizer = make_user(email="maria@example.bg", locale="en")
    series = make_series(managers=[organizer], published=True, funder={"en": "European Commission"},
                         disclaimer={"bg": "Финансира се от Европейския съюз."})
    directory(db)
    page.set_default_timeout(15000)
    sign_in(page, live_server, "maria@example.bg")

    # 1. a new meeting, published
    page.goto(f"{live_server}/manage/meetings/new?series={series.id}")
    page.fill("#title_bg", "Регионална среща — Видин")
    page.fill("#date", "2027-03-02")
    page.fill("#start_time", "10:00")
    page.fill("#end_time", "13:00")
    page.fill("#venue", "Областна администрация Видин")
    page.fill("#capacity", "20")
    check(page, "journey-1-new-meeting")
    page.click("main form button[type=submit] >> nth=-1")
    page.wait_for_load_state()
    meeting_id = int(re.search(r"/manage/meetings/(\d+)/", page.url).group(1))
    page.click("form[action$='/publish'] button")
    page.wait_for_load_state()
    check(page, "journey-2-meeting-published")

    # 2. the audience: the three contacts of the municipality, previewed in Bulgarian
    page.goto(f"{live_server}/manage/meetings/{meeting_id}/invite?type=municipality"
              "&preview=bg")
    assert "3 recipients" in page.content()
    assert "Покана: Регионална среща — Видин" in page.content()
    check(page, "journey-3-invite")
    page.click("#send-heading ~ form button[type=submit]")
    page.wait_for_load_state()
    assert f"/manage/meetings/{meeting_id}/invitations" in page.url
    deliver_pending()
    # the page's script shows the progress without a reload
    expect(page.locator("[data-count=sent]").first).to_have_text("3", timeout=15000)
    check(page, "journey-4-sent")

    # 3. the participant opens the mail's link on a phone, no JavaScript, in Bulgarian
    [mail] = smtp_server.to("todor@vidin.example.bg")
    assert mail["Subject"] == "Покана: Регионална среща — Видин"
    link = re.search(r"https?://\S+/i/[\w-]+", mail.get_body(("plain",)).get_content()).group(0)
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True,
                                  locale="bg-BG", java_script_enabled=False)
    phone = context.new_page()
    phone.set_default_timeout(15000)
    phone.goto(link)
    screenshot(phone, "journey-5-invitation-phone")
    phone.click("a.button >> nth=0")
    phone.wait_for_load_state()
    assert phone.locator("html").get_attribute("lang") == "bg"
    assert phone.input_value("#email") == "todor@vidin.example.bg"  # prefilled
    assert phone.input_value("#organisation") == "Община Видин"
    phone.check("#consent")
    phone.click("main form button[type=submit]")
    phone.wait_for_load_state()
    assert "/done" in phone.url
    screenshot(phone, "journey-6-registered-phone")
    context.close()
    registration = db.session.scalar(sa.select(Registration))
    assert registration.status is RegistrationStatus.CONFIRMED and registration.locale == "bg"
    # the same pages with scripts on, for axe
    for name, path in [("journey-invitation", link.split("/i/", 1)[1]),
                       ("journey-manage-link", None)]:
        url = f"{live_server}/i/{path}" if path else f"{live_server}/r/{registration.token}"
        page.goto(url + "?lang=bg")
        assert axe_violations(page) == [], name

    # 4. at the door, on the meeting's day, on a phone: typed in Latin, found in Cyrillic,
    # one tap
    from consult.events.models import Meeting

    meeting_day(db.session.get(Meeting, meeting_id))
    door = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True,
                               locale="bg-BG")
    organizer_phone = door.new_page()
    organizer_phone.set_default_timeout(15000)
    sign_in(organizer_phone, live_server, "maria@example.bg")
    organizer_phone.goto(f"{live_server}/manage/meetings/{meeting_id}/checkin")
    organizer_phone.fill("#q", "todor")
    expect(organizer_phone.locator("#results .checkin-row")).to_have_count(1, timeout=15000)
    # the tap is answered in place: a page load would drop this mark and the typed search
    organizer_phone.evaluate("window.stillThisPage = true")
    organizer_phone.click("#results .checkin-row button")
    expect(organizer_phone.locator("[data-count=present]")).to_have_text("1", timeout=15000)
    expect(organizer_phone.locator("#results .checkin-row.is-present")).to_have_count(1)
    assert organizer_phone.evaluate("window.stillThisPage === true")
    assert organizer_phone.input_value("#q") == "todor"
    check(organizer_phone, "journey-7-checked-in-phone")
    door.close()

    # 5. the figures by gender
    page.goto(f"{live_server}/manage/meetings/{meeting_id}/")
    table = page.locator("table", has_text="Invited → registered → attended, by gender")
    attended = table.locator("tr", has_text="attended").inner_text().split()
    assert attended[1:] == ["0", "1", "0", "0", "1"]  # women, men, other, undisclosed, total
    check(page, "journey-8-figures")

    # 6. the participation report of the series, by gender
    page.goto(f"{live_server}/manage/reports/?series={series.id}")
    by_gender = page.locator("section[aria-labelledby=gender-heading] table")
    cells = {row.locator("th, td").first.inner_text().strip():
             [c.strip() for c in row.locator("td").all_inner_texts()]
             for row in by_gender.locator("tbody tr, tfoot tr").all()}
    # attended, without registration, total
    assert cells["man"][-3:] == ["1", "0", "1"] and cells["woman"][-3:] == ["0", "0", "0"]
    check(page, "journey-9-report")
