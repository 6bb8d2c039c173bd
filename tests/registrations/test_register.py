"""The public form: seats, the waiting list, the same address twice, cancelling."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import sqlalchemy as sa
import vobject

from consult.events.models import MeetingFormat, MeetingStatus, RegistrationMode
from consult.mail.worker import deliver_pending
from consult.registrations.models import Registration, RegistrationStatus
from tests.conftest import post_form
from tests.factories import make_meeting, make_series, make_user


def open_meeting(**fields):
    series = make_series(managers=[make_user()], published=True)
    return make_meeting(series, day="2027-05-04", status=MeetingStatus.PUBLISHED, **fields)


def register(client, meeting, name, email, **extra):
    url = f"/meetings/{meeting.id}/register"
    return post_form(client, url, {"name": name, "email": email, "gender": "female",
                                   "consent": "y", **extra})


def an_hour_later(meeting):
    """The meeting moved an hour later, as an organizer's edit does (not committed)."""
    from datetime import timedelta

    from consult.events.services import apply_meeting_changes

    apply_meeting_changes(meeting, {"starts_at": meeting.starts_at + timedelta(hours=1),
                                    "ends_at": meeting.ends_at + timedelta(hours=1)}, None)


def statuses(db):
    db.session.expire_all()
    return {r.email: r.status for r in db.session.scalars(sa.select(Registration))}


def calendar_of(message):
    [part] = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    return vobject.readOne(part.get_content())


def test_full_meeting_waitlists_and_a_cancellation_promotes(client, app, db, smtp_server):
    meeting = open_meeting(capacity=1, venue="Община Видин, зала 3")
    response = register(client, meeting, "Ана", "ana@example.bg")
    assert response.status_code == 302
    # the page after registering leads on: to the personal page and the meeting's page
    text = client.get(response.headers["Location"] + "?lang=en").get_data(as_text=True)
    assert re.search(r'href="/r/[\w-]+">See, change or cancel your registration', text)
    assert f'href="/meetings/{meeting.id}">The meeting\'s page' in text
    assert register(app.test_client(), meeting, "Боян", "boyan@example.bg").status_code == 302
    assert statuses(db) == {"ana@example.bg": RegistrationStatus.CONFIRMED,
                            "boyan@example.bg": RegistrationStatus.WAITLISTED}
    deliver_pending()
    [confirmation] = smtp_server.to("ana@example.bg")
    assert calendar_of(confirmation).method.value == "REQUEST"
    [waiting] = smtp_server.to("boyan@example.bg")
    assert not [p for p in waiting.iter_attachments() if p.get_content_type() == "text/calendar"]

    manage = re.search(r"https?://\S+/r/[\w-]+", confirmation.get_body(
        ("plain",)).get_content()).group(0)
    path = urlsplit(manage).path
    participant = app.test_client()
    page = participant.get(path + "?lang=en").get_data(as_text=True)
    assert "Община Видин, зала 3" in page and "Register again" not in page
    assert post_form(participant, path + "/cancel", {}).status_code == 302
    # cancelled, while registration is open: one click to come back
    page = participant.get(path + "?lang=en").get_data(as_text=True)
    assert f'href="/meetings/{meeting.id}/register">Register again' in page
    assert statuses(db) == {"ana@example.bg": RegistrationStatus.CANCELLED,
                            "boyan@example.bg": RegistrationStatus.CONFIRMED}
    smtp_server.clear()
    deliver_pending()
    [cancelled] = smtp_server.to("ana@example.bg")
    assert calendar_of(cancelled).method.value == "CANCEL"
    [promoted] = smtp_server.to("boyan@example.bg")
    assert calendar_of(promoted).method.value == "REQUEST"


