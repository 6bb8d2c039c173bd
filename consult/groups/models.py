from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult.auth.models import User
from consult.db import created_at_column
from consult.extensions import db
from consult.i18n import localized

group_managers = sa.Table(
    "group_managers",
    db.metadata,
    sa.Column(
        "group_id", sa.ForeignKey("working_groups.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class WorkingGroup(db.Model):
    """A standing body that meets repeatedly (plenary, operational, technical meetings)."""

    __tablename__ = "working_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    main_language: Mapped[str] = mapped_column(sa.String(8), default="en")
    name: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    mandate: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    established_on: Mapped[date | None]
    timezone: Mapped[str] = mapped_column(sa.String(64), default="UTC")
    public: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = created_at_column()

    managers: Mapped[list[User]] = relationship(secondary=group_managers)

    def __repr__(self) -> str:
        return f"<WorkingGroup {self.slug}>"

    def text(self, field: str) -> str:
        return localized(getattr(self, field), self.main_language)
