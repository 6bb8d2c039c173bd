"""Walk the whole URL map: every route is public on purpose or closed to anonymous users,
viewers change nothing, admin pages refuse organizers, every POST needs its CSRF token.

A new route fails here until it is classified: add it to PUBLIC if anyone may open it.
"""

from __future__ import annotations

import re

import pytest

from consult import create_app
from tests.conftest import csrf_token
from tests.factories import make_group, make_series, make_user

# every endpoint reachable without signing in, and why
PUBLIC = {
    "static": "stylesheets and images",
    "events.index": "the public home page",
    "auth.login": "signing in",
    "auth.forgot_password": "asking for a password link",
    "auth.reset_password": "using a password link",
    "core.set_language": "choosing the interface language",
    "core.health": "load balancer health check",
    "core.accessibility": "the accessibility statement",
    "events.meetings": "public list of meetings",
    "events.meeting": "public meeting page (drafts only for managers)",
    "events.series": "public series page (unpublished only for managers)",
    "events.document": "public documents (internal ones only for managers)",
    "events.series_logo": "logos shown on public pages",
    "events.meeting_ics": "calendar file of a meeting",
    "events.series_ics": "subscribable calendar of a series",
    "events.calendar_ics": "calendar of all public meetings",
    "events.private_ics": "organizer feed, protected by its secret token",
    "invitations.respond": "an invitation, opened through its personal link",
    "invitations.decline": "declining an invitation through its personal link",
    "invitations.unsubscribe_page": "unsubscribing through the signed link in a mail",
    "registrations.register": "the public registration form",
    "registrations.register_invited": "registering through a personal invitation link",
    "registrations.done": "the page after registering, by the registration's personal token",
    "registrations.registered_already": "after registering an address registered already: "
                                        "names neither the person nor their link",
    "registrations.manage": "a participant's own registration, by its personal token",
    "registrations.cancel": "cancelling one's own registration, by its personal token",
    "registrations.calendar": "a participant's calendar invitation, by its personal token",
    "registrations.certificate": "a participant's certificate, by its personal token",
    "registrations.register_series": "the public form for several meetings of a series",
    "registrations.edit": "a participant changes their details, by their personal token",
    "registrations.my_data": "a participant downloads their data, by their personal token",
    "registrations.send_my_data": "a participant has everything held about their address "
                                  "mailed to that address, by their personal token",
    # --- groups: public pages of working groups (add entries below this line)
    "groups.group": "public page of a working group (internal groups only for managers)",
    # --- transparency: the public record (add entries below this line)
    "transparency.record": "a public working group's transparency record for a year",
    "transparency.record_pdf_file": "the same record as a PDF document",
    "transparency.record_html_file": "the same record as an HTML document",
    "transparency.record_spreadsheet": "the same record's tables as a workbook or CSV",
    # --- reports: (add public entries below this line, if any)
}
# state-changing endpoints without a CSRF token, and what protects them instead
CSRF_EXEMPT = {
    "invitations.unsubscribe_page": "RFC 8058 one-click unsubscribe: mail programs POST "
                                    "without a form; the signed token in the address is the key",
}
# endpoints only administrators may use
ADMIN_ONLY = {
    "mail.outbox", "mail.retry_message", "auth.users", "auth.create_user", "auth.edit_user"
}
# endpoints a viewer may POST to: their own session and account
VIEWER_MAY_POST = {"auth.logout", "auth.account", "core.set_language",
                   "events.manage_calendar"}  # their own calendar address

SAMPLE_VALUES = {
    "token": "sometoken", "message_id": 1, "user_id": 1, "filename": "css/consult.css",
    "slug": "some-series", "logo_id": 1, "contact_id": 1, "batch_id": 1, "action": "pause",
    "invitation_batch_id": 1, "organisation_id": 1, "other_id": 2,
    "lead_id": 1, "membership_id": 1,
}
# endpoints for administrators and organizers only, GET included: personal data of the
# stakeholder directory (a viewer, e.g. a journalist, gets 403 on every one)
ORGANIZERS_ONLY_PREFIXES = ("directory.",)