def test_the_same_address_twice_makes_one_registration(client, db, smtp_server):
    meeting = open_meeting()
    register(client, meeting, "Ана", "ana@example.bg")
    token = db.session.scalar(sa.select(Registration.token))
    # someone else typing her address gets no way into her registration: the link goes to her
    stranger = client.application.test_client()
    response = register(stranger, meeting, "Ана Иванова", "ANA@example.bg")
    assert response.status_code == 302 and token not in response.headers["Location"]
    page = stranger.get(response.headers["Location"] + "?lang=en").get_data(as_text=True)
    assert "Please look in your mailbox" in page and "We have sent the personal link" in page
    assert token not in page and "ana@example.bg" not in page
    assert len(statuses(db)) == 1
    deliver_pending()
    assert len(smtp_server.to("ana@example.bg")) == 2  # the manage link again


def test_errors_keep_what_was_typed_and_the_honeypot_refuses(client, db):
    meeting = open_meeting()
    response = register(client, meeting, "Ана Иванова", "not-an-address",
                        position="експерт", consent="")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'value="Ана Иванова"' in page and 'value="експерт"' in page
    # the summary reads as a sentence: no "above.: We can…"
    assert ("as described above: We can register you only with your agreement." in page)
    assert "valid e-mail address" in page and "only with your agreement" in page
    bot = register(client, meeting, "Bot", "bot@example.org", website="http://spam")
    assert bot.status_code == 200
    assert statuses(db) == {}


def test_public_forms_are_rate_limited(database_url, smtp_server, db):
    from tests.conftest import make_app

    meeting = open_meeting()
    limited = make_app(database_url, MAIL_PORT=smtp_server.port,
                       RATELIMIT_PUBLIC_FORMS="2 per minute")
    client = limited.test_client()
    # switching the form's language is not a submission: it does not count
    switches = [register(client, meeting, "Човек", "", switch_language=language).status_code
                for language in ("mk", "sq", "bg")]
    assert switches == [200, 200, 200]
    codes = [register(client, meeting, f"Човек {n}", f"c{n}@example.bg").status_code
             for n in range(3)]
    assert codes == [302, 302, 429]
    assert len(statuses(db)) == 2


def test_several_meetings_of_a_series_in_one_form(client, db, smtp_server):
    series = make_series(managers=[make_user()], published=True, slug="team2")
    first = make_meeting(series, day="2027-05-04", status=MeetingStatus.PUBLISHED, capacity=1)
    second = make_meeting(series, day="2027-05-05", status=MeetingStatus.PUBLISHED)
    make_meeting(series, day="2027-05-06", status=MeetingStatus.PUBLISHED,
                 registration_mode=RegistrationMode.INVITATION)
    register(client, first, "Боян", "boyan@example.bg")  # takes the only seat of the first
    page = client.get("/series/team2/register?lang=en").get_data(as_text=True)
    assert page.count('name="meetings"') == 2  # the invitation-only one is not offered
    none_chosen = post_form(client, "/series/team2/register?lang=en", {
        "name": "Ана", "email": "ana@example.bg", "gender": "female", "consent": "y"})
    assert 'id="meetings-error"' in none_chosen.get_data(as_text=True)
    assert "Choose at least one meeting." in none_chosen.get_data(as_text=True)
    response = post_form(client, "/series/team2/register?lang=en", {
        "meetings": [str(first.id), str(second.id)], "name": "Ана", "email": "ana@example.bg",
        "gender": "female", "consent": "y"})
    text = response.get_data(as_text=True)
    assert "on the waiting list" in text and "confirmed" in text
    mine = {r.meeting_id: r.status for r in db.session.scalars(
        sa.select(Registration).where(Registration.email == "ana@example.bg"))}
    assert mine == {first.id: RegistrationStatus.WAITLISTED,
                    second.id: RegistrationStatus.CONFIRMED}
    deliver_pending()
    assert len(smtp_server.to("ana@example.bg")) == 2


