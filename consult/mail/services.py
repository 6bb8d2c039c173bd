"""Queue localized mail into the outbox.

`queue_mail` only adds rows to the current session: the caller commits them together with
whatever caused the mail, so a rolled-back action never sends and a committed one always does.

Neither queues anything to an address that cannot receive mail (``undeliverable``: the
".invalid" placeholders of walk-ins and anonymised people); both then return None.

`queue_prepared_later` writes the same row without its body: a registered *preparer* (e.g.
the registration confirmation with its calendar entry and QR code) fills it in the mail
worker just before sending. A public form then answers in the time of its database work,
not of rendering two templates, an .ics and a PNG.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app, has_request_context, render_template, request
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


def undeliverable(address: str) -> bool:
    """An address no mail can reach: a placeholder ending in ".invalid" (RFC 2606), such as a
    walk-in's without an address or an anonymised person's. Nothing is queued to one."""
    return (address or "").strip().rstrip(".").lower().endswith(".invalid")


@dataclass(frozen=True)
class Attachment:
    """A file to attach: its bytes, or (``stored_file_id``) an uploaded file the worker reads
    when it sends, so that a document mailed to many people is stored once. The worker's
    copy has ``data`` None when that file was deleted before sending."""

    filename: str
    content_type: str
    data: bytes | None = b""
    stored_file_id: int | None = None


def _attachment_rows(attachments) -> list[OutboxAttachment]:
    return [
        OutboxAttachment(filename=a.filename, content_type=a.content_type,
                         data=None if a.stored_file_id else a.data,
                         stored_file_id=a.stored_file_id)
        for a in attachments
    ]


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
) -> OutboxMessage | None:
    """Render ``mail/<template>.txt`` and ``.html`` in ``locale`` and add the message.

    ``subject`` is a lazy gettext string (or a callable) evaluated in the recipient's locale.
    With a ``dedupe_key`` already queued, the existing message is returned instead; to an
    undeliverable address nothing is queued, and None is returned.
    """
    if undeliverable(to):
        return None
    if (existing := _queued(dedupe_key)) is not None:
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
        attachments=_attachment_rows(attachments),
    )
    db.session.add(message)
    return message


@dataclass
class Prepared:
    """What a preparer returns: the message's template, context and attachments."""

    template: str
    context: dict
    attachments: list[Attachment] = field(default_factory=list)


# name -> function(**args) -> Prepared; filled by the packages that queue prepared-later mail
PREPARERS: dict[str, Callable[..., Prepared]] = {}


def preparer(name: str):
    def register(function):
        PREPARERS[name] = function
        return function

    return register


def _base_url() -> str:
    """Where links in a mail point: as the request that queued it would have built them
    (SERVER_NAME, which production requires, wins over the request's Host when set)."""
    if has_request_context():
        return request.url_root
    config = current_app.config
    return f"{config['PREFERRED_URL_SCHEME']}://{config.get('SERVER_NAME') or 'localhost'}/"


def _queued(dedupe_key: str | None) -> OutboxMessage | None:
    """The message queued already under ``dedupe_key``, if any."""
    if dedupe_key is None:
        return None
    return db.session.scalar(
        sa.select(OutboxMessage).where(OutboxMessage.dedupe_key == dedupe_key))


def queue_prepared_later(
    *,
    to: str,
    preparer: str,
    args: dict,
    subject,
    locale: str = "en",
    to_name: str = "",
    topic: str = "",
    sender: str | None = None,
    reply_to: str | None = None,
    dedupe_key: str | None = None,
    headers: dict | None = None,
) -> OutboxMessage | None:
    """Add a message whose body ``PREPARERS[preparer](**args)`` makes when it is sent.

    ``args`` must be JSON (ids, flags): the preparer reads everything else then. The
    subject is written now, so the outbox lists it from the start. With a ``dedupe_key``
    already queued, the existing message is returned instead; to an undeliverable address
    nothing is queued, and None is returned.
    """
    if preparer not in PREPARERS:
        raise KeyError(f"no mail preparer named {preparer!r}")
    if undeliverable(to):
        return None
    if (existing := _queued(dedupe_key)) is not None:
        return existing
    with force_locale(locale):
        rendered_subject = str(subject() if callable(subject) else subject)
    message = OutboxMessage(
        recipient=header_safe(to),
        recipient_name=display_name_safe(to_name),
        subject=header_safe(rendered_subject),
        body_text="",
        locale=locale,
        topic=topic,
        sender=header_safe(sender) if sender else None,
        reply_to=header_safe(reply_to) if reply_to else None,
        status=OutboxStatus.PENDING,
        next_attempt_at=utcnow(),
        dedupe_key=dedupe_key,
        headers={name: header_safe(value) for name, value in (headers or {}).items()},
        prepare_with={"preparer": preparer, "args": args, "base_url": _base_url()},
    )
    db.session.add(message)
    return message


class PreparationImpossible(LookupError):
    """What a message was to be made from is gone (e.g. the registration was erased)."""


def prepare_messages(ids: list[int]) -> dict[int, str]:
    """Fill the body of those of ``ids`` still waiting for their preparer, and commit.

    Returns {id: error} for messages that can never be prepared (their preparer raised a
    LookupError: what they describe is gone); the caller fails them, with the error for the
    outbox page. Any other error (the database restarting, a broken template) propagates
    with nothing committed: the caller puts the batch back to be tried again later.
    """
    messages = db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.id.in_(ids), OutboxMessage.prepare_with.is_not(None))).all()
    errors = {}
    for message in messages:
        spec = message.prepare_with
        try:
            with current_app.test_request_context(base_url=spec["base_url"]), \
                    force_locale(message.locale):
                prepared = PREPARERS[spec["preparer"]](**spec["args"])
                context = dict(prepared.context, locale=message.locale,
                               subject=message.subject)
                message.body_text = render_template(f"mail/{prepared.template}.txt", **context)
                message.body_html = render_template(f"mail/{prepared.template}.html", **context)
        except LookupError as error:
            errors[message.id] = f"cannot prepare the message: {error}"
            continue
        message.attachments = _attachment_rows(prepared.attachments)
        message.prepare_with = None
    db.session.commit()
    return errors


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
