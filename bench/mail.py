"""Outbox throughput against raw SMTP.

Floor: the same messages sent with smtplib over one connection to the same local SMTP server,
no database: stdlib `EmailMessage`s built before the clock starts from the very rows the
outbox will send (same subject, names, text and HTML bodies in 8bit, Date, Message-ID and
Auto-Submitted headers), serialized and sent by `smtp.send_message`. Both sides put the same
bytes on the wire; the run checks that the average sizes agree. Value: `deliver_pending()`
sending them from the outbox (claiming, leasing, loading, building each message with the
stdlib's compat32 classes, recording each send). Ratio = outbox messages/s ÷ raw messages/s.

Most of the floor's time is `EmailMessage` serialization, which costs more than the outbox's
compat32 building; the note therefore also gives the rate of SMTP alone (the floor's bytes,
serialized before the clock), the bound no sender of these messages can pass.

Each side runs ROUNDS times, alternating (the outbox is reset to pending between rounds), and
the round with the median ratio is reported. It runs on a SQLite file database and, when
PostgreSQL answers at 127.0.0.1:5432, again on a scratch database `consult_bench_mail`
created for the run and dropped after it.
"""

from __future__ import annotations

import email.policy
import smtplib
import sys
import tempfile
import time
from contextlib import contextmanager
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from pathlib import Path

from aiosmtpd.controller import Controller

from bench.common import Result

COUNT = 2000
BATCH_SIZE = 100
ROUNDS = 3
POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
POSTGRES_BENCH_DB = "consult_bench_mail"
# sizes differ by a few bytes (boundaries, dates, ids); anything more means unequal work
SIZE_TOLERANCE = 0.03


class Sink:
    def __init__(self):
        self.count = 0
        self.bytes = 0

    def reset(self) -> None:
        self.count = 0
        self.bytes = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        self.bytes += len(envelope.content)
        return "250 OK"


def _queue(count: int) -> None:
    from flask_babel import lazy_gettext as _l

    from consult.auth.models import User
    from consult.extensions import db
    from consult.mail.services import queue_mail

    for n in range(count):
        queue_mail(
            to=f"p{n}@example.org",
            to_name="Тодор Христов",
            template="password_reset",
            subject=_l("Reset your Consult password"),
            locale="bg",
            context={"user": User(email="x@example.org", name="Тодор"),
                     "link": "https://consult.example/x", "minutes": 60},
        )
    db.session.commit()


def _requeue() -> None:
    """Make every message pending again, as if just queued."""
    import sqlalchemy as sa

    from consult.db import utcnow
    from consult.extensions import db
    from consult.mail.models import OutboxMessage, OutboxStatus

    db.session.execute(sa.update(OutboxMessage).values(
        status=OutboxStatus.PENDING, attempts=0, claimed_by=None, lease_until=None,
        sent_at=None, next_attempt_at=utcnow(),
    ))
    db.session.commit()


def _raw_messages(default_sender: str) -> list[EmailMessage]:
    """The queued rows as plain stdlib messages, the way a hand-written sender would."""
    import sqlalchemy as sa

    from consult.extensions import db
    from consult.mail.models import OutboxMessage

    rows = db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()
    messages = []
    for row in rows:
        name, address = parseaddr(row.sender or default_sender)
        message = EmailMessage(policy=email.policy.SMTP)
        message["Subject"] = row.subject
        message["From"] = Address(name, addr_spec=address)
        message["To"] = Address(row.recipient_name, addr_spec=row.recipient)
        message["Date"] = formatdate(localtime=True)
        message["Message-ID"] = (
            f"<outbox.{row.id}.{row.created_at:%Y%m%d%H%M%S}@{address.rpartition('@')[2]}>"
        )
        message["Auto-Submitted"] = "auto-generated"
        # 8bit bodies, as the outbox sends them (every line is far below SMTP's 998 octets)
        message.set_content(row.body_text, cte="8bit")
        message.add_alternative(row.body_html, subtype="html", cte="8bit")
        messages.append(message)
    db.session.commit()
    return messages


def _floor(messages: list[EmailMessage], port: int) -> float:
    start = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for message in messages:
            smtp.send_message(message)
    return len(messages) / (time.perf_counter() - start)


