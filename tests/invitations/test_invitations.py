"""Invitations end to end: the Bulgarian directory imported, one region's municipalities and
NGOs invited, the mails read from the SMTP server, answered through the personal links."""

from __future__ import annotations

import email
import email.policy
import re
from email.header import decode_header, make_header
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
import vobject

from consult.directory.models import Contact, Organisation
from consult.events.models import MeetingStatus, RegistrationMode
from consult.invitations import services
from consult.invitations.models import Invitation, InvitationBatch, Response
from consult.mail.models import OutboxMessage, OutboxStatus
from consult.mail.worker import deliver_pending
from consult.registrations.models import Registration, RegistrationStatus
from tests.conftest import csrf_token, post_form
from tests.directory.test_import import DATA, confirm, upload
from tests.factories import PASSWORD, make_meeting, make_series, make_user

NORTH_WEST = "Северозападен"
AUDIENCE = {"type": ["municipality", "civil_society"], "region": NORTH_WEST}


def team2_session(manager, **fields):
    series = make_series(
        managers=[manager], published=True, slug="team2", timezone="Europe/Sofia",
        title={"bg": "Дискусионни срещи по стратегията", "en": "Strategy discussions"},
        funder={"bg": "Европейска комисия"}, project_code="TEAM2-2020",
        disclaimer={"bg": "Тази среща се финансира от Европейския съюз.",
                    "en": "This meeting is funded by the European Union."},
        mail_from_name="Национално звено за контакт", reply_to="team2@example.bg",
    )
    meeting = make_meeting(
        series, day="2027-03-02", start="10:00", end="13:00", status=MeetingStatus.PUBLISHED,
        title={"bg": "Регионална среща — Видин", "en": "Regional meeting — Vidin"},
        venue="Областна администрация", address="пл. Бдинци 1, Видин", region=NORTH_WEST,
        **fields)
    return series, meeting


@pytest.fixture
def organizer(auth, db):
    user = make_user(email="maria@example.bg", name="Мария Петрова")
    auth.login("maria@example.bg")
    return user


def import_directory(client):
    review = upload(client, DATA.read_bytes(), "bg-stakeholders.csv")
    assert confirm(client, review).status_code == 302


def invite_url(meeting, **extra):
    from urllib.parse import urlencode

    return f"/manage/meetings/{meeting.id}/invite?" + urlencode({**AUDIENCE, **extra},
                                                                doseq=True)


def expected_audience(db) -> list[Contact]:
    return db.session.scalars(services.contact_audience_query(services.Audience(
        types=AUDIENCE["type"], region=NORTH_WEST))).all()


def send(client, meeting, **extra):
    url = invite_url(meeting, **extra)
    return post_form(client, url, {}, form_page=url)


def personal_link(message) -> str:
    text = message.get_body(("plain",)).get_content()
    return re.search(r"https?://\S+/i/[\w-]+", text).group(0)


