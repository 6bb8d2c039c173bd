"""Send the outbox over SMTP.

A worker claims a batch of due messages (pending and due, or "sending" whose lease has
expired because the worker that claimed them died), then sends them over one SMTP
connection. While less than half the lease has passed nobody else can take its messages;
after that it renews the lease of what is left in one statement and drops any message
another worker has taken over, so two workers never send the same message while a lease
holds. A message can be sent twice only when a worker stalls longer than the lease between
handing it to the SMTP server and recording it as sent.

Temporary failures (no connection, 4xx) are retried with exponential back-off; permanent
ones (5xx) are marked failed and keep the server's answer for the organizer.
"""

from __future__ import annotations

import contextlib
import logging
import os
import smtplib
import socket
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import flask_mail
import sqlalchemy as sa
from flask import current_app
from flask_mail import Message
from sqlalchemy.orm import selectinload

from consult.db import utcnow
from consult.extensions import db
from consult.mail.models import OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)


class TemporaryFailure(Exception):
    pass


class PermanentFailure(Exception):
    pass


class ConnectionLost(TemporaryFailure):
    """The SMTP session is unusable: stop this batch, the rest is released for later."""


@dataclass
class DeliveryStats:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, other: DeliveryStats) -> None:
        self.sent += other.sent
        self.retried += other.retried
        self.failed += other.failed
        self.skipped += other.skipped
        self.errors.extend(other.errors)


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _due(now: datetime):
    return sa.or_(
        sa.and_(
            OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= now
        ),
        sa.and_(OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.lease_until < now),
    )


def claim_batch(worker_id: str, limit: int, now: datetime | None = None) -> list[int]:
    """Claim up to ``limit`` due messages for ``worker_id``; returns their ids in order."""
    now = now or utcnow()
    lease_until = now + timedelta(seconds=current_app.config["MAIL_LEASE_SECONDS"])
    candidates = (
        sa.select(OutboxMessage.id)
        .where(_due(now))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
        # PostgreSQL: concurrent workers skip each other's rows instead of waiting on them.
        # SQLite ignores it; its single writer and the re-checked condition below suffice.
        .with_for_update(skip_locked=True)
    )
    ids = list(db.session.scalars(candidates))
    if not ids:
        db.session.commit()
        return []
    db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids), _due(now))
        .values(
            status=OutboxStatus.SENDING,
            claimed_by=worker_id,
            lease_until=lease_until,
            attempts=OutboxMessage.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )
    claimed = list(
        db.session.scalars(
            sa.select(OutboxMessage.id)
            .where(
                OutboxMessage.id.in_(ids),
                OutboxMessage.claimed_by == worker_id,
                OutboxMessage.status == OutboxStatus.SENDING,
            )
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        )
    )
    db.session.commit()
    return claimed


def _mine(message_id: int, worker_id: str):
    return sa.and_(
        OutboxMessage.id == message_id,
        OutboxMessage.claimed_by == worker_id,
        OutboxMessage.status == OutboxStatus.SENDING,
    )


def _update_mine(message_id: int, worker_id: str, **values) -> bool:
    result = db.session.execute(
        sa.update(OutboxMessage)
        .where(_mine(message_id, worker_id))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


def backoff(attempts: int) -> timedelta:
    config = current_app.config
    seconds = config["MAIL_RETRY_BASE_SECONDS"] * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, config["MAIL_RETRY_MAX_SECONDS"]))


def build_message(row: OutboxMessage) -> Message:
    recipient = (row.recipient_name, row.recipient) if row.recipient_name else row.recipient
    message = Message(
        subject=row.subject,
        recipients=[recipient],
        body=row.body_text,
        html=row.body_html,
        sender=row.sender or current_app.config["MAIL_DEFAULT_SENDER"],
        reply_to=row.reply_to,
        charset="utf-8",
        extra_headers={"Auto-Submitted": "auto-generated"},
    )
    domain = row.recipient.rpartition("@")[2] or "localhost"
    sender_domain = message.sender.rpartition("@")[2].rstrip(">") or domain
    # stable per outbox row: a resend after a crash is recognisable as the same mail
    message.msgId = f"<outbox.{row.id}.{row.created_at:%Y%m%d%H%M%S}@{sender_domain}>"
    for attachment in row.attachments:
        content_type = attachment.content_type
        if content_type.startswith("text/") and "charset" not in content_type:
            # without it readers take the base64 text for ASCII and Cyrillic breaks
            content_type += "; charset=UTF-8"
        message.attach(attachment.filename, content_type, attachment.data)
    return message


