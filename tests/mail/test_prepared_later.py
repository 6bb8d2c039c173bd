"""Mail whose body the worker prepares just before sending (registration confirmations)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import url_for

from consult.db import utcnow
from consult.directory.models import Gender
from consult.events.models import MeetingStatus
from consult.mail.models import OutboxMessage, OutboxStatus
from consult.mail.services import queue_prepared_later
from consult.mail.worker import deliver_pending
from consult.registrations import services
from consult.registrations.models import Registration
from tests.factories import make_meeting, make_series


def register(db, meeting, email="ana@example.bg", locale="bg"):
    outcome = services.register(meeting, {"name": "Ана Стоянова", "email": email,
                                          "gender": Gender.FEMALE, "locale": locale})
    db.session.commit()
    return outcome.registration


def test_the_request_queues_the_mail_and_the_worker_prepares_it(app, db, smtp_server):
    with app.test_request_context(base_url="https://consult.example.bg/"):
        meeting = make_meeting(make_series(published=True), day="2027-04-06",
                               status=MeetingStatus.PUBLISHED)
        token = register(db, meeting).token
        link = url_for("registrations.manage", token=token, _external=True)
    [queued] = db.session.scalars(sa.select(OutboxMessage)).all()
    assert queued.body_text == "" and queued.attachments == []
    assert queued.prepare_with["preparer"] == "registrations.status"
    assert queued.subject == "Регистрирани сте: Дискусионна среща"  # written at once

    assert deliver_pending().sent == 1
    [mail] = smtp_server.to("ana@example.bg")
    text = mail.get_body(("plain",)).get_content()
    # links are those the registering request would have made, in the person's language
    assert link in text and token in link
    assert "Регистрирани сте за тази среща." in text
    names = sorted(part.get_filename() for part in mail.iter_attachments())
    assert names == ["check-in.png", "meeting.ics"]
    db.session.expire_all()
    sent = db.session.get(OutboxMessage, queued.id)
    assert sent.prepare_with is None and link in sent.body_text  # kept for the outbox page
    assert [a.filename for a in sent.attachments] == ["meeting.ics", "check-in.png"]


def test_a_message_that_cannot_be_prepared_fails_visibly_and_the_rest_go(app, db, smtp_server):
    with app.test_request_context():
        meeting = make_meeting(make_series(published=True), day="2027-04-06",
                               status=MeetingStatus.PUBLISHED)
        gone_id = register(db, meeting, "gone@example.bg").id
        register(db, meeting, "stays@example.bg")
    # the registration disappears before its confirmation is prepared
    db.session.execute(sa.update(OutboxMessage).where(
        OutboxMessage.recipient == "gone@example.bg").values(
        prepare_with={"preparer": "registrations.status",
                      "args": {"registration_id": gone_id + 1000, "status": "confirmed"},
                      "base_url": "http://localhost/"}))
    db.session.commit()

    stats = deliver_pending()
    assert stats.sent == 1 and stats.failed == 1
    assert [m["To"] for m in smtp_server.messages] == ["Ана Стоянова <stays@example.bg>"]
    failed = db.session.scalar(sa.select(OutboxMessage).where(
        OutboxMessage.recipient == "gone@example.bg"))
    assert failed.status is OutboxStatus.FAILED
    assert "cannot prepare the message" in failed.last_error
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == 2


def test_an_unknown_preparer_is_refused_when_queued(app, db):
    with app.test_request_context(), pytest.raises(KeyError):
        queue_prepared_later(to="ana@example.bg", preparer="no.such", args={}, subject="x")


def test_a_passing_failure_while_preparing_puts_the_batch_back(app, db, smtp_server):
    from consult.mail.services import PREPARERS, Prepared

    broken = {"now": True}

    def flaky(name):
        if broken["now"]:
            raise RuntimeError("database restarting")
        from consult.auth.models import User

        return Prepared("password_reset", {"user": User(email="ana@example.bg", name=name),
                                           "link": "https://consult.example/reset/abc",
                                           "minutes": 60})

    PREPARERS["tests.flaky"] = flaky
    try:
        with app.test_request_context():
            queue_prepared_later(to="ana@example.bg", preparer="tests.flaky",
                                 args={"name": "Ана"}, subject="Съобщение", locale="bg")
            db.session.commit()
        stats = deliver_pending()
        assert stats.sent == 0 and stats.failed == 0 and stats.retried == 1
        message = db.session.scalar(sa.select(OutboxMessage))
        assert message.status is OutboxStatus.PENDING and message.body_text == ""
        assert "database restarting" in message.last_error
        assert smtp_server.messages == []  # never sent without its body

        broken["now"] = False
        db.session.execute(sa.update(OutboxMessage).values(next_attempt_at=utcnow()))
        db.session.commit()
        assert deliver_pending().sent == 1
        [mail] = smtp_server.messages
        assert "https://consult.example/reset/abc" in mail.get_body(("plain",)).get_content()
    finally:
        del PREPARERS["tests.flaky"]