def test_the_region_is_invited_in_bulgarian_with_a_calendar(client, organizer, db,
                                                            smtp_server):
    _series, meeting = team2_session(organizer)
    import_directory(client)
    audience = expected_audience(db)
    assert len(audience) == 30  # 17 municipalities and 13 NGOs of the North-West

    page = client.get(invite_url(meeting)).get_data(as_text=True)
    assert "30 recipients" in page or "30 получатели" in page
    response = send(client, meeting)
    assert response.status_code == 302
    batch = db.session.scalar(sa.select(InvitationBatch))
    assert batch.total == 30
    # when it went, as the series' people read the time (Sofia, in November UTC+2)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "(UTC+02:00)" in page and "UTC'" not in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Invitation)) == 30

    stats = deliver_pending()
    assert stats.sent == 30 and stats.failed == 0
    assert len(smtp_server.messages) == 30
    assert {m["To"].addresses[0].addr_spec for m in smtp_server.messages} == {
        c.email for c in audience}

    message = smtp_server.to(audience[0].email)[0]
    assert message["Subject"] == "Покана: Регионална среща — Видин"
    # decoded as RFC 2047 says (whitespace between encoded words ignored), as mail clients
    # do; the stdlib's address parser puts a space where a long name was split into words
    [raw] = [e.content for e in smtp_server.handler.envelopes
             if audience[0].email in e.rcpt_tos]
    raw_from = email.message_from_bytes(raw, policy=email.policy.compat32)["From"]
    decoded = str(make_header(decode_header(raw_from)))
    assert decoded.startswith("Национално звено за контакт <")
    assert message["Reply-To"] == "team2@example.bg"
    unsubscribe = message["List-Unsubscribe"]
    assert unsubscribe.startswith("<http") and "/unsubscribe/" in unsubscribe
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert audience[0].name in text
    assert "2 март 2027" in text  # the local date, in Bulgarian
    assert "10:00" in text
    assert "пл. Бдинци 1, Видин" in text
    assert "Европейска комисия" in text and "TEAM2-2020" in text
    assert "Тази среща се финансира от Европейския съюз." in text
    assert "Тази среща се финансира от Европейския съюз." in html
    link = personal_link(message)
    assert link in html
    # each is greeted as Bulgarian addresses a woman, a man, or someone who did not say
    salutations = {"female": "Уважаема", "male": "Уважаеми"}
    for contact in audience:
        [mail] = smtp_server.to(contact.email)
        expected = f"{salutations.get(contact.gender.value, 'Уважаеми/а')} {contact.name},"
        assert mail.get_body(("plain",)).get_content().startswith(expected), contact.email
    assert {c.gender.value for c in audience} >= {"female", "male", "undisclosed"}
    tokens = {re.search(r"/i/([\w-]+)", personal_link(m)).group(1)
              for m in smtp_server.messages}
    assert len(tokens) == 30 and all(len(t) >= 43 for t in tokens)  # 256 random bits each

    [calendar_part] = [part for part in message.iter_attachments()
                       if part.get_content_type() == "text/calendar"]
    calendar = vobject.readOne(calendar_part.get_content())
    assert calendar.method.value == "PUBLISH"
    event = calendar.vevent
    assert event.dtstart.value.hour == 10
    assert str(event.dtstart.value.tzinfo.tzname(event.dtstart.value)) in ("EET", "Europe/Sofia")
    assert event.summary.value == "Регионална среща — Видин"


def test_answers_show_on_the_dashboard(client, app, organizer, db, smtp_server):
    _series, meeting = team2_session(organizer)
    import_directory(client)
    send(client, meeting)
    deliver_pending()
    first, second, third = sorted(smtp_server.messages, key=lambda m: str(m["To"]))[:3]

    participant = app.test_client()
    link = urlsplit(personal_link(first)).path
    assert participant.get(link).status_code == 200
    form_url = link + "/register"
    page = participant.get(form_url).get_data(as_text=True)
    recipient = first["To"].addresses[0].addr_spec
    assert recipient in page  # prefilled from the directory
    contact = db.session.scalar(sa.select(Contact).where(Contact.email == recipient))
    response = post_form(participant, form_url, {
        "name": contact.name, "email": recipient, "gender": contact.gender.value,
        "organisation": contact.organisation.name, "consent": "y"})
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]

    decliner = app.test_client()
    decline_url = urlsplit(personal_link(second)).path + "/decline"
    assert post_form(decliner, decline_url, {"reason": "Заети сме с бюджета."}).status_code == 302

    db.session.expire_all()
    registration = db.session.scalar(sa.select(Registration))
    assert registration.status is RegistrationStatus.CONFIRMED
    assert registration.contact_id == contact.id and registration.invitation_id is not None
    counts = services.status_counts(meeting)
    assert counts[services.InvitationStatus.REGISTERED] == 1
    assert counts[services.InvitationStatus.DECLINED] == 1
    assert counts[services.InvitationStatus.SENT] == 28

    dashboard = client.get(f"/manage/meetings/{meeting.id}/invitations?lang=en")
    page = dashboard.get_data(as_text=True)
    assert "Заети сме с бюджета." in page
    assert "registered: <strong>1</strong>" in page
    assert "declined: <strong>1</strong>" in page
    registered_only = client.get(
        f"/manage/meetings/{meeting.id}/invitations?status=registered").get_data(as_text=True)
    assert contact.name in registered_only
    assert str(third["To"].addresses[0].display_name) not in registered_only

    # the confirmation mail, in the language of the registration form, with a calendar
    # invitation naming the person
    deliver_pending()
    invitation_mail, confirmation = smtp_server.to(recipient)
    assert confirmation["Subject"] != invitation_mail["Subject"]
    [ics] = [p for p in confirmation.iter_attachments()
             if p.get_content_type() == "text/calendar"]
    calendar = vobject.readOne(ics.get_content())
    assert calendar.method.value == "REQUEST"
    assert calendar.vevent.attendee.value.lower() == f"mailto:{recipient}"