def classify(error: Exception) -> Exception:
    """Map an smtplib/socket error to TemporaryFailure, ConnectionLost or PermanentFailure."""
    text = f"{type(error).__name__}: {error}"
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        details = "; ".join(
            f"{addr}: {code} {msg.decode(errors='replace') if isinstance(msg, bytes) else msg}"
            for addr, (code, msg) in error.recipients.items()
        )
        text = f"recipient refused: {details}"
        if codes and all(500 <= code < 600 for code in codes):
            return PermanentFailure(text)
        return TemporaryFailure(text)
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return ConnectionLost(text)
    if isinstance(error, smtplib.SMTPResponseException):
        message = error.smtp_error
        if isinstance(message, bytes):
            message = message.decode(errors="replace")
        text = f"{error.smtp_code} {message}"
        if 500 <= error.smtp_code < 600:
            return PermanentFailure(text)
        return TemporaryFailure(text)
    if isinstance(error, (OSError, smtplib.SMTPException)):
        return ConnectionLost(text)
    return PermanentFailure(text)


def _record_temporary(row_id: int, attempts: int, worker_id: str, error: str, stats) -> None:
    now = utcnow()
    if attempts >= current_app.config["MAIL_MAX_ATTEMPTS"]:
        _update_mine(
            row_id,
            worker_id,
            status=OutboxStatus.FAILED,
            last_error=f"gave up after {attempts} attempts: {error}",
            lease_until=None,
        )
        stats.failed += 1
    else:
        _update_mine(
            row_id,
            worker_id,
            status=OutboxStatus.PENDING,
            next_attempt_at=now + backoff(attempts),
            last_error=error,
            lease_until=None,
            claimed_by=None,
        )
        stats.retried += 1
    stats.errors.append(error)


def _release(ids: list[int], worker_id: str, error: str, stats: DeliveryStats) -> None:
    for row_id in ids:
        attempts = db.session.scalar(
            sa.select(OutboxMessage.attempts).where(OutboxMessage.id == row_id)
        )
        _record_temporary(row_id, attempts or 1, worker_id, error, stats)


def _renew_leases(ids: list[int], worker_id: str, lease: timedelta) -> list[int]:
    """Extend the lease of ``ids`` still held by ``worker_id``; returns those, in order."""
    db.session.execute(
        sa.update(OutboxMessage)
        .where(
            OutboxMessage.id.in_(ids),
            OutboxMessage.claimed_by == worker_id,
            OutboxMessage.status == OutboxStatus.SENDING,
        )
        .values(lease_until=utcnow() + lease)
        .execution_options(synchronize_session=False)
    )
    held = set(
        db.session.scalars(
            sa.select(OutboxMessage.id).where(
                OutboxMessage.id.in_(ids),
                OutboxMessage.claimed_by == worker_id,
                OutboxMessage.status == OutboxStatus.SENDING,
            )
        )
    )
    db.session.commit()
    return [row_id for row_id in ids if row_id in held]


class TimedConnection(flask_mail.Connection):
    """Flask-Mail's connection with a socket timeout: a server that accepts and then says
    nothing must not hold a worker (and its leases) forever."""

    def configure_host(self):
        timeout = current_app.config["MAIL_TIMEOUT_SECONDS"]
        if self.mail.use_ssl:
            host = smtplib.SMTP_SSL(self.mail.server, self.mail.port, timeout=timeout)
        else:
            host = smtplib.SMTP(self.mail.server, self.mail.port, timeout=timeout)
        host.set_debuglevel(int(self.mail.debug))
        if self.mail.use_tls:
            host.starttls()
        if self.mail.username and self.mail.password:
            host.login(self.mail.username, self.mail.password)
        return host


