"""Seats, the waiting list, and the mails registrations cause.

Every seat decision takes the meeting's row lock first and counts after it: counting
before the lock lets two concurrent requests both see the last free seat.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import force_locale, lazy_pgettext
from flask_babel import lazy_gettext as _l

from consult.db import begin_writing, utcnow
from consult.directory.models import Contact, Gender, Organisation
from consult.events import services as events
from consult.events.calendar import build_calendar
from consult.events.models import Meeting, RegistrationMode
from consult.extensions import db
from consult.i18n import CONTENT_LANGUAGES
from consult.invitations.models import Invitation
from consult.invitations.services import (
    invited_people,
    registered_through,
    registration_cancelled,
    reply_to_for,
    sender_for,
)
from consult.mail.models import OutboxMessage
from consult.mail.services import (
    Attachment,
    PreparationImpossible,
    Prepared,
    preparer,
    queue_prepared_later,
)
from consult.registrations.models import (
    ACTIVE_STATUSES,
    Registration,
    RegistrationStatus,
)

CONSENT_VERSION = "2026-11"
CONSENT_TEXT = _l(
    "I agree that the organizers process the data in this form to organise this meeting, "
    "send me messages about it, and report participation (by gender and stakeholder type, "
    "never by name) to the funder. I can see, change or delete my data through the link "
    "in my confirmation e-mail."
)


def lock_meeting(meeting_id: int) -> None:
    """Take the meeting's write lock for the rest of the transaction.

    An UPDATE locks the row on PostgreSQL and takes SQLite's write lock, so concurrent seat
    decisions for one meeting queue up behind each other on both databases.
    """
    begin_writing(db.session)
    db.session.execute(
        sa.text("UPDATE meetings SET sequence = sequence WHERE id = :id"), {"id": meeting_id})


def confirmed_count(meeting_id: int) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Registration).where(
        Registration.meeting_id == meeting_id,
        Registration.status == RegistrationStatus.CONFIRMED))


def _seats_taken(meeting: Meeting) -> int:
    return confirmed_count(meeting.id) if meeting.id else 0


def _registered_people(meeting: Meeting):
    """Everyone registered who will come or may (seat, waiting list, awaiting approval),
    with what their mails use: salutation and personal link, as the confirmation has them."""
    from flask import url_for

    rows = db.session.execute(sa.select(
        Registration.email, Registration.name, Registration.locale,
        Registration.calendar_sequence, Registration.status == RegistrationStatus.CONFIRMED,
        Registration.gender, Registration.token, Registration.invitation_id.is_not(None),
    ).where(Registration.meeting_id == meeting.id, Registration.status.in_(ACTIVE_STATUSES)))
    return [events.Recipient(
        email, name, locale, sequence, seated,
        gender=gender.value if gender else None,
        link=url_for("registrations.manage", token=token, _external=True),
        # the invitation's .ics may be all their calendar holds (see events._calendar_update)
        invitation_entry=invited and not sequence)
        for email, name, locale, sequence, seated, gender, token, invited in rows]


def install_hooks() -> None:
    """Tell the meetings package who holds seats and who hears about changes: the
    registered, then the invited (first come first: someone both hears as registered)."""
    if _seats_taken not in events.SEATS_TAKEN:
        events.SEATS_TAKEN.append(_seats_taken)
    for provider in (_registered_people, invited_people):
        if provider not in events.RECIPIENT_PROVIDERS:
            events.RECIPIENT_PROVIDERS.append(provider)


class RegistrationRefused(Exception):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


@dataclass
class Outcome:
    registration: Registration
    created: bool  # False: this e-mail was registered already
    # a cancelled or refused registration of this address taken up again: its link (and its
    # past) belongs to whoever owns the address, not necessarily to whoever typed it
    revived: bool = False


SEAT_DECISION_FIELDS = ("status", "starts_at", "ends_at", "registration_opens_at",
                        "registration_closes_at", "registration_mode", "capacity")

FIELDS = ("name", "gender", "organisation_name", "stakeholder_type_id", "region", "municipality",
          "position", "phone", "accessibility_needs", "interpretation_language")


def directory_place(text: str) -> tuple[str, str]:
    """(region, municipality) for the directory from a registrant's free-text "region or
    municipality": a region the directory has, or a municipality it has (with that
    municipality's region); else nothing. The text stays on the registration either way; only
    known places reach the directory, whose region filter and invitation audiences must not
    grow a new "region" for every town or typo typed into a form."""
    from consult.directory.services import municipalities, regions

    text = (text or "").strip()
    if not text:
        return "", ""
    if db.session.scalar(sa.select(Contact.id).where(Contact.region == text).limit(1)):
        return text, ""
    key = text.casefold()  # "видин" is Видин: the directory's spelling is kept
    if (region := next((r for r in regions() if r.casefold() == key), None)) is not None:
        return region, ""
    municipality = text if db.session.scalar(sa.select(Contact.id).where(
        Contact.municipality == text).limit(1)) else next(
        (m for m in municipalities() if m.casefold() == key), None)
    if municipality is None:
        return "", ""
    region = db.session.scalar(sa.select(Contact.region).where(
        Contact.municipality == municipality).order_by(Contact.region.desc()).limit(1))
    return region or "", municipality


def _find_contact(email: str, data: dict) -> Contact:
    contact = db.session.scalar(sa.select(Contact).where(Contact.email == email))
    if contact is None:
        region, municipality = directory_place(data.get("region", ""))
        contact = Contact(
            email=email, name=data["name"], gender=data.get("gender", Gender.UNDISCLOSED),
            position=data.get("position", ""), region=region,
            municipality=data.get("municipality") or municipality, phone=data.get("phone", ""),
            language=data.get("locale", ""), stakeholder_type_id=data.get("stakeholder_type_id"),
        )
        if data.get("organisation_name"):
            contact.organisation = db.session.scalar(sa.select(Organisation).where(
                sa.func.lower(Organisation.name) == data["organisation_name"].lower()))
        contact.refresh_search()
        db.session.add(contact)
    return contact


def register(meeting: Meeting, data: dict, invitation: Invitation | None = None,
             now=None, organizer: bool = False) -> Outcome:
    """Register ``data["email"]`` for ``meeting`` in the current transaction (commit after).

    Raises RegistrationRefused when the meeting takes no registration from this person. An
    ``organizer`` typing in a registration is not bound by the window or invitation-only
    mode, only by a cancellation; seats and the waiting list apply to everyone.
    """
    now = now or utcnow()
    email = data["email"].strip().lower()
    lock_meeting(meeting.id)
    # what the decision reads, as it is now that the meeting is locked (not its agenda etc.)
    db.session.refresh(meeting, attribute_names=SEAT_DECISION_FIELDS)
    state = events.registration_state(meeting, now)
    invited = invitation is not None and invitation.meeting_id == meeting.id
    if state is events.RegistrationState.CANCELLED or (not organizer and state in (
            events.RegistrationState.CLOSED, events.RegistrationState.NOT_YET)):
        raise RegistrationRefused(events.REGISTRATION_STATE_LABELS[state])
    if meeting.registration_mode is RegistrationMode.INVITATION and not (invited or organizer):
        raise RegistrationRefused(_l("This meeting is by invitation only. Please use the "
                                     "personal link from your invitation."))
    existing = db.session.scalar(sa.select(Registration).where(
        Registration.meeting_id == meeting.id, Registration.email == email))
    if existing is not None and existing.is_active:
        return Outcome(existing, False)
    # through the invitation sent to this very address: its owner, not whoever has the link
    invitee = invited and invitation.went_to(email)
    if invited:
        # an organisation sends its delegates; a personal invitation seats one person
        used = db.session.scalar(sa.select(sa.func.count()).select_from(Registration).where(
            Registration.invitation_id == invitation.id,
            Registration.status.in_(ACTIVE_STATUSES)))
        if invitation.for_organisation and used >= invitation.max_delegates:
            raise RegistrationRefused(_l(
                "Your organisation has named all the delegates it was invited to send."))
        if not invitation.for_organisation and used and not organizer and not invitee:
            raise RegistrationRefused(_l(
                "Someone has registered with this invitation already. If you are coming in "
                "place of the person invited, please ask the organizers."))

    if meeting.registration_mode is RegistrationMode.APPROVAL:
        status = RegistrationStatus.PENDING
    elif meeting.capacity is not None and confirmed_count(meeting.id) >= meeting.capacity:
        status = RegistrationStatus.WAITLISTED
    else:
        status = RegistrationStatus.CONFIRMED

    registration = existing or Registration(meeting=meeting, email=email)
    for name in FIELDS:
        if name in data:
            setattr(registration, name, data[name])
    registration.locale = data.get("locale") or registration.locale or "en"
    registration.answers = data.get("answers", {})
    # consent to be named in public counts from the person only: a registration taken up
    # again by whoever typed the address into a form starts without it (its owner can give
    # it through the link mailed to them)
    registration.publish_consent = bool(data.get("publish_consent")) and (
        existing is None or organizer or invitee)
    registration.sensitive_answer = data.get("sensitive_answer") if any(
        (meeting.sensitive_question or {}).values()) else None
    with force_locale(registration.locale):
        registration.consent_text = str(CONSENT_TEXT)
    registration.consent_version = CONSENT_VERSION
    registration.status = status
    registration.cancelled_at = None
    registration.created_at = now
    if invited:
        registration.invitation = invitation
        if invitation.organisation_id and not registration.organisation_name:
            registration.organisation_name = invitation.organisation.name
        registration.organisation_id = invitation.organisation_id or registration.organisation_id
        registered_through(invitation)
    elif registration.invitation is not None:
        # registered again through the public form: the invitation it came through says so
        registered_through(registration.invitation)
    if invited and invitation.contact is not None and not invitation.for_organisation:
        registration.contact = invitation.contact
    else:
        registration.contact = _find_contact(email, data)
    if registration.contact is not None and registration.organisation_id is None:
        registration.organisation_id = registration.contact.organisation_id
    if registration.stakeholder_type_id is None and registration.contact is not None:
        kind = registration.contact.stakeholder_type
        registration.stakeholder_type_id = kind.id if kind else None
    registration.refresh_search()
    db.session.add(registration)
    db.session.flush()
    send_status_mail(registration)
    return Outcome(registration, True, revived=existing is not None)


def _invitation_follows(registration: Registration) -> None:
    """A registration through an invitation left its seat or list (cancelled, refused): the
    invitation stops counting as registered when nobody is left registered through it."""
    if registration.invitation is not None:
        registration_cancelled(registration.invitation, db.session.scalar(
            sa.select(sa.func.count()).select_from(Registration).where(
                Registration.invitation_id == registration.invitation_id,
                Registration.status.in_(ACTIVE_STATUSES))))


def cancel(registration: Registration, by_participant: bool = True) -> Registration | None:
    """Cancel and free the seat; returns the waitlisted person promoted into it, if any."""
    lock_meeting(registration.meeting_id)
    db.session.refresh(registration)
    if not registration.is_active:
        return None
    had_seat = registration.status is RegistrationStatus.CONFIRMED
    registration.status = RegistrationStatus.CANCELLED
    registration.cancelled_at = utcnow()
    db.session.flush()
    _invitation_follows(registration)
    send_status_mail(registration, had_seat=had_seat)
    return promote_waitlisted(registration.meeting) if had_seat else None


def promote_waitlisted(meeting: Meeting, skip: Registration | None = None
                       ) -> Registration | None:
    """Give a free seat to the first on the waiting list (call with the meeting locked);
    ``skip``: someone the organizer just moved to the list, who must not get it back."""
    if meeting.capacity is not None and confirmed_count(meeting.id) >= meeting.capacity:
        return None
    first = _first_waitlisted(meeting, skip)
    if first is None:
        return None
    first.status = RegistrationStatus.CONFIRMED
    db.session.flush()
    send_status_mail(first, promoted=True)
    return first


def by_token(token: str) -> Registration | None:
    if not token or len(token) > 64:
        return None
    return db.session.scalar(sa.select(Registration).where(Registration.token == token))


def register_again_url(registration: Registration, external: bool = False) -> str | None:
    """Where someone whose registration is cancelled can register again, while the meeting
    takes registrations: through their invitation, else the public form of a meeting open
    to the public. None for anyone else (refused people are not offered it)."""
    from flask import url_for

    from consult.events.views import _publicly_visible

    meeting = registration.meeting
    if registration.status is not RegistrationStatus.CANCELLED or \
            registration.anonymised_at is not None or \
            events.registration_state(meeting) not in (events.RegistrationState.OPEN,
                                                       events.RegistrationState.FULL):
        return None
    if registration.invitation is not None:
        return url_for("registrations.register_invited", token=registration.invitation.token,
                       _external=external)
    if meeting.registration_mode is not RegistrationMode.INVITATION and \
            _publicly_visible(meeting):
        return url_for("registrations.register", meeting_id=meeting.id, _external=external)
    return None


SUBJECTS = {
    RegistrationStatus.CONFIRMED: _l("Registered: %(title)s"),
    RegistrationStatus.WAITLISTED: _l("Waiting list: %(title)s"),
    RegistrationStatus.PENDING: _l("Registration received: %(title)s"),
    RegistrationStatus.REJECTED: _l("Registration not accepted: %(title)s"),
    RegistrationStatus.CANCELLED: _l("Registration cancelled: %(title)s"),
}


def checkin_token(registration: Registration) -> str:
    """What the door code carries: the registration's number and a 128-bit signature of it.
    Not the personal token: a code photographed at the door must not open the person's page
    (see, change, cancel, download their data)."""
    import base64
    import hashlib
    import hmac

    from flask import current_app

    digest = hmac.new(current_app.config["SECRET_KEY"].encode(),
                      f"checkin:{registration.id}:{registration.token}".encode(),
                      hashlib.sha256).digest()[:16]
    return f"{registration.id}.{base64.urlsafe_b64encode(digest).decode().rstrip('=')}"


def by_checkin_token(token: str) -> Registration | None:
    """The registration of a door code; codes mailed before they were signed carried the
    personal token, and still open at the door (for signed-in organizers only)."""
    import hmac

    number, _dot, _signature = (token or "").partition(".")
    if not _dot:
        return by_token(token)
    registration = db.session.get(Registration, int(number)) if number.isdigit() and \
        len(number) <= 18 else None
    if registration is None or not hmac.compare_digest(checkin_token(registration), token):
        return None
    return registration


def checkin_code(registration: Registration) -> bytes:
    """A QR code to show at the door: it opens this person's check-in on an organizer's
    phone (signed-in organizers of the meeting only)."""
    from flask import url_for

    url = url_for("attendance.checkin_by_code", token=checkin_token(registration),
                  _external=True)
    return qr_png(qr_code(url))


def qr_code(url: str):
    """A fixed mask pattern: any of the eight is valid, and trying all eight (segno's
    default) made this the slowest step of registering."""
    import segno

    return segno.make_qr(url, error="m", mask=2)


def qr_png(code, scale: int = 6, border: int = 4) -> bytes:
    """The code as a black-on-white PNG, drawn with Pillow (C) rather than segno's
    pure-Python PNG writer."""
    import io

    from PIL import Image

    size = len(code.matrix)
    pixels = bytes(0 if dark else 255 for row in code.matrix for dark in row)
    image = Image.frombytes("L", (size, size), pixels)
    framed = Image.new("L", (size + 2 * border, size + 2 * border), 255)
    framed.paste(image, (border, border))
    framed = framed.resize((framed.width * scale, framed.height * scale), Image.NEAREST)
    buffer = io.BytesIO()
    framed.convert("1").save(buffer, format="PNG")
    return buffer.getvalue()


def send_status_mail(registration: Registration, promoted: bool = False,
                     had_seat: bool = False) -> OutboxMessage | None:
    """Queue the mail that tells the person where they stand; the worker prepares it (see
    ``prepare_status_mail``), so registering costs the database work only."""
    meeting = registration.meeting
    locale = registration.locale if registration.locale in CONTENT_LANGUAGES else "en"
    subject = SUBJECTS[registration.status]
    if _calendar_method(registration.status, had_seat) is not None:
        # later than anything their calendar holds of this meeting from us
        registration.calendar_sequence = (registration.calendar_sequence or 0) + 1
    return queue_prepared_later(
        to=registration.email,
        to_name=registration.name,
        locale=locale,
        preparer="registrations.status",
        args={"registration_id": registration.id, "status": registration.status.value,
              "promoted": promoted, "had_seat": had_seat,
              "calendar_sequence": registration.calendar_sequence},
        subject=lambda: subject % {"title": meeting.display_title},
        sender=sender_for(meeting.series),
        reply_to=reply_to_for(meeting.series),
        topic="registrations.status",
    )


RESEND_INTERVAL_MINUTES = 10


def send_status_mail_again(registration: Registration) -> bool:
    """The status mail once more, for someone who registered the same address again: at most
    once in RESEND_INTERVAL_MINUTES for a registration, so a public form cannot be used to
    flood a mailbox. False when one went out within that time."""
    now = utcnow()
    window = now.replace(minute=now.minute - now.minute % RESEND_INTERVAL_MINUTES, second=0,
                         microsecond=0)
    key = f"status-again:{registration.id}:{window:%Y%m%d%H%M}"
    if db.session.scalar(sa.select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key)):
        return False
    message = send_status_mail(registration)
    if message is None:  # an address that cannot receive mail
        return False
    message.dedupe_key = key
    return True


def _calendar_method(status: RegistrationStatus, had_seat: bool) -> str | None:
    """The calendar entry a status mail carries: the meeting with a seat, its removal when
    the seat is given up (cancelled, rejected, moved to the waiting list), else none."""
    if status is RegistrationStatus.CONFIRMED:
        return "REQUEST"
    return "CANCEL" if had_seat else None


@preparer("registrations.status")
def prepare_status_mail(registration_id: int, status: str, promoted: bool = False,
                        had_seat: bool = False, calendar_sequence: int = 0) -> Prepared:
    """The status mail's body, with a calendar entry where one belongs: REQUEST with the
    person as attendee when they have a seat, CANCEL when they gave it up; the check-in QR
    code with a seat. ``status`` is the one the mail was queued for, even if it changed
    since (a later change queues its own mail)."""
    from consult.events.models import MeetingFormat

    registration = db.session.get(Registration, registration_id)
    if registration is None:
        raise PreparationImpossible(f"registration {registration_id} no longer exists")
    meeting = registration.meeting
    status = RegistrationStatus(status)
    locale = registration.locale if registration.locale in CONTENT_LANGUAGES else "en"
    attachments = []
    method = _calendar_method(status, had_seat)
    if method is not None:
        ics = build_calendar([meeting], method=method, include_online_link=True,
                             attendee=(registration.email, registration.name), locale=locale,
                             sequence_offset=calendar_sequence)
        attachments.append(Attachment("meeting.ics", f"text/calendar; method={method}", ics))
    if status is RegistrationStatus.CONFIRMED:
        attachments.append(Attachment("check-in.png", "image/png", checkin_code(registration)))
    return Prepared(
        template="registration_status",
        context={"registration": registration, "meeting": meeting, "promoted": promoted,
                 "status": status.value, "had_seat": had_seat,
                 "online": meeting.format is not MeetingFormat.IN_PERSON,
                 "register_again": register_again_url(registration, external=True)
                 if status is RegistrationStatus.CANCELLED else None},
        attachments=attachments,
    )


# --- organizer decisions ----------------------------------------------------------------------

def approve(registration: Registration) -> None:
    """Accept a pending registration: a seat if one is free, else the waiting list."""
    lock_meeting(registration.meeting_id)
    db.session.refresh(registration)
    if registration.status is not RegistrationStatus.PENDING:
        return
    meeting = registration.meeting
    full = meeting.capacity is not None and confirmed_count(meeting.id) >= meeting.capacity
    registration.status = RegistrationStatus.WAITLISTED if full else RegistrationStatus.CONFIRMED
    db.session.flush()
    send_status_mail(registration)


def reject(registration: Registration, reason: str) -> None:
    lock_meeting(registration.meeting_id)
    db.session.refresh(registration)
    if registration.status not in ACTIVE_STATUSES:
        return
    had_seat = registration.status is RegistrationStatus.CONFIRMED
    registration.status = RegistrationStatus.REJECTED
    registration.status_reason = reason.strip()[:2000]
    db.session.flush()
    _invitation_follows(registration)
    send_status_mail(registration, had_seat=had_seat)
    if had_seat:
        promote_waitlisted(registration.meeting)


def move(registration: Registration, to: RegistrationStatus) -> Registration | None:
    """The organizer moves someone between the waiting list and the seats (a seat given by
    hand may exceed the capacity: the organizer decides). Returns who got the seat freed by
    a move to the waiting list, if anyone did."""
    lock_meeting(registration.meeting_id)
    db.session.refresh(registration)
    if registration.status not in (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED):
        return None
    if registration.status is to:
        return None
    registration.status = to
    db.session.flush()
    send_status_mail(registration, promoted=to is RegistrationStatus.CONFIRMED,
                     had_seat=to is RegistrationStatus.WAITLISTED)
    if to is RegistrationStatus.WAITLISTED:
        return promote_waitlisted(registration.meeting, skip=registration)
    return None


def next_in_line(registration: Registration) -> Registration | None:
    """Who would get ``registration``'s seat if it went to the waiting list now."""
    meeting = registration.meeting
    if registration.status is not RegistrationStatus.CONFIRMED or (
            meeting.capacity is not None and confirmed_count(meeting.id) - 1 >= meeting.capacity):
        return None
    return _first_waitlisted(meeting, skip=registration)