def test_a_cancelled_registration_shows_on_the_invitation_which_registers_again(
        client, app, organizer, db, smtp_server):
    _series, meeting = team2_session(organizer)
    import_directory(client)
    send(client, meeting)
    deliver_pending()
    first = sorted(smtp_server.messages, key=lambda m: str(m["To"]))[0]
    recipient = first["To"].addresses[0].addr_spec
    link = urlsplit(personal_link(first)).path
    participant = app.test_client()
    data = {"name": "Ана Петрова", "email": recipient, "gender": "female", "consent": "y"}
    response = post_form(participant, link + "/register", data)
    token = response.headers["Location"].split("/r/")[1].split("/")[0]
    # registered through her own invitation: correcting her name corrects the directory
    post_form(participant, f"/r/{token}/edit", {"name": "Ана Петрова-Иванова"})
    assert db.session.scalar(sa.select(Contact.name).where(
        Contact.email == recipient)) == "Ана Петрова-Иванова"
    assert post_form(participant, f"/r/{token}/cancel", {}).status_code == 302

    counts = services.status_counts(meeting)
    assert counts[services.InvitationStatus.REGISTERED] == 0
    assert counts[services.InvitationStatus.CANCELLED] == 1
    page = client.get(f"/manage/meetings/{meeting.id}/invitations?lang=en").get_data(
        as_text=True)
    assert "registered, then cancelled: <strong>1</strong>" in page
    # the invitation no longer says "you are registered": it offers to register again
    page = participant.get(link + "?lang=en").get_data(as_text=True)
    assert "You are registered" not in page and "Your registration was cancelled" in page
    assert f'href="{link}/register"' in page
    # and so does the registration's own page
    page = participant.get(f"/r/{token}?lang=en").get_data(as_text=True)
    assert f'href="{link}/register"' in page and "Register again" in page

    data["name"] = "Ана Петрова-Иванова"
    assert post_form(participant, link + "/register", data).status_code == 302
    counts = services.status_counts(meeting)
    assert counts[services.InvitationStatus.REGISTERED] == 1
    assert counts[services.InvitationStatus.CANCELLED] == 0
    assert "You are registered" in participant.get(link + "?lang=en").get_data(as_text=True)

    # cancelled again, then registered through the public form: the invitation follows
    assert post_form(participant, f"/r/{token}/cancel", {}).status_code == 302
    assert services.status_counts(meeting)[services.InvitationStatus.CANCELLED] == 1
    assert post_form(participant, f"/meetings/{meeting.id}/register", data).status_code == 302
    assert services.status_counts(meeting)[services.InvitationStatus.REGISTERED] == 1
    # refused by the organizers: not counted as registered, and not offered to register again
    from consult.registrations.services import reject

    reject(db.session.scalar(sa.select(Registration)), "Само за общини.")
    db.session.commit()
    assert services.status_counts(meeting)[services.InvitationStatus.REGISTERED] == 0
    page = participant.get(link + "?lang=en").get_data(as_text=True)
    assert "Your registration was not accepted." in page
    assert f'href="{link}/register"' not in page


