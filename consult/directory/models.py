from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult.db import UTCDateTime, created_at_column, enum_column, utcnow
from consult.extensions import db
from consult.i18n import localized, transliterate


class Gender(enum.Enum):
    FEMALE = "female"
    MALE = "male"
    OTHER = "other"
    UNDISCLOSED = "undisclosed"  # also what a walk-in without an answer gets


GENDER_LABELS = {
    Gender.FEMALE: _l("woman"),
    Gender.MALE: _l("man"),
    Gender.OTHER: _l("other"),
    Gender.UNDISCLOSED: _l("not disclosed"),
}


class StakeholderType(db.Model):
    """A kind of stakeholder (ministry, municipality, NGO…); organizers may add their own."""

    __tablename__ = "stakeholder_types"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(60), unique=True)
    name: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    position: Mapped[int] = mapped_column(default=100)

    def label(self) -> str:
        return localized(self.name, "en") or self.code


def search_key(*parts: str | None) -> str:
    """Lower-case text plus its Latin transliteration: "Georgi" finds "Георги"."""
    text = " ".join(p for p in parts if p).lower()
    latin = transliterate(text).lower()
    return text if latin == text else f"{text} {latin}"


def search_conditions(column, typed: str, words: int | None = None) -> list:
    """One condition per typed word on a ``search_key`` column: the word, or its Latin
    transliteration, is in it. "georgi" finds "Георги" (whose key holds "georgi"), and
    "Петър" finds "Petar Nikolov" (whose key holds no Cyrillic at all)."""
    conditions = []
    for word in (typed or "").lower().split()[:words]:
        forms = sorted({word, transliterate(word).lower()})
        conditions.append(sa.or_(*(column.contains(form, autoescape=True) for form in forms)))
    return conditions


class Organisation(db.Model):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(300), index=True)
    stakeholder_type_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("stakeholder_types.id"), index=True
    )
    email: Mapped[str] = mapped_column(sa.String(254), default="")
    region: Mapped[str] = mapped_column(sa.String(120), default="", index=True)
    oblast: Mapped[str] = mapped_column(sa.String(120), default="")
    municipality: Mapped[str] = mapped_column(sa.String(120), default="")
    country: Mapped[str] = mapped_column(sa.String(2), default="")
    search_text: Mapped[str] = mapped_column(sa.Text, default="")
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = created_at_column()

    stakeholder_type: Mapped[StakeholderType | None] = relationship(lazy="joined")
    contacts: Mapped[list[Contact]] = relationship(back_populates="organisation")

    def refresh_search(self) -> None:
        self.search_text = search_key(self.name, self.email)


class Contact(db.Model):
    """A person in the directory."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    # stored lower-case: one person, one address, whatever capitals a spreadsheet used
    email: Mapped[str | None] = mapped_column(sa.String(254), unique=True)
    phone: Mapped[str] = mapped_column(sa.String(50), default="")
    gender: Mapped[Gender] = mapped_column(enum_column(Gender), default=Gender.UNDISCLOSED)
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisations.id"), index=True
    )
    stakeholder_type_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("stakeholder_types.id"), index=True
    )
    position: Mapped[str] = mapped_column(sa.String(200), default="")
    region: Mapped[str] = mapped_column(sa.String(120), default="", index=True)
    oblast: Mapped[str] = mapped_column(sa.String(120), default="")
    municipality: Mapped[str] = mapped_column(sa.String(120), default="")
    language: Mapped[str] = mapped_column(sa.String(8), default="")
    tags: Mapped[list] = mapped_column(sa.JSON, default=list)
    search_text: Mapped[str] = mapped_column(sa.Text, default="")
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    organisation: Mapped[Organisation | None] = relationship(
        back_populates="contacts", lazy="joined"
    )
    own_type: Mapped[StakeholderType | None] = relationship(lazy="joined")

    @property
    def stakeholder_type(self) -> StakeholderType | None:
        """The contact's own type, else the organisation's."""
        if self.own_type is not None:
            return self.own_type
        return self.organisation.stakeholder_type if self.organisation else None

    def refresh_search(self) -> None:
        self.search_text = search_key(
            self.name, self.email, self.organisation.name if self.organisation else ""
        )


# the types DESIGN.md names, plus the two the TEAM2 scenario invites
BUILTIN_TYPES = [
    ("ministry", {"en": "Ministry", "bg": "Министерство", "mk": "Министерство",
                  "sq": "Ministri"}),
    ("national_agency", {"en": "National agency", "bg": "Национална агенция",
                         "mk": "Национална агенција", "sq": "Agjenci kombëtare"}),
    ("regional_administration", {"en": "Regional (oblast) administration",
                                 "bg": "Областна администрация",
                                 "mk": "Регионална администрација",
                                 "sq": "Administratë rajonale"}),
    ("municipality", {"en": "Municipality", "bg": "Община", "mk": "Општина", "sq": "Bashki"}),
    ("civil_society", {"en": "Civil society organisation",
                       "bg": "Организация на гражданското общество",
                       "mk": "Граѓанска организација", "sq": "Organizatë e shoqërisë civile"}),
    ("mediator", {"en": "Mediator", "bg": "Медиатор", "mk": "Медијатор", "sq": "Ndërmjetës"}),
    ("international_org", {"en": "International organisation",
                           "bg": "Международна организация",
                           "mk": "Меѓународна организација",
                           "sq": "Organizatë ndërkombëtare"}),
    ("academia", {"en": "Academia / expert", "bg": "Академични среди / експерт",
                  "mk": "Академска заедница / експерт", "sq": "Akademi / ekspert"}),
    ("media", {"en": "Media", "bg": "Медии", "mk": "Медиуми", "sq": "Media"}),
    ("national_contact_point", {"en": "National contact point",
                                "bg": "Национално звено за контакт",
                                "mk": "Национална контакт точка",
                                "sq": "Pikë kombëtare kontakti"}),
    ("project_team", {"en": "Project team", "bg": "Екип на проекта", "mk": "Проектен тим",
                      "sq": "Ekipi i projektit"}),
    ("other", {"en": "Other", "bg": "Друго", "mk": "Друго", "sq": "Tjetër"}),
]


def ensure_builtin_types() -> int:
    """Add the built-in stakeholder types that are missing; returns how many were added."""
    existing = set(db.session.scalars(sa.select(StakeholderType.code)))
    added = 0
    for position, (code, name) in enumerate(BUILTIN_TYPES, start=1):
        if code not in existing:
            db.session.add(StakeholderType(code=code, name=name, position=position * 10))
            added += 1
    return added


class ImportBatch(db.Model):
    """An uploaded file waiting for the organizer's confirmation (and kept after, as a record)."""

    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(sa.String(255))
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_at_column()
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    summary: Mapped[dict] = mapped_column(sa.JSON, default=dict)
