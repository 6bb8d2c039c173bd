"""Check-in, walk-ins and the counts the organizer watches at the door."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

import sqlalchemy as sa

from consult.attendance.models import AggregateAttendance, Attendance, CheckInMethod
from consult.auth.models import User
from consult.db import utcnow
from consult.directory.models import Gender, search_conditions
from consult.events.models import Meeting
from consult.extensions import db
from consult.registrations.models import ACTIVE_STATUSES, Registration, RegistrationStatus
from consult.registrations.services import (
    CONSENT_VERSION,
    _find_contact,
    confirmed_count,
    lock_meeting,
)

WALK_IN_CONSENT = "Registered at the door by an organizer (walk-in)."


class AskFirst(Exception):
    """Letting this registration's person in is the organizer's decision, taken after the
    door has shown who they are and what checking them in does (see ``asks_first``)."""

    def __init__(self, registration: Registration):
        super().__init__(registration.id)
        self.registration = registration


def asks_first(registration: Registration) -> bool:
    """Whether the door asks before checking this person in: anyone without a seat (on the
    waiting list, awaiting approval, cancelled, not accepted) who is not checked in
    already. The check-in gives them a seat, beyond the capacity if the meeting is full,
    and that is the organizer's decision, not a tap's: the list, the QR code's page and the
    walk-in form show who it is and what it does, and ask."""
    return registration.status is not RegistrationStatus.CONFIRMED \
        and attendance_of(registration) is None


class Seats(NamedTuple):
    taken: int
    capacity: int


def full(meeting: Meeting) -> Seats | None:
    """The seats of a meeting that has as many people with a seat as its capacity (or
    more): whoever the door lets in then goes beyond it. None while seats are free, or
    for a meeting without a capacity."""
    if meeting.capacity is None:
        return None
    taken = confirmed_count(meeting.id)
    return Seats(taken, meeting.capacity) if taken >= meeting.capacity else None


def too_early(meeting: Meeting, now: datetime | None = None) -> bool:
    """Whether it is still before the meeting's day, where it takes place (its time zone).
    Nobody can have come yet, and a check-in then is nearly always a phone open on another
    meeting of the series: the door refuses it and says when it opens. From the morning of
    the meeting's day (people come early), and any time after (a sheet typed in later),
    attendance is recorded."""
    now = now or utcnow()
    return now.astimezone(meeting.zone).date() < meeting.local_start.date()


def attendance_of(registration: Registration) -> Attendance | None:
    return db.session.scalar(
        sa.select(Attendance).where(Attendance.registration_id == registration.id))


def _lock(registration: Registration) -> None:
    """The meeting's lock, then the registration as it is now (another phone may have
    changed it while this request waited)."""
    lock_meeting(registration.meeting_id)
    if sa.inspect(registration).persistent and not db.session.is_modified(registration):
        db.session.refresh(registration)


def check_in(registration: Registration, by: User | None,
             method: CheckInMethod = CheckInMethod.DOOR, online: bool = False) -> Attendance:
    """Mark the person present (again: nothing changes). A waitlisted person who is let in at
    the door gets the seat.

    Two phones at the door may check in the same person at the same moment: the meeting's
    lock makes the second wait for the first, then find the attendance it wrote."""
    _lock(registration)
    existing = attendance_of(registration)
    if existing is not None:
        return existing
    status_before = None
    if registration.status is not RegistrationStatus.CONFIRMED:
        status_before = registration.status
        registration.status = RegistrationStatus.CONFIRMED
    attendance = Attendance(registration=registration, meeting_id=registration.meeting_id,
                            checked_in_by=by, method=method, online=online,
                            status_before=status_before)
    db.session.add(attendance)
    db.session.flush()
    return attendance


def undo(registration: Registration) -> None:
    """Not there after all: and if the check-in gave them a seat, they are back where they
    were (the waiting list), so the meeting is not left over its capacity by a mistap."""
    _lock(registration)
    attendance = attendance_of(registration)
    if attendance is not None:
        if attendance.status_before is not None \
                and registration.status is RegistrationStatus.CONFIRMED:
            registration.status = attendance.status_before
        db.session.delete(attendance)
        db.session.flush()


def walk_in_language(meeting: Meeting) -> str:
    """The language a walk-in's mails are in unless the organizer chose another: the
    meeting's main language, which the people in its room speak (English only where the
    meeting is held in it, or in a language mail is not written in): as for an invitation
    to someone whose language the directory does not know."""
    from consult.invitations.services import mail_language

    return mail_language("", [meeting])


def walk_in(meeting: Meeting, data: dict, by: User | None, let_in: int | None = None
            ) -> tuple[Registration, RegistrationStatus | None]:
    """Someone who did not register: the registration and the attendance in one step.
    Returns the registration checked in and, where the address was on the list already,
    the status that registration had (None for a new one).

    An address whose registration the door asks about (``asks_first``) raises AskFirst,
    with nothing changed (roll back: the meeting is locked), unless ``let_in`` is that
    registration's id: the organizer saw it and said yes. The check is made under the
    meeting's lock, so what was asked about is what is let in."""
    lock_meeting(meeting.id)
    email = (data.get("email") or "").strip().lower()
    registration = None
    if email:
        registration = db.session.scalar(sa.select(Registration).where(
            Registration.meeting_id == meeting.id, Registration.email == email))
    if registration is not None and registration.id != let_in and asks_first(registration):
        raise AskFirst(registration)
    known = registration.status if registration is not None else None
    if registration is None:
        registration = Registration(meeting=meeting, email=email or _walk_in_address(meeting))
        registration.name = data["name"]
        registration.gender = data.get("gender") or Gender.UNDISCLOSED
        registration.organisation_name = data.get("organisation_name", "")
        registration.stakeholder_type_id = data.get("stakeholder_type_id")
        registration.locale = data.get("locale") or walk_in_language(meeting)
        registration.consent_text = WALK_IN_CONSENT
        registration.consent_version = CONSENT_VERSION
        registration.status = RegistrationStatus.CONFIRMED
        if email:
            registration.contact = _find_contact(email, {**data, "email": email})
        registration.refresh_search()
        db.session.add(registration)
        db.session.flush()
    check_in(registration, by, CheckInMethod.WALK_IN)
    return registration, known


