"""The invited hear of a change to the meeting, and of its cancellation, as the registered do:
the calendar entry their invitation added is replaced (same UID, higher SEQUENCE) or
cancelled, in their language, once."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
import vobject
from flask import current_app

from consult.directory.models import Contact, Gender
from consult.events.models import MeetingChange, MeetingFormat, MeetingStatus
from consult.events.services import (
    ChangeKind,
    apply_meeting_changes,
    cancel,
    notify_meeting_changed,
)
from consult.invitations import services
from consult.invitations.models import Invitation
from consult.mail.models import OutboxMessage
from consult.mail.worker import deliver_pending
from consult.registrations import services as registrations
from tests.factories import make_meeting, make_series, make_user

ONLINE = "https://meet.example.org/tetovo-secret"
PEOPLE = {
    "ana@example.mk": ("Ана Стојановска", "mk", Gender.FEMALE),  # does not answer
    "besnik@example.al": ("Besnik Hoxha", "sq", Gender.MALE),  # does not answer
    "bojan@example.mk": ("Бојан Трајковски", "mk", Gender.MALE),  # declines
    "dragan@example.mk": ("Драган Петровски", "mk", Gender.MALE),  # registers
    "elena@example.mk": ("Елена Николовска", "mk", Gender.FEMALE),  # unsubscribes
    "fatmir@example.al": ("Fatmir Berisha", "sq", Gender.MALE),  # the mail is refused
}


def calendar_of(message):
    [part] = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    return vobject.readOne(part.get_content())


def invitation_of(db, address) -> Invitation:
    return db.session.scalar(sa.select(Invitation).where(Invitation.email == address))


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def html_of(message) -> str:
    return message.get_body(("html",)).get_content()


def _moved(meeting, db):
    """The meeting an hour later, and the mails about it sent."""
    apply_meeting_changes(meeting, {"starts_at": meeting.starts_at + timedelta(hours=1),
                                    "ends_at": meeting.ends_at + timedelta(hours=1)}, None)
    db.session.commit()
    deliver_pending()


def _cancelled(meeting, db):
    """The meeting cancelled, and the mails about it sent."""
    cancel(meeting, "", None)
    db.session.commit()
    deliver_pending()


def invited_meeting(db, smtp_server):
    """A hybrid meeting, its invitations sent and answered (or not) as PEOPLE says."""
    series = make_series(managers=[make_user(email="organizer@example.mk")], published=True,
                         funder={"mk": "Европска унија", "sq": "Bashkimi Evropian"})
    meeting = make_meeting(series, day="2027-05-04", status=MeetingStatus.PUBLISHED,
                           format=MeetingFormat.HYBRID, venue="Тетово", online_url=ONLINE,
                           title={"mk": "Регионална средба — Тетово"}, main_language="mk")
    for address, (name, language, gender) in PEOPLE.items():
        db.session.add(Contact(name=name, email=address, language=language, gender=gender,
                               tags=["polog"]))
    db.session.commit()
    smtp_server.handler.refuse["fatmir@example.al"] = "550 5.1.1 No such user here"
    with current_app.test_request_context():
        services.create_batch([meeting], services.Audience(tag="polog"), None)
        db.session.commit()
        deliver_pending()
        services.decline(invitation_of(db, "bojan@example.mk"), "Зафатен сум.")
        registrations.register(meeting, {"name": "Драган Петровски",
                                         "email": "dragan@example.mk", "locale": "mk"},
                               invitation=invitation_of(db, "dragan@example.mk"))
        services.unsubscribe(db.session.scalar(sa.select(Contact).where(
            Contact.email == "elena@example.mk")))
        db.session.commit()
    deliver_pending()
    return meeting


def test_the_invited_get_the_change_and_the_cancellation_of_their_calendar_entry(
        app, client, auth, db, smtp_server):
    meeting = invited_meeting(db, smtp_server)
    [invitation_mail] = smtp_server.to("ana@example.mk")
    published = calendar_of(invitation_mail)
    assert published.method.value == "PUBLISH"
    uid, sequence = published.vevent.uid.value, int(published.vevent.sequence.value)

    smtp_server.clear()
    _moved(meeting, db)
    # those who have not answered, each in their language: the invitation's published entry
    # again, same UID, higher SEQUENCE, so that it replaces the one they have
    for address, greeting in (("ana@example.mk", "Почитувана Ана Стојановска,"),
                              ("besnik@example.al", "I nderuar Besnik Hoxha,")):
        [update] = smtp_server.to(address)
        calendar = calendar_of(update)
        assert calendar.method.value == "PUBLISH"
        assert calendar.vevent.uid.value == uid
        assert int(calendar.vevent.sequence.value) > sequence
        assert calendar.vevent.dtstart.value.hour == 11
        assert not hasattr(calendar.vevent, "attendee")  # PUBLISH names no attendee
        text, html = text_of(update), html_of(update)
        assert text.startswith(greeting)
        token = invitation_of(db, address).token
        assert f"/i/{token}" in text and f"/i/{token}" in html  # to register or decline
        assert update["List-Unsubscribe"]
        # the online link is for the registered only
        for body in (text, html, str(calendar.serialize())):
            assert "meet.example.org" not in body
        # not the registered's wording ("The meeting you registered for …")
        assert "пријавивте" not in text and "regjistruar" not in text
    assert "Европска унија" in text_of(smtp_server.to("ana@example.mk")[0])
    # the registered hear as registered; those who declined, unsubscribed or never got
    # the invitation hear nothing of a change
    [registered] = smtp_server.to("dragan@example.mk")
    assert calendar_of(registered).method.value == "REQUEST"
    assert "/r/" in text_of(registered) and ONLINE in text_of(registered)
    for address in ("bojan@example.mk", "elena@example.mk", "fatmir@example.al"):
        assert not smtp_server.to(address), address
    updated = int(calendar_of(smtp_server.to("ana@example.mk")[0]).vevent.sequence.value)

    # the organizer is told who will hear of the cancellation
    auth.login("organizer@example.mk")
    page = client.get(f"/manage/meetings/{meeting.id}/cancel?lang=en").get_data(as_text=True)
    assert "1 registered person will receive a cancellation mail" in page
    assert "It also goes to 3 invited people who are not registered." in page
    smtp_server.clear()
    cancel(meeting, "", None)
    db.session.commit()
    deliver_pending()
    # the cancellation reaches the same people, and those who declined: a CANCEL of the
    # entry they may have added
    for address in ("ana@example.mk", "besnik@example.al", "bojan@example.mk"):
        [cancellation] = smtp_server.to(address)
        calendar = calendar_of(cancellation)
        assert calendar.method.value == "CANCEL"
        assert calendar.vevent.uid.value == uid
        assert int(calendar.vevent.sequence.value) > updated
        assert calendar.vevent.status.value == "CANCELLED"
        assert "/i/" not in text_of(cancellation)  # nothing to register for any more
    assert text_of(smtp_server.to("bojan@example.mk")[0]).startswith(
        "Почитуван Бојан Трајковски,")
    assert calendar_of(smtp_server.to("dragan@example.mk")[0]).method.value == "CANCEL"
    for address in ("elena@example.mk", "fatmir@example.al"):
        assert not smtp_server.to(address), address

    # each change reaches each address once
    change = db.session.scalar(sa.select(MeetingChange).order_by(MeetingChange.id.desc()))
    with current_app.test_request_context():
        notify_meeting_changed(meeting, [ChangeKind.CANCELLED], change)
        db.session.commit()
    mails = db.session.scalars(sa.select(OutboxMessage.recipient).where(
        OutboxMessage.topic == "events.meeting_changed")).all()
    assert sorted(mails) == sorted(["ana@example.mk", "besnik@example.al", "dragan@example.mk"]
                                   * 2 + ["bojan@example.mk"])


def test_an_invitation_on_its_way_is_followed_by_the_change(app, db, smtp_server):
    """An invitation still in the outbox goes first, with the entry as it was; the change
    mail right after it replaces that entry."""
    meeting = invited_meeting(db, smtp_server)
    db.session.add(Contact(name="Ѓорѓи Ристов", email="gjorgji@example.mk", language="mk",
                           tags=["late"]))
    db.session.commit()
    with current_app.test_request_context():
        services.create_batch([meeting], services.Audience(tag="late"), None)
        db.session.commit()
    _moved(meeting, db)
    invitation_mail, update = smtp_server.to("gjorgji@example.mk")
    assert calendar_of(invitation_mail).method.value == "PUBLISH"
    assert int(calendar_of(update).vevent.sequence.value) > int(
        calendar_of(invitation_mail).vevent.sequence.value)
    assert calendar_of(update).vevent.uid.value == calendar_of(invitation_mail).vevent.uid.value


def test_the_change_mails_are_written_by_the_worker_not_in_the_request(app, db, smtp_server):
    """Saving a change queues the mails; the outbox worker writes each one, so a meeting
    with thousands invited is saved at once. What the worker writes is the meeting as it
    stands, and the same address for the same change is queued once."""
    meeting = invited_meeting(db, smtp_server)
    smtp_server.clear()
    with current_app.test_request_context():
        apply_meeting_changes(meeting, {"venue": "Гостивар"}, None)
        db.session.commit()
        change = db.session.scalar(sa.select(MeetingChange).order_by(MeetingChange.id.desc()))
        notify_meeting_changed(meeting, [ChangeKind.PLACE], change)  # again: no second mail
        db.session.commit()
    queued = db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.topic == "events.meeting_changed")).all()
    assert sorted(m.recipient for m in queued) == [
        "ana@example.mk", "besnik@example.al", "dragan@example.mk"]
    assert all(m.body_text == "" and m.prepare_with for m in queued)
    deliver_pending()
    [update] = smtp_server.to("besnik@example.al")
    assert "Гостивар" in text_of(update) and "Гостивар" in calendar_of(update).vevent.location.value
    assert update["List-Unsubscribe"] and "Регионална средба — Тетово" in update["Subject"]


def _one_invited(db, paused: bool = False):
    """A meeting at 10:00 and Ана's invitation to it: sent, or held by a paused sending."""
    from consult.invitations.models import InvitationBatch

    series = make_series(managers=[make_user()], published=True)
    meeting = make_meeting(series, day="2027-05-04", status=MeetingStatus.PUBLISHED,
                           main_language="mk")
    db.session.add(Contact(name="Ана", email="ana@example.mk", language="mk",
                           gender=Gender.FEMALE, tags=["t"]))
    db.session.commit()
    with current_app.test_request_context():
        batch = services.create_batch([meeting], services.Audience(tag="t"), None)
        db.session.commit()
        if paused:
            services.pause(db.session.get(InvitationBatch, batch.id))
            db.session.commit()
        deliver_pending()
    return meeting