def send_batch(ids: list[int], worker_id: str, claimed_at: datetime | None = None) -> DeliveryStats:
    """Send the claimed messages over one SMTP connection."""
    stats = DeliveryStats()
    lease = timedelta(seconds=current_app.config["MAIL_LEASE_SECONDS"])
    safe_until = (claimed_at or utcnow()) + lease / 2
    remaining = list(ids)
    # one query for the whole batch and its attachments, not two per message
    rows = {
        row.id: row
        for row in db.session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.id.in_(ids))
            .options(selectinload(OutboxMessage.attachments))
        )
    }
    outgoing = {row_id: build_message(row) for row_id, row in rows.items()}
    attempts = {row_id: row.attempts for row_id, row in rows.items()}
    db.session.commit()
    try:
        connection = TimedConnection(current_app.extensions["mail"])
        connection.__enter__()
    except Exception as error:  # noqa: BLE001 - every failure to connect is retried later
        _release(remaining, worker_id, str(classify(error)), stats)
        return stats
    try:
        while remaining:
            if utcnow() >= safe_until:
                # half the lease is gone: renew it, and leave taken-over messages to their worker
                held = _renew_leases(remaining, worker_id, lease)
                stats.skipped += len(remaining) - len(held)
                remaining = held
                safe_until = utcnow() + lease / 2
                continue
            row_id = remaining[0]
            try:
                connection.send(outgoing[row_id])
            except Exception as error:  # noqa: BLE001 - classified below
                failure = classify(error)
                if isinstance(failure, PermanentFailure):
                    _update_mine(
                        row_id,
                        worker_id,
                        status=OutboxStatus.FAILED,
                        last_error=str(failure),
                        lease_until=None,
                    )
                    stats.failed += 1
                    stats.errors.append(str(failure))
                    remaining.pop(0)
                    continue
                if isinstance(failure, ConnectionLost):
                    _release(remaining, worker_id, str(failure), stats)
                    remaining = []
                    connection.host = None  # do not QUIT a dead session
                    break
                _record_temporary(row_id, attempts[row_id], worker_id, str(failure), stats)
                remaining.pop(0)
                try:
                    connection.host.rset()  # a refused transaction leaves the session usable
                except (OSError, smtplib.SMTPException):
                    _release(remaining, worker_id, str(failure), stats)
                    remaining = []
                    connection.host = None
                    break
                continue
            _update_mine(
                row_id,
                worker_id,
                status=OutboxStatus.SENT,
                sent_at=utcnow(),
                lease_until=None,
                last_error=None,
            )
            stats.sent += 1
            remaining.pop(0)
    finally:
        with contextlib.suppress(OSError, smtplib.SMTPException):
            connection.__exit__(None, None, None)
    return stats


def deliver_pending(worker_id: str | None = None, batch_size: int | None = None) -> DeliveryStats:
    """Send everything that is due now, batch after batch, then return."""
    worker_id = worker_id or new_worker_id()
    batch_size = batch_size or current_app.config["MAIL_BATCH_SIZE"]
    total = DeliveryStats()
    while True:
        claimed_at = utcnow()
        ids = claim_batch(worker_id, batch_size, now=claimed_at)
        if not ids:
            return total
        stats = send_batch(ids, worker_id, claimed_at)
        total.add(stats)
        if stats.sent == 0 and stats.failed == 0:
            # nothing got through (server down): stop and let back-off do its work
            return total


def work_forever(poll_seconds: float, stop=lambda: False) -> None:
    worker_id = new_worker_id()
    log.info("mail worker %s started", worker_id)
    while not stop():
        try:
            stats = deliver_pending(worker_id)
        except Exception:  # noqa: BLE001 - e.g. the database restarting: wait, then go on
            log.exception("mail worker: this round failed; trying again")
            db.session.rollback()
        else:
            if stats.sent or stats.failed or stats.retried:
                log.info(
                    "sent %d, retried %d, failed %d", stats.sent, stats.retried, stats.failed
                )
        finally:
            db.session.remove()
        time.sleep(poll_seconds)