def test_a_change_of_time_reaches_the_registered_with_a_higher_sequence(client, db,
                                                                         smtp_server):


    meeting = open_meeting()
    register(client, meeting, "Ана", "ana@example.bg")
    deliver_pending()
    [confirmation] = smtp_server.to("ana@example.bg")
    confirmed = int(calendar_of(confirmation).vevent.sequence.value)
    smtp_server.clear()
    an_hour_later(meeting)
    db.session.commit()
    deliver_pending()
    [update] = smtp_server.to("ana@example.bg")
    calendar = calendar_of(update)
    assert calendar.method.value == "REQUEST"
    assert int(calendar.vevent.sequence.value) == confirmed + 1


def test_a_change_reaches_the_waiting_list_without_a_calendar_entry(client, db, smtp_server):
    """Someone waiting for a seat hears of the change, but no REQUEST puts the meeting into
    their calendar (nor a CANCEL when the meeting is off), and no online link comes along."""

    from consult.events.services import cancel

    meeting = open_meeting(capacity=1, online_url="https://meet.example/x",
                           format=MeetingFormat.HYBRID)
    register(client, meeting, "Ана", "ana@example.bg")
    register(client, meeting, "Боян", "boyan@example.bg")
    deliver_pending()
    smtp_server.clear()
    an_hour_later(meeting)
    cancel(meeting, "", None)
    db.session.commit()
    deliver_pending()
    seated, waiting = smtp_server.to("ana@example.bg"), smtp_server.to("boyan@example.bg")
    assert [calendar_of(m).method.value for m in seated] == ["REQUEST", "CANCEL"]
    assert len(waiting) == 2
    assert not [p for m in waiting for p in m.iter_attachments()
                if p.get_content_type() == "text/calendar"]
    assert "meet.example" not in waiting[0].get_body(("plain",)).get_content()
    assert "meet.example" in seated[0].get_body(("plain",)).get_content()


def test_a_seat_given_up_and_taken_again_reaches_the_calendar_in_order(client, db,
                                                                       smtp_server):
    """Each calendar message of a registration is newer than the one before (SEQUENCE); one
    that gives up the seat is a CANCEL without STATUS (the meeting itself still takes place:
    RFC 5546 §3.2.5)."""
    from consult.registrations import services

    meeting = open_meeting()
    token = register(client, meeting, "Ана", "ana@example.bg").headers["Location"].split(
        "/r/")[1].split("/")[0]
    assert post_form(client, f"/r/{token}/cancel", {}).status_code == 302
    register(client, meeting, "Ана", "ana@example.bg")
    download = vobject.readOne(client.get(f"/r/{token}/meeting.ics").get_data(as_text=True))
    registration = db.session.scalar(sa.select(Registration))
    services.reject(registration, "Местата са за общини.")
    db.session.commit()
    deliver_pending()
    calendars = [calendar_of(m) for m in smtp_server.to("ana@example.bg")]
    status = [getattr(c.vevent, "status", None) for c in calendars]
    assert [(c.method.value, s.value if s else None) for c, s in zip(
        calendars, status, strict=True)] == [
        ("REQUEST", "CONFIRMED"), ("CANCEL", None), ("REQUEST", "CONFIRMED"), ("CANCEL", None)]
    sequences = [int(c.vevent.sequence.value) for c in calendars]
    assert sequences == sorted(set(sequences))  # each one higher than the one before
    assert len({c.vevent.uid.value for c in calendars}) == 1
    assert download.vevent.sequence.value == str(sequences[2])  # as the last REQUEST