def _first_waitlisted(meeting: Meeting, skip: Registration | None) -> Registration | None:
    query = sa.select(Registration).where(
        Registration.meeting_id == meeting.id,
        Registration.status == RegistrationStatus.WAITLISTED,
    )
    if skip is not None:
        query = query.where(Registration.id != skip.id)
    return db.session.scalar(query.order_by(Registration.created_at, Registration.id).limit(1))


@dataclass
class RegistrationFilters:
    status: str = ""
    gender: str = ""
    type: str = ""  # stakeholder type code
    q: str = ""


def registrations_query(meeting_ids: list[int], filters: RegistrationFilters):
    from consult.directory.models import StakeholderType, search_conditions

    query = sa.select(Registration).where(Registration.meeting_id.in_(meeting_ids))
    if filters.status in {s.value for s in RegistrationStatus}:
        query = query.where(Registration.status == RegistrationStatus(filters.status))
    if filters.gender in {g.value for g in Gender}:
        query = query.where(Registration.gender == Gender(filters.gender))
    if filters.type:
        query = query.where(Registration.stakeholder_type_id.in_(
            sa.select(StakeholderType.id).where(StakeholderType.code == filters.type)))
    query = query.where(*search_conditions(Registration.search_text, filters.q, words=5))
    return query.order_by(Registration.created_at, Registration.id)


