"""Send the outbox over SMTP.

A worker claims a batch of due messages (pending and due, or "sending" whose lease has
expired because the worker that claimed them died), then sends them over one SMTP
connection. While less than half the lease has passed nobody else can take its messages;
after that it renews the lease of what is left in one statement and drops any message
another worker has taken over, so two workers never send the same message while a lease
holds.

Each message is recorded as sent right after the SMTP server accepted it, and before the next
one is handed over: one UPDATE that is its own transaction, committed when it returns. A
message can therefore be sent twice only when a worker stalls (or is killed) longer than the
lease between handing it to the SMTP server and recording it as sent, which is at most the
one message it was sending; or when the database loses its last commits: on SQLite when the
operating system crashes or the machine loses power (WAL with synchronous=NORMAL, see
``_sqlite_pragmas``), on PostgreSQL when the server crashes (the records are committed
without waiting for the disk, see ``_recorder``). A message whose record was lost goes out
again. Every send of a message carries the same Message-ID.

Messages are built with the standard library's compat32 classes: multipart/alternative text
and HTML (8bit, base64 only for a line longer than SMTP allows) inside multipart/mixed when
there are attachments, RFC 2047 headers for UTF-8 subjects and names. A message that cannot
be built (say, an address with a non-ASCII local part) is marked failed with the reason.

Temporary failures (no connection, 4xx) are retried with exponential back-off; permanent
ones (5xx) are marked failed and keep the server's answer for the organizer.
"""

from __future__ import annotations

import contextlib
import email.charset
import email.policy
import io
import logging
import os
import secrets
import smtplib
import socket
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.charset import Charset
from email.encoders import encode_base64
from email.generator import BytesGenerator
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate, parseaddr

import flask_mail
import sqlalchemy as sa
from flask import current_app

from consult.db import utcnow
from consult.extensions import db
from consult.files import StoredFile
from consult.mail.models import OutboxAttachment, OutboxMessage, OutboxStatus
from consult.mail.services import Attachment, prepare_messages

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


_outbox = OutboxMessage.__table__
# built once: this runs after every accepted message, and building and caching a statement
# cost more than executing it
_MARK_SENT = (
    sa.update(_outbox)
    .where(
        _outbox.c.id == sa.bindparam("row_id"),
        _outbox.c.claimed_by == sa.bindparam("worker_id"),
        _outbox.c.status == OutboxStatus.SENDING,
    )
    .values(status=OutboxStatus.SENT, sent_at=sa.bindparam("sent_at"), lease_until=None,
            last_error=None)
)


def _recorder() -> sa.Connection:
    """A connection of its own for recording sends: on it one UPDATE is a whole transaction,
    committed when the statement returns, in one round trip to the database (the session
    would add a BEGIN and a COMMIT to every message).

    On PostgreSQL its commits do not wait for the write-ahead log to reach the disk
    (synchronous_commit off, for this connection only): that wait was most of the time
    between two messages. A record is visible to every other connection at once and
    survives a restart of the server; only a crash of the database server (or of its
    machine) can lose the records of the last fraction of a second, and those messages then
    go out again, as on SQLite after a power loss.
    """
    connection = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    if connection.dialect.name == "postgresql":
        try:
            connection.exec_driver_sql("SET synchronous_commit = off")
        except Exception:
            connection.close()
            raise
    return connection


def _close_recorder(recorder: sa.Connection) -> None:
    """Give the connection back to the pool as it came, its commits durable again; one
    whose state is unknown (the database went away mid-batch) is discarded instead."""
    try:
        if recorder.dialect.name == "postgresql" and not recorder.invalidated:
            recorder.exec_driver_sql("RESET synchronous_commit")
    except Exception:  # noqa: BLE001 - never hide the error that ended the batch
        recorder.invalidate()
    finally:
        recorder.close()


def _record_sent(recorder: sa.Connection, row_id: int, worker_id: str) -> None:
    """Commit one message as sent, right after the server accepted it."""
    recorder.execute(_MARK_SENT, {"row_id": row_id, "worker_id": worker_id, "sent_at": utcnow()})


def backoff(attempts: int) -> timedelta:
    config = current_app.config
    seconds = config["MAIL_RETRY_BASE_SECONDS"] * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, config["MAIL_RETRY_MAX_SECONDS"]))


def _charset(body_encoding: int | None) -> Charset:
    # set explicitly: the registry's defaults for utf-8 are global state (Flask-Mail changes them)
    charset = Charset("utf-8")
    charset.header_encoding = email.charset.SHORTEST  # B or Q words, whichever is shorter
    charset.body_encoding = body_encoding
    charset.output_charset = "utf-8"
    return charset