def test_register_again_is_for_those_who_cancelled_not_those_refused(app, db, smtp_server):
    meeting = open_meeting(registration_mode=RegistrationMode.APPROVAL)
    participant = app.test_client()
    response = register(participant, meeting, "Ана", "ana@example.bg")
    token = response.headers["Location"].split("/r/")[1].split("/")[0]
    from consult.registrations import services

    services.reject(db.session.scalar(sa.select(Registration)), "Местата са за общини.")
    db.session.commit()
    page = participant.get(f"/r/{token}?lang=en").get_data(as_text=True)
    assert "Register again" not in page
    # the mail that says so offers nothing to change or cancel, only the page of where it
    # stands
    deliver_pending()
    refused = smtp_server.to("ana@example.bg")[-1]
    for body in (refused.get_body(("plain",)).get_content(),
                 refused.get_body(("html",)).get_content()):
        assert "Местата са за общини." in body and f"/r/{token}" in body
        assert "Your registration" in body and "change or cancel" not in body


def test_switching_language_keeps_what_was_typed_and_saves_nothing(client, db):
    meeting = open_meeting()
    # the address came with ?lang=en; the switch posted with the form wins over it
    response = post_form(client, f"/meetings/{meeting.id}/register?lang=en", {
        "name": "Ана Петрова", "email": "not-an-address", "gender": "female",
        "organisation": "Община Видин", "switch_language": "bg"})
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="bg">' in text and "Регистрация" in text
    assert 'value="Ана Петрова"' in text and 'value="Община Видин"' in text
    assert 'value="not-an-address"' in text
    # shown again as typed, not judged: no message for the wrong address, nothing saved
    assert "field-error" not in text and "error-summary" not in text
    assert statuses(db) == {}
    # sent for good to the same address (?lang=en and all): in Bulgarian, as chosen since
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', text).group(1)
    response = client.post(f"/meetings/{meeting.id}/register?lang=en", data={
        "csrf_token": token, "name": "Ана Петрова", "email": "ana@example.bg",
        "gender": "female", "consent": "y"})
    assert response.status_code == 302
    assert db.session.scalar(sa.select(Registration.locale)) == "bg"
    # the choice stays for the visit
    assert '<html lang="bg">' in client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    # a language the site does not have is an ordinary submission
    response = register(client, meeting, "Боян", "boyan@example.bg", switch_language="xx")
    assert response.status_code == 302
    assert set(statuses(db)) == {"ana@example.bg", "boyan@example.bg"}
    # a switch counts only with the form's token, even where a view takes no token
    response = client.post("/unsubscribe/x", data={"switch_language": "mk"})
    assert '<html lang="mk">' not in client.get(f"/meetings/{meeting.id}").get_data(
        as_text=True)


def test_a_signed_in_switch_with_a_form_changes_the_account_language(client, auth, db):
    from consult.auth.models import User

    user = make_user()
    auth.login(user.email)
    meeting = open_meeting()
    response = post_form(client, f"/meetings/{meeting.id}/register?lang=en",
                         {"name": "Ана", "switch_language": "mk"})
    assert response.status_code == 200 and '<html lang="mk">' in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, user.id).locale == "mk"


def test_the_confirmation_greets_as_bulgarian_addresses_a_woman_or_a_man(app, db, smtp_server):
    meeting = open_meeting()
    for name, address, gender in (("Ана", "ana@example.bg", "female"),
                                  ("Боян", "boyan@example.bg", "male"),
                                  ("Вики", "viki@example.bg", "undisclosed")):
        response = post_form(app.test_client(), f"/meetings/{meeting.id}/register?lang=bg", {
            "name": name, "email": address, "gender": gender, "consent": "y"})
        assert response.status_code == 302
    deliver_pending()
    for address, greeting in (("ana@example.bg", "Уважаема Ана,"),
                              ("boyan@example.bg", "Уважаеми Боян,"),
                              ("viki@example.bg", "Уважаеми/а Вики,")):
        [mail] = smtp_server.to(address)
        assert mail.get_body(("plain",)).get_content().startswith(greeting)
        assert f"<p>{greeting}</p>" in mail.get_body(("html",)).get_content()


