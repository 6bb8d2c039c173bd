from __future__ import annotations

import pytest

from tests.conftest import csrf_token, make_app, post_form
from tests.factories import PASSWORD, make_user


def test_organizer_signs_in_and_sees_their_home(client, auth):
    make_user(email="maria@example.bg", name="Мария Георгиева")
    response = auth.login("maria@example.bg")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/manage/")
    page = client.get("/manage/").get_data(as_text=True)
    assert "Мария Георгиева" in page


def test_email_is_matched_case_insensitively(auth):
    make_user(email="maria@example.bg")
    assert auth.login("  Maria@Example.BG ").status_code == 302


def test_wrong_password_keeps_the_email_and_says_why_next_to_the_field(client):
    make_user(email="maria@example.bg")
    response = post_form(
        client, "/account/login", {"email": "maria@example.bg", "password": "wrong"}
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'value="maria@example.bg"' in page
    assert 'id="password-error"' in page
    assert "not right" in page
    assert client.get("/manage/").status_code == 302


def test_invalid_email_gets_a_message(client):
    response = post_form(client, "/account/login", {"email": "not-an-email", "password": "x"})
    page = response.get_data(as_text=True)
    assert 'id="email-error"' in page
    assert 'value="not-an-email"' in page


def test_deactivated_user_cannot_sign_in(auth, client):
    make_user(email="old@example.org", active=False)
    response = auth.login("old@example.org")
    assert response.status_code == 200
    assert client.get("/manage/").status_code == 302


def test_password_is_stored_hashed(db):
    user = make_user()
    assert PASSWORD not in user.password_hash
    assert user.password_hash.startswith(("scrypt:", "pbkdf2:"))
    assert user.check_password(PASSWORD)
    assert not user.check_password(PASSWORD + "x")


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/path",
        "/\\evil.example",
        "javascript:alert(1)",
        "https:evil.example",
        "\thttps://evil.example",
    ],
)
def test_login_never_redirects_off_site(client, target):
    make_user(email="maria@example.bg")
    token = csrf_token(client)
    response = client.post(
        "/account/login",
        data={"email": "maria@example.bg", "password": PASSWORD, "next": target,
              "csrf_token": token},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/manage/"


def test_login_follows_a_local_next(client):
    make_user(email="maria@example.bg")
    token = csrf_token(client)
    response = client.post(
        "/account/login",
        data={"email": "maria@example.bg", "password": PASSWORD, "next": "/account/?tab=1",
              "csrf_token": token},
    )
    assert response.headers["Location"] == "/account/?tab=1"


def test_anonymous_user_is_sent_to_login_with_next(client):
    from urllib.parse import parse_qs, urlsplit

    response = client.get("/manage/?tab=x")
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/account/login"
    assert parse_qs(location.query) == {"next": ["/manage/?tab=x"]}


def test_logout_needs_post_with_csrf(client, auth):
    make_user(email="maria@example.bg")
    auth.login("maria@example.bg")
    assert client.get("/account/logout").status_code == 405
    assert client.post("/account/logout").status_code == 400
    assert client.get("/manage/").status_code == 200
    assert auth.logout().status_code == 302
    assert client.get("/manage/").status_code == 302


def test_login_without_csrf_token_is_refused(client):
    make_user(email="maria@example.bg")
    response = client.post("/account/login", data={"email": "maria@example.bg",
                                                    "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/manage/").status_code == 302


def test_login_is_rate_limited(client, app):
    make_user(email="maria@example.bg")
    token = csrf_token(client)
    codes = [
        client.post("/account/login", data={"email": "maria@example.bg", "password": "bad",
                                            "csrf_token": token}).status_code
        for _ in range(11)
    ]
    assert codes[:10] == [200] * 10
    assert codes[10] == 429
    # even the right password is refused while limited
    right = client.post("/account/login", data={"email": "maria@example.bg",
                                                "password": PASSWORD, "csrf_token": token})
    assert right.status_code == 429
    assert "Too many attempts" in right.get_data(as_text=True)


def test_session_cookie_is_secure_in_production(database_url, monkeypatch, app):
    prod = make_app(database_url)
    assert prod.config["SESSION_COOKIE_HTTPONLY"] is True
    from config import ProductionConfig

    assert ProductionConfig.SESSION_COOKIE_SECURE is True
    assert ProductionConfig.REMEMBER_COOKIE_SECURE is True
    assert ProductionConfig.SESSION_COOKIE_SAMESITE == "Lax"


def test_account_settings_keep_input_and_save(client, auth, db):
    user = make_user(email="maria@example.bg")
    auth.login("maria@example.bg")
    response = post_form(
        client, "/account/", {"name": "Мария Г.", "locale": "bg"}, follow_redirects=True
    )
    assert response.status_code == 200
    db.session.refresh(user)
    assert (user.name, user.locale) == ("Мария Г.", "bg")
    # said in the language just chosen
    assert "Настройките Ви са запазени" in response.get_data(as_text=True)


def test_change_password_checks_the_current_one(client, auth, db):
    user = make_user(email="maria@example.bg")
    auth.login("maria@example.bg")
    response = post_form(
        client, "/account/",
        {"pw-current": "wrong", "pw-password": "a new long password", "pw-confirm":
         "a new long password"},
    )
    assert 'id="pw-current-error"' in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.check_password(PASSWORD)
    post_form(
        client, "/account/",
        {"pw-current": PASSWORD, "pw-password": "a new long password",
         "pw-confirm": "a new long password"},
    )
    db.session.refresh(user)
    assert user.check_password("a new long password")


def test_a_form_key_from_before_signing_in_is_not_trusted_after(client, auth):
    make_user(email="maria@example.bg")
    before = csrf_token(client, "/account/login")
    auth.login("maria@example.bg")
    refused = client.post("/manage/series/new", data={"csrf_token": before,
                                                      "title_bg": "Серия"})
    assert refused.status_code == 400
    # a page signed in gives a key that is
    after = csrf_token(client, "/manage/series/new")
    assert after != before
    assert client.post("/manage/series/new", data={"csrf_token": after}).status_code == 200
