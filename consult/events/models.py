from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult.auth.models import User
from consult.db import created_at_column
from consult.extensions import db
from consult.i18n import localized

series_managers = sa.Table(
    "series_managers",
    db.metadata,
    sa.Column("series_id", sa.ForeignKey("series.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class Series(db.Model):
    """A consultation programme or project: one funder block, one disclaimer, many meetings."""

    __tablename__ = "series"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    main_language: Mapped[str] = mapped_column(sa.String(8), default="en")
    # per-language texts: {"bg": "...", "en": "..."}
    title: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    description: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    project_code: Mapped[str] = mapped_column(sa.String(200), default="")
    project_name: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    funder: Mapped[str] = mapped_column(sa.String(200), default="")
    programme: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    implementing_body: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    disclaimer: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    timezone: Mapped[str] = mapped_column(sa.String(64), default="UTC")
    published: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = created_at_column()

    managers: Mapped[list[User]] = relationship(secondary=series_managers)

    def __repr__(self) -> str:
        return f"<Series {self.slug}>"

    def text(self, field: str) -> str:
        return localized(getattr(self, field), self.main_language)