def _smtp_alone(messages: list[EmailMessage], port: int) -> float:
    envelopes = [
        (message["From"].addresses[0].addr_spec, [message["To"].addresses[0].addr_spec],
         message.as_bytes())
        for message in messages
    ]
    start = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for sender, recipients, data in envelopes:
            smtp.sendmail(sender, recipients, data)
    return len(envelopes) / (time.perf_counter() - start)


def _outbox() -> float:
    from consult.mail.worker import deliver_pending

    start = time.perf_counter()
    stats = deliver_pending()
    value = COUNT / (time.perf_counter() - start)
    assert stats.sent == COUNT, stats
    return value


def run(port: int, sink: Sink, database_url: str, label: str) -> Result:
    from consult import create_app
    from consult.extensions import db

    app = create_app("testing", SQLALCHEMY_DATABASE_URI=database_url, MAIL_PORT=port,
                     MAIL_BATCH_SIZE=BATCH_SIZE)
    floors, values = [], []
    floor_bytes = outbox_bytes = 0
    with app.app_context():
        try:
            db.create_all()
            _queue(COUNT)
            messages = _raw_messages(app.config["MAIL_DEFAULT_SENDER"])
            for n in range(ROUNDS):
                sink.reset()
                floors.append(_floor(messages, port))
                assert sink.count == COUNT, sink.count
                floor_bytes += sink.bytes

                if n:
                    _requeue()
                sink.reset()
                values.append(_outbox())
                assert sink.count == COUNT, sink.count
                outbox_bytes += sink.bytes
            smtp_alone = _smtp_alone(messages, port)
        finally:
            db.session.remove()
            db.engine.dispose()
    floor_size, outbox_size = floor_bytes / COUNT / ROUNDS, outbox_bytes / COUNT / ROUNDS
    assert abs(outbox_size - floor_size) <= SIZE_TOLERANCE * floor_size, (
        f"unequal messages: outbox {outbox_size:.0f} B, floor {floor_size:.0f} B"
    )
    # the round with the median ratio: each round's two runs are next to each other in time,
    # so a machine busy with something else for a while weighs on both
    ratios = [v / f for v, f in zip(values, floors, strict=True)]
    middle = sorted(range(ROUNDS), key=ratios.__getitem__)[ROUNDS // 2]
    value, floor = values[middle], floors[middle]
    return Result(
        name="mail: outbox worker vs raw SMTP" + ("" if label == "SQLite" else f" ({label})"),
        value=value,
        floor=floor,
        ratio=value / floor,
        target=0.8,
        better="higher",
        unit="messages/s",
        note=(f"{COUNT} messages of {outbox_size:.0f} B (floor {floor_size:.0f} B), "
              f"batches of {BATCH_SIZE}, {label} outbox, local aiosmtpd server, median "
              f"of {ROUNDS} rounds; SMTP alone (pre-serialized bytes) {smtp_alone:.0f} messages/s, "
              f"outbox at {value / smtp_alone:.2f} of that"),
    )


def run_sqlite(port: int, sink: Sink) -> Result:
    with tempfile.TemporaryDirectory() as tmp:
        return run(port, sink, f"sqlite:///{Path(tmp) / 'bench.sqlite3'}", "SQLite")


@contextmanager
def postgres_database():
    """A fresh scratch database, or None when no PostgreSQL server answers."""
    import psycopg

    try:
        admin = psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        print(f"mail: PostgreSQL not reachable, skipped ({error})".strip(), file=sys.stderr)
        yield None
        return
    with admin:
        # a run that was interrupted may have left it behind; nothing else uses this name
        admin.execute(f"DROP DATABASE IF EXISTS {POSTGRES_BENCH_DB}")
        admin.execute(f"CREATE DATABASE {POSTGRES_BENCH_DB}")
        try:
            yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{POSTGRES_BENCH_DB}"
        finally:
            admin.execute(f"DROP DATABASE IF EXISTS {POSTGRES_BENCH_DB} WITH (FORCE)")


def run_postgres(port: int, sink: Sink) -> Result | None:
    with postgres_database() as url:
        if url is None:
            return None
        return run(port, sink, url, "PostgreSQL")


def main(port_factory) -> list[Result]:
    sink = Sink()
    port = port_factory()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        results = [run_sqlite(port, sink)]
        postgres = run_postgres(port, sink)
        if postgres is not None:
            results.append(postgres)
        return results
    finally:
        controller.stop()
