from __future__ import annotations

import re

import sqlalchemy as sa

from consult.auth.models import User, UserRole
from consult.mail.worker import deliver_pending
from tests.conftest import post_form
from tests.factories import make_user


def sign_in_admin(auth):
    admin = make_user("admin", email="admin@example.org", name="Admin Person")
    auth.login("admin@example.org")
    return admin


def test_admin_adds_a_user_who_chooses_a_password_from_the_mail(client, auth, db, smtp_server):
    sign_in_admin(auth)
    response = post_form(
        client, "/manage/users/new",
        {"email": "Elena@Example.mk ", "name": "Елена Стојановска", "role": "organizer",
         "locale": "mk"},
    )
    assert response.status_code == 302
    user = db.session.scalar(sa.select(User).where(User.email == "elena@example.mk"))
    assert user.role is UserRole.ORGANIZER
    deliver_pending()
    [mail] = smtp_server.to("elena@example.mk")
    text = mail.get_body(preferencelist=("plain",)).get_content()
    assert "Елена Стојановска" in text
    link = re.search(r"http://localhost(/account/password/reset/\S+)", text).group(1)
    auth.logout()
    # the page opens in her language, whatever the browser asks for
    page = client.get(link, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="mk">' in page
    response = post_form(client, link, {"password": "моја долга лозинка", "confirm":
                                        "моја долга лозинка"},
                         headers={"Accept-Language": "en"})
    assert response.status_code == 302
    # and the sign-in page after it too
    page = client.get(response.headers["Location"], headers={"Accept-Language": "en"})
    assert '<html lang="mk">' in page.get_data(as_text=True)
    assert auth.login("elena@example.mk", "моја долга лозинка").status_code == 302


def test_adding_a_duplicate_keeps_what_was_typed(client, auth, db):
    sign_in_admin(auth)
    make_user(email="taken@example.org")
    response = post_form(client, "/manage/users/new",
                         {"email": "taken@example.org", "name": "Нов Човек", "role": "viewer",
                          "locale": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="email-error"' in page
    assert 'value="Нов Човек"' in page
    assert '<option selected value="viewer">' in page or 'value="viewer" selected' in page


def test_missing_name_is_reported_next_to_the_field(client, auth):
    sign_in_admin(auth)
    response = post_form(client, "/manage/users/new",
                         {"email": "x@example.org", "name": "", "role": "viewer", "locale": ""})
    assert 'id="name-error"' in response.get_data(as_text=True)


def test_admin_changes_role_and_deactivates(client, auth, db):
    sign_in_admin(auth)
    user = make_user(email="org@example.org")
    response = post_form(client, f"/manage/users/{user.id}",
                         {"email": "org@example.org", "name": "Org", "role": "viewer",
                          "locale": "bg"})
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.role is UserRole.VIEWER
    assert user.active is False  # the box was not ticked
    assert user.locale == "bg"


def test_last_admin_cannot_lock_everyone_out(client, auth, db):
    admin = sign_in_admin(auth)
    response = post_form(client, f"/manage/users/{admin.id}",
                         {"email": "admin@example.org", "name": "Admin", "role": "organizer",
                          "active": "y", "locale": ""})
    assert response.status_code == 200
    assert 'id="role-error"' in response.get_data(as_text=True)
    db.session.refresh(admin)
    assert admin.role is UserRole.ADMIN


def test_users_list_searches_and_pages(client, auth):
    sign_in_admin(auth)
    make_user(email="georgi@example.bg", name="Георги Петров")
    page = client.get("/manage/users/?q=георги").get_data(as_text=True)
    assert "georgi@example.bg" in page
    assert "admin@example.org" not in page
    empty = client.get("/manage/users/?q=nobody-here").get_data(as_text=True)
    assert "No user matches" in empty
