"""Attendance from lists: a paper sign-in sheet typed in, or a video platform's participant
report (CSV from Zoom, Teams, Webex…), matched to the registrations with a preview.

Matching, in order: the same e-mail address; the same name (case, spacing and script
folded, so "Georgi Petrov" matches "Георги Петров"); otherwise unmatched. For a hybrid
meeting the preview also says who was already checked in at the door.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

import sqlalchemy as sa

from consult.attendance.models import Attendance, CheckInMethod
from consult.attendance.services import AskFirst, check_in, walk_in
from consult.auth.models import User
from consult.directory.importer import ImportError_, parse
from consult.events.models import Meeting
from consult.extensions import db
from consult.i18n import transliterate
from consult.registrations.models import Registration, RegistrationStatus

NAME_HEADERS = ("name (original name)", "full name", "name", "participant", "display name",
                "име", "име и презиме", "emri")
EMAIL_HEADERS = ("user email", "email", "e-mail", "email address", "имейл", "е-пошта")
EMAIL = re.compile(r"[^@\s;,]+@[^@\s;,]+\.[^@\s;,]+")


class MatchKind(enum.Enum):
    EMAIL = "email"
    NAME = "name"
    ALREADY = "already"  # matched, and already checked in (e.g. in the room)
    UNMATCHED = "unmatched"


@dataclass
class Entry:
    line: int
    name: str
    email: str


@dataclass
class Match:
    entry: Entry
    kind: MatchKind
    registration: Registration | None = None


def _folded(name: str) -> str:
    """A name in Latin letters, lower case, single spaces: "Георги  Петров" and
    "georgi petrov" fold alike. A platform's "Name (Original Name)" keeps the name shown."""
    name = re.sub(r"\s*\(.*\)\s*$", "", name)
    return " ".join(transliterate(name).lower().split())


def entries_from_text(text: str) -> list[Entry]:
    """One person per line: a name, an e-mail, or both ("Ана Стоянова, ana@example.bg")."""
    entries = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        found = EMAIL.search(line)
        email = found.group(0).strip("<>").lower() if found else ""
        name = EMAIL.sub("", line).strip(" \t,;<>-–") if found else line
        entries.append(Entry(number, name[:200], email[:254]))
    return entries


def entries_from_report(data: bytes, filename: str) -> list[Entry]:
    """A platform's participant report. Raises ImportError_ when no name or e-mail column
    can be found."""
    parsed = parse(data, filename)
    headers = [h.strip().lower() for h in parsed.headers]
    rows = parsed.rows
    # some platforms put a meeting summary above the participant table: find its header
    for index, row in enumerate(parsed.rows[:30]):
        cells = [c.strip().lower() for c in row]
        if any(c in NAME_HEADERS for c in cells) and not any(h in NAME_HEADERS
                                                             for h in headers):
            headers, rows = cells, parsed.rows[index + 1:]
            break
    name_at = next((headers.index(h) for h in NAME_HEADERS if h in headers), None)
    email_at = next((headers.index(h) for h in EMAIL_HEADERS if h in headers), None)
    if name_at is None and email_at is None:
        from flask_babel import lazy_gettext as _l

        raise ImportError_(_l("No column with names or e-mail addresses was found."))
    entries, seen = [], set()
    for number, row in enumerate(rows, start=2):
        name = row[name_at].strip() if name_at is not None and name_at < len(row) else ""
        email = row[email_at].strip().lower() if email_at is not None and email_at < len(
            row) else ""
        if not (name or email):
            continue
        key = email or _folded(name)
        if key in seen:  # a person who rejoined appears once per connection
            continue
        seen.add(key)
        entries.append(Entry(number, name[:200], email[:254]))
    return entries


def match(meeting: Meeting, entries: list[Entry]) -> list[Match]:
    """A cancelled registration matches by its address only (a namesake's cancelled one is
    not theirs): the preview then names it with its status, and confirming the preview lets
    them in, rather than the address coming back as someone "not registered" whom adding
    as a walk-in would take up again unseen."""
    registrations = db.session.scalars(sa.select(Registration).where(
        Registration.meeting_id == meeting.id)).all()
    present = set(db.session.scalars(sa.select(Attendance.registration_id).where(
        Attendance.meeting_id == meeting.id)))
    by_email = {r.email: r for r in registrations}
    by_name: dict[str, list[Registration]] = {}
    for registration in registrations:
        if registration.status is not RegistrationStatus.CANCELLED:
            by_name.setdefault(_folded(registration.name), []).append(registration)
    matches = []
    for entry in entries:
        registration, kind = by_email.get(entry.email) if entry.email else None, MatchKind.EMAIL
        if registration is None and entry.name:
            candidates = by_name.get(_folded(entry.name), [])
            registration = candidates[0] if len(candidates) == 1 else None
            kind = MatchKind.NAME
        if registration is None:
            matches.append(Match(entry, MatchKind.UNMATCHED))
        elif registration.id in present:
            matches.append(Match(entry, MatchKind.ALREADY, registration))
        else:
            matches.append(Match(entry, kind, registration))
    return matches


def apply(meeting: Meeting, matches: list[Match], by: User | None, online: bool,
          add_unmatched: bool) -> dict[str, int]:
    """Check in the matched; with ``add_unmatched``, register the others as walk-ins."""
    method = CheckInMethod.ONLINE if online else CheckInMethod.LIST
    counts = {"checked_in": 0, "added": 0, "already": 0}
    done: set[int] = set()
    for item in matches:
        person = item.registration
        if person is not None:
            if person.id in done:
                continue  # written twice on the list ("Орлин", "Orlin"): counted once
            done.add(person.id)
        if item.kind is MatchKind.ALREADY:
            counts["already"] += 1
        elif person is not None:
            check_in(person, by, method, online=online)
            counts["checked_in"] += 1
        elif add_unmatched and item.entry.name:
            try:
                registration, _known = walk_in(meeting, {"name": item.entry.name,
                                                         "email": item.entry.email}, by)
            except AskFirst:
                # the address was cancelled since the preview, which did not show it: not
                # let in unseen (the door list or a new preview does it)
                continue
            attendance = db.session.scalar(sa.select(Attendance).where(
                Attendance.registration_id == registration.id))
            attendance.method, attendance.online = method, online
            counts["added"] += 1
    return counts