def test_reinviting_skips_the_invited_unless_asked_to_resend(client, organizer, db,
                                                               smtp_server):
    _series, meeting = team2_session(organizer)
    import_directory(client)
    send(client, meeting)
    before = {i.id: i.token for i in db.session.scalars(sa.select(Invitation))}
    response = send(client, meeting)
    assert response.status_code == 200
    assert "everyone in this audience is invited already" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(InvitationBatch)) == 1
    url = invite_url(meeting)
    assert post_form(client, url, {"resend": "y"}, form_page=url).status_code == 302
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(InvitationBatch)) == 2
    after = {i.id: i.token for i in db.session.scalars(sa.select(Invitation))}
    assert after == before  # the same people, the same personal links
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage).where(
        OutboxMessage.topic == "invitations.invitation")) == 60


def test_excluded_and_unsubscribed_people_are_left_out(client, app, organizer, db,
                                                        smtp_server):
    _series, meeting = team2_session(organizer)
    import_directory(client)
    audience = expected_audience(db)
    left_out = audience[0]
    # the audience page names whoever is left out, so they can be ticked back in
    page = client.get(invite_url(meeting, exclude=[left_out.id])).get_data(as_text=True)
    assert (f'value="{left_out.id}" checked> <label for="excluded-{left_out.id}">'
            f"{left_out.name}</label>") in page
    send(client, meeting, exclude=[left_out.id])
    deliver_pending()
    assert len(smtp_server.messages) == 29
    assert not smtp_server.to(left_out.email)

    # one click in the mail program (RFC 8058): no form, no session
    message = smtp_server.messages[0]
    unsubscribe_url = urlsplit(message["List-Unsubscribe"].strip().strip("<>")).path
    # the page speaks the contact's language, not the browser's
    address = message["To"].addresses[0].addr_spec
    language = db.session.scalar(sa.select(Contact.language).where(Contact.email == address))
    assert language in ("bg", "mk")
    page = app.test_client().get(unsubscribe_url, headers={"Accept-Language": "en"})
    assert f'<html lang="{language}">' in page.get_data(as_text=True)
    # switching the page's language (which is not rate limited) unsubscribes nobody
    visitor = app.test_client()
    switch = post_form(visitor, unsubscribe_url, {"switch_language": "sq"})
    assert switch.status_code == 200 and '<html lang="sq">' in switch.get_data(as_text=True)
    assert db.session.scalar(sa.select(Contact.unsubscribed_at).where(
        Contact.email == address)) is None
    response = app.test_client().post(unsubscribe_url,
                                      data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 204
    address = message["To"].addresses[0].addr_spec
    db.session.expire_all()
    gone = db.session.scalar(sa.select(Contact).where(Contact.email == address))
    assert gone.unsubscribed_at is not None
    assert gone not in expected_audience(db)
    assert "unsubscribed" in client.get("/manage/directory/?lang=en&q=" + address).get_data(
        as_text=True)
    # the page says so to the person, and undoes it on request (a click too many)
    visitor = app.test_client()
    page = visitor.get(unsubscribe_url + "?lang=en").get_data(as_text=True)
    assert "You will receive no more invitations." in page
    page = post_form(visitor, unsubscribe_url + "?lang=en", {"action": "again"}).get_data(
        as_text=True)
    assert "Invitations will reach this address again." in page
    db.session.expire_all()
    assert db.session.scalar(sa.select(Contact.unsubscribed_at).where(
        Contact.email == address)) is None
    # a mail program's one-click post only ever unsubscribes
    app.test_client().post(unsubscribe_url, data={"List-Unsubscribe": "One-Click",
                                                  "action": "again"})
    db.session.expire_all()
    assert db.session.scalar(sa.select(Contact.unsubscribed_at).where(
        Contact.email == address)) is not None


def test_pause_resume_stop_and_retry(client, organizer, db, smtp_server):
    _series, meeting = team2_session(organizer)
    import_directory(client)
    send(client, meeting)
    batch = db.session.scalar(sa.select(InvitationBatch))
    token = csrf_token(client, f"/manage/invitations/batches/{batch.id}")
    base = f"/manage/invitations/batches/{batch.id}"
    assert client.post(base + "/pause", data={"csrf_token": token}).status_code == 302
    assert deliver_pending().sent == 0
    progress = client.get(base + "/progress.json").get_json()
    assert progress["paused"] == 30 and progress["sent"] == 0

    client.post(base + "/resume", data={"csrf_token": token})
    assert deliver_pending(batch_size=10).sent == 30
    progress = client.get(base + "/progress.json").get_json()
    assert progress == {**progress, "sent": 30, "done": True, "percent": 100}

    # a refused address fails; the organizer corrects it and retries
    smtp_server.handler.refuse["wrong@example.bg"] = "550 no such user"
    contact = expected_audience(db)[0]
    contact.email = "wrong@example.bg"
    contact.refresh_search()
    db.session.commit()
    url = invite_url(meeting, q="wrong@example.bg")
    post_form(client, url, {"resend": "y"}, form_page=url)
    deliver_pending()
    second = db.session.scalar(sa.select(InvitationBatch).order_by(InvitationBatch.id.desc()))
    dashboard = client.get(f"/manage/meetings/{meeting.id}/invitations?lang=en&status=failed")
    assert "550 no such user" in dashboard.get_data(as_text=True)
    contact.email = "fixed@example.bg"
    db.session.commit()
    client.post(f"/manage/invitations/batches/{second.id}/retry", data={"csrf_token": token})
    assert deliver_pending().sent == 1
    assert smtp_server.to("fixed@example.bg")

    # stopping asks first, then withdraws what has not gone
    post_form(client, invite_url(meeting), {"resend": "y"}, form_page=invite_url(meeting))
    third = db.session.scalar(sa.select(InvitationBatch).order_by(InvitationBatch.id.desc()))
    page = client.post(f"/manage/invitations/batches/{third.id}/stop",
                       data={"csrf_token": token})
    assert page.status_code == 200 and b"confirmed" in page.data
    client.post(f"/manage/invitations/batches/{third.id}/stop",
                data={"csrf_token": token, "confirmed": "1"})
    assert deliver_pending().sent == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage).where(
        OutboxMessage.status == OutboxStatus.WITHDRAWN)) == 30


