"""Import contacts from CSV or XLSX as spreadsheet programs in our users' countries save them.

Nothing is written while the organizer looks at the preview; `apply` writes every accepted
row in the caller's transaction, or nothing.
"""

from __future__ import annotations

import codecs
import csv
import functools
import gc
import io
import re
from dataclasses import dataclass, field

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext, lazy_pgettext
from flask_babel import lazy_gettext as _l

from consult.db import utcnow
from consult.directory.models import Contact, Gender, Organisation, StakeholderType, search_key
from consult.directory.services import all_tags, parse_tags, spreadsheet_value
from consult.extensions import db
from consult.i18n import CONTENT_LANGUAGES

FIELDS = ["name", "email", "gender", "organisation", "stakeholder_type", "region", "oblast",
          "municipality", "position", "language", "phone", "tags"]
FIELD_LABELS = {
    "name": lazy_pgettext("person", "Name"), "email": _l("E-mail"), "gender": _l("Gender"),
    "organisation": _l("Organisation"), "stakeholder_type": _l("Stakeholder type"),
    "region": _l("Region"), "oblast": _l("Oblast / district"),
    "municipality": _l("Municipality"), "position": _l("Position"),
    "language": _l("Language"), "phone": _l("Phone"), "tags": _l("Tags"),
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
    # comma-separated, as the directory's own export writes them
    "tags": {"tags", "tag", "етикети", "етикет", "ознаки", "ознака", "etiketat", "etiketa"},
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


def _collector_paused(function):
    """Run ``function`` with Python's cycle collector paused.

    Ten thousand rows make hundreds of thousands of small lists, dicts and strings, none of
    them in a reference cycle: reference counting frees them all the same. Left running,
    the collector walks every one of them again and again as they pile up, a quarter of an
    import's time. It resumes when the function returns (if another import in this process
    paused it first, that one resumes it).
    """
    @functools.wraps(function)
    def paused(*args, **kwargs):
        if not gc.isenabled():
            return function(*args, **kwargs)
        gc.disable()
        try:
            return function(*args, **kwargs)
        finally:
            gc.enable()
    return paused


class ImportError_(ValueError):
    pass


@dataclass
class ParsedFile:
    headers: list[str]
    rows: list[list[str]]
    encoding: str  # "utf-8", "windows-1251", … or "xlsx"
    delimiter: str  # "," ";" "\t" or "" for xlsx
    first_line: int = 2  # the file's line (or sheet row) of rows[0], for the messages


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # Excel's "Unicode text" (tab-separated)
        try:
            return data.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError:
            pass
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


@_collector_paused
def parse(data: bytes, filename: str) -> ParsedFile:
    if data.startswith(b"PK\x03\x04") or filename.lower().endswith(".xlsx"):
        return _parse_xlsx(data)
    text, encoding = _decode(data)
    sample = text[:20000]
    # text has no NUL and hardly a control character: a picture, a PDF or an old .xls does
    controls = sum(1 for c in sample if c < " " and c not in "\t\r\n\f")
    if "\x00" in sample or controls > len(sample) / 100:
        raise ImportError_(_l("This file is neither a CSV text file nor an Excel workbook "
                              "(.xlsx). Save the list as CSV or .xlsx and upload that."))
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        rows = list(_bounded(reader))
    except csv.Error as error:  # e.g. a quote never closed: the rest is one huge cell
        raise ImportError_(_l("Line %(line)s of the file cannot be read (perhaps a quotation "
                              "mark that is never closed). Please check it and save the "
                              "list again.", line=reader.line_num)) from error
    if not rows:
        raise ImportError_(_l("The file is empty."))
    headers, data, first_line = _split_headers(rows)
    return ParsedFile(headers, data, encoding, delimiter, first_line)


def _split_headers(rows: list[list[str]]) -> tuple[list[str], list[list[str]], int]:
    """The header row and the rows below it: the first row, unless one of the next few names
    more of the known columns (a list often starts with a title and an empty line)."""
    def known(row):
        return sum(column is not None for column in guess_mapping(
            [str(cell).strip() for cell in row]).values())

    best = max(range(min(len(rows), HEADER_SEARCH_ROWS)), key=lambda i: (known(rows[i]), -i))
    return [str(h).strip() for h in rows[best]], rows[best + 1:], best + 2


HEADER_SEARCH_ROWS = 10


# A list is read whole into memory; these bound what one upload can make of it. A workbook
# is a zip archive: a small file can unpack to gigabytes of sheet (a "zip bomb").
MAX_ROWS = 50_000
MAX_COLUMNS = 200
MAX_UNPACKED_BYTES = 200 * 1024 * 1024


def _bounded(rows):
    """The rows of a list, each cut at MAX_COLUMNS; refused past MAX_ROWS (the header row
    aside) before more of the file is read."""
    for count, row in enumerate(rows):
        if count > MAX_ROWS:
            raise ImportError_(_l("The list has more than %(count)s rows. Please split it "
                                  "into smaller files.",
                                  count=f"{MAX_ROWS:,}".replace(",", " ")))
        yield row[:MAX_COLUMNS]


def _parse_xlsx(data: bytes) -> ParsedFile:
    import zipfile

    from openpyxl import load_workbook

    unreadable = _l("This file cannot be read as a spreadsheet.")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, ValueError) as error:
        raise ImportError_(unreadable) from error
    if unpacked > MAX_UNPACKED_BYTES:
        raise ImportError_(_l("This workbook unpacks to more than %(size)s MB, more than a "
                              "list of contacts needs. Please save the list again as a new "
                              "workbook or as CSV.", size=MAX_UNPACKED_BYTES // 2**20 or 1))
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # noqa: BLE001 - any unreadable workbook gets one message
        raise ImportError_(unreadable) from error
    sheet = book.worksheets[0]
    # the size the file declares for its sheet is not trusted: openpyxl would pad every row
    # to it (a few kilobytes can declare 16,384 columns); the cells there are what counts,
    # and no list of contacts has more than MAX_COLUMNS columns
    sheet.reset_dimensions()
    try:
        rows = [["" if v is None else str(v) for v in row]
                for row in _bounded(sheet.iter_rows(values_only=True))]
    finally:
        book.close()
    if not rows:
        raise ImportError_(_l("The file is empty."))
    headers, data, first_line = _split_headers(rows)
    return ParsedFile(headers, data, "xlsx", "", first_line)


def _header_key(header: str) -> str:
    return re.sub(r"\s+", " ", header.strip().lower())


@functools.cache
def _our_spellings() -> tuple[dict[str, str], dict[str, Gender]]:
    """Column names and genders as the directory's export writes them, in each of our
    languages ("Пол", "жена"): an organizer's export imports back whatever language it is
    in."""
    from flask_babel import force_locale

    from consult.directory.models import GENDER_LABELS

    headers, genders = {}, {}
    for language in CONTENT_LANGUAGES:
        with force_locale(language):
            headers.update({_header_key(str(label)): name
                            for name, label in FIELD_LABELS.items()})
            genders.update({str(label).lower(): gender
                            for gender, label in GENDER_LABELS.items()})
    return headers, genders


def guess_mapping(headers: list[str]) -> dict[str, int | None]:
    """Which column holds which field, from the header names."""
    ours = _our_spellings()[0]
    mapping: dict[str, int | None] = dict.fromkeys(FIELDS)
    for index, header in enumerate(headers):
        key = _header_key(header)
        for field_name, aliases in HEADER_ALIASES.items():
            if (key == field_name or key in aliases or ours.get(key) == field_name) \
                    and mapping[field_name] is None:
                mapping[field_name] = index
    return mapping


def normalize_gender(value: str) -> Gender | None:
    key = value.strip().lower()
    if not key:
        return Gender.UNDISCLOSED
    return _GENDERS.get(key) or _our_spellings()[1].get(key)


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
    current: sa.Row | None = None  # the stored values of that contact
    type_id: int | None = None
    tags: list[str] = field(default_factory=list)
    phone_key: tuple[str, str] | None = None  # (name, digits) of a row without an address


def phone_key(name: str, phone: str) -> tuple[str, str] | None:
    """How a contact without an e-mail address is recognised: the same name and the same
    phone number, whatever its spacing ("+359 88 123" is "35988123"); None without a number
    long enough to tell people apart."""
    digits = re.sub(r"\D", "", phone or "")
    return (" ".join(name.split()).casefold(), digits) if len(digits) >= 6 else None


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


# a dot-atom local part of plain ASCII letters, digits and _ + - (a subset of what RFC 5322
# allows): for these the validator returns the local part unchanged
_SIMPLE_LOCAL = re.compile(r"[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*\Z")


class EmailChecker:
    """``validate_email`` once per domain instead of once per row.

    A stakeholder list has thousands of addresses at a few dozen domains, and checking a
    domain (IDNA rules, special-use names) is most of what validation costs. Addresses with
    an unusual local part, or a non-ASCII domain, still go through the full validator.
    """

    def __init__(self):
        self.domains: dict[str, str | None] = {}

    def normalize(self, address: str) -> str | None:
        """The address as stored (normalized, lower-case), or None when it is invalid."""
        local, at, domain = address.rpartition("@")
        if at and len(local) <= 64 and len(address) <= 254 and domain.isascii() \
                and _SIMPLE_LOCAL.match(local):
            if domain not in self.domains:
                self.domains[domain] = self._full("x@" + domain)
            checked = self.domains[domain]
            return None if checked is None else f"{local}@{checked.partition('@')[2]}".lower()
        return self._full(address)

    @staticmethod
    def _full(address: str) -> str | None:
        try:
            return validate_email(address, check_deliverability=False).normalized.lower()
        except EmailNotValidError:
            return None


_TEXT_FIELDS = ("name", "position", "region", "oblast", "municipality", "phone", "language")

# a contact's language as lists write it: the code, or the language's name in any of ours
LANGUAGE_SPELLINGS = {
    "bg": {"bg", "bul", "български", "bulgarian", "бугарски", "bullgarisht"},
    "mk": {"mk", "mkd", "македонски", "macedonian", "maqedonisht"},
    "sq": {"sq", "sqi", "alb", "shqip", "albanian", "албански", "shqipe"},
    "en": {"en", "eng", "english", "английски", "англиски", "anglisht"},
}
_LANGUAGES = {spelling: code for code, spellings in LANGUAGE_SPELLINGS.items()
              for spelling in spellings}


def _length_limits() -> dict[str, int]:
    """The longest text each field's column holds (what the contact form allows too)."""
    columns = Contact.__table__.c
    limits = {name: columns[name].type.length for name in _TEXT_FIELDS if name != "language"}
    limits["organisation"] = Organisation.__table__.c.name.type.length
    return limits


_CHUNK = 500  # ids or addresses per IN (…): far below every database's parameter limit


def _chunks(values: list, size: int = _CHUNK):
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _existing_without_address(keys: set[tuple[str, str]]) -> dict[tuple[str, str], sa.Row]:
    """The stored contacts without an e-mail address, by ``phone_key``, for these keys (the
    first of two alike wins: the directory has them twice already). Names are compared
    case-folded in Python, which SQLite cannot do for Cyrillic; such contacts are few."""
    found: dict[tuple[str, str], sa.Row] = {}
    if not keys:
        return found
    query = sa.select(*_contact_columns()).outerjoin(
        Organisation, Contact.organisation_id == Organisation.id,
    ).where(sa.or_(Contact.email.is_(None), Contact.email == ""), Contact.phone != "")
    for row in db.session.execute(query.order_by(Contact.id)):
        key = phone_key(row.name, row.phone)
        if key in keys:
            found.setdefault(key, row)
    return found


def _contact_columns() -> list:
    return [Contact.id, Contact.email, Contact.gender, Contact.organisation_id,
            Contact.stakeholder_type_id, Organisation.name.label("organisation_name"),
            Organisation.stakeholder_type_id.label("organisation_type_id"),
            Contact.tags, *(getattr(Contact, name) for name in _TEXT_FIELDS)]


def _existing_contacts(emails: list[str]) -> dict[str, sa.Row]:
    """The stored values of the contacts with these addresses, as plain rows: the preview
    compares them and `apply` writes over them (no ORM objects to build for 10,000 rows)."""
    columns = _contact_columns()
    found = {}
    for chunk in _chunks(emails):
        query = sa.select(*columns).outerjoin(
            Organisation, Contact.organisation_id == Organisation.id,
        ).where(Contact.email.in_(chunk))
        found.update((row.email, row) for row in db.session.execute(query))
    return found


def _cell(value: str) -> str:
    """A cell as the directory stores it: trimmed, and without the apostrophe an export put
    before a value a spreadsheet would run (checked only where one could be: this runs for
    every cell of ten thousand rows)."""
    value = value.strip()
    return spreadsheet_value(value) if value[:1] == "'" else value


@_collector_paused
def preview(parsed: ParsedFile, mapping: dict, on_existing: str = "update",
            unknown_gender_as_undisclosed: bool = False) -> Preview:
    types = _type_lookup()
    # translated once, not once per row
    labels = {name: str(label) for name, label in FIELD_LABELS.items()}
    changes_text, no_changes = gettext("changes: %(fields)s"), gettext("no changes")
    rows: list[Row] = []
    for number, raw in enumerate(parsed.rows, start=parsed.first_line):
        if not any(cell.strip() for cell in raw):
            continue
        values = {name: _cell(raw[index]) if index is not None and index < len(raw) else ""
                  for name, index in mapping.items()}
        rows.append(Row(line=number, values=values))

    seen: dict[str | tuple[str, str], int] = {}
    emails = EmailChecker()
    limits = _length_limits()
    for row in rows:
        values = row.values
        if not values["name"]:
            row.reasons.append(str(_l("The name is missing.")))
        for name, limit in limits.items():
            if len(values[name]) > limit:
                row.reasons.append(str(_l("%(field)s is longer than %(limit)s characters.",
                                          field=labels[name], limit=limit)))
        if values["language"]:
            language = _LANGUAGES.get(values["language"].casefold())
            if language is None:
                row.reasons.append(str(_l("Unknown language “%(value)s”.",
                                          value=values["language"])))
            else:
                values["language"] = language
        if not values["email"]:
            # a mediator known by phone only: recognised by name and phone on the next import
            row.phone_key = phone_key(values["name"], values["phone"])
            if row.phone_key is None:
                row.reasons.append(str(_l("The e-mail address is missing (a contact without "
                                          "one needs a phone number).")))
        else:
            row.email = emails.normalize(values["email"]) or ""
            if not row.email:
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
        row.tags = parse_tags(values["tags"])
        if values["stakeholder_type"]:
            row.type_id = types.get(values["stakeholder_type"].lower())
            if row.type_id is None:
                row.reasons.append(str(_l("Unknown stakeholder type “%(value)s”.",
                                          value=values["stakeholder_type"])))
        # who the row is: its address, or without one its name and phone
        identity = row.email or row.phone_key
        if identity in seen:
            twin = _l("The same e-mail address as line %(line)s.", line=seen[identity]) \
                if row.email else _l("The same name and phone as line %(line)s.",
                                     line=seen[identity])
            row.reasons.append(str(twin))
        elif identity:
            seen[identity] = row.line
        if row.reasons:
            row.action = "reject"

    existing = _existing_contacts([r.email for r in rows if r.action != "reject" and r.email])
    by_phone = _existing_without_address(
        {r.phone_key for r in rows if r.action != "reject" and r.phone_key})
    for row in rows:
        if row.action == "reject":
            continue
        contact = existing.get(row.email) if row.email else by_phone.get(row.phone_key)
        if contact is None:
            continue
        row.contact_id, row.current = contact.id, contact
        if on_existing == "skip":
            row.action = "skip"
            row.changes.append(str(_l("already in the directory: left as it is")))
            continue
        row.action = "update"
        differences = [labels[name] for name in ("name", "position", "region", "oblast",
                                                        "municipality", "phone", "language")
                       if row.values[name] and row.values[name] != getattr(contact, name)]
        if row.gender is not Gender.UNDISCLOSED and row.gender is not contact.gender:
            differences.append(labels["gender"])
        # an organisation is matched by name whatever its case, as `apply` matches it
        organisation = row.values["organisation"]
        if organisation and organisation.lower() != (contact.organisation_name or "").lower():
            differences.append(labels["organisation"])
        # the type the contact shows, its organisation's when it has none of its own, is
        # what the directory's export writes
        if row.type_id is not None and row.type_id != (
                contact.stakeholder_type_id or contact.organisation_type_id):
            differences.append(labels["stakeholder_type"])
        if _new_tags(contact.tags, row.tags):
            differences.append(labels["tags"])
        if differences:
            row.changes.append(changes_text % {"fields": ", ".join(differences)})
        else:
            row.action = "skip"
            row.changes.append(no_changes)
    return Preview(rows, parsed.encoding, parsed.delimiter, mapping)


def _own_type(row: Row, old: sa.Row, organisation_id: int | None) -> int | None:
    """The type an updated contact has of its own: the file's, unless the file names the
    type it has through its organisation (as the directory's export does), which leaves it
    without one, following its organisation."""
    if row.type_id is None or (
            old.stakeholder_type_id is None and organisation_id == old.organisation_id
            and row.type_id == old.organisation_type_id):
        return old.stakeholder_type_id
    return row.type_id


def _new_tags(current: list[str] | None, tags: list[str]) -> list[str]:
    """Tags of a row the contact does not have yet (a cell never removes tags)."""
    have = {tag.casefold() for tag in current or []}
    return [tag for tag in tags if tag.casefold() not in have]


def _organisations(rows: list[Row], now) -> dict[str, tuple[int, str]]:
    """Organisation id and stored name by lower-case name; adds the ones not yet known."""
    known = {name.lower(): (id_, name) for id_, name in db.session.execute(
        sa.select(Organisation.id, Organisation.name))}
    new: dict[str, dict] = {}
    for row in rows:
        name = row.values["organisation"]
        if name and name.lower() not in known and name.lower() not in new:
            # the first row that names it gives its type and place
            new[name.lower()] = {
                "name": name, "stakeholder_type_id": row.type_id, "email": "",
                "region": row.values["region"], "oblast": row.values["oblast"],
                "municipality": row.values["municipality"], "country": "",
                "search_text": search_key(name, ""), "created_at": now,
            }
    if new:
        created = db.session.execute(
            # mapped back by name, so the order RETURNING gives them in does not matter
            sa.insert(Organisation).returning(Organisation.id, Organisation.name),
            list(new.values()))
        known.update((name.lower(), (id_, name)) for id_, name in created)
    return known


@_collector_paused
def apply(result: Preview) -> dict[str, int]:
    """Write the accepted rows; the caller commits (all) or rolls back (nothing).

    Written in bulk, a few statements per thousand rows rather than one per row: a list of
    ten thousand stakeholders must not keep the organizer (and a web worker) waiting.
    """
    accepted = [row for row in result.rows if row.action in ("new", "update")]
    now = utcnow()
    # a tag keeps the spelling the directory (or, for a new one, this file) gave it first
    spelling = {tag.casefold(): tag for tag in all_tags()}

    def spelled(tags: list[str]) -> list[str]:
        return [spelling.setdefault(tag.casefold(), tag) for tag in tags]

    organisations = _organisations(accepted, now)
    inserts, updates = [], []
    for row in accepted:
        values = row.values
        organisation_id, organisation_name = organisations.get(
            values["organisation"].lower(), (None, "")) if values["organisation"] else (None, "")
        old = row.current if row.action == "update" else None
        if old is None:
            inserts.append({
                # no address: NULL, which the unique index lets many contacts share
                "email": row.email or None, "gender": row.gender or Gender.UNDISCLOSED,
                **{name: values[name] for name in _TEXT_FIELDS},
                "organisation_id": organisation_id, "stakeholder_type_id": row.type_id,
                "tags": spelled(row.tags),
                "search_text": search_key(values["name"], row.email,
                                                      organisation_name),
                "created_at": now, "updated_at": now,
            })
            continue
        # a cell left empty in the file keeps what the directory has
        merged = {name: values[name] or getattr(old, name) for name in _TEXT_FIELDS}
        if organisation_id is None:
            organisation_id, organisation_name = old.organisation_id, old.organisation_name
        update = {
            "id": old.id, **merged,
            "gender": old.gender if row.gender in (None, Gender.UNDISCLOSED) else row.gender,
            "organisation_id": organisation_id,
            "stakeholder_type_id": _own_type(row, old, organisation_id),
            "search_text": search_key(merged["name"], row.email, organisation_name or ""),
            "updated_at": now,
        }
        added = _new_tags(old.tags, row.tags)
        if added:  # rows without new tags leave the column alone (and stay one statement)
            update["tags"] = [*(old.tags or []), *spelled(added)]
        updates.append(update)
    if inserts:
        db.session.execute(sa.insert(Contact), inserts)
    if updates:
        db.session.execute(sa.update(Contact), updates,
                           execution_options={"synchronize_session": False})
        # bulk statements bypass objects already loaded in this session: reload them on use
        changed = {values["id"] for values in updates}
        for instance in list(db.session.identity_map.values()):
            if isinstance(instance, Contact) and instance.id in changed:
                db.session.expire(instance)
    return {"new": len(inserts), "update": len(updates)}