def test_only_places_the_directory_knows_reach_its_region_filter(client, db):
    from consult.directory.models import Contact
    from consult.directory.services import regions
    from tests.factories import make_contact

    make_contact("Тодор Христов", email="todor@oa-vidin.example", region="Северозападен",
                 municipality="Видин")
    meeting = open_meeting()
    # the form suggests them
    page = client.get(f"/meetings/{meeting.id}/register").get_data(as_text=True)
    assert 'list="places"' in page
    assert '<datalist id="places"><option value="Видин"><option value="Северозападен">' in page
    for name, address, typed in (("Ана", "ana@example.bg", "Северозападен"),
                                 ("Боян", "boyan@example.bg", "Видин"),
                                 ("Гергана", "gergana@example.bg", "видин"),
                                 ("Вики", "viki@example.bg", "Видинн")):
        assert register(client, meeting, name, address, region=typed).status_code == 302
    db.session.expire_all()
    places = {c.email: (c.region, c.municipality) for c in db.session.scalars(
        sa.select(Contact).where(Contact.email.like("%@example.bg")))}
    assert places == {"ana@example.bg": ("Северозападен", ""),
                      "boyan@example.bg": ("Северозападен", "Видин"),
                      "gergana@example.bg": ("Северозападен", "Видин"),
                      "viki@example.bg": ("", "")}
    assert regions() == ["Северозападен"]
    # the registration keeps what the person typed
    assert db.session.scalar(sa.select(Registration.region).where(
        Registration.email == "viki@example.bg")) == "Видинн"


def test_the_mail_says_what_the_calendar_file_does_and_why_the_seat_went(client, db,
                                                                         smtp_server):
    from consult.registrations import services

    meeting = open_meeting(capacity=1)
    register(client, meeting, "Ана", "ana@example.bg")
    register(client, meeting, "Боян", "boyan@example.bg")  # the waiting list
    ana, boyan = (db.session.scalar(sa.select(Registration).where(
        Registration.email == address)) for address in ("ana@example.bg", "boyan@example.bg"))
    services.move(ana, RegistrationStatus.WAITLISTED)  # Боян gets her seat
    db.session.commit()
    services.cancel(db.session.get(Registration, ana.id))  # from the waiting list: no seat
    db.session.commit()
    deliver_pending()
    moved, cancelled = smtp_server.to("ana@example.bg")[1:]
    text = moved.get_body(("plain",)).get_content()
    assert "moved you from your seat to the waiting list" in text
    assert "removes the meeting from your calendar" in text
    assert calendar_of(moved).method.value == "CANCEL"
    text = cancelled.get_body(("plain",)).get_content()
    assert "removes the meeting from your calendar" not in text  # nothing attached to do it
    assert not [p for p in cancelled.iter_attachments()
                if p.get_content_type() == "text/calendar"]
    assert boyan.id


def test_a_personal_invitation_seats_one_person(client, app, db):
    from consult.invitations.models import Invitation
    from tests.factories import make_contact

    meeting = open_meeting(registration_mode=RegistrationMode.INVITATION, capacity=30)
    todor = make_contact("Тодор Христов", "todor@example.bg")
    invitation = Invitation(meeting_id=meeting.id, contact_id=todor.id, name=todor.name,
                            email=todor.email, mail_key="k-todor")
    db.session.add(invitation)
    db.session.commit()
    url = f"/i/{invitation.token}/register"
    fields = {"gender": "male", "consent": "y"}
    assert post_form(client, url, {"name": "Тодор Христов", "email": "todor@example.bg",
                                   **fields}).status_code == 302
    # the link forwarded: a second person is told, and no seat is taken
    stranger = app.test_client()
    refused = post_form(stranger, url + "?lang=en", {"name": "Някой", "email":
                        "someone@example.bg", **fields})
    assert refused.status_code == 409
    assert "Someone has registered with this invitation already" in refused.get_data(
        as_text=True)
    assert set(statuses(db)) == {"todor@example.bg"}
    # his own address again is his registration, as ever
    assert post_form(stranger, url, {"name": "Тодор", "email": "todor@example.bg",
                                     **fields}).status_code == 302
    # once he cancels, the invitation can seat someone in his place
    db.session.scalar(sa.select(Registration)).status = RegistrationStatus.CANCELLED
    db.session.commit()
    assert post_form(stranger, url, {"name": "Някой", "email": "someone@example.bg",
                                     **fields}).status_code == 302
    assert statuses(db)["someone@example.bg"] is RegistrationStatus.CONFIRMED
    # and he is never locked out of his own invitation
    assert post_form(client, url, {"name": "Тодор Христов", "email": "todor@example.bg",
                                   **fields}).status_code == 302
    assert statuses(db)["todor@example.bg"] is RegistrationStatus.CONFIRMED


