"""A mail worker killed with SIGKILL in the middle of a batch loses nothing."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from consult.auth.models import User
from consult.db import utcnow
from consult.mail.models import OutboxMessage, OutboxStatus
from consult.mail.services import queue_mail
from consult.mail.worker import deliver_pending
from tests.conftest import SMTPServer, make_app, wait_for

ROOT = Path(__file__).resolve().parents[2]


def test_sigkill_mid_batch_loses_nothing(_schema, database_url, db):
    server = SMTPServer()
    original = server.handler.handle_DATA

    async def slow(srv, session, envelope):
        await asyncio.sleep(0.1)  # a slow server keeps the worker busy long enough to kill
        return await original(srv, session, envelope)

    server.handler.handle_DATA = slow
    server.start()
    try:
        app = make_app(database_url, MAIL_PORT=server.port)
        with app.app_context():
            for n in range(30):
                queue_mail(to=f"p{n}@example.org", template="password_reset",
                           subject=_l("Reset your Consult password"),
                           context={"user": User(email="x@example.org", name="X"),
                                    "link": "http://l", "minutes": 60})
            db.session.commit()
        env = {**os.environ, "CONSULT_ENV": "testing", "TEST_DATABASE_URL": database_url,
               "MAIL_PORT": str(server.port), "FLASK_APP": "wsgi:app"}
        worker = subprocess.Popen(
            [sys.executable, "-m", "flask", "mail", "work", "--once"], cwd=ROOT, env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        assert wait_for(lambda: len(server.messages) >= 5, timeout=30)
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
        sent_by_dead_worker = len(server.messages)
        assert 5 <= sent_by_dead_worker < 30

        with app.app_context():
            stuck = db.session.scalar(sa.select(sa.func.count()).where(
                OutboxMessage.status == OutboxStatus.SENDING))
            assert stuck > 0  # claimed by the dead worker, waiting for its lease to run out
            db.session.execute(sa.update(OutboxMessage)
                               .where(OutboxMessage.status == OutboxStatus.SENDING)
                               .values(lease_until=utcnow() - timedelta(seconds=1)))
            db.session.commit()
            deliver_pending()
            statuses = set(db.session.scalars(sa.select(OutboxMessage.status)))
            db.engine.dispose()
        received = [m["To"].addresses[0].addr_spec for m in server.messages]
        assert set(received) == {f"p{n}@example.org" for n in range(30)}
        # at most the one message that was on the wire when the worker died goes twice
        assert len(received) - len(set(received)) <= 1
        assert statuses == {OutboxStatus.SENT}
    finally:
        server.stop()
