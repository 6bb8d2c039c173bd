"""Every GET page of the URL map in Chromium on a phone: no serious or critical axe-core
violation (WCAG 2.1 A/AA), and nothing wider than the phone's 390 px.

The walk is that of tests/test_access.py: an administrator (who may open every organizer
page) opens every GET route, an anonymous visitor every public one, each address filled
from one world of test data (tests/reports/fixture.py and what it lacks). A new GET route
fails here until ``world_values`` fills its arguments or NOT_PAGES says why it is no
page; a page that starts to redirect fails until REDIRECTS says why. One browser context,
one visit per page: the axe run and the width are taken on the same load.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time

import pytest
import sqlalchemy as sa

from tests.browser.conftest import PHONE, axe_violations, screenshot
from tests.browser.test_pages import sign_in
from tests.factories import (
    make_attendee,
    make_contact,
    make_meeting,
    make_organisation,
    make_user,
)
from tests.test_access import PUBLIC, RULES

pytestmark = pytest.mark.browser

# GET routes that are not HTML pages: checked by the tests of what they give
NOT_PAGES = {
    "static": "stylesheets, scripts and images",
    "core.health": "plain text for the load balancer",
    "events.document": "a document's file",
    "events.series_logo": "a logo image",
    "events.calendar_ics": "iCalendar",
    "events.series_ics": "iCalendar",
    "events.meeting_ics": "iCalendar",
    "events.private_ics": "iCalendar",
    "registrations.calendar": "iCalendar",
    "registrations.certificate": "PDF",
    "registrations.my_data": "JSON",
    "attendance.sign_in_sheet": "PDF",
    "attendance.checkin_counts": "JSON, polled by the door page",
    "invitations.batch_progress": "JSON, polled by the batch page",
    "directory.export_csv": "CSV",
    "directory.export_xlsx": "workbook",
    "registrations_admin.export_csv": "CSV",
    "registrations_admin.export_xlsx": "workbook",
    "reports.export": "PDF, workbook or CSV",
    "reports.funder": "PDF, workbook or CSV",
    "reports.meeting_report": "PDF, workbook or CSV",
    "transparency.record_pdf_file": "PDF",
    "transparency.record_html_file": "an HTML file to download and publish elsewhere",
    "transparency.record_spreadsheet": "workbook or CSV",
}
# (who, endpoint): why that GET answers with a redirect rather than a page
REDIRECTS = {
    ("admin", "auth.login"): "signed in already: to the organizer's home",
    ("admin", "events.add_meeting_document"): "the form is on the meeting's page",
    ("admin", "events.add_series_document"): "the form is on the series' page",
    ("admin", "events.add_series_logo"): "the form is on the series' page",
}
# endpoint: why its page may be wider than a phone (none so far)
WIDE_PAGES: dict[str, str] = {}
# pages outside the URL map that visitors still see
EXTRA_PAGES = [("not-found", "/this-page-does-not-exist", 404)]
SCROLL_WIDTH = "document.documentElement.scrollWidth"
# what organizers paste and people type, at its usual length: nothing here is short on purpose
TEAMS_LINK = ("https://teams.microsoft.com/l/meetup-join/19%3ameeting_NzU1ZjQ0YzItYWI3Ny00ZDk2"
              "LWE0ZTQtOGM2MjZhNzQ5YjQ1%40thread.v2/0?context=%7b%22Tid%22%3a%22c1d2e3f4-5a6b"
              "-7c8d-9e0f-a1b2c3d4e5f6%22%2c%22Oid%22%3a%2211223344-5566-7788-99aa-bbccddeeff00"
              "%22%7d")
LONG_ADDRESS = "nadezhda.marinova@oblastna-administracia-vidin.example.bg"
LONG_ORGANISATION = ("Областна администрация Видин — дирекция „Административен контрол, "
                     "регионално развитие и държавна собственост“")


@dataclass
class Page:
    endpoint: str
    url: str
    name: str  # of its screenshot: the rule and which of its states


def world_values(db):
    """The reports' world (held, online, cancelled and draft meetings, a group, documents),
    and what it lacks: an upcoming online meeting open for registration with a question, a
    participant's and an invitee's personal links, an invitation batch and its mails, a
    failed mail, an import to review, a logo. Returns the value of each URL argument, and
    per endpoint those that differ."""
    from consult.auth.services import make_reset_token
    from consult.directory.models import ImportBatch
    from consult.events.models import (
        AgendaItem,
        Document,
        DocumentType,
        MeetingFormat,
        MeetingStatus,
        SeriesLogo,
    )
    from consult.files import StoredFile
    from consult.groups.models import GroupLead, Membership
    from consult.invitations import services as invitations
    from consult.invitations.models import Invitation
    from consult.mail.models import OutboxMessage, OutboxStatus
    from consult.registrations.models import Question, QuestionKind
    from consult.registrations.services import checkin_token
    from tests.directory.test_import import DATA
    from tests.events.test_documents import PNG
    from tests.reports.fixture import build_world

    world = build_world()
    admin = make_user("admin", email="admin@example.org", name="Мария Георгиева", locale="bg")
    colleague = make_user(email="colleague@example.org", name="Петър Петров", locale="bg")
    series, group, m = world.series, world.group, world.meetings
    upcoming = make_meeting(
        series, day="2030-11-04", status=MeetingStatus.PUBLISHED, format=MeetingFormat.ONLINE,
        online_url=TEAMS_LINK, capacity=30, main_language="bg",
        title={"bg": "Онлайн дискусия за приоритетите на стратегията",
               "en": "Online discussion of the strategy's priorities"},
        agenda=[AgendaItem(position=1, starts_at=time(10, 0), title={"bg": "Откриване"}),
                AgendaItem(position=2, title={"bg": "Дискусия"}, speaker="МТСП")])
    db.session.add_all([
        Question(meeting_id=upcoming.id, position=1, kind=QuestionKind.SINGLE, required=True,
                 label={"bg": "Ще участвате ли в работната група?"},
                 options=[{"bg": "Да"}, {"bg": "Не"}]),
        Document(meeting_id=upcoming.id, type=DocumentType.AGENDA, title="Дневен ред",
                 url="https://example.org/dnevni-red.pdf"),
        SeriesLogo(series_id=series.id, alt_text="Съфинансирано от Европейския съюз",
                   file=StoredFile(filename="eu.png", content_type="image/png", size=len(PNG),
                                   sha256="0" * 64, data=PNG)),
        ImportBatch(filename="bg-stakeholders.csv", data=DATA.read_bytes(),
                    created_by_id=admin.id),
        OutboxMessage(recipient="nobody@example.bg", recipient_name="Никой", subject="Покана",
                      body_text="…", status=OutboxStatus.FAILED, attempts=12,
                      last_error="550 5.1.1 mailbox unavailable"),
    ])
    batch = invitations.create_batch([upcoming], invitations.Audience(types=["ministry"]),
                                     by=admin)
    db.session.commit()
    nadezhda = make_contact("Надежда Маринова-Георгиева", LONG_ADDRESS,
                            organisation=make_organisation(LONG_ORGANISATION))
    registration = make_attendee(upcoming, nadezhda, attended=False)
    invitation = db.session.scalar(sa.select(Invitation).where(
        Invitation.meeting_id == upcoming.id).order_by(Invitation.id).limit(1))

    def first(model, *where):
        return db.session.scalar(sa.select(model.id).where(*where).order_by(model.id).limit(1))

    values = {
        "series_id": series.id, "meeting_id": m["m1"].id, "group_id": group.id,
        "item_id": upcoming.agenda[0].id,
        "document_id": first(Document, Document.meeting_id == m["m1"].id),
        "question_id": first(Question), "registration_id": registration.id,
        "invitation_batch_id": batch.id, "logo_id": first(SeriesLogo),
        "contact_id": world.contacts["ana"].id, "other_id": world.contacts["vera"].id,
        "organisation_id": world.contacts["ana"].organisation_id,
        "batch_id": first(ImportBatch), "lead_id": first(GroupLead),
        "membership_id": first(Membership), "user_id": colleague.id,
        "slug": series.slug, "year": 2020,
    }
    by_endpoint = {
        "groups.group": {"slug": group.slug},
        "transparency.record": {"slug": group.slug},
        "auth.reset_password": {"token": make_reset_token(colleague)},
        "invitations.respond": {"token": invitation.token},
        "invitations.decline": {"token": invitation.token},
        "registrations.register_invited": {"token": invitation.token},
        "invitations.unsubscribe_page": {
            "token": invitations.unsubscribe_token("c", world.contacts["ana"].id)},
        "attendance.checkin_by_code": {"token": checkin_token(registration)},
        "registrations.registered_already": {"meeting_id": upcoming.id},
        "registrations_admin.questions": {"meeting_id": upcoming.id},
        "events.cancel_meeting": {"meeting_id": upcoming.id},  # published ones only
        "events.delete_meeting": {"meeting_id": m["m5"].id},  # drafts only
    }
    for endpoint in ("registrations.manage", "registrations.done", "registrations.edit",
                     "registrations.cancel"):
        by_endpoint[endpoint] = {"token": registration.token}
    # pages worth seeing in more than one state
    variants = {
        "events.meeting": [{"meeting_id": meeting.id} for meeting in (
            m["m1"], m["m2"], m["m4"], m["m6"], upcoming)],
        "registrations.register": [{"meeting_id": m["m1"].id}, {"meeting_id": upcoming.id}],
        "events.manage_meeting": [{"meeting_id": m["m1"].id}, {"meeting_id": upcoming.id}],
        "registrations_admin.registrations": [{"meeting_id": m["m1"].id},
                                              {"meeting_id": upcoming.id},
                                              {"series_id": series.id}],
        "directory.merge_contact": [{"?": "q=Вера"}],
        "events.create_meeting": [{"?": f"series={series.id}"}],
        "reports.dashboard": [{}, {"?": f"group={group.id}&from=2020-01-01&to=2020-12-31"}],
    }
    return values, by_endpoint, variants


def pages_to_visit(rules, values, by_endpoint, variants) -> list[Page]:
    """The address of each GET page, or a failure naming a route nobody filled."""
    pages, unfilled = [], []
    for rule in rules:
        if "GET" not in rule.methods or rule.endpoint in NOT_PAGES:
            continue
        for number, variant in enumerate(variants.get(rule.endpoint, [{}])):
            filled = {**values, **by_endpoint.get(rule.endpoint, {}), **variant}
            missing = set(rule.arguments) - set(filled)
            if missing:
                unfilled.append(f"{rule.rule}: no value for {sorted(missing)}")
                continue
            url = rule.build({name: filled[name] for name in rule.arguments})[1]
            url = f"{url}?{variant['?']}" if "?" in variant else url
            if url not in {visit.url for visit in pages}:  # a variant of the endpoint's other rule
                path = re.sub(r"<(?:\w+:)?(\w+)>", r"\1", rule.rule)
                name = re.sub(r"\W+", "-", path).strip("-") or "home"
                pages.append(Page(rule.endpoint, url, f"{name}-{number}"))
    assert unfilled == [], ("GET routes this walk cannot fill: give their arguments a value "
                            "in world_values(), or list them in NOT_PAGES if they are no page")
    return pages


def check(page, base, who, visit: Page, status: int = 200) -> list[str]:
    """What is wrong with one page: its answer, its axe violations, its width."""
    from playwright.sync_api import Error

    try:
        response = page.goto(f"{base}{visit.url}")
    except Error as error:  # "Download is starting": a file, not a page
        return [f"{who} {visit.url}: {error.message.splitlines()[0]}; list its endpoint in "
                "NOT_PAGES if it is no page"]
    redirected = response.request.redirected_from is not None
    if (who, visit.endpoint) in REDIRECTS:
        return [] if redirected else [f"{who} {visit.url}: no longer redirects; "
                                      "take it out of REDIRECTS"]
    if redirected:
        return [f"{who} {visit.url}: redirected to {page.url}"]
    if response.status != status:
        return [f"{who} {visit.url}: answered {response.status}"]
    if not response.headers.get("content-type", "").startswith("text/html"):
        return [f"{who} {visit.url}: {response.headers.get('content-type')} is no page; "
                "list its endpoint in NOT_PAGES"]
    problems = [f"{who} {visit.url}: {violation}" for violation in axe_violations(page)]
    if twice := page.evaluate(IDS_GIVEN_TWICE):
        problems.append(f"{who} {visit.url}: ids given twice and referred to "
                        f"(only the first is found): {twice}")
    width = page.evaluate(SCROLL_WIDTH)
    if width > PHONE["width"] and visit.endpoint not in WIDE_PAGES:
        wide = page.evaluate(WIDEST_ELEMENTS, PHONE["width"])
        problems.append(f"{who} {visit.url}: {width} px wide on a phone, by {wide}")
    screenshot(page, f"every-page-{who}-{visit.name}")
    return problems


# the outermost elements that stick out past the phone's right edge
WIDEST_ELEMENTS = """width => {
  const name = e => e.tagName.toLowerCase()
    + [...e.classList].map(c => '.' + c).join('');
  return [...document.querySelectorAll('main *, header *, footer *')]
    .filter(e => e.getBoundingClientRect().right > width
            && e.parentElement.getBoundingClientRect().right <= width)
    .slice(0, 3)
    .map(e => name(e.parentElement) + ' > ' + name(e)
              + ' (' + Math.round(e.getBoundingClientRect().right) + ' px)');
}"""
# ids given twice that a label, an ARIA attribute or a link on the page refers to
IDS_GIVEN_TWICE = """(() => {
  const ids = [...document.querySelectorAll('[id]')].map(e => e.id);
  const referred = new Set([
    ...[...document.querySelectorAll('label[for]')].map(label => label.htmlFor),
    ...[...document.querySelectorAll('a[href^="#"]')].map(a => decodeURIComponent(a.hash.slice(1))),
    ...[...document.querySelectorAll('[aria-labelledby], [aria-describedby], [aria-controls]')]
      .flatMap(e => ['aria-labelledby', 'aria-describedby', 'aria-controls']
        .flatMap(name => (e.getAttribute(name) || '').split(/\\s+/))),
  ]);
  return [...new Set(ids.filter((id, i) => ids.indexOf(id) !== i && referred.has(id)))];
})()"""


def test_every_page_is_accessible_and_fits_a_phone(browser, live_server, db):
    values, by_endpoint, variants = world_values(db)
    admin_pages = pages_to_visit(RULES, values, by_endpoint, variants)
    public_pages = [visit for visit in admin_pages if visit.endpoint in PUBLIC]
    assert len(admin_pages) >= 90 and len(public_pages) >= 20
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True,
                                  locale="bg-BG")
    page = context.new_page()
    page.set_default_timeout(15000)
    problems = []
    try:
        for visit in public_pages:
            problems += check(page, live_server, "anonymous", visit)
        for name, url, status in EXTRA_PAGES:
            problems += check(page, live_server, "anonymous", Page(name, url, name), status)
        sign_in(page, live_server, "admin@example.org")
        for visit in admin_pages:
            problems += check(page, live_server, "admin", visit)
    finally:
        context.close()
    assert problems == [], "\n".join(problems)


def test_a_new_route_fails_the_walk_until_it_is_filled():
    """The walk cannot skip what it does not know."""
    from werkzeug.routing import Map, Rule

    unknown = Rule("/manage/widgets/<int:widget_id>", endpoint="widgets.edit",
                   methods=["GET"])
    Map([unknown])  # binds the rule, as the application's map does
    with pytest.raises(AssertionError, match="cannot fill"):
        pages_to_visit([unknown], {}, {}, {})
    [page] = pages_to_visit([unknown], {"widget_id": 3}, {}, {})
    assert page.url == "/manage/widgets/3"