def test_a_cancelled_registration_taken_up_again_keeps_its_link_in_the_mailbox(
        client, app, db, smtp_server):
    meeting = open_meeting()
    register(client, meeting, "Ана Стоянова", "ana@example.bg", phone="+359 888 000",
             publish_consent="y")
    registration = db.session.scalar(sa.select(Registration))
    assert registration.publish_consent
    registration.status = RegistrationStatus.CANCELLED
    token = registration.token
    db.session.commit()
    deliver_pending()
    smtp_server.clear()
    # someone types her address: registered again, but the link goes only to her
    stranger = app.test_client()
    response = register(stranger, meeting, "Някой", "ana@example.bg", publish_consent="y")
    assert response.headers["Location"].endswith(f"/meetings/{meeting.id}/registered-already")
    # whoever typed it cannot consent for her to be named in public
    db.session.expire_all()
    assert db.session.scalar(sa.select(Registration.publish_consent)) is False
    assert token not in response.headers["Location"]
    assert statuses(db) == {"ana@example.bg": RegistrationStatus.CONFIRMED}
    deliver_pending()
    [mail] = smtp_server.to("ana@example.bg")
    assert f"/r/{token}" in mail.get_body(("plain",)).get_content()


def test_typing_a_registered_address_again_and_again_sends_one_mail(client, app, db,
                                                                     smtp_server, monkeypatch):
    from consult.db import utcnow
    from consult.registrations import services

    now = utcnow().replace(minute=1)  # well inside one ten-minute window
    monkeypatch.setattr(services, "utcnow", lambda: now)
    meeting = open_meeting()
    register(client, meeting, "Ана", "ana@example.bg")
    deliver_pending()
    smtp_server.clear()
    stranger = app.test_client()
    for _ in range(3):
        assert register(stranger, meeting, "Ана", "ana@example.bg").status_code == 302
    deliver_pending()
    assert len(smtp_server.to("ana@example.bg")) == 1


def test_the_series_form_shows_no_status_of_an_address_registered_before(client, app, db):
    meeting = open_meeting(capacity=1)
    register(client, meeting, "Ана", "ana@example.bg")
    register(client, meeting, "Боян", "boyan@example.bg")  # waiting list
    stranger = app.test_client()
    page = post_form(stranger, f"/series/{meeting.series.slug}/register?lang=en", {
        "name": "Боян", "email": "boyan@example.bg", "gender": "male", "consent": "y",
        "meetings": [str(meeting.id)]}).get_data(as_text=True)
    assert "registered before: the personal link went to the address again" in page
    assert "waiting list" not in page.lower()