UTF8 = _charset(None)  # bodies as 8bit (7bit when ASCII), as Flask-Mail sent them
UTF8_BASE64 = _charset(email.charset.BASE64)
MAX_LINE_OCTETS = 998  # the longest line SMTP carries (RFC 5321 4.5.3.1.6)


class _SMTPPolicy(email.policy.Compat32):
    """compat32 (what Flask-Mail builds with; it serializes several times faster than
    EmailMessage), writing an ASCII header on one line as long as RFC 5322 allows. compat32
    would fold before a token that does not fit, such as the URL in List-Unsubscribe, and
    leave the header's first line empty; on short values the result is the same, only
    cheaper. Non-ASCII values are ``Header`` objects and fold as usual."""

    def fold_binary(self, name, value):
        if isinstance(value, str) and "\r" not in value and "\n" not in value:
            line = f"{name}: {value}"
            if line.isascii() and len(line) <= MAX_LINE_OCTETS:
                return (line + self.linesep).encode("ascii")
        return super().fold_binary(name, value)


# CRLF for SMTP; "From " at a line start needs no mangling over SMTP
POLICY = _SMTPPolicy(linesep="\r\n", mangle_from_=False)


def _text(body: str, subtype: str) -> MIMEText:
    """8bit (7bit if ASCII) as before; only a line too long for SMTP makes it base64."""
    longest = max((len(line) for line in body.encode().splitlines()), default=0)
    return MIMEText(body, subtype, UTF8 if longest <= MAX_LINE_OCTETS else UTF8_BASE64,
                    policy=POLICY)


def _boundary(texts: Iterable[str]) -> str:
    """A random multipart boundary that the 8bit texts do not contain (base64 cannot: it has
    no "_"). Left to itself the generator compiles a regular expression per message for this
    check: about a fifth of the time it took to build one."""
    while True:
        boundary = f"=_{secrets.token_hex(16)}"
        if not any(boundary in text for text in texts):
            return boundary


def _header_value(name: str, value: str) -> Header | str:
    """RFC 2047 words, folded to fit the lines, for a value that needs them; ASCII as given."""
    if "\r" in value or "\n" in value:
        raise ValueError(f"line break in the {name} header: {value!r}")
    return value if value.isascii() else Header(value, UTF8, header_name=name)


def split_address(value: str | tuple[str, str]) -> tuple[str, str]:
    """``(name, address)`` of ``Name <address>``, also when the name holds a comma (as a
    series' sender name may), or of a bare address."""
    if isinstance(value, tuple):
        return value
    name, bracket, rest = value.rpartition("<")
    if bracket and rest.endswith(">") and "@" in rest:
        return name.strip().strip('"').strip(), rest[:-1].strip()
    return parseaddr(value)


def _ascii_address(address: str) -> str:
    """The address with an internationalised domain in its ASCII (IDNA) form, which SMTP and
    headers carry; a non-ASCII local part cannot be sent without SMTPUTF8."""
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        raise ValueError(f"not an e-mail address: {address!r}")
    if not domain.isascii():
        domain = domain.encode("idna").decode("ascii")
    if not local.isascii():
        raise ValueError(f"non-ASCII local part: {address!r}")
    return f"{local}@{domain}"


def _address_header(header: str, name: str, address: str) -> Header | str:
    if not name.isascii():
        if "\r" in name or "\n" in name:
            raise ValueError(f"line break in a name: {name!r}")
        value = Header(name, UTF8, header_name=header)
        value.append(f"<{address}>", "us-ascii")
        return value
    return _header_value(header, formataddr((name, address)))  # quotes "a, b" and the like


@dataclass(frozen=True)
class Outgoing:
    """One message ready for the wire: the SMTP envelope and the serialized message."""

    sender: str
    recipient: str
    data: bytes