def test_invitation_only_meetings_need_the_personal_link(client, app, organizer, db,
                                                         smtp_server):
    _series, meeting = team2_session(organizer,
                                     registration_mode=RegistrationMode.INVITATION)
    stranger = app.test_client()
    url = f"/meetings/{meeting.id}/register"
    assert "by invitation only" in stranger.get(url + "?lang=en").get_data(as_text=True)
    response = post_form(stranger, url, {"name": "Иван", "email": "ivan@example.bg",
                                         "gender": "male", "consent": "y"},
                         form_page="/account/login")
    assert response.status_code == 409
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == 0

    import_directory(client)
    send(client, meeting)
    deliver_pending()
    message = smtp_server.messages[0]
    link = urlsplit(personal_link(message)).path
    address = message["To"].addresses[0].addr_spec
    response = post_form(stranger, link + "/register", {
        "name": "Поканен", "email": address, "gender": "female", "consent": "y"})
    assert response.status_code == 302
    # a token works for its own meeting only
    other = make_meeting(meeting.series, day="2027-03-03", status=MeetingStatus.PUBLISHED,
                         registration_mode=RegistrationMode.INVITATION)
    invitation = db.session.scalar(sa.select(Invitation).where(Invitation.email == address))
    assert invitation.meeting_id == meeting.id != other.id
    assert invitation.response is Response.REGISTERED


