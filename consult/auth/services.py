"""Account logic: creating users, signing in, password reset tokens, and who manages what."""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from consult.auth.models import User, UserRole
from consult.db import utcnow
from consult.extensions import db
from consult.mail.services import queue_mail

MIN_PASSWORD_LENGTH = 10


class AccountError(ValueError):
    pass


def find_user(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == User.normalize_email(email)))


def create_user(
    email: str, password: str, role: UserRole = UserRole.ORGANIZER, name: str = ""
) -> User:
    email = User.normalize_email(email)
    if find_user(email) is not None:
        raise AccountError(f"a user with the e-mail {email} already exists")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    user = User(email=email, name=name, role=role)
    user.set_password(password)
    db.session.add(user)
    return user


def authenticate(email: str, password: str) -> User | None:
    user = find_user(email)
    if user is None:
        # spend the same time as a real check so response times do not reveal accounts
        User(password_hash=_dummy_hash()).check_password(password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    user.last_login_at = utcnow()
    return user


_DUMMY_HASH: str | None = None


def _dummy_hash() -> str:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        from werkzeug.security import generate_password_hash

        _DUMMY_HASH = generate_password_hash("not a password")
    return _DUMMY_HASH


def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


WELCOME_MAX_AGE = 7 * 24 * 3600  # a new colleague may not read mail within the hour


def make_reset_token(user: User, purpose: str = "reset") -> str:
    return _reset_serializer().dumps(
        {"uid": user.id, "fp": user.password_fingerprint, "p": purpose}
    )


def user_for_reset_token(token: str) -> User | None:
    serializer = _reset_serializer()
    try:
        data = serializer.loads(token, max_age=WELCOME_MAX_AGE)
        if isinstance(data, dict) and data.get("p") != "welcome":
            serializer.loads(token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE"])
    except (SignatureExpired, BadSignature):
        return None
    if not isinstance(data, dict):
        return None
    user = db.session.get(User, data.get("uid"))
    if user is None or not user.active or data.get("fp") != user.password_fingerprint:
        return None
    return user


def request_password_reset(email: str, locale: str) -> None:
    """Queue a reset link if the account exists; say nothing either way."""
    user = find_user(email)
    if user is None or not user.active:
        return
    link = url_for("auth.reset_password", token=make_reset_token(user), _external=True)
    queue_mail(
        to=user.email,
        to_name=user.name,
        locale=user.locale or locale,
        template="password_reset",
        subject=_l("Reset your Consult password"),
        context={"user": user, "link": link,
                 "minutes": current_app.config["PASSWORD_RESET_MAX_AGE"] // 60},
        topic="auth.password_reset",
    )


def reset_password(user: User, new_password: str) -> None:
    user.set_password(new_password)


def invite_user(
    email: str, name: str, role: UserRole, locale: str | None, invited_by: User
) -> User:
    """Create an account without a password and mail its owner a link to choose one."""
    email = User.normalize_email(email)
    if find_user(email) is not None:
        raise AccountError(email)
    user = User(email=email, name=name, role=role, locale=locale or None)
    user.set_password(secrets.token_urlsafe(32))  # unknown to anyone: the link sets the real one
    db.session.add(user)
    db.session.flush()
    link = url_for("auth.reset_password", token=make_reset_token(user, "welcome"), _external=True)
    queue_mail(
        to=user.email,
        to_name=user.name,
        locale=user.locale or invited_by.locale or "en",
        template="welcome",
        subject=_l("Your Consult account"),
        context={"user": user, "link": link, "invited_by": invited_by, "role": role},
        topic="auth.welcome",
    )
    return user


def is_last_active_admin(user: User) -> bool:
    if not user.is_admin or not user.active:
        return False
    others = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(User)
        .where(User.role == UserRole.ADMIN, User.active.is_(True), User.id != user.id)
    )
    return others == 0


def can_manage(user: User, thing) -> bool:
    """Admins manage everything; organizers the series and groups naming them managers."""
    if not user.is_authenticated or user.is_viewer:
        return False
    if user.is_admin:
        return True
    return any(manager.id == user.id for manager in getattr(thing, "managers", ()))