def test_an_invited_address_registered_otherwise_and_cancelled_is_not_put_back(app, db,
                                                                              smtp_server):
    """Invited, registered through the public form (the invitation still unanswered), then
    cancelled: she had the CANCEL; a change must not publish the meeting into her calendar
    again. The meeting's cancellation reaches her (a CANCEL is harmless)."""
    meeting = _one_invited(db)
    with current_app.test_request_context():
        outcome = registrations.register(meeting, {"name": "Ана", "email": "ana@example.mk",
                                                   "locale": "mk"})
        db.session.commit()
        registrations.cancel(db.session.get(type(outcome.registration),
                                            outcome.registration.id))
        db.session.commit()
    deliver_pending()
    assert calendar_of(smtp_server.to("ana@example.mk")[-1]).method.value == "CANCEL"
    smtp_server.clear()
    _moved(meeting, db)
    assert smtp_server.to("ana@example.mk") == []
    _cancelled(meeting, db)
    [cancellation] = smtp_server.to("ana@example.mk")
    assert calendar_of(cancellation).method.value == "CANCEL"


def test_the_invited_on_the_waiting_list_keep_the_invitations_entry_up_to_date(
        app, db, smtp_server):
    """Registered through the invitation, on the waiting list: the invitation's .ics is all
    their calendar holds of the meeting, so a change brings it up to date (PUBLISH) and the
    cancellation removes it."""
    meeting = _one_invited(db)
    meeting.capacity = 1
    db.session.commit()
    with current_app.test_request_context():
        registrations.register(meeting, {"name": "Прв", "email": "first@example.mk",
                                         "locale": "mk"})
        outcome = registrations.register(meeting, {"name": "Ана", "email": "ana@example.mk",
                                                   "locale": "mk"},
                                         invitation=invitation_of(db, "ana@example.mk"))
        db.session.commit()
        assert outcome.registration.status.value == "waitlisted"
    deliver_pending()
    smtp_server.clear()
    _moved(meeting, db)
    [update] = smtp_server.to("ana@example.mk")
    calendar = calendar_of(update)
    assert calendar.method.value == "PUBLISH" and calendar.vevent.dtstart.value.hour == 11
    assert not hasattr(calendar.vevent, "attendee")
    smtp_server.clear()
    _cancelled(meeting, db)
    [cancellation] = smtp_server.to("ana@example.mk")
    assert calendar_of(cancellation).method.value == "CANCEL"


def test_invitations_held_by_a_pause_go_out_as_the_meeting_stands_when_resumed(
        app, db, smtp_server):
    """A sending paused, the meeting moved, the sending resumed: the held invitations are
    written again, text and calendar entry, at the new time (they had nothing in anyone's
    calendar, so no change mail went to them)."""
    from consult.invitations.models import InvitationBatch

    meeting = _one_invited(db, paused=True)
    _moved(meeting, db)  # 10:00 → 11:00; nobody has anything to be told
    assert smtp_server.to("ana@example.mk") == []
    with current_app.test_request_context():
        services.resume(db.session.scalar(sa.select(InvitationBatch)))
        db.session.commit()
    deliver_pending()
    [invitation] = smtp_server.to("ana@example.mk")
    calendar = calendar_of(invitation)
    assert calendar.vevent.dtstart.value.hour == 11
    assert int(calendar.vevent.sequence.value) == meeting.sequence
    assert "11:00" in text_of(invitation) and "10:00" not in text_of(invitation)
    assert "Почитувана Ана," in text_of(invitation)
    assert f"/i/{invitation_of(db, 'ana@example.mk').token}" in html_of(invitation)