def build_message(row, attachments: Iterable = (), default_sender=None) -> Outgoing:
    """The MIME message of an outbox row (an ``OutboxMessage`` or a row with its columns):
    multipart/alternative text and HTML, inside multipart/mixed when there are attachments."""
    sender = row.sender or default_sender or current_app.config["MAIL_DEFAULT_SENDER"]
    sender_name, sender_address = split_address(sender)
    if isinstance(sender, tuple):
        sender = f"{sender_name} <{sender_address}>"
    sender_address = _ascii_address(sender_address)
    recipient = _ascii_address(row.recipient)

    texts = (row.body_text, row.body_html or "")
    body = _text(row.body_text, "plain")
    if row.body_html:
        body = MIMEMultipart("alternative", _boundary(texts),
                             [body, _text(row.body_html, "html")], policy=POLICY)
    message = body
    if attachments:
        message = MIMEMultipart("mixed", _boundary(texts), [body], policy=POLICY)
    for attachment in attachments:
        if attachment.data is None:
            raise LookupError(f"the attached file {attachment.filename!r} was deleted before "
                              "the message was sent")
        content_type = attachment.content_type
        if content_type.startswith("text/") and "charset" not in content_type:
            # without it readers take the base64 text for ASCII and Cyrillic breaks
            content_type += "; charset=UTF-8"
        part = Message(policy=POLICY)
        part["Content-Type"] = _header_value("Content-Type", content_type)
        part.set_payload(attachment.data)
        encode_base64(part)
        filename = attachment.filename
        part.add_header("Content-Disposition", "attachment",
                        filename=filename if filename.isascii() else ("utf-8", "", filename))
        message.attach(part)

    message["Subject"] = _header_value("Subject", row.subject)
    message["From"] = _address_header("From", sender_name, sender_address)
    message["To"] = _address_header("To", row.recipient_name or "", recipient)
    message["Date"] = formatdate(localtime=True)
    domain = row.recipient.rpartition("@")[2] or "localhost"
    sender_domain = sender.rpartition("@")[2].rstrip(">") or domain
    # stable per outbox row: a resend after a crash is recognisable as the same mail
    message["Message-ID"] = _header_value(
        "Message-ID", f"<outbox.{row.id}.{row.created_at:%Y%m%d%H%M%S}@{sender_domain}>"
    )
    if row.reply_to:
        reply_name, reply_address = split_address(row.reply_to)
        message["Reply-To"] = _address_header("Reply-To", reply_name,
                                              _ascii_address(reply_address))
    for name, value in {"Auto-Submitted": "auto-generated", **(row.headers or {})}.items():
        message[name] = _header_value(name, value)

    buffer = io.BytesIO()
    BytesGenerator(buffer, policy=POLICY).flatten(message)
    return Outgoing(sender_address, recipient, buffer.getvalue())


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


class Pace:
    """Spaces sends to at most ``per_minute`` (0: no limit). The pace is per worker process:
    an installation that runs one worker (the documented set-up) sends at that rate."""

    def __init__(self, per_minute: int):
        self.interval = 60.0 / per_minute if per_minute > 0 else 0.0
        self.next_at = time.monotonic()

    def wait(self) -> None:
        if not self.interval:
            return
        now = time.monotonic()
        if now < self.next_at:
            time.sleep(self.next_at - now)
        self.next_at = max(now, self.next_at) + self.interval


_COLUMNS = (
    OutboxMessage.id, OutboxMessage.attempts, OutboxMessage.created_at,
    OutboxMessage.recipient, OutboxMessage.recipient_name, OutboxMessage.sender,
    OutboxMessage.reply_to, OutboxMessage.subject, OutboxMessage.body_text,
    OutboxMessage.body_html, OutboxMessage.headers, OutboxMessage.prepare_with,
)


def _load(ids: list[int]) -> tuple[dict[int, sa.Row], dict[int, list[sa.Row]]]:
    """The batch's rows and attachments in two queries, as plain rows: ORM objects would sit
    in the session, and every per-message commit would expire all of them again."""
    rows = {
        row.id: row
        for row in db.session.execute(sa.select(*_COLUMNS).where(OutboxMessage.id.in_(ids)))
    }
    found = db.session.execute(
        sa.select(
            OutboxAttachment.message_id, OutboxAttachment.filename,
            OutboxAttachment.content_type, OutboxAttachment.data,
            OutboxAttachment.stored_file_id,
        )
        .where(OutboxAttachment.message_id.in_(ids))
        .order_by(OutboxAttachment.id)
    ).all()
    # a document mailed to a whole group: its bytes read once for the batch
    file_ids = {a.stored_file_id for a in found if a.data is None and a.stored_file_id}
    files = dict(db.session.execute(sa.select(StoredFile.id, StoredFile.data).where(
        StoredFile.id.in_(file_ids))).all()) if file_ids else {}
    attachments = defaultdict(list)
    for a in found:
        data = a.data if a.data is not None else files.get(a.stored_file_id)
        attachments[a.message_id].append(Attachment(a.filename, a.content_type, data))
    return rows, attachments


def _fail(row_id: int, worker_id: str, error: str, stats: DeliveryStats) -> None:
    _update_mine(row_id, worker_id, status=OutboxStatus.FAILED, last_error=error,
                 lease_until=None)
    stats.failed += 1
    stats.errors.append(error)