def test_a_meeting_kept_from_the_public_takes_no_registration_through_the_public_form(
        client, app, db, auth):
    from tests.factories import make_group

    hidden_series = open_meeting()
    hidden_series.series.published = False
    internal = open_meeting(group=make_group(public=False))
    visible = open_meeting()
    db.session.commit()
    for meeting in (hidden_series, internal):
        assert client.get(f"/meetings/{meeting.id}/register").status_code == 404
        # with a valid token from a form the public may use
        assert post_form(client, f"/meetings/{meeting.id}/register", {
            "name": "Ана", "email": "ana@example.bg", "gender": "female", "consent": "y"},
            form_page=f"/meetings/{visible.id}/register").status_code == 404
    assert statuses(db) == {}
    # its invitations still work, to the end: an address registered again is told so
    from consult.invitations.models import Invitation

    invitation = Invitation(meeting_id=internal.id, name="Ана", email="ana@example.bg",
                            mail_key="k-ana")
    db.session.add(invitation)
    db.session.commit()
    fields = {"name": "Ана", "email": "ana@example.bg", "gender": "female", "consent": "y"}
    assert post_form(client, f"/i/{invitation.token}/register", fields).status_code == 302
    again = post_form(client, f"/i/{invitation.token}/register?lang=en", fields,
                      follow_redirects=True)
    assert again.status_code == 200 and "Please look in your mailbox" in again.get_data(
        as_text=True)
    # a cancelled registration is offered no public form to register again
    registration = db.session.scalar(sa.select(Registration))
    registration.status, registration.invitation_id = RegistrationStatus.CANCELLED, None
    db.session.commit()
    page = client.get(f"/r/{registration.token}?lang=en").get_data(as_text=True)
    assert "Register again" not in page
    # its managers may still try the form
    manager = hidden_series.series.managers[0]
    auth.login(manager.email)
    assert client.get(f"/meetings/{hidden_series.id}/register").status_code == 200


def test_the_cancel_page_says_where_the_seat_goes(client, db):
    """The seat goes to the next on the waiting list only where someone waits; someone on
    the list gives up no seat."""
    meeting = open_meeting(capacity=1)
    for name, address in (("Ана", "ana@example.bg"), ("Боян", "boyan@example.bg")):
        register(client, meeting, name, address)
    ana, boyan = (db.session.scalar(sa.select(Registration).where(
        Registration.email == address)) for address in ("ana@example.bg", "boyan@example.bg"))
    assert boyan.status is RegistrationStatus.WAITLISTED

    def page(registration):
        return client.get(f"/r/{registration.token}/cancel?lang=en").get_data(as_text=True)

    assert "goes to the next person on the waiting list" in page(ana)
    assert "You leave the waiting list." in page(boyan)
    assert "next person" not in page(boyan)
    other = open_meeting()
    register(client, other, "Вера", "vera@example.bg")
    vera = db.session.scalar(sa.select(Registration).where(
        Registration.meeting_id == other.id))
    assert "Your seat becomes free for someone else." in page(vera)
    assert "waiting list" not in page(vera)


def test_change_and_cancellation_mails_greet_link_and_credit_like_the_confirmation(
        app, db, smtp_server):
    """The registered hear of a change and of the cancellation as the confirmation speaks to
    them: greeted as their language addresses a woman or a man, with their own link (not
    only the meeting's public page) and with the series' funder block."""

    from consult.events.services import cancel

    series = make_series(managers=[make_user()], published=True, project_code="RSWG-2027",
                         funder={"mk": "Европска унија", "sq": "Bashkimi Evropian"},
                         disclaimer={"mk": "Средбата ја финансира ЕУ.",
                                     "sq": "Takimi financohet nga BE."})
    meeting = make_meeting(series, day="2027-05-04", status=MeetingStatus.PUBLISHED,
                           venue="Тетово")
    people = (("Ана Стојановска", "ana@example.mk", "female", "mk"),
              ("Besnik Hoxha", "besnik@example.al", "male", "sq"))
    tokens = {}
    for name, address, gender, language in people:
        response = post_form(app.test_client(),
                             f"/meetings/{meeting.id}/register?lang={language}",
                             {"name": name, "email": address, "gender": gender,
                              "consent": "y"})
        tokens[address] = response.headers["Location"].split("/r/")[1].split("/")[0]
    deliver_pending()
    smtp_server.clear()
    an_hour_later(meeting)
    cancel(meeting, "", None)
    db.session.commit()
    deliver_pending()
    for (_name, address, _gender, _language), greeting, funder, disclaimer in zip(people, (
            "Почитувана Ана Стојановска,", "I nderuar Besnik Hoxha,"),
            ("Европска унија", "Bashkimi Evropian"),
            ("Средбата ја финансира ЕУ.", "Takimi financohet nga BE."), strict=True):
        changed, cancelled = smtp_server.to(address)
        for mail in (changed, cancelled):
            text = mail.get_body(("plain",)).get_content()
            html = mail.get_body(("html",)).get_content()
            assert text.startswith(greeting), text
            assert f"<p>{greeting}</p>" in html
            assert f"/r/{tokens[address]}" in text and f"/r/{tokens[address]}" in html
            assert funder in text and "RSWG-2027" in text and disclaimer in text
            assert funder in html and disclaimer in html
    # a meeting that is off leaves nothing to change or cancel: the link says what it is
    changed, cancelled = smtp_server.to("ana@example.mk")
    offer = "Видете, променете или откажете ја Вашата пријава"
    assert offer in changed.get_body(("plain",)).get_content()
    assert offer not in cancelled.get_body(("plain",)).get_content()
    assert f"Вашата пријава: http://localhost/r/{tokens['ana@example.mk']}" in \
        cancelled.get_body(("plain",)).get_content()