def url_for_rule(rule) -> str:
    url = rule.rule
    for argument in rule.arguments:
        choices = re.search(rf"<any\(([^)]*)\):{argument}>", url)
        value = choices.group(1).split(",")[0].strip() if choices else \
            SAMPLE_VALUES.get(argument, 1)
        url = re.sub(rf"<(?:[^<>]+:)?{argument}>", str(value), url)
    return url


def all_rules():
    app = create_app("testing")
    return sorted(app.url_map.iter_rules(), key=lambda r: r.rule)


RULES = all_rules()


def test_every_endpoint_is_classified():
    endpoints = {rule.endpoint for rule in RULES}
    unknown_public = set(PUBLIC) - endpoints
    assert unknown_public == set(), "PUBLIC lists endpoints that no longer exist"


def test_public_marks_match_the_allowlist(app):
    marked = {
        endpoint
        for endpoint, view in app.view_functions.items()
        if getattr(view, "is_public", False)
    } | {"static"}
    assert marked == set(PUBLIC), "a view was marked @public without being listed here"


@pytest.mark.parametrize("rule", [r for r in RULES if r.endpoint not in PUBLIC], ids=str)
def test_anonymous_users_are_sent_to_login(client, rule):
    url = url_for_rule(rule)
    for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
        response = client.open(url, method=method)
        assert response.status_code == 302, (method, url)
        assert response.headers["Location"].startswith("/account/login"), (method, url)


@pytest.mark.parametrize(
    "rule",
    [r for r in RULES if r.methods & {"POST", "PUT", "PATCH", "DELETE"}
     and r.endpoint not in VIEWER_MAY_POST],
    ids=str,
)
def test_viewers_cannot_change_anything(client, auth, rule):
    make_user("viewer", email="viewer@example.org")
    auth.login("viewer@example.org")
    token = csrf_token(client, "/manage/")
    url = url_for_rule(rule)
    for method in sorted(rule.methods & {"POST", "PUT", "PATCH", "DELETE"}):
        response = client.open(url, method=method, data={"csrf_token": token})
        if rule.endpoint in PUBLIC:
            assert response.status_code in {200, 302, 400, 404, 405}, (method, url)
        else:
            assert response.status_code == 403, (method, url)


@pytest.mark.parametrize(
    "rule", [r for r in RULES if r.endpoint.startswith(ORGANIZERS_ONLY_PREFIXES)], ids=str
)
def test_viewers_cannot_even_read_the_directory(client, auth, db, rule):
    from tests.factories import make_contact, make_organisation

    make_contact(organisation=make_organisation())
    make_contact()
    make_user("viewer", email="viewer@example.org")
    auth.login("viewer@example.org")
    token = csrf_token(client, "/manage/")
    url = url_for_rule(rule)
    for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
        response = client.open(url, method=method, data={"csrf_token": token})
        assert response.status_code == 403, (method, url)


def test_organizers_use_the_directory(client, auth, db):
    from tests.factories import make_contact, make_organisation

    make_contact(organisation=make_organisation())
    make_contact()
    make_user("organizer", email="org@example.org")
    auth.login("org@example.org")
    checked = 0
    for rule in RULES:
        if not rule.endpoint.startswith(ORGANIZERS_ONLY_PREFIXES) or "GET" not in rule.methods:
            continue
        if "batch_id" in rule.arguments:
            continue  # someone's upload: tested in tests/directory/test_import.py
        response = client.get(url_for_rule(rule))
        assert response.status_code == 200, rule.rule
        checked += 1
    assert checked >= 10


@pytest.mark.parametrize("endpoint", sorted(ADMIN_ONLY))
def test_organizers_cannot_use_admin_pages(client, auth, endpoint):
    make_user("organizer", email="org@example.org")
    auth.login("org@example.org")
    [rule] = [r for r in RULES if r.endpoint == endpoint]
    token = csrf_token(client, "/manage/")
    for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
        response = client.open(url_for_rule(rule), method=method, data={"csrf_token": token})
        assert response.status_code == 403, method


