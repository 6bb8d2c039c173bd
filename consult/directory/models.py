from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult.db import UTCDateTime, created_at_column, enum_column, utcnow
from consult.extensions import db
from consult.i18n import _CYRILLIC, localized


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


# --- search spellings ------------------------------------------------------------------------
#
# A name is typed at the door in whatever script and spelling come to hand: "georgi" for
# "Георги"; "хоџа" for an Albanian registered as "Hoxha"; "šuto", "shuto" or "suto" for "Šuto
# Orizari" or "Шуто Оризари". A stored key holds its text and the Latin spellings of it that
# differ (search_key); a typed word is looked for as typed and in its own spellings
# (search_forms). A precise letter keeps apart what it keeps apart: typed "чолаков" does not
# find "Цолаков", nor "šuto" "Суто", nor "љубица" "Лубица". Only a letter typed without its
# mark ("suto", "celiku") stands for every letter it may have lost it from.

def _latin_letters() -> dict[int, str]:
    """Latin letters with diacritics (any case, the combining marks left over by lower()) →
    their letters without: "é" → "e", "ö" → "o", "ł" → "l"."""
    import unicodedata

    table: dict[int, str] = {}
    for code in (*range(0xC0, 0x250), *range(0x1E00, 0x1F00)):
        char = chr(code)
        base = "".join(c for c in unicodedata.normalize("NFKD", char)
                       if not unicodedata.combining(c))
        if base != char and base.isascii() and base.isalpha():
            table[code] = base.lower()
    table.update({ord(c): latin for c, latin in (
        ("đ", "d"), ("ħ", "h"), ("ı", "i"), ("ł", "l"), ("ø", "o"), ("ß", "ss"), ("æ", "ae"),
        ("œ", "oe"), ("ð", "d"), ("þ", "t"))})
    table.update(dict.fromkeys(range(0x300, 0x370)))  # combining marks: dropped
    return table


def _table(*mappings: dict[str, str], base: dict[int, str | None] | None = None) -> dict:
    table = dict(base or {})
    for mapping in mappings:
        table.update({ord(char): latin for char, latin in mapping.items()})
    return table


# Cyrillic as Bulgarian/Macedonian transliteration writes it, and Latin letters with marks in
# the spelling that transliteration gives the same sound (the Latin of Serbian, Croatian,
# Bosnian, Macedonian and Albanian, and Turkish and Romanian letters): "Šuto" is "shuto" as
# "Шуто" is. "ć" is "ch" as Bulgarian writes Serbian names ("Джокович"); "ë" is "e".
_ROMAN = _table(_CYRILLIC, {
    "š": "sh", "ş": "sh", "ș": "sh", "ž": "zh", "č": "ch", "ć": "ch", "ç": "ch", "đ": "dj",
    "ǆ": "dzh", "ḱ": "kj", "ǵ": "gj", "ţ": "ts", "ț": "ts", "ǉ": "lj", "ǌ": "nj"},
    base=_latin_letters())
# what is kept: every mark dropped ("suto", "celiku" find "Šuto", "Çeliku" written by anyone)
_PLAIN = _table(_CYRILLIC, {"ǆ": "dz", "ǉ": "lj", "ǌ": "nj"}, base=_latin_letters())
# what Albanian writes for the Macedonian letters it spells with letters of its own, and no
# other Cyrillic letter is written with: "Реџепи" is also kept as "rexhepi"
_ALBANIAN_KEPT = _table({"џ": "xh", "ќ": "q", "ѕ": "x"}, base=_ROMAN)
# typed: Macedonian Cyrillic in Albanian spelling ("хоџа" finds "Hoxha", "ќазим" "Qazim",
# "цана" "Cana"); "ч" is Albanian "ç", written "c" where the mark is left out ("Celiku"). "љ"
# stays "lj", as in Albanian "Luljeta": Albanian "ll" is the dark l Macedonian writes "л".
_ALBANIAN = _table({"џ": "xh", "ќ": "q", "ѕ": "x", "ц": "c", "ч": "c"}, base=_ROMAN)
# typed: "č", "ć", "ç" without the mark: "celik" as written by whoever left it out (no
# Cyrillic letter is transliterated to a bare "c"; "s", "z", "d" are "с", "з", "д", so "š",
# "ž", "đ" keep theirs)
_UNMARKED = _table({"č": "c", "ć": "c", "ç": "c"}, base=_ROMAN)
# typed: Serbian "ć" and "đ" as Macedonian writes them, "ќ" and "ѓ" ("Đoković" is
# "Ѓоковиќ"), and "đ" as Bulgarian does, "дж" ("Джокович")
_MACEDONIAN_LATIN = _table({"ć": "kj", "đ": "gj"}, base=_ROMAN)
_BULGARIAN_LATIN = _table({"đ": "dzh"}, base=_ROMAN)


def _folded(text: str) -> str:
    """Albanian letters Macedonian Cyrillic has no letter for, as it writes them: "ll", "rr",
    "dh", "th" as "л", "р", "д", "т" ("Abdullahu" is "Абдулаху", "Thaçi" "Тачи"). Before
    transliterating: a Cyrillic "тх" stays "th"."""
    if "ll" in text or "rr" in text or "dh" in text or "th" in text:
        text = text.replace("ll", "l").replace("rr", "r").replace("dh", "d").replace("th", "t")
    return text


def _lowered(text: str) -> str:
    import unicodedata

    text = text.lower()
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize(
        "NFC", text)


def search_key(*parts: str | None) -> str:
    """Lower-case text plus its Latin spellings (see above): "Georgi" finds "Георги",
    "shuto" and "suto" find "Šuto", "rexhepi" finds "Реџепи"."""
    text = _lowered(" ".join(p for p in parts if p))
    folded = _folded(text)
    if text.isascii():  # no letter to transliterate or unmark (most addresses, many names)
        return text if folded == text else f"{text} {folded}"
    forms = [text]
    for form in (folded.translate(_ROMAN), folded.translate(_PLAIN)):
        if form not in forms:
            forms.append(form)
    if "џ" in text or "ќ" in text or "ѕ" in text:
        forms.append(folded.translate(_ALBANIAN_KEPT))
    return " ".join(forms)


def search_forms(word: str) -> list[str]:
    """The spellings a typed word is looked for in: as typed, and its Latin spellings."""
    word = _lowered(word)
    folded = _folded(word)
    if word.isascii():  # the tables change no ASCII letter: the door's usual case
        return [word] if folded == word else sorted((word, folded))
    return sorted({word, *(folded.translate(table) for table in (
        _ROMAN, _ALBANIAN, _UNMARKED, _MACEDONIAN_LATIN, _BULGARIAN_LATIN))})


def search_conditions(column, typed: str, words: int | None = None) -> list:
    """One condition per typed word on a ``search_key`` column: the word, or one of its
    spellings, is in it. "georgi" finds "Георги" (whose key holds "georgi"), "Петър" finds
    "Petar Nikolov" (whose key holds no Cyrillic at all), "хоџа" finds "Hoxha"."""
    conditions = []
    for word in (typed or "").split()[:words]:
        conditions.append(sa.or_(*(column.contains(form, autoescape=True)
                                   for form in search_forms(word))))
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
