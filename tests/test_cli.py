from __future__ import annotations

import sqlalchemy as sa

from consult.auth.models import User, UserRole
from consult.demo import DEMO_ORGANIZER, DEMO_PASSWORD
from consult.events.models import Series
from consult.groups.models import WorkingGroup
from consult.mail.models import OutboxMessage, OutboxStatus


def count(db, model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_users_create_prompts_for_the_password_without_echo(runner, db):
    result = runner.invoke(
        args=["users", "create", "Admin@Example.org", "--role", "admin", "--name", "Ана"],
        input="a long secret pass\na long secret pass\n",
    )
    assert result.exit_code == 0, result.output
    assert "a long secret pass" not in result.output
    assert "Created admin admin@example.org" in result.output
    user = db.session.scalar(sa.select(User).where(User.email == "admin@example.org"))
    assert user.role is UserRole.ADMIN
    assert user.name == "Ана"
    assert user.check_password("a long secret pass")


def test_users_create_refuses_mismatch_short_and_duplicates(runner, db):
    mismatch = runner.invoke(args=["users", "create", "a@example.org"],
                             input="a long secret pass\nanother long pass\n"
                                   "a long secret pass\na long secret pass\n")
    assert "do not match" in mismatch.output
    short = runner.invoke(args=["users", "create", "b@example.org"], input="short\nshort\n")
    assert short.exit_code != 0
    assert "at least 10 characters" in short.output
    again = runner.invoke(args=["users", "create", "A@example.org"],
                          input="a long secret pass\na long secret pass\n")
    assert again.exit_code != 0
    assert "already exists" in again.output
    assert count(db, User) == 1


def test_users_list(runner, db):
    runner.invoke(args=["users", "create", "v@example.org", "--role", "viewer"],
                  input="a long secret pass\na long secret pass\n")
    result = runner.invoke(args=["users", "list"])
    assert "v@example.org\tviewer" in result.output


def test_demo_load_is_idempotent(runner, db, client, auth):
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    counts = [count(db, m) for m in (User, Series, WorkingGroup)]
    assert counts[0] >= 3 and counts[1] >= 1 and counts[2] >= 1
    second = runner.invoke(args=["demo", "load"])
    assert "Demo already loaded" in second.output
    assert [count(db, m) for m in (User, Series, WorkingGroup)] == counts
    # the demo organizer can sign in and sees the TEAM2 series, in Bulgarian
    auth.login(DEMO_ORGANIZER, DEMO_PASSWORD)
    page = client.get("/manage/").get_data(as_text=True)
    assert '<html lang="bg">' in page
    assert "Дискусионни срещи" in page


def test_mail_work_once_sends_and_reports(runner, db, smtp_server):
    from flask_babel import lazy_gettext as _l

    from consult.mail.services import queue_mail

    queue_mail(
        to="x@example.org",
        template="password_reset",
        subject=_l("Reset your Consult password"),
        context={"user": User(email="x@example.org", name="X"), "link": "http://l",
                 "minutes": 60},
    )
    db.session.commit()
    result = runner.invoke(args=["mail", "work", "--once"])
    assert result.exit_code == 0, result.output
    assert "sent 1" in result.output
    assert result.output.startswith("Sending")  # the progress bar (drawn on a terminal)
    assert len(smtp_server.to("x@example.org")) == 1
    status = runner.invoke(args=["mail", "status"])
    assert "sent\t1" in status.output
    assert db.session.scalar(sa.select(OutboxMessage.status)) is OutboxStatus.SENT
