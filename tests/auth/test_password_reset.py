from __future__ import annotations

import re

import sqlalchemy as sa

from consult.mail.models import OutboxMessage
from consult.mail.worker import deliver_pending
from tests.conftest import make_app, post_form
from tests.factories import PASSWORD, make_user

LINK = re.compile(r"http://localhost/account/password/reset/\S+")


def reset_link_from_mail(smtp_server, address) -> str:
    [mail] = smtp_server.to(address)
    text = mail.get_body(preferencelist=("plain",)).get_content()
    return LINK.search(text).group(0)


def test_reset_by_a_link_received_by_mail(client, db, smtp_server):
    user = make_user(email="maria@example.bg")
    response = post_form(client, "/account/password/forgotten", {"email": "maria@example.bg"})
    assert response.status_code == 302
    deliver_pending()
    link = reset_link_from_mail(smtp_server, "maria@example.bg")
    path = link.removeprefix("http://localhost")
    page = client.get(path)
    assert page.status_code == 200
    # too short: the message is next to the field, nothing saved
    short = post_form(client, path, {"password": "short", "confirm": "short"})
    assert 'id="password-error"' in short.get_data(as_text=True)
    response = post_form(
        client, path, {"password": "a brand new password", "confirm": "a brand new password"}
    )
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.check_password("a brand new password")
    # the link works once only
    assert client.get(path).status_code == 400


def test_unknown_address_gets_the_same_answer_and_no_mail(client, db, smtp_server):
    response = post_form(client, "/account/password/forgotten", {"email": "who@example.org"})
    assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0


def test_expired_link_is_refused(_schema, database_url, smtp_server, db):
    app = make_app(database_url, MAIL_PORT=smtp_server.port, PASSWORD_RESET_MAX_AGE=-1)
    with app.app_context():
        from consult.auth.services import make_reset_token

        user = make_user(email="late@example.org")
        client = app.test_client()
        response = client.get(f"/account/password/reset/{make_reset_token(user)}")
        assert response.status_code == 400
        assert "no longer works" in response.get_data(as_text=True)
        db.session.refresh(user)
        assert user.check_password(PASSWORD)


def test_forged_token_is_refused(client):
    make_user(email="maria@example.bg")
    assert client.get("/account/password/reset/eyJ1aWQiOjF9.forged.sig").status_code == 400


def test_reset_mail_is_in_the_users_language(client, smtp_server):
    make_user(email="ivana@example.mk", locale="mk")
    post_form(client, "/account/password/forgotten", {"email": "ivana@example.mk"})
    deliver_pending()
    [mail] = smtp_server.to("ivana@example.mk")
    assert mail["Subject"] != "Reset your Consult password"