def test_organisations_name_their_delegates(client, app, organizer, db, smtp_server):
    _series, meeting = team2_session(organizer)
    import_directory(client)
    organisation = db.session.scalar(sa.select(Organisation).where(
        Organisation.name == "Община Видин"))
    organisation.email = "obshtina@vidin.example.bg"
    db.session.commit()
    send(client, meeting, kind="organisations", max_delegates=2, q="Община Видин")
    deliver_pending()
    [message] = smtp_server.to("obshtina@vidin.example.bg")
    assert "2" in message.get_body(("plain",)).get_content()
    link = urlsplit(personal_link(message)).path
    delegate = app.test_client()
    for n in (1, 2):
        response = post_form(delegate, link + "/register", {
            "name": f"Делегат {n}", "email": f"delegate{n}@vidin.example.bg",
            "gender": "female", "consent": "y"})
        assert response.status_code == 302
    third = post_form(delegate, link + "/register", {
        "name": "Делегат 3", "email": "delegate3@vidin.example.bg", "gender": "male",
        "consent": "y"})
    assert third.status_code == 409
    registrations = db.session.scalars(sa.select(Registration)).all()
    assert len(registrations) == 2
    assert all(r.organisation_id == organisation.id for r in registrations)
    counts = services.status_counts(meeting)
    assert counts[services.InvitationStatus.REGISTERED] == 1  # the organisation counts once
    # a delegate cancels: the organisation still has the other one registered
    from consult.registrations.services import cancel

    for registration, registered in ((registrations[0], 1), (registrations[1], 0)):
        cancel(registration)
        db.session.commit()
        assert services.status_counts(meeting)[services.InvitationStatus.REGISTERED] == registered
    assert services.status_counts(meeting)[services.InvitationStatus.CANCELLED] == 1


def test_batch_statements_do_not_grow_with_the_audience(app, db, organizer):
    """The number of SQL statements of a batch is the same for 10 and 200 contacts."""
    from flask import current_app

    from tests.invitations.bench_support import count_statements, make_contacts

    _series, meeting = team2_session(organizer)
    with current_app.test_request_context():
        make_contacts(10, prefix="a")
        small = count_statements(lambda: services.create_batch(
            [meeting], services.Audience(tag="a"), organizer))
        db.session.rollback()
        make_contacts(200, prefix="b")
        large = count_statements(lambda: services.create_batch(
            [meeting], services.Audience(tag="b"), organizer))
        db.session.rollback()
    assert small == large, (small, large)


def test_the_contact_page_shows_declines_and_bounces(client, app, organizer, db, smtp_server):
    _series, meeting = team2_session(organizer)
    import_directory(client)
    [first, second] = expected_audience(db)[:2]
    smtp_server.handler.refuse[second.email] = "550 mailbox unavailable"
    send(client, meeting)
    deliver_pending()
    link = urlsplit(personal_link(smtp_server.to(first.email)[0])).path
    post_form(app.test_client(), link + "/decline", {"reason": "В отпуск сме."})
    declined = client.get(f"/manage/directory/contacts/{first.id}?lang=en").get_data(
        as_text=True)
    assert "declined" in declined and "В отпуск сме." in declined
    bounced = client.get(f"/manage/directory/contacts/{second.id}?lang=en").get_data(
        as_text=True)
    assert "Mail to this address failed" in bounced and "550 mailbox unavailable" in bounced
    # the failed mail's subject (it names a meeting) is for administrators
    failed = bounced.split("Mail to this address failed", 1)[1].split("</ul>", 1)[0]
    assert "Покана" not in failed
    make_user("admin", email="admin@example.bg")
    auth = app.test_client()
    post_form(auth, "/account/login", {"email": "admin@example.bg", "password": PASSWORD})
    failed = auth.get(f"/manage/directory/contacts/{second.id}?lang=en").get_data(
        as_text=True).split("Mail to this address failed", 1)[1].split("</ul>", 1)[0]
    assert "Покана: Регионална среща" in failed