def test_the_cancellation_confirmation_offers_to_register_again_only_while_one_can(
        app, db, smtp_server):
    """After cancelling there is nothing left to see, change or cancel: the confirmation
    offers to register again while the meeting takes registrations, else nothing."""
    from datetime import timedelta

    from consult.db import utcnow

    meeting = open_meeting()
    closing = open_meeting()
    tokens = {}
    for target, address in ((meeting, "ana@example.mk"), (closing, "boyan@example.mk")):
        response = post_form(app.test_client(), f"/meetings/{target.id}/register?lang=en", {
            "name": "Ана", "email": address, "gender": "female", "consent": "y"})
        tokens[address] = response.headers["Location"].split("/r/")[1].split("/")[0]
    closing.registration_closes_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    for token in tokens.values():
        assert post_form(app.test_client(), f"/r/{token}/cancel", {}).status_code == 302
    deliver_pending()
    _confirmation, cancelled = smtp_server.to("ana@example.mk")
    text = cancelled.get_body(("plain",)).get_content()
    html = cancelled.get_body(("html",)).get_content()
    assert "Your registration is cancelled." in text
    assert "See, change or cancel" not in text and "See, change or cancel" not in html
    assert f"/r/{tokens['ana@example.mk']}" not in text
    assert f"Register again: http://localhost/meetings/{meeting.id}/register" in text
    assert f'<a href="http://localhost/meetings/{meeting.id}/register">Register again</a>' in html
    _confirmation, cancelled = smtp_server.to("boyan@example.mk")
    text = cancelled.get_body(("plain",)).get_content()
    html = cancelled.get_body(("html",)).get_content()
    assert "Your registration is cancelled." in text
    assert "See, change or cancel" not in text and "See, change or cancel" not in html
    assert "Register again" not in text and "Register again" not in html


def test_the_meeting_cancelled_mail_says_so_once(app, db, smtp_server):
    from consult.events.services import cancel

    meeting = open_meeting()
    post_form(app.test_client(), f"/meetings/{meeting.id}/register?lang=en", {
        "name": "Ана", "email": "ana@example.mk", "gender": "female", "consent": "y"})
    cancel(meeting, "The venue is closed.", None)
    db.session.commit()
    deliver_pending()
    _confirmation, cancelled = smtp_server.to("ana@example.mk")
    for part in ("plain", "html"):
        body = cancelled.get_body((part,)).get_content()
        assert "The meeting you registered for is cancelled:" in body
        assert "The meeting is cancelled." not in body
        assert "The venue is closed." in body
