"""Outbox throughput against raw SMTP.

Floor: the same number of multipart messages sent with smtplib over one connection to the
same local SMTP server, no database. Value: `deliver_pending()` sending them from the outbox
(claiming, leasing, recording each send). Ratio = outbox messages/s ÷ raw messages/s.
"""

from __future__ import annotations

import smtplib
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller

from bench.common import Result

COUNT = 2000


class Sink:
    def __init__(self):
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        return "250 OK"


def _raw_messages():
    for n in range(COUNT):
        message = EmailMessage()
        message["Subject"] = "Покана: дискусионна среща"
        message["From"] = "Consult <consult@localhost>"
        message["To"] = f"Тодор Христов <p{n}@example.org>"
        message.set_content("Здравейте,\n\nпокана за среща.\n" * 10)
        message.add_alternative("<p>Здравейте,</p><p>покана за среща.</p>" * 10, subtype="html")
        yield message


def run(port: int) -> Result:
    from flask_babel import lazy_gettext as _l

    from consult import create_app
    from consult.auth.models import User
    from consult.extensions import db
    from consult.mail.services import queue_mail
    from consult.mail.worker import deliver_pending

    messages = list(_raw_messages())
    start = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for message in messages:
            smtp.send_message(message)
    floor = COUNT / (time.perf_counter() - start)

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            "testing",
            SQLALCHEMY_DATABASE_URI=f"sqlite:///{Path(tmp) / 'bench.sqlite3'}",
            MAIL_PORT=port,
            MAIL_BATCH_SIZE=100,
        )
        with app.app_context():
            db.create_all()
            for n in range(COUNT):
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
            start = time.perf_counter()
            stats = deliver_pending()
            value = COUNT / (time.perf_counter() - start)
            assert stats.sent == COUNT, stats
            db.engine.dispose()
    return Result(
        name="mail: outbox worker vs raw SMTP",
        value=value,
        floor=floor,
        ratio=value / floor,
        target=0.8,
        better="higher",
        unit="messages/s",
        note=f"{COUNT} messages, SQLite outbox, local aiosmtpd server",
    )


def main(port_factory) -> list[Result]:
    sink = Sink()
    port = port_factory()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        return [run(port)]
    finally:
        controller.stop()
