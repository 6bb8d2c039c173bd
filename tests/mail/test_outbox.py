"""The outbox against a real SMTP server: nothing lost, nothing sent twice, errors kept."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from consult.db import utcnow
from consult.mail.models import OutboxMessage, OutboxStatus
from consult.mail.services import Attachment, queue_mail
from consult.mail.worker import claim_batch, deliver_pending
from tests.conftest import SMTPServer, make_app, wait_for

ICS = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Consult//test//EN\r\nMETHOD:PUBLISH\r\n"
    "BEGIN:VEVENT\r\nUID:meeting-1@consult\r\nDTSTAMP:20201101T080000Z\r\n"
    "DTSTART:20201102T080000Z\r\nSUMMARY:Дискусионна среща\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


def queue(to="todor@example.bg", name="Тодор Христов", subject=None, **kwargs):
    from consult.auth.models import User

    user = User(email=to, name=name)
    return queue_mail(
        to=to,
        to_name=name,
        locale=kwargs.pop("locale", "en"),
        template="password_reset",
        subject=subject or _l("Reset your Consult password"),
        context={"user": user, "link": "https://consult.example/reset/abc", "minutes": 60},
        **kwargs,
    )


def messages(db, status=None):
    query = sa.select(OutboxMessage).order_by(OutboxMessage.id)
    if status:
        query = query.where(OutboxMessage.status == status)
    return db.session.scalars(query).all()


def test_rolled_back_mail_is_never_sent(db, smtp_server):
    queue()
    db.session.rollback()
    stats = deliver_pending()
    assert stats.sent == 0
    assert smtp_server.messages == []


def test_committed_mail_arrives_multipart_utf8_with_attachment(db, smtp_server):
    queue(
        subject="Покана: дискусионна среща — Видин",
        attachments=[Attachment("meeting.ics", "text/calendar", ICS.encode())],
    )
    db.session.commit()
    stats = deliver_pending()
    assert stats.sent == 1
    [mail] = smtp_server.messages
    assert mail["Subject"] == "Покана: дискусионна среща — Видин"
    assert mail["To"].addresses[0].display_name == "Тодор Христов"
    assert mail["To"].addresses[0].addr_spec == "todor@example.bg"
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail.is_multipart()
    text = mail.get_body(preferencelist=("plain",)).get_content()
    html = mail.get_body(preferencelist=("html",)).get_content()
    assert "Hello Тодор Христов," in text
    assert "https://consult.example/reset/abc" in text
    assert '<a href="https://consult.example/reset/abc">' in html
    [attachment] = list(mail.iter_attachments())
    assert attachment.get_filename() == "meeting.ics"
    assert attachment.get_content_type() == "text/calendar"
    assert "SUMMARY:Дискусионна среща" in attachment.get_content()
    [row] = messages(db)
    assert row.status is OutboxStatus.SENT
    assert row.sent_at is not None


def test_mail_is_rendered_in_the_recipients_language(db, smtp_server):
    queue(locale="bg")
    db.session.commit()
    deliver_pending()
    [mail] = smtp_server.messages
    assert mail["Subject"] != "Reset your Consult password"
    assert "Consult" in mail["Subject"]
    assert any("\u0400" <= c <= "\u04ff" for c in mail["Subject"])
    text = mail.get_body(preferencelist=("plain",)).get_content()
    assert "Hello" not in text
    assert "Тодор Христов" in text


def test_line_breaks_in_names_cannot_inject_headers(db, smtp_server):
    queue(name="Evil\r\nBcc: victim@example.org", subject="Hi\r\nBcc: victim@example.org")
    db.session.commit()
    assert deliver_pending().sent == 1
    [mail] = smtp_server.messages
    assert mail["Bcc"] is None
    assert smtp_server.handler.envelopes[0].rcpt_tos == ["todor@example.bg"]
    assert "\n" not in mail["Subject"]


def test_address_syntax_in_names_cannot_break_the_to_header(db, smtp_server):
    queue(name='<script>alert("x")</script> Георги, "Жоро"')
    db.session.commit()
    deliver_pending()
    [mail] = smtp_server.messages
    [address] = mail["To"].addresses
    assert address.addr_spec == "todor@example.bg"
    assert "Георги" in address.display_name
    assert "<" not in address.display_name


def test_many_messages_go_over_one_connection(db, smtp_server, monkeypatch):
    import smtplib

    connections = []
    original = smtplib.SMTP.connect

    def counting_connect(self, *args, **kwargs):
        connections.append(args)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(smtplib.SMTP, "connect", counting_connect)
    for n in range(20):
        queue(to=f"person{n}@example.org")
    db.session.commit()
    assert deliver_pending(batch_size=50).sent == 20
    assert len(smtp_server.messages) == 20
    assert len(connections) == 1


def test_permanent_refusal_is_failed_with_the_error_kept(db, smtp_server, app, auth):
    from tests.factories import make_user

    smtp_server.handler.refuse["nobody@example.org"] = "550 5.1.1 No such user here"
    queue(to="nobody@example.org")
    queue(to="somebody@example.org")
    db.session.commit()
    stats = deliver_pending()
    assert (stats.sent, stats.failed) == (1, 1)
    failed = messages(db, OutboxStatus.FAILED)
    assert [m.recipient for m in failed] == ["nobody@example.org"]
    assert "550" in failed[0].last_error
    assert "No such user" in failed[0].last_error
    # the administrator sees the failure and its reason
    make_user("admin", email="admin@example.org")
    auth.login("admin@example.org")
    page = auth.client.get("/manage/outbox/?status=failed").get_data(as_text=True)
    assert "nobody@example.org" in page
    assert "No such user here" in page


def test_temporary_refusal_is_retried_with_backoff(db, smtp_server):
    smtp_server.handler.refuse["busy@example.org"] = "451 4.7.1 Greylisted, try later"
    queue(to="busy@example.org")
    db.session.commit()
    before = utcnow()
    stats = deliver_pending()
    assert stats.retried == 1
    [row] = messages(db)
    assert row.status is OutboxStatus.PENDING
    assert row.attempts == 1
    assert "451" in row.last_error
    assert row.next_attempt_at >= before + timedelta(seconds=59)
    # not due yet: a second run does nothing
    assert deliver_pending().sent == 0
    # the back-off doubles with each attempt
    row.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    before = utcnow()
    deliver_pending()
    db.session.refresh(row)
    assert row.attempts == 2
    assert row.next_attempt_at >= before + timedelta(seconds=119)
    # once the server accepts, it goes out exactly once
    smtp_server.handler.refuse.clear()
    row.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert deliver_pending().sent == 1
    assert len(smtp_server.to("busy@example.org")) == 1


def test_server_down_then_up_delivers_everything_once(_schema, database_url, db):
    server = SMTPServer()  # not started: connection refused
    app = make_app(database_url, MAIL_PORT=server.port)
    with app.app_context():
        for n in range(5):
            queue(to=f"p{n}@example.org")
        db.session.commit()
        stats = deliver_pending()
        assert stats.sent == 0
        assert stats.retried == 5
        rows = messages(db)
        assert all(r.status is OutboxStatus.PENDING for r in rows)
        assert all("Connection refused" in r.last_error for r in rows)

        server.start()
        try:
            # nothing happens before the back-off has passed
            assert deliver_pending().sent == 0
            db.session.execute(
                sa.update(OutboxMessage).values(next_attempt_at=utcnow() - timedelta(seconds=1))
            )
            db.session.commit()
            assert deliver_pending().sent == 5
            assert deliver_pending().sent == 0
            received = sorted(m["To"].addresses[0].addr_spec for m in server.messages)
            assert received == [f"p{n}@example.org" for n in range(5)]
        finally:
            server.stop()


def test_server_stopping_mid_batch_loses_nothing(_schema, database_url, db):
    server = SMTPServer()
    server.start()
    app = make_app(database_url, MAIL_PORT=server.port)
    sent_before_crash = 3
    original = server.handler.handle_DATA

    async def stop_after_three(srv, session, envelope):
        result = await original(srv, session, envelope)
        if len(server.messages) == sent_before_crash:
            threading.Thread(target=server.stop).start()
        return result

    server.handler.handle_DATA = stop_after_three
    with app.app_context():
        for n in range(8):
            queue(to=f"p{n}@example.org")
        db.session.commit()
        first = deliver_pending()
        assert first.sent >= sent_before_crash
        assert wait_for(lambda: server.controller is None)
        server.handler.handle_DATA = original
        server.start()
        try:
            db.session.execute(
                sa.update(OutboxMessage)
                .where(OutboxMessage.status == OutboxStatus.PENDING)
                .values(next_attempt_at=utcnow() - timedelta(seconds=1))
            )
            db.session.commit()
            deliver_pending()
            received = sorted(m["To"].addresses[0].addr_spec for m in server.messages)
            assert received == sorted(f"p{n}@example.org" for n in range(8))
            assert all(r.status is OutboxStatus.SENT for r in messages(db))
        finally:
            server.stop()


def test_message_of_a_dead_worker_is_taken_again_after_the_lease(db, smtp_server, app):
    queue()
    db.session.commit()
    # a worker claims it and dies before sending
    assert claim_batch("dead-worker", 10) != []
    assert deliver_pending(worker_id="live-worker").sent == 0  # lease still holds
    lease = app.config["MAIL_LEASE_SECONDS"]
    db.session.execute(
        sa.update(OutboxMessage).values(lease_until=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()
    assert lease > 0
    assert deliver_pending(worker_id="live-worker").sent == 1
    [row] = messages(db)
    assert row.claimed_by == "live-worker"
    assert len(smtp_server.messages) == 1


def test_dedupe_key_queues_one_logical_mail_once(db, smtp_server):
    first = queue(dedupe_key="reminder:meeting-1:contact-2")
    db.session.commit()
    second = queue(dedupe_key="reminder:meeting-1:contact-2")
    db.session.commit()
    assert first.id == second.id
    assert deliver_pending().sent == 1


@pytest.mark.postgres_only
def test_concurrent_workers_never_send_a_message_twice(_schema, database_url, db, smtp_server):
    for n in range(60):
        queue(to=f"p{n}@example.org")
    db.session.commit()
    errors = []
    # each worker its own application, built here: CPython 3.11's ast module (which
    # Werkzeug uses to compile each route) is not safe to use from several threads at once
    apps = [make_app(database_url, MAIL_PORT=smtp_server.port) for _ in range(4)]

    def worker(name, app):
        try:
            with app.app_context():
                deliver_pending(worker_id=name, batch_size=5)
                db.session.remove()
                db.engine.dispose()
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(f"w{n}", app))
               for n, app in enumerate(apps)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    received = [m["To"].addresses[0].addr_spec for m in smtp_server.messages]
    assert sorted(received) == sorted(f"p{n}@example.org" for n in range(60))
    assert len(set(received)) == 60
    workers = {r.claimed_by for r in messages(db)}
    assert len(workers) > 1  # the work really was shared


def test_retry_button_queues_a_failed_message_again(db, smtp_server, auth):
    from tests.conftest import post_form
    from tests.factories import make_user

    smtp_server.handler.refuse["typo@example.org"] = "550 5.1.1 unknown user"
    queue(to="typo@example.org")
    db.session.commit()
    deliver_pending()
    [row] = messages(db, OutboxStatus.FAILED)
    make_user("admin", email="admin@example.org")
    auth.login("admin@example.org")
    smtp_server.handler.refuse.clear()
    response = post_form(
        auth.client, f"/manage/outbox/{row.id}/retry", {}, form_page="/manage/outbox/"
    )
    assert response.status_code == 302
    db.session.refresh(row)
    assert row.status is OutboxStatus.PENDING
    assert deliver_pending().sent == 1
    assert len(smtp_server.to("typo@example.org")) == 1


def test_list_unsubscribe_url_goes_out_on_one_line_unencoded(db, smtp_server):
    url = "https://consult.example/invitations/unsubscribe/" + "a1b2c3d4" * 10
    queue(headers={"List-Unsubscribe": f"<{url}>",
                   "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"})
    db.session.commit()
    assert deliver_pending().sent == 1
    raw = smtp_server.handler.envelopes[0].content
    # mail programs read the URL as it stands; RFC 2047 words there would hide it
    assert f"\r\nList-Unsubscribe: <{url}>\r\n".encode() in raw
    [mail] = smtp_server.messages
    assert mail["List-Unsubscribe"] == f"<{url}>"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_sender_name_with_a_comma_keeps_its_address(db, smtp_server):
    queue(sender="Звено, отдел <consult@localhost>", reply_to="team@example.bg")
    db.session.commit()
    assert deliver_pending().sent == 1
    [mail] = smtp_server.messages
    [sender] = mail["From"].addresses
    assert (sender.display_name, sender.addr_spec) == ("Звено, отдел", "consult@localhost")
    assert mail["Reply-To"] == "team@example.bg"
    assert smtp_server.handler.envelopes[0].mail_from == "consult@localhost"


def test_each_send_of_a_message_carries_the_same_message_id(db, smtp_server):
    from consult.mail.services import retry

    row = queue()
    db.session.commit()
    deliver_pending()
    retry(row)  # e.g. an administrator sends it again
    db.session.commit()
    deliver_pending()
    first, second = smtp_server.messages
    assert first["Message-ID"] == second["Message-ID"]
    assert first["Message-ID"].startswith(f"<outbox.{row.id}.")
    assert first["Message-ID"].endswith("@localhost>")


def test_a_line_too_long_for_smtp_is_sent_base64(db, smtp_server):
    row = queue()
    long_line = "Дълъг ред без край. " * 60  # well over SMTP's 998 octets
    row.body_text = f"Здравейте,\n{long_line}\n"
    db.session.commit()
    assert deliver_pending().sent == 1
    [mail] = smtp_server.messages
    text = mail.get_body(preferencelist=("plain",))
    assert text["Content-Transfer-Encoding"] == "base64"
    assert long_line in text.get_content()
    html = mail.get_body(preferencelist=("html",))
    assert html["Content-Transfer-Encoding"] == "8bit"
    assert all(len(line) <= 998 for line in smtp_server.handler.envelopes[0].content.split(b"\r\n"))


def test_a_message_that_cannot_be_built_fails_and_the_rest_goes(db, smtp_server):
    queue(to="тодор@example.bg")  # a non-ASCII local part needs SMTPUTF8
    queue(to="todor@example.bg")
    db.session.commit()
    stats = deliver_pending()
    assert (stats.sent, stats.failed) == (1, 1)
    [failed] = messages(db, OutboxStatus.FAILED)
    assert failed.recipient == "тодор@example.bg"
    assert "cannot build the message" in failed.last_error
    assert [m["To"].addresses[0].addr_spec for m in smtp_server.messages] == ["todor@example.bg"]


def test_an_internationalised_domain_is_sent_in_its_ascii_form(db, smtp_server):
    queue(to="todor@пример.бг")
    db.session.commit()
    assert deliver_pending().sent == 1
    ascii_address = "todor@" + "пример.бг".encode("idna").decode()
    assert smtp_server.handler.envelopes[0].rcpt_tos == [ascii_address]
    assert smtp_server.messages[0]["To"].addresses[0].addr_spec == ascii_address


def test_line_breaks_reaching_the_builder_are_refused():
    from datetime import UTC, datetime
    from types import SimpleNamespace

    from consult.mail.worker import build_message

    row = SimpleNamespace(
        id=1, created_at=datetime.now(UTC), sender="Consult <consult@localhost>",
        reply_to=None, recipient="todor@example.bg", recipient_name="Тодор",
        subject="Hi\r\nBcc: victim@example.org", body_text="x", body_html=None, headers={},
    )
    with pytest.raises(ValueError, match="line break"):
        build_message(row)
    row.subject, row.headers = "Hi", {"X-Note": "a\nBcc: victim@example.org"}
    with pytest.raises(ValueError, match="line break"):
        build_message(row)


def test_a_sqlite_file_database_runs_in_wal_mode(db):
    # the web process reads while the mail worker records its sends, neither waiting
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


@pytest.mark.postgres_only
def test_sends_are_recorded_without_waiting_for_the_disk_and_the_pool_gets_durable_commits_back(
        db, smtp_server, monkeypatch):
    from consult.mail import worker

    seen = []
    record = worker._record_sent

    def recording(recorder, row_id, worker_id):
        seen.append((recorder.exec_driver_sql("SHOW synchronous_commit").scalar(),
                     recorder.connection.dbapi_connection))
        record(recorder, row_id, worker_id)

    monkeypatch.setattr(worker, "_record_sent", recording)
    for n in range(3):
        queue(to=f"person{n}@example.org")
    db.session.commit()
    assert deliver_pending().sent == 3
    assert [setting for setting, _ in seen] == ["off"] * 3
    assert [m.status for m in messages(db)] == [OutboxStatus.SENT] * 3
    # the same connection, back in the pool: its commits wait for the disk again
    raw = seen[0][1]
    with raw.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "on"
    raw.rollback()


def test_a_recording_connection_in_an_unknown_state_is_discarded_quietly(db):
    from consult.mail import worker

    gone = worker._recorder()
    gone.invalidate()  # the database went away mid-batch
    worker._close_recorder(gone)
    assert gone.closed

    broken = worker._recorder()

    def refuse(*args, **kwargs):
        raise sa.exc.PendingRollbackError("the batch failed")

    broken.exec_driver_sql = refuse
    worker._close_recorder(broken)  # no second error hides the one that ended the batch
    assert broken.closed
    with db.engine.connect() as connection:  # the pool still gives working connections
        assert connection.exec_driver_sql("SELECT 1").scalar() == 1