def send_batch(ids: list[int], worker_id: str, claimed_at: datetime | None = None) -> DeliveryStats:
    """Send the claimed messages over one SMTP connection."""
    stats = DeliveryStats()
    lease = timedelta(seconds=current_app.config["MAIL_LEASE_SECONDS"])
    safe_until = (claimed_at or utcnow()) + lease / 2
    try:
        impossible = prepare_messages(ids)
    except Exception as error:  # noqa: BLE001 - e.g. the database restarting: try again later
        db.session.rollback()
        _release(ids, worker_id, f"cannot prepare the messages: {error}", stats)
        return stats
    for row_id, error in impossible.items():
        _fail(row_id, worker_id, error, stats)
        ids = [i for i in ids if i != row_id]
    remaining = list(ids)
    rows, attachments = _load(ids)
    db.session.commit()
    try:
        connection = TimedConnection(current_app.extensions["mail"])
        connection.__enter__()
    except Exception as error:  # noqa: BLE001 - every failure to connect is retried later
        _release(remaining, worker_id, str(classify(error)), stats)
        return stats
    pace = Pace(current_app.config["MAIL_RATE_PER_MINUTE"])
    default_sender = current_app.config["MAIL_DEFAULT_SENDER"]
    recorder = None
    try:
        recorder = _recorder()
        while remaining:
            if utcnow() >= safe_until:
                # half the lease is gone: renew it, and leave taken-over messages to their worker
                held = _renew_leases(remaining, worker_id, lease)
                stats.skipped += len(remaining) - len(held)
                remaining = held
                safe_until = utcnow() + lease / 2
                continue
            row_id = remaining[0]
            row = rows.get(row_id)
            if row is None:  # deleted since it was claimed
                stats.skipped += 1
                remaining.pop(0)
                continue
            if row.prepare_with is not None:  # its body was never written: never send it empty
                _record_temporary(row_id, row.attempts, worker_id, "not prepared yet", stats)
                remaining.pop(0)
                continue
            try:
                outgoing = build_message(row, attachments[row_id], default_sender)
            except Exception as error:  # noqa: BLE001 - the row itself is wrong: retrying won't help
                _fail(row_id, worker_id, f"cannot build the message: {error}", stats)
                remaining.pop(0)
                continue
            pace.wait()
            try:
                if connection.host is not None:  # None: MAIL_SUPPRESS_SEND
                    connection.host.sendmail(outgoing.sender, [outgoing.recipient], outgoing.data)
            except Exception as error:  # noqa: BLE001 - classified below
                failure = classify(error)
                if isinstance(failure, PermanentFailure):
                    _fail(row_id, worker_id, str(failure), stats)
                    remaining.pop(0)
                    continue
                if isinstance(failure, ConnectionLost):
                    _release(remaining, worker_id, str(failure), stats)
                    remaining = []
                    connection.host = None  # do not QUIT a dead session
                    break
                _record_temporary(row_id, row.attempts, worker_id, str(failure), stats)
                remaining.pop(0)
                try:
                    connection.host.rset()  # a refused transaction leaves the session usable
                except (OSError, smtplib.SMTPException):
                    _release(remaining, worker_id, str(failure), stats)
                    remaining = []
                    connection.host = None
                    break
                continue
            _record_sent(recorder, row_id, worker_id)
            stats.sent += 1
            remaining.pop(0)
    finally:
        with contextlib.suppress(OSError, smtplib.SMTPException):
            connection.__exit__(None, None, None)
        if recorder is not None:
            _close_recorder(recorder)
    return stats


def deliver_pending(worker_id: str | None = None, batch_size: int | None = None,
                    on_progress=None) -> DeliveryStats:
    """Send everything that is due now, batch after batch, then return."""
    worker_id = worker_id or new_worker_id()
    batch_size = batch_size or current_app.config["MAIL_BATCH_SIZE"]
    rate = current_app.config["MAIL_RATE_PER_MINUTE"]
    if rate:
        # a batch must go out well within its lease, at the configured pace
        lease_minutes = current_app.config["MAIL_LEASE_SECONDS"] / 60
        batch_size = max(1, min(batch_size, int(rate * lease_minutes / 4)))
    total = DeliveryStats()
    while True:
        claimed_at = utcnow()
        ids = claim_batch(worker_id, batch_size, now=claimed_at)
        if not ids:
            return total
        stats = send_batch(ids, worker_id, claimed_at)
        total.add(stats)
        if on_progress is not None:
            on_progress(stats)
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