def breakdown(meeting_ids: list[int], column) -> dict:
    """Counts of active and cancelled registrations grouped by ``column`` (SQL GROUP BY)."""
    rows = db.session.execute(
        sa.select(column, sa.func.count()).where(Registration.meeting_id.in_(meeting_ids))
        .group_by(column))
    return {key: n for key, n in rows}


# the export's columns, headed in the reader's language (it is read, not imported back)
EXPORT_COLUMNS = [
    ("meeting", _l("Meeting")), ("date", _l("Date and time")),
    ("name", lazy_pgettext("person", "Name")), ("email", _l("E-mail")),
    ("gender", _l("Gender")), ("organisation", _l("Organisation")),
    ("stakeholder_type", _l("Stakeholder type")), ("region", _l("Region or municipality")),
    ("position", _l("Position")), ("phone", _l("Phone")), ("status", _l("Status")),
    ("registered_at", _l("Registered at")), ("attended", _l("Attended")),
    ("accessibility_needs", _l("Accessibility needs")),
    ("interpretation_language", _l("Interpretation into")),
    ("publish_consent", _l("Name may be published")), ("answers", _l("Answers")),
]


def export_headers() -> list[str]:
    return [str(label) for _key, label in EXPORT_COLUMNS]


def export_rows(meeting_ids: list[int], filters: RegistrationFilters):
    from zoneinfo import ZoneInfo

    from consult.attendance.models import Attendance
    from consult.directory.models import GENDER_LABELS
    from consult.registrations.models import REGISTRATION_STATUS_LABELS

    present = set(db.session.scalars(sa.select(Attendance.registration_id).where(
        Attendance.meeting_id.in_(meeting_ids))))
    yes = str(_l("yes"))
    genders = {gender: str(label) for gender, label in GENDER_LABELS.items()}
    statuses = {status: str(label) for status, label in REGISTRATION_STATUS_LABELS.items()}
    for registration in db.session.scalars(registrations_query(meeting_ids, filters)):
        meeting = registration.meeting
        kind = registration.stakeholder_type
        # both times in the meeting's own time zone, as its organizers read them
        registered = registration.created_at.astimezone(ZoneInfo(meeting.timezone))
        yield [
            meeting.display_title, meeting.local_start.strftime("%Y-%m-%d %H:%M"),
            registration.name, registration.email if not registration.email.endswith(
                ".invalid") else "",
            genders[registration.gender], registration.organisation_name,
            kind.label() if kind else "", registration.region, registration.position,
            registration.phone, statuses[registration.status],
            registered.strftime("%Y-%m-%d %H:%M"),
            yes if registration.id in present else "", registration.accessibility_needs,
            registration.interpretation_language,
            yes if registration.publish_consent else "",
            "; ".join(f"{a.get('question', '')}: {a.get('answer', '')}"
                      for a in (registration.answers or {}).values() if isinstance(a, dict)),
        ]
