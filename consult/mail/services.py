"""Queue localized mail into the outbox.

`queue_mail` only adds rows to the current session: the caller commits them together with
whatever caused the mail, so a rolled-back action never sends and a committed one always does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa
from flask import render_template
from flask_babel import force_locale

from consult.db import utcnow
from consult.extensions import db
from consult.mail.models import OutboxAttachment, OutboxMessage, OutboxStatus

_LINE_BREAKS = re.compile(r"[\r\n\x00-\x1f\x7f]+")


def header_safe(value: str) -> str:
    """Collapse control characters so nothing typed into a name can add a mail header."""
    return _LINE_BREAKS.sub(" ", value or "").strip()


_ADDRESS_SYNTAX = re.compile(r'[<>"\\]+')


def display_name_safe(value: str) -> str:
    """A person's name for a To: header: no characters that mean address syntax there."""
    return _ADDRESS_SYNTAX.sub("", header_safe(value)).strip()


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes


def queue_mail(
    *,
    to: str,
    template: str,
    subject,
    locale: str = "en",
    to_name: str = "",
    context: dict | None = None,
    attachments: list[Attachment] | tuple = (),
    dedupe_key: str | None = None,
    topic: str = "",
    sender: str | None = None,
    reply_to: str | None = None,
    headers: dict | None = None,
) -> OutboxMessage:
    """Render ``mail/<template>.txt`` and ``.html`` in ``locale`` and add the message.

    ``subject`` is a lazy gettext string (or a callable) evaluated in the recipient's locale.
    With a ``dedupe_key`` already queued, the existing message is returned instead.
    """
    if dedupe_key is not None:
        existing = db.session.scalar(
            sa.select(OutboxMessage).where(OutboxMessage.dedupe_key == dedupe_key)
        )
        if existing is not None:
            return existing
    context = dict(context or {}, locale=locale)
    with force_locale(locale):
        rendered_subject = str(subject() if callable(subject) else subject)
        context["subject"] = rendered_subject
        body_text = render_template(f"mail/{template}.txt", **context)
        body_html = render_template(f"mail/{template}.html", **context)
    message = OutboxMessage(
        recipient=header_safe(to),
        recipient_name=display_name_safe(to_name),
        subject=header_safe(rendered_subject),
        body_text=body_text,
        body_html=body_html,
        locale=locale,
        dedupe_key=dedupe_key,
        topic=topic,
        sender=header_safe(sender) if sender else None,
        reply_to=header_safe(reply_to) if reply_to else None,
        status=OutboxStatus.PENDING,
        next_attempt_at=utcnow(),
        headers={name: header_safe(value) for name, value in (headers or {}).items()},
        attachments=[
            OutboxAttachment(filename=a.filename, content_type=a.content_type, data=a.data)
            for a in attachments
        ],
    )
    db.session.add(message)
    return message


def retry(message: OutboxMessage) -> None:
    """Put a failed message back in the queue, e.g. after its address was corrected."""
    message.status = OutboxStatus.PENDING
    message.next_attempt_at = utcnow()
    message.lease_until = None
    message.claimed_by = None
    message.attempts = 0


def outbox_counts() -> dict[OutboxStatus, int]:
    rows = db.session.execute(
        sa.select(OutboxMessage.status, sa.func.count()).group_by(OutboxMessage.status)
    )
    counts = dict.fromkeys(OutboxStatus, 0)
    counts.update({status: count for status, count in rows})
    return counts
