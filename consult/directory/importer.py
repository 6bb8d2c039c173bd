"""Import contacts from CSV or XLSX as spreadsheet programs in our users' countries save them.

Nothing is written while the organizer looks at the preview; `apply` writes every accepted
row in the caller's transaction, or nothing.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext

from consult.directory.models import Contact, Gender, Organisation, StakeholderType
from consult.extensions import db

FIELDS = ["name", "email", "gender", "organisation", "stakeholder_type", "region", "oblast",
          "municipality", "position", "language", "phone"]
FIELD_LABELS = {
    "name": lazy_pgettext("person", "Name"), "email": _l("E-mail"), "gender": _l("Gender"),
    "organisation": _l("Organisation"), "stakeholder_type": _l("Stakeholder type"),
    "region": _l("Region"), "oblast": _l("Oblast / district"),
    "municipality": _l("Municipality"), "position": _l("Position"),
    "language": _l("Language"), "phone": _l("Phone"),
}
# header spellings seen in Bulgarian, Macedonian, Albanian and English spreadsheets
HEADER_ALIASES = {
    "name": {"name", "full name", "име", "име и фамилия", "име и презиме", "emri",
             "emri dhe mbiemri"},
    "email": {"email", "e-mail", "e-mail address", "имейл", "е-мейл", "е-пошта", "email адрес",
              "електронна поща", "електронска пошта", "adresa e-mail", "posta elektronike"},
    "gender": {"gender", "sex", "пол", "gjinia"},
    "organisation": {"organisation", "organization", "организация", "организација",
                     "institution", "институция", "институција", "organizata", "institucioni"},
    "stakeholder_type": {"stakeholder_type", "stakeholder type", "type", "вид", "тип",
                         "вид заинтересована страна", "lloji"},
    "region": {"region", "регион", "rajoni"},
    "oblast": {"oblast", "област", "district", "округ"},
    "municipality": {"municipality", "община", "општина", "bashkia", "komuna"},
    "position": {"position", "длъжност", "позиция", "функција", "pozicioni", "funksioni"},
    "language": {"language", "език", "јазик", "gjuha"},
    "phone": {"phone", "telephone", "телефон", "telefoni"},
}
GENDER_SPELLINGS = {
    Gender.FEMALE: {"f", "female", "woman", "w", "ж", "жена", "жен", "женски", "ženska",
                    "femër", "femer", "f."},
    Gender.MALE: {"m", "male", "man", "м", "мъж", "маж", "машки", "мъжки", "muški",
                  "mashkull", "m."},
    Gender.OTHER: {"other", "друго", "друг", "tjetër", "tjeter"},
    Gender.UNDISCLOSED: {"undisclosed", "prefer not to say", "n/a", "не желая да посоча",
                         "не сакам да кажам", "nuk dua ta them", "-"},
}
_GENDERS = {spelling: gender for gender, spellings in GENDER_SPELLINGS.items()
            for spelling in spellings}


class ImportError_(ValueError):
    pass


@dataclass
class ParsedFile:
    headers: list[str]
    rows: list[list[str]]
    encoding: str  # "utf-8", "windows-1251", … or "xlsx"
    delimiter: str  # "," ";" "\t" or "" for xlsx


def _decode(data: bytes) -> tuple[str, str]:
    for encoding in ("utf-8-sig",):
        try:
            return data.decode(encoding), "UTF-8"
        except UnicodeDecodeError:
            pass
    # Excel in Bulgaria and North Macedonia saves "CSV" as Windows-1251, in Albania as 1250
    cyrillic = data.decode("cp1251", errors="replace")
    letters = sum(1 for c in cyrillic if "\u0400" <= c <= "\u04ff")
    high = sum(1 for b in data if b >= 0x80) or 1
    if letters / high > 0.6:
        return cyrillic, "Windows-1251"
    return data.decode("cp1250", errors="replace"), "Windows-1250"


def parse(data: bytes, filename: str) -> ParsedFile:
    if data.startswith(b"PK\x03\x04") or filename.lower().endswith(".xlsx"):
        return _parse_xlsx(data)
    text, encoding = _decode(data)
    sample = text[:20000]
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = [row for row in reader]
    if not rows:
        raise ImportError_(_l("The file is empty."))
    return ParsedFile([h.strip() for h in rows[0]], rows[1:], encoding, delimiter)


def _parse_xlsx(data: bytes) -> ParsedFile:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # noqa: BLE001 - any unreadable workbook gets one message
        raise ImportError_(_l("This file cannot be read as a spreadsheet.")) from error
    sheet = book.worksheets[0]
    rows = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    book.close()
    if not rows:
        raise ImportError_(_l("The file is empty."))
    return ParsedFile([h.strip() for h in rows[0]], rows[1:], "xlsx", "")


def guess_mapping(headers: list[str]) -> dict[str, int | None]:
    """Which column holds which field, from the header names."""
    mapping: dict[str, int | None] = dict.fromkeys(FIELDS)
    for index, header in enumerate(headers):
        key = re.sub(r"\s+", " ", header.strip().lower())
        for field_name, aliases in HEADER_ALIASES.items():
            if (key == field_name or key in aliases) and mapping[field_name] is None:
                mapping[field_name] = index
    return mapping


def normalize_gender(value: str) -> Gender | None:
    key = value.strip().lower()
    if not key:
        return Gender.UNDISCLOSED
    return _GENDERS.get(key)


@dataclass
class Row:
    line: int
    values: dict
    action: str = "new"  # new | update | skip | reject
    reasons: list[str] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    gender: Gender | None = None
    email: str = ""
    contact_id: int | None = None
    type_id: int | None = None


@dataclass
class Preview:
    rows: list[Row]
    encoding: str
    delimiter: str
    mapping: dict

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)


def _type_lookup() -> dict[str, int]:
    lookup = {}
    for kind in db.session.scalars(sa.select(StakeholderType)):
        lookup[kind.code.lower()] = kind.id
        for name in (kind.name or {}).values():
            lookup[name.strip().lower()] = kind.id
    return lookup


def _existing_contacts(emails: list[str]) -> dict[str, Contact]:
    found = {}
    for start in range(0, len(emails), 500):
        chunk = emails[start:start + 500]
        for contact in db.session.scalars(sa.select(Contact).where(Contact.email.in_(chunk))):
            found[contact.email] = contact
    return found


def preview(parsed: ParsedFile, mapping: dict, on_existing: str = "update",
            unknown_gender_as_undisclosed: bool = False) -> Preview:
    types = _type_lookup()
    rows: list[Row] = []
    for number, raw in enumerate(parsed.rows, start=2):
        if not any(cell.strip() for cell in raw):
            continue
        values = {name: (raw[index].strip() if index is not None and index < len(raw) else "")
                  for name, index in mapping.items()}
        rows.append(Row(line=number, values=values))

    seen: dict[str, int] = {}
    for row in rows:
        values = row.values
        if not values["name"]:
            row.reasons.append(str(_l("The name is missing.")))
        if not values["email"]:
            row.reasons.append(str(_l("The e-mail address is missing.")))
        else:
            try:
                row.email = validate_email(values["email"], check_deliverability=False) \
                    .normalized.lower()
            except EmailNotValidError:
                row.reasons.append(str(_l("“%(value)s” is not a valid e-mail address.",
                                          value=values["email"])))
        gender = normalize_gender(values["gender"])
        if gender is None:
            if unknown_gender_as_undisclosed:
                gender = Gender.UNDISCLOSED
                row.changes.append(str(_l("gender “%(value)s” recorded as not disclosed",
                                          value=values["gender"])))
            else:
                row.reasons.append(str(_l("Unknown gender “%(value)s”.",
                                          value=values["gender"])))
        row.gender = gender
        if values["stakeholder_type"]:
            row.type_id = types.get(values["stakeholder_type"].lower())
            if row.type_id is None:
                row.reasons.append(str(_l("Unknown stakeholder type “%(value)s”.",
                                          value=values["stakeholder_type"])))
        if row.email:
            if row.email in seen:
                row.reasons.append(str(_l("The same e-mail address as line %(line)s.",
                                          line=seen[row.email])))
            else:
                seen[row.email] = row.line
        if row.reasons:
            row.action = "reject"

    existing = _existing_contacts([r.email for r in rows if r.action != "reject"])
    for row in rows:
        if row.action == "reject":
            continue
        contact = existing.get(row.email)
        if contact is None:
            continue
        row.contact_id = contact.id
        if on_existing == "skip":
            row.action = "skip"
            row.changes.append(str(_l("already in the directory: left as it is")))
            continue
        row.action = "update"
        differences = [FIELD_LABELS[name] for name in ("name", "position", "region", "oblast",
                                                        "municipality", "phone", "language")
                       if row.values[name] and row.values[name] != getattr(contact, name)]
        if row.gender is not Gender.UNDISCLOSED and row.gender is not contact.gender:
            differences.append(FIELD_LABELS["gender"])
        if differences:
            row.changes.append(str(_l("changes: %(fields)s",
                                      fields=", ".join(str(d) for d in differences))))
        else:
            row.action = "skip"
            row.changes.append(str(_l("no changes")))
    return Preview(rows, parsed.encoding, parsed.delimiter, mapping)


def apply(result: Preview) -> dict[str, int]:
    """Write the accepted rows; the caller commits (all) or rolls back (nothing)."""
    organisations = {o.name.lower(): o for o in db.session.scalars(sa.select(Organisation))}
    contacts = {c.id: c for c in db.session.scalars(sa.select(Contact).where(
        Contact.id.in_([r.contact_id for r in result.rows if r.contact_id])))}
    counts = {"new": 0, "update": 0}
    for row in result.rows:
        if row.action not in counts:
            continue
        values = row.values
        organisation = None
        if values["organisation"]:
            organisation = organisations.get(values["organisation"].lower())
            if organisation is None:
                organisation = Organisation(
                    name=values["organisation"], stakeholder_type_id=row.type_id,
                    region=values["region"], oblast=values["oblast"],
                    municipality=values["municipality"])
                organisation.refresh_search()
                db.session.add(organisation)
                organisations[values["organisation"].lower()] = organisation
        contact = contacts.get(row.contact_id) if row.action == "update" else None
        if contact is None:
            contact = Contact(email=row.email, gender=row.gender or Gender.UNDISCLOSED)
            db.session.add(contact)
        elif row.gender is not Gender.UNDISCLOSED:
            contact.gender = row.gender
        for name in ("name", "position", "region", "oblast", "municipality", "phone",
                     "language"):
            if values[name]:
                setattr(contact, name, values[name])
        if organisation is not None:
            contact.organisation = organisation
        if row.type_id is not None:
            contact.stakeholder_type_id = row.type_id
        contact.refresh_search()
        counts[row.action] += 1
    return counts