@pytest.mark.parametrize(
    "rule", [r for r in RULES if r.methods & {"POST", "PUT", "PATCH", "DELETE"}
             and r.endpoint not in CSRF_EXEMPT], ids=str
)
def test_every_state_changing_route_needs_a_csrf_token(client, auth, rule):
    make_user("admin", email="admin@example.org")
    auth.login("admin@example.org")
    url = url_for_rule(rule)
    for method in sorted(rule.methods & {"POST", "PUT", "PATCH", "DELETE"}):
        response = client.open(url, method=method, data={})
        assert response.status_code == 400, (method, url)


OWNED_ARGUMENTS = {"series_id", "meeting_id", "item_id", "document_id", "logo_id",
                   "invitation_batch_id", "registration_id", "group_id"}


def test_organizers_get_403_on_another_organizers_series(client, auth, db):
    """Every organizer route that takes a series, meeting, agenda item or document of a series
    someone else manages answers 403, for GET and POST alike."""
    from consult.events.models import AgendaItem, Document, DocumentType, Meeting, SeriesLogo
    from consult.files import StoredFile
    from tests.factories import make_meeting

    owner = make_user(email="owner@example.org")
    series = make_series(managers=[owner])
    meeting = make_meeting(series)
    item = AgendaItem(meeting_id=meeting.id, position=1, title={"en": "Opening"})
    document = Document(meeting_id=meeting.id, type=DocumentType.AGENDA, title="Agenda",
                        url="https://example.org/a.pdf")
    logo = SeriesLogo(series_id=series.id, alt_text="EU", file=StoredFile(
        filename="eu.png", content_type="image/png", size=8, sha256="0" * 64,
        data=b"\x89PNG\r\n\x1a\n"))
    from consult.invitations.models import InvitationBatch
    from consult.registrations.models import Registration

    batch = InvitationBatch(series_id=series.id, meeting_ids=[meeting.id], total=0)
    registration = Registration(meeting_id=meeting.id, name="Ана", email="ana@example.bg")
    db.session.add_all([item, document, logo, batch, registration])
    db.session.commit()
    ids = {"series_id": series.id, "meeting_id": meeting.id, "item_id": item.id,
           "document_id": document.id, "logo_id": logo.id, "invitation_batch_id": batch.id,
           "registration_id": registration.id,
           "group_id": make_group(managers=[owner]).id,
           "action": "pause"}
    make_user(email="intruder@example.org")
    auth.login("intruder@example.org")
    token = csrf_token(client, "/manage/")
    checked = 0
    for rule in RULES:
        if rule.endpoint in PUBLIC or not (set(rule.arguments) & OWNED_ARGUMENTS):
            continue
        url = rule.rule
        for argument in rule.arguments:
            choices = re.search(rf"<any\(([^)]*)\):{argument}>", url)
            value = choices.group(1).split(",")[0].strip() if choices else ids[argument]
            url = re.sub(rf"<(?:[^<>]+:)?{argument}>", str(value), url)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method, data={"csrf_token": token})
            assert response.status_code == 403, (method, url)
            checked += 1
    for url in (f"/manage/meetings/new?series={series.id}",):
        assert client.get(url).status_code == 403
    assert checked >= 15
    assert db.session.get(Meeting, meeting.id).status.value == "draft"


def test_organizer_home_shows_only_what_they_manage(client, auth):
    maria = make_user(email="maria@example.bg")
    other = make_user(email="other@example.bg")
    make_series(managers=[maria], title={"en": "TEAM2 meetings"})
    make_series(managers=[other], title={"en": "Someone else's series"})
    make_group(managers=[other], name={"en": "Other group"})
    auth.login("maria@example.bg")
    page = client.get("/manage/?lang=en").get_data(as_text=True)
    assert "TEAM2 meetings" in page
    assert "Someone else&#39;s series" not in page and "Someone else's series" not in page
    assert "Other group" not in page


def test_security_headers_on_every_page(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_output_is_escaped(client, auth):
    make_user(email="xss@example.org", name="<script>alert(1)</script>")
    auth.login("xss@example.org")
    page = client.get("/manage/").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_csrf_exempt_routes_refuse_without_their_signed_token(client):
    """The one-click unsubscribe needs no form token, but a forged link changes nothing."""
    assert set(CSRF_EXEMPT) <= set(PUBLIC)
    response = client.post("/unsubscribe/WyJjIiwxXQ.forged", data={
        "List-Unsubscribe": "One-Click"})
    assert response.status_code == 404
