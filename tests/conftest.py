"""Fixtures: app, client, db, a real SMTP server (aiosmtpd), builders, signed-in clients.

The suite runs on SQLite by default, and on PostgreSQL when TEST_DATABASE_URL is set
(.ci/run does both). The schema is created once per run; each test starts from empty tables.
"""

from __future__ import annotations

import email
import email.policy
import os
import re
import socket
import threading
import time

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from config import normalize_database_url
from consult import create_app
from consult.extensions import db as _db
from tests.factories import PASSWORD

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
ON_POSTGRES = bool(TEST_DATABASE_URL and TEST_DATABASE_URL.startswith("postgres"))


def pytest_collection_modifyitems(config, items):
    if ON_POSTGRES:
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: set TEST_DATABASE_URL")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RecordingHandler:
    """Accepts mail like a real server; can be told to refuse some recipients."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes = []
        self.refuse: dict[str, str] = {}
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.refuse:
            return self.refuse[address.lower()]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(message)
            self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


class SMTPServer:
    """A real SMTP server on a local port that can be stopped and started again."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.handler = RecordingHandler()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self):
        return self.handler.messages

    def to(self, address: str):
        return [m for m in self.messages if address.lower() in m["To"].lower()]

    def clear(self) -> None:
        self.handler.messages.clear()
        self.handler.envelopes.clear()
        self.handler.refuse.clear()


@pytest.fixture(scope="session")
def _smtp_server():
    server = SMTPServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp_server(_smtp_server):
    _smtp_server.clear()
    if _smtp_server.controller is None:
        _smtp_server.start()
    yield _smtp_server
    _smtp_server.clear()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    if TEST_DATABASE_URL:
        return normalize_database_url(TEST_DATABASE_URL)
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'consult-test.sqlite3'}"


def make_app(database_url, **overrides):
    settings = {"SQLALCHEMY_DATABASE_URI": database_url}
    settings.update(overrides)
    return create_app("testing", **settings)


@pytest.fixture(scope="session")
def _schema(database_url, _smtp_server):
    app = make_app(database_url, MAIL_PORT=_smtp_server.port)
    with app.app_context():
        _db.drop_all()
        _reset_alembic(_db)
        _db.create_all()
    yield
    with app.app_context():
        _db.session.remove()
        _db.drop_all()
        _db.engine.dispose()


def _reset_alembic(db):
    with db.engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))


def _empty_tables(db):
    db.session.remove()
    tables = list(reversed(db.metadata.sorted_tables))
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())


@pytest.fixture
def app(_schema, database_url, smtp_server):
    """The application the test client talks to.

    The test body runs in the context of a second instance on the same database, the way a
    person (or the mail worker) looks at the database from outside the web process: every
    request gets fresh request-scoped state (locale, session) and tests see only what was
    committed.
    """
    from consult.directory.models import ensure_builtin_types

    served = make_app(database_url, MAIL_PORT=smtp_server.port)
    own = make_app(database_url, MAIL_PORT=smtp_server.port)
    with own.app_context():
        ensure_builtin_types()  # what the migration seeds
        _db.session.commit()
        yield served
        _empty_tables(_db)
        _db.engine.dispose()
    with served.app_context():
        _db.engine.dispose()


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client, url: str = "/account/login") -> str:
    response = client.get(url)
    match = CSRF_RE.search(response.get_data(as_text=True))
    assert match, f"no CSRF token on {url} ({response.status_code})"
    return match.group(1)


def post_form(client, url: str, data: dict, form_page: str | None = None, **kwargs):
    """POST like a browser: fetch the page with the form first, send its CSRF token."""
    token = csrf_token(client, form_page or url)
    return client.post(url, data={**data, "csrf_token": token}, **kwargs)


class AuthActions:
    def __init__(self, client):
        self.client = client

    def login(self, email, password=PASSWORD):
        return post_form(self.client, "/account/login", {"email": email, "password": password})

    def logout(self):
        return post_form(self.client, "/account/logout", {}, form_page="/")


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def meeting_day(monkeypatch):
    """``meeting_day(meeting)``: the door's clock reads the morning of the meeting's day where
    it takes place (``at``, its local time): the door checks people in from that day on,
    and the tests register them before it, on the real clock."""
    from datetime import UTC, datetime
    from datetime import time as clock

    from consult.attendance import services

    def on(meeting, at: str = "09:30"):
        moment = datetime.combine(meeting.local_start.date(), clock.fromisoformat(at),
                                  meeting.zone).astimezone(UTC)
        monkeypatch.setattr(services, "utcnow", lambda: moment)
        return moment

    return on


def wait_for(predicate, timeout=10.0, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()
