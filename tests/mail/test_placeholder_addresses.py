"""Nothing is queued to an address that cannot receive mail: the ".invalid" placeholder
(RFC 2606) of a walk-in added at the door without an address."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from consult.attendance.services import walk_in
from consult.db import utcnow
from consult.events.models import MeetingFormat, MeetingStatus
from consult.events.services import apply_meeting_changes, cancel
from consult.invitations.reminders import send_reminders
from consult.mail.models import OutboxMessage
from consult.mail.services import queue_mail, undeliverable
from consult.mail.worker import deliver_pending
from consult.registrations import services as registrations
from tests.factories import make_meeting, make_series, make_user


def test_undeliverable_addresses():
    assert undeliverable("walk-in-3f9a@meeting-12.invalid")
    assert undeliverable("Walk-In-3F9A@Meeting-12.INVALID.")
    assert undeliverable("0123abcd@anonymised.invalid")
    assert not undeliverable("ana@example.mk")
    assert not undeliverable("ana@invalid-domain.example.mk")


def test_no_mail_of_any_kind_is_queued_to_a_walk_ins_placeholder(app, db, smtp_server):
    series = make_series(managers=[make_user()], published=True)
    start = utcnow() + timedelta(days=2)
    meeting = make_meeting(series, day=start.date().isoformat(), start="10:00", end="12:00",
                           status=MeetingStatus.PUBLISHED, reminder_days=3,
                           format=MeetingFormat.HYBRID, online_url="https://meet.example.org/x")
    with current_app.test_request_context():
        registrations.register(meeting, {"name": "Ана Стојановска", "email": "ana@example.mk",
                                         "locale": "mk"})
        placeholder, _known = walk_in(meeting, {"name": "Без адреса", "locale": "mk"}, None)
        db.session.commit()
    assert placeholder.email.endswith(".invalid")
    deliver_pending()
    smtp_server.clear()

    def to_placeholders():
        return db.session.scalars(sa.select(OutboxMessage.topic).where(
            OutboxMessage.recipient.like("%.invalid"))).all()

    # the kinds of mail a walk-in's registration could cause: a change of the meeting and
    # the reminder (queue_mail), the organizer's cancelling of the registration (prepared
    # by the worker later), the meeting's cancellation, and any mail queued directly
    apply_meeting_changes(meeting, {"starts_at": meeting.starts_at + timedelta(hours=1),
                                    "ends_at": meeting.ends_at + timedelta(hours=1)}, None)
    db.session.commit()
    assert to_placeholders() == []
    assert send_reminders() == 1
    assert to_placeholders() == []
    registrations.cancel(db.session.get(type(placeholder), placeholder.id),
                         by_participant=False)
    assert registrations.send_status_mail_again(placeholder) is False
    assert queue_mail(to=placeholder.email, template="reminder", subject="x",
                      context={}) is None
    db.session.commit()
    assert to_placeholders() == []
    cancel(meeting, "", None)
    db.session.commit()
    assert to_placeholders() == []

    assert {m.topic for m in db.session.scalars(sa.select(OutboxMessage)).all()} >= {
        "events.meeting_changed", "invitations.reminder"}
    deliver_pending()
    assert len(smtp_server.to("ana@example.mk")) == 3  # changed, reminder, cancelled
    assert not [m for m in smtp_server.messages if ".invalid" in str(m["To"])]
