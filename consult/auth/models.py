from __future__ import annotations

import enum
import hashlib
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from consult.db import UTCDateTime, created_at_column, enum_column, utcnow
from consult.extensions import db


class UserRole(enum.Enum):
    ADMIN = "admin"  # manages every series and group, and the installation
    ORGANIZER = "organizer"  # manages the series and groups they are named managers of
    VIEWER = "viewer"  # reads what they are given access to; changes nothing


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200), default="")
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[UserRole] = mapped_column(enum_column(UserRole), default=UserRole.ORGANIZER)
    locale: Mapped[str | None] = mapped_column(sa.String(8))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = created_at_column()
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role.value}>"

    @staticmethod
    def normalize_email(email: str) -> str:
        return email.strip().lower()

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)
        self.password_changed_at = utcnow()

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def password_fingerprint(self) -> str:
        """Changes whenever the password does."""
        return hashlib.sha256(self.password_hash.encode()).hexdigest()[:16]

    def get_id(self) -> str:
        # sessions and "remember me" cookies carry the fingerprint: a new password
        # (changed or reset) signs the account out everywhere else
        return f"{self.id}.{self.password_fingerprint}"

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def is_admin(self) -> bool:
        return self.role is UserRole.ADMIN

    @property
    def is_viewer(self) -> bool:
        return self.role is UserRole.VIEWER

    @property
    def display_name(self) -> str:
        return self.name or self.email


ROLE_LABELS = {
    UserRole.ADMIN: _l("administrator"),
    UserRole.ORGANIZER: _l("organizer"),
    UserRole.VIEWER: _l("viewer"),
}
