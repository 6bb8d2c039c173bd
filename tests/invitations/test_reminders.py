"""Reminders: due N days before, to the registered and (if chosen) the unanswered, once."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from consult.db import utcnow
from consult.directory.models import Contact
from consult.events.models import MeetingFormat, MeetingStatus
from consult.invitations import services
from consult.invitations.reminders import send_reminders
from consult.mail.models import OutboxMessage
from consult.mail.worker import deliver_pending
from consult.registrations import services as registrations
from tests.factories import make_meeting, make_series, make_user


def setup_meeting(db, days_ahead: int, remind_unanswered: bool, **fields):
    series = make_series(managers=[make_user()], published=True)
    start = utcnow() + timedelta(days=days_ahead)
    meeting = make_meeting(series, day=start.date().isoformat(), start="10:00", end="12:00",
                           status=MeetingStatus.PUBLISHED, reminder_days=3,
                           remind_unanswered=remind_unanswered, **fields)
    db.session.add_all([
        Contact(name="Иван Петров", email="ivan@example.bg", language="bg", tags=["r"]),
        Contact(name="Ана Стоянова", email="ana@example.bg", language="bg", tags=["r"]),
    ])
    db.session.commit()
    return meeting


def invite_and_register_one(db, meeting):
    with current_app.test_request_context():
        services.create_batch([meeting], services.Audience(tag="r"), None)
        db.session.commit()
        deliver_pending()
        registrations.register(meeting, {"name": "Иван Петров", "email": "ivan@example.bg",
                                         "locale": "bg"})
        db.session.commit()
    deliver_pending()


def reminders(db):
    return db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.topic == "invitations.reminder")).all()


def test_reminders_go_once_to_registered_and_unanswered(app, db, runner, smtp_server):
    meeting = setup_meeting(db, days_ahead=2, remind_unanswered=True)
    invite_and_register_one(db, meeting)

    result = runner.invoke(args=["reminders", "send"])
    assert result.exit_code == 0 and "queued 2 reminders" in result.output
    assert runner.invoke(args=["reminders", "send"]).output.strip() == "queued 0 reminders"
    assert len(reminders(db)) == 2

    smtp_server.clear()
    deliver_pending()
    [registered] = smtp_server.to("ivan@example.bg")
    [unanswered] = smtp_server.to("ana@example.bg")
    assert "/r/" in registered.get_body(("plain",)).get_content()
    assert "/i/" in unanswered.get_body(("plain",)).get_content()
    assert unanswered["List-Unsubscribe"] and not registered["List-Unsubscribe"]


def test_the_dashboard_says_when_the_reminder_went_in_the_meetings_time(app, db, client,
                                                                        auth):
    from zoneinfo import ZoneInfo

    meeting = setup_meeting(db, days_ahead=2, remind_unanswered=True)
    invite_and_register_one(db, meeting)
    send_reminders()
    db.session.commit()
    auth.login(meeting.series.managers[0].email)
    page = client.get(f"/manage/meetings/{meeting.id}/invitations?lang=en").get_data(
        as_text=True)
    local = meeting.reminder_sent_at.astimezone(ZoneInfo(meeting.timezone))
    offset = f"{local:%z}"
    assert f"{local:%H:%M} (UTC{offset[:3]}:{offset[3:]})." in page
    assert " UTC." not in page


def test_no_reminder_before_it_is_due_or_to_the_unanswered_unless_chosen(app, db, runner):
    meeting = setup_meeting(db, days_ahead=10, remind_unanswered=False)
    invite_and_register_one(db, meeting)
    assert send_reminders() == 0
    assert send_reminders(now=utcnow() + timedelta(days=8)) == 1  # registered only
    assert [m.recipient for m in reminders(db)] == ["ivan@example.bg"]


def test_the_reminder_of_a_hybrid_meeting_gives_the_registered_its_online_link(
        app, db, smtp_server):
    """The reminder is the mail people open just before the meeting: like the confirmation,
    it gives those registered the online link; the invited who have not answered get none
    (the link is for the registered only)."""
    meeting = setup_meeting(db, days_ahead=2, remind_unanswered=True,
                            format=MeetingFormat.HYBRID, venue="Општина Тетово",
                            online_url="https://meet.example.org/tetovo-42")
    invite_and_register_one(db, meeting)
    assert send_reminders() == 2
    smtp_server.clear()
    deliver_pending()
    [registered] = smtp_server.to("ivan@example.bg")
    [unanswered] = smtp_server.to("ana@example.bg")
    text = registered.get_body(("plain",)).get_content()
    assert "Връзка за онлайн участие: https://meet.example.org/tetovo-42" in text
    assert '<a href="https://meet.example.org/tetovo-42">' in registered.get_body(
        ("html",)).get_content()
    for part in ("plain", "html"):
        assert "meet.example.org" not in unanswered.get_body((part,)).get_content()
