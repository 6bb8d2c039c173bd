"""Reminders before a meeting: once, to the registered and, if chosen, to the invited who
have not answered. `flask reminders send` runs from cron; running it twice sends nothing
twice (each reminder has a dedupe key, and the meeting records that it was reminded)."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from consult.db import utcnow
from consult.events.models import Meeting, MeetingFormat, MeetingStatus
from consult.extensions import db
from consult.invitations.models import Invitation, Response
from consult.invitations.services import (
    reply_to_for,
    sender_for,
    unsubscribe_headers,
    unsubscribe_token,
)
from consult.mail.models import OutboxMessage, OutboxStatus
from consult.mail.services import queue_mail
from consult.registrations.models import Registration, RegistrationStatus

SUBJECT = _l("Reminder: %(title)s")


def due_meetings(now: datetime) -> list[Meeting]:
    candidates = db.session.scalars(sa.select(Meeting).where(
        Meeting.status == MeetingStatus.PUBLISHED, Meeting.reminder_days.is_not(None),
        Meeting.reminder_sent_at.is_(None), Meeting.starts_at > now))
    return [m for m in candidates if m.starts_at - timedelta(days=m.reminder_days) <= now]


def _queue(meeting: Meeting, email: str, name: str, locale: str, context: dict,
           headers: dict | None = None, gender=None) -> bool:
    key = f"reminder:{meeting.id}:{email.lower()}"
    if db.session.scalar(sa.select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key)):
        return False
    message = queue_mail(
        to=email, to_name=name, locale=locale, template="reminder",
        subject=lambda: SUBJECT % {"title": meeting.display_title},
        context={"meeting": meeting, "name": name, "gender": gender,
                 "online": meeting.format is not MeetingFormat.IN_PERSON, **context},
        dedupe_key=key, topic="invitations.reminder", sender=sender_for(meeting.series),
        reply_to=reply_to_for(meeting.series),
        headers=headers,
    )
    return message is not None


def send_reminders(now: datetime | None = None) -> int:
    """Queue the reminders that are due; returns how many mails were queued."""
    from flask import url_for

    now = now or utcnow()
    queued = 0
    for meeting in due_meetings(now):
        registrations = db.session.scalars(sa.select(Registration).where(
            Registration.meeting_id == meeting.id,
            Registration.status == RegistrationStatus.CONFIRMED))
        for registration in registrations:
            queued += _queue(meeting, registration.email, registration.name,
                             registration.locale, {
                                 "registered": True,
                                 "link": url_for("registrations.manage",
                                                 token=registration.token, _external=True)},
                             gender=registration.gender)
        if meeting.remind_unanswered:
            unanswered = db.session.scalars(
                sa.select(Invitation)
                .join(OutboxMessage, OutboxMessage.dedupe_key == Invitation.mail_key)
                .where(Invitation.meeting_id == meeting.id,
                       Invitation.response == Response.NONE,
                       OutboxMessage.status == OutboxStatus.SENT))
            for invitation in unanswered:
                owner = invitation.contact or invitation.organisation
                if owner is None or owner.unsubscribed_at is not None:
                    continue
                kind = "c" if invitation.contact_id else "o"
                unsubscribe_url = url_for("invitations.unsubscribe_page",
                                          token=unsubscribe_token(kind, owner.id), _external=True)
                queued += _queue(meeting, invitation.email, invitation.name, invitation.locale, {
                    "registered": False,
                    "link": url_for("invitations.respond", token=invitation.token,
                                    _external=True),
                    "unsubscribe_url": unsubscribe_url,
                }, unsubscribe_headers(unsubscribe_url),
                    gender=invitation.contact.gender if invitation.contact else None)
        meeting.reminder_sent_at = now
        db.session.commit()
    return queued