# spellings one Cyrillic name gets in Latin letters: "Мария" is "Mariya" and "Maria"
_LOOSE = (("iy", "i"), ("ya", "ia"), ("yu", "iu"), ("y", "i"), ("ts", "c"), ("w", "v"))


def name_key(name: str) -> tuple[str, ...]:
    """A name in either script, any case, and the usual Latin spellings of a Cyrillic one
    ("Мария Георгиева", "Maria Georgieva") as one key: a second person at the door is asked
    about, not added (or told apart) silently."""
    from consult.i18n import transliterate

    text = transliterate(name.lower()).lower()
    for spelled, loose in _LOOSE:
        text = text.replace(spelled, loose)
    return tuple(text.split())


def registered_namesake(meeting: Meeting, name: str) -> bool:
    """Whether someone of this name (see ``name_key``) is on the meeting's list."""
    wanted = name_key(name)
    return any(name_key(other) == wanted for other in db.session.scalars(
        sa.select(Registration.name).where(
            Registration.meeting_id == meeting.id,
            Registration.status.in_(ACTIVE_STATUSES))))


def _walk_in_address(meeting: Meeting) -> str:
    """Registrations are unique per address; a walk-in without one gets a placeholder that
    can never receive mail (RFC 2606 .invalid)."""
    import secrets

    return f"walk-in-{secrets.token_hex(6)}@meeting-{meeting.id}.invalid"


def search(meeting: Meeting, q: str, limit: int = 30):
    """Registrations of the meeting whose name, e-mail or organisation contains every typed
    word, in Cyrillic or Latin: the columns the door list shows, and whether each person
    is checked in (rows, not objects: this runs at every keystroke)."""
    query = (
        sa.select(Registration.id, Registration.name, Registration.organisation_name,
                  Registration.email, Registration.status,
                  Attendance.id.is_not(None).label("present"))
        .outerjoin(Attendance, Attendance.registration_id == Registration.id)
        .where(Registration.meeting_id == meeting.id,
               Registration.status.in_(ACTIVE_STATUSES))
    )
    query = query.where(*search_conditions(Registration.search_text, q, words=5))
    return db.session.execute(query.order_by(Registration.name, Registration.id)
                              .limit(limit)).all()


def namesakes(rows) -> set[int]:
    """The rows (ids) whose name another row of the list has too: the door list tells them
    apart by their address, which the organizer can ask for."""
    seen = Counter(name_key(row.name) for row in rows)
    return {row.id for row in rows if seen[name_key(row.name)] > 1}


@dataclass
class DoorCounts:
    present: int
    registered: int
    present_by_gender: dict[str, int]
    registered_by_gender: dict[str, int]
    aggregate: AggregateAttendance | None

    def as_dict(self) -> dict:
        return {"present": self.present, "registered": self.registered,
                "present_by_gender": self.present_by_gender,
                "registered_by_gender": self.registered_by_gender}


def door_counts(meeting: Meeting) -> DoorCounts:
    """Present / registered (confirmed), by gender: two GROUP BY queries."""
    registered = dict.fromkeys((g.value for g in Gender), 0)
    present = dict.fromkeys((g.value for g in Gender), 0)
    rows = db.session.execute(
        sa.select(Registration.gender, sa.func.count(Registration.id),
                  sa.func.count(Attendance.id))
        .outerjoin(Attendance, Attendance.registration_id == Registration.id)
        .where(Registration.meeting_id == meeting.id,
               Registration.status == RegistrationStatus.CONFIRMED)
        .group_by(Registration.gender))
    for gender, n_registered, n_present in rows:
        registered[gender.value] = n_registered
        present[gender.value] = n_present
    aggregate = db.session.scalar(sa.select(AggregateAttendance).where(
        AggregateAttendance.meeting_id == meeting.id))
    return DoorCounts(sum(present.values()), sum(registered.values()), present, registered,
                      aggregate)



def certificate_key(registration: Registration) -> str:
    """The certificate mail's outbox key: one per person, ever."""
    return f"certificate:{registration.id}"


def queue_certificate(registration: Registration) -> bool:
    """Queue the certificate mail, PDF attached, in the person's language; once per person."""
    from flask_babel import lazy_gettext as _l

    from consult.attendance.pdf import certificate
    from consult.invitations.services import sender_for
    from consult.mail.models import OutboxMessage
    from consult.mail.services import Attachment, queue_mail

    key = certificate_key(registration)
    if db.session.scalar(sa.select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key)):
        return False
    meeting = registration.meeting
    subject = _l("Certificate of attendance: %(title)s")
    queue_mail(
        to=registration.email, to_name=registration.name, locale=registration.locale,
        template="certificate", subject=lambda: subject % {"title": meeting.display_title},
        context={"registration": registration, "meeting": meeting},
        attachments=[Attachment("certificate.pdf", "application/pdf",
                                certificate(registration, registration.locale))],
        dedupe_key=key, topic="attendance.certificate", sender=sender_for(meeting.series),
    )
    return True


@dataclass
class Funnel:
    """Invited → registered → attended, by gender and by stakeholder type (SQL GROUP BY)."""

    by_gender: dict[str, dict[str, int]]  # stage → gender → n
    by_type: dict[str, dict[int | None, int]]  # stage → stakeholder type id → n
    totals: dict[str, int]
    aggregate: AggregateAttendance | None


def funnel(meeting: Meeting) -> Funnel:
    from consult.directory.models import Contact, Organisation
    from consult.invitations.models import Invitation

    genders = [g.value for g in Gender]
    stages = ("invited", "registered", "attended")
    by_gender = {stage: dict.fromkeys(genders, 0) for stage in stages}
    by_type: dict[str, dict] = {stage: {} for stage in stages}
    kind = sa.func.coalesce(Contact.stakeholder_type_id, Organisation.stakeholder_type_id)
    invited = (sa.select(Contact.gender, kind, sa.func.count(Invitation.id))
               .select_from(Invitation)
               .join(Contact, Contact.id == Invitation.contact_id)
               .outerjoin(Organisation, Organisation.id == Contact.organisation_id)
               .where(Invitation.meeting_id == meeting.id).group_by(Contact.gender, kind))
    # an invited organisation counts once, under its type, gender not applicable
    organisations = (sa.select(Organisation.stakeholder_type_id, sa.func.count(Invitation.id))
                     .select_from(Invitation)
                     .join(Organisation, Organisation.id == Invitation.organisation_id)
                     .where(Invitation.meeting_id == meeting.id)
                     .group_by(Organisation.stakeholder_type_id))
    active = Registration.status.in_(ACTIVE_STATUSES)
    registered = (sa.select(Registration.gender, Registration.stakeholder_type_id,
                            sa.func.count(Registration.id))
                  .where(Registration.meeting_id == meeting.id, active)
                  .group_by(Registration.gender, Registration.stakeholder_type_id))
    attended = (sa.select(Registration.gender, Registration.stakeholder_type_id,
                          sa.func.count(Attendance.id))
                .join(Attendance, Attendance.registration_id == Registration.id)
                .where(Registration.meeting_id == meeting.id)
                .group_by(Registration.gender, Registration.stakeholder_type_id))
    for stage, query in (("invited", invited), ("registered", registered),
                         ("attended", attended)):
        for gender, type_id, n in db.session.execute(query):
            by_gender[stage][gender.value] += n
            by_type[stage][type_id] = by_type[stage].get(type_id, 0) + n
    organisations_invited = 0
    for type_id, n in db.session.execute(organisations):
        by_type["invited"][type_id] = by_type["invited"].get(type_id, 0) + n
        organisations_invited += n
    totals = {stage: sum(by_gender[stage].values()) for stage in stages}
    totals["invited"] += organisations_invited
    aggregate = db.session.scalar(sa.select(AggregateAttendance).where(
        AggregateAttendance.meeting_id == meeting.id))
    return Funnel(by_gender, by_type, totals, aggregate)
