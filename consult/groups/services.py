"""Working groups: who leads, who is a member on a given day, who else was consulted, the
group's documents, and the conclusions of a meeting mailed to the members.

The counting functions run GROUP BY in the database and are what the participation reports
and the transparency record use; each takes the group and a day (or a period) in the
group's own calendar (membership dates are the group's local dates).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import aliased, joinedload

from consult.auth.models import User
from consult.directory.models import Contact, Gender, Organisation, StakeholderType
from consult.events.models import Document, DocumentType, Meeting, MeetingStatus, MeetingType
from consult.extensions import db
from consult.groups.models import ConclusionsSend, GroupLead, LeadRole, Membership, WorkingGroup
from consult.i18n import CONTENT_LANGUAGES

GENDERS = [gender.value for gender in Gender]


# --- days -----------------------------------------------------------------------------------

def group_zone(group: WorkingGroup) -> ZoneInfo:
    try:
        return ZoneInfo(group.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def group_today(group: WorkingGroup) -> date:
    """Today where the group meets."""
    return datetime.now(group_zone(group)).date()


def meeting_day(meeting: Meeting) -> date:
    """The date of the meeting where it is held."""
    return meeting.local_start.date()


def group_slug_taken(slug: str) -> bool:
    return db.session.scalar(
        sa.select(WorkingGroup.id).where(WorkingGroup.slug == slug)) is not None


# --- members on a day -----------------------------------------------------------------------

def members_query(group: WorkingGroup, day: date):
    """Memberships of the group that cover ``day``, by the member's name."""
    return (
        sa.select(Membership)
        .join(Contact, Contact.id == Membership.contact_id)
        .where(Membership.group_id == group.id, Membership.current_on(day))
        .options(joinedload(Membership.contact), joinedload(Membership.organisation))
        .order_by(Contact.name, Contact.id, Membership.id)
    )


def all_memberships_query(group: WorkingGroup):
    """Every membership of the group, past, current and future: the latest start first."""
    return (
        sa.select(Membership)
        .join(Contact, Contact.id == Membership.contact_id)
        .where(Membership.group_id == group.id)
        .options(joinedload(Membership.contact), joinedload(Membership.organisation))
        .order_by(Contact.name, Contact.id, Membership.starts_on.desc(), Membership.id)
    )


def members_on(group: WorkingGroup, day: date) -> list[Membership]:
    """The memberships that cover ``day`` (a person with two seats that day appears twice;
    the counts below count people)."""
    return list(db.session.scalars(members_query(group, day)).unique())


def member_counts_by_gender(group: WorkingGroup, day: date) -> dict[str, int]:
    """Members on ``day`` by gender: every gender value is a key, zero included."""
    counts = dict.fromkeys(GENDERS, 0)
    rows = db.session.execute(
        sa.select(Contact.gender, sa.func.count(sa.distinct(Membership.contact_id)))
        .join(Contact, Contact.id == Membership.contact_id)
        .where(Membership.group_id == group.id, Membership.current_on(day))
        .group_by(Contact.gender)
    )
    for gender, n in rows:
        counts[gender.value] = n
    return counts


def _member_type_id():
    """A member's stakeholder type, as the transparency record counts it
    (``consult.reports.queries._member_type``): that of the organisation they represent in
    the group; without one, that of their own organisation; without any organisation, their
    own. An organisation without a recorded type counts as "not given"."""
    represented = aliased(Organisation)
    employer = aliased(Organisation)
    kind = sa.case((Membership.organisation_id.is_not(None), represented.stakeholder_type_id),
                   (Contact.organisation_id.is_not(None), employer.stakeholder_type_id),
                   else_=Contact.stakeholder_type_id)
    return kind, represented, employer


def member_counts_by_type(group: WorkingGroup, day: date) -> dict[str | None, int]:
    """Members on ``day`` by the stakeholder type code of the organisation they represent
    (None: no type known)."""
    kind, represented, employer = _member_type_id()
    typed = (
        sa.select(Membership.contact_id.label("contact_id"), kind.label("type_id"))
        .join(Contact, Contact.id == Membership.contact_id)
        .outerjoin(represented, represented.id == Membership.organisation_id)
        .outerjoin(employer, employer.id == Contact.organisation_id)
        .where(Membership.group_id == group.id, Membership.current_on(day))
        .distinct()
        .subquery()
    )
    rows = db.session.execute(
        sa.select(StakeholderType.code, sa.func.count(sa.distinct(typed.c.contact_id)))
        .select_from(typed)
        .outerjoin(StakeholderType, StakeholderType.id == typed.c.type_id)
        .group_by(StakeholderType.code)
    )
    return {code: n for code, n in rows}


@dataclass
class OrganisationMembers:
    organisation_id: int | None
    name: str  # "" for members who represent no organisation
    type_code: str | None
    count: int


def member_counts_by_organisation(group: WorkingGroup, day: date) -> list[OrganisationMembers]:
    """Members on ``day`` per organisation represented, largest first, then by name."""
    rows = db.session.execute(
        sa.select(Organisation.id, Organisation.name, StakeholderType.code,
                  sa.func.count(sa.distinct(Membership.contact_id)).label("n"))
        .select_from(Membership)
        .outerjoin(Organisation, Organisation.id == Membership.organisation_id)
        .outerjoin(StakeholderType, StakeholderType.id == Organisation.stakeholder_type_id)
        .where(Membership.group_id == group.id, Membership.current_on(day))
        .group_by(Organisation.id, Organisation.name, StakeholderType.code)
        .order_by(sa.desc("n"), Organisation.name)
    )
    return [OrganisationMembers(oid, name or "", code, n) for oid, name, code, n in rows]


def published_member_names(group: WorkingGroup, day: date) -> dict[int | None, list[str]]:
    """Names of members on ``day`` who agreed to appear on the public pages, by the
    organisation they represent."""
    rows = db.session.execute(
        sa.select(Membership.organisation_id, Contact.name)
        .join(Contact, Contact.id == Membership.contact_id)
        .where(Membership.group_id == group.id, Membership.current_on(day),
               Membership.publish_consent.is_(True))
        .distinct()
        .order_by(Contact.name)
    )
    names: dict[int | None, list[str]] = defaultdict(list)
    for organisation_id, name in rows:
        names[organisation_id].append(name)
    return dict(names)


# --- consulted, not members ----------------------------------------------------------------

@dataclass
class ParticipationCounts:
    """People counted once each (by directory contact, else e-mail address: the reports'
    ``person_key``), by gender (every gender a key) and by stakeholder type code (None: not
    given); ``attendances`` counts each meeting a person attended."""

    by_gender: dict[str, int] = field(default_factory=lambda: dict.fromkeys(GENDERS, 0))
    by_type: dict[str | None, int] = field(default_factory=dict)
    people: int = 0
    attendances: int = 0
    meetings: int = 0


def group_meetings(group: WorkingGroup, start: date | None = None, end: date | None = None,
                   public_only: bool = False) -> list[Meeting]:
    """The group's meetings held (by their local date) from ``start`` to ``end`` inclusive,
    by date."""
    query = sa.select(Meeting).where(Meeting.group_id == group.id)
    if start is not None:
        query = query.where(Meeting.local_date >= start)
    if end is not None:
        query = query.where(Meeting.local_date <= end)
    if public_only:
        query = query.where(Meeting.status != MeetingStatus.DRAFT)
    return list(db.session.scalars(query.order_by(Meeting.starts_at, Meeting.id)).unique())


def seat_held(group_id, day):
    """SQL EXISTS: the registration's person held a seat in working group ``group_id`` on
    ``day`` (values or SQL expressions, e.g. ``Meeting.local_date``), matched by directory
    contact or, for a registration not linked to one, by the contact's e-mail address. The
    group pages and the reports both judge membership with it."""
    from consult.registrations.models import Registration

    seat, person = aliased(Membership), aliased(Contact)
    return (
        sa.select(seat.id)
        .join(person, person.id == seat.contact_id)
        .where(
            seat.group_id == group_id,
            sa.or_(person.id == Registration.contact_id, person.email == Registration.email),
            sa.or_(seat.starts_on.is_(None), seat.starts_on <= day),
            sa.or_(seat.ends_on.is_(None), seat.ends_on >= day),
        )
        .exists()
    )


def consulted_stakeholders(group: WorkingGroup, start: date, end: date) -> ParticipationCounts:
    """Who attended the group's meetings from ``start`` to ``end`` (local dates, inclusive)
    without being a member of the group on the meeting's date: the stakeholders the group
    consulted beyond its members."""
    from consult.attendance.models import Attendance
    from consult.registrations.models import Registration, person_key

    meetings = group_meetings(group, start, end)
    counts = ParticipationCounts(meetings=len(meetings))
    if not meetings:
        return counts
    person = person_key()
    attended = (
        sa.select(person.label("person"),
                  sa.func.max(Registration.gender).label("gender"),
                  sa.func.max(Registration.stakeholder_type_id).label("type_id"),
                  sa.func.count(Attendance.id).label("times"))
        .select_from(Attendance)
        .join(Registration, Registration.id == Attendance.registration_id)
        .join(Meeting, Meeting.id == Attendance.meeting_id)
        .where(Attendance.meeting_id.in_([m.id for m in meetings]),
               ~seat_held(group.id, Meeting.local_date))
        .group_by(person)
        .subquery()
    )
    for gender, people, times in db.session.execute(
            sa.select(attended.c.gender, sa.func.count(), sa.func.sum(attended.c.times))
            .group_by(attended.c.gender)):
        key = gender.value if isinstance(gender, Gender) else (gender or Gender.UNDISCLOSED.value)
        counts.by_gender[key] = counts.by_gender.get(key, 0) + people
        counts.people += people
        counts.attendances += int(times or 0)
    for code, people in db.session.execute(
            sa.select(StakeholderType.code, sa.func.count())
            .select_from(attended)
            .outerjoin(StakeholderType, StakeholderType.id == attended.c.type_id)
            .group_by(StakeholderType.code)):
        counts.by_type[code] = people
    return counts


# --- leads ----------------------------------------------------------------------------------

def leads_on(group: WorkingGroup, day: date) -> list[GroupLead]:
    return [lead for lead in group.leads
            if (lead.starts_on is None or lead.starts_on <= day)
            and (lead.ends_on is None or lead.ends_on >= day)]


def add_lead(group: WorkingGroup, institution: dict, role: LeadRole,
             starts_on: date | None, ends_on: date | None = None,
             hand_over: bool = False) -> tuple[GroupLead, list[GroupLead]]:
    """Add a lead (or co-lead) institution. With ``hand_over``, a new lead takes over: the
    open-ended terms of the same role that began before it end the day before.
    Returns the new row and the rows it ended."""
    ended = []
    if hand_over and starts_on is not None:
        for lead in group.leads:
            if (lead.role is role and lead.ends_on is None
                    and (lead.starts_on is None or lead.starts_on < starts_on)):
                lead.ends_on = starts_on - timedelta(days=1)
                ended.append(lead)
    lead = GroupLead(institution=institution, role=role, starts_on=starts_on, ends_on=ends_on)
    group.leads.append(lead)
    return lead, ended


# --- memberships ----------------------------------------------------------------------------

def overlapping_membership(group_id: int, contact_id: int, starts_on: date | None,
                           ends_on: date | None, exclude_id: int | None = None
                           ) -> Membership | None:
    """Another seat of the same person in the group for some day of this period."""
    query = sa.select(Membership).where(
        Membership.group_id == group_id, Membership.contact_id == contact_id,
        Membership.id != (exclude_id or 0),
    )
    if ends_on is not None:
        query = query.where(sa.or_(Membership.starts_on.is_(None), Membership.starts_on <= ends_on))
    if starts_on is not None:
        query = query.where(sa.or_(Membership.ends_on.is_(None), Membership.ends_on >= starts_on))
    return db.session.scalar(query.limit(1))


def current_member_ids(group: WorkingGroup, day: date, contact_ids: list[int]) -> set[int]:
    if not contact_ids:
        return set()
    return set(db.session.scalars(
        sa.select(Membership.contact_id).where(
            Membership.group_id == group.id, Membership.current_on(day),
            Membership.contact_id.in_(contact_ids))))


def organisation_named(name: str) -> Organisation | None:
    """The directory's organisation of this name, whatever the capitals."""
    if not name:
        return None
    return db.session.scalar(
        sa.select(Organisation).where(sa.func.lower(Organisation.name) == name.lower())
        .order_by(Organisation.archived_at.is_not(None), Organisation.id).limit(1))


# --- documents ------------------------------------------------------------------------------

def group_documents(group: WorkingGroup, include_internal: bool) -> list[Document]:
    query = sa.select(Document).where(Document.group_id == group.id)
    if not include_internal:
        query = query.where(Document.public.is_(True))
    return list(db.session.scalars(
        query.order_by(Document.year.desc().nulls_last(), Document.type, Document.title,
                       Document.id)))


def documents_by_year(documents: list[Document]) -> list[tuple[int | None, list[Document]]]:
    """Documents grouped by year, the latest year first, those without a year last."""
    years: dict[int | None, list[Document]] = defaultdict(list)
    for document in documents:
        years[document.year].append(document)
    order = sorted((y for y in years if y is not None), reverse=True)
    return [(year, years[year]) for year in order] + (
        [(None, years[None])] if None in years else [])


def meetings_by_type(meetings: list[Meeting]) -> list[tuple[MeetingType, list[Meeting]]]:
    kinds: dict[MeetingType, list[Meeting]] = defaultdict(list)
    for meeting in meetings:
        kinds[meeting.type].append(meeting)
    return [(kind, kinds[kind]) for kind in MeetingType if kind in kinds]


# --- conclusions to the members -------------------------------------------------------------

CONCLUSION_TYPES = (DocumentType.CONCLUSIONS, DocumentType.MINUTES)


class NothingToSend(ValueError):
    pass


def conclusion_documents(meeting: Meeting) -> list[Document]:
    """The meeting's minutes and conclusions: what can be sent to the members."""
    return list(db.session.scalars(
        sa.select(Document).where(Document.meeting_id == meeting.id,
                                  Document.type.in_(CONCLUSION_TYPES))
        .order_by(Document.type, Document.id)))


def conclusions_recipients(group: WorkingGroup, day: date) -> list[Contact]:
    """Members on ``day`` who have an e-mail address, each person once, by name."""
    return list(db.session.scalars(
        sa.select(Contact)
        .where(Contact.id.in_(sa.select(Membership.contact_id).where(
            Membership.group_id == group.id, Membership.current_on(day))),
               Contact.email.is_not(None), Contact.email != "")
        .order_by(Contact.name, Contact.id)).unique())


def members_without_address(group: WorkingGroup, day: date) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(sa.distinct(Membership.contact_id)))
        .join(Contact, Contact.id == Membership.contact_id)
        .where(Membership.group_id == group.id, Membership.current_on(day),
               sa.or_(Contact.email.is_(None), Contact.email == ""))) or 0


def mail_language(contact: Contact | None, group: WorkingGroup) -> str:
    """The member's language, else the group's main language, else English."""
    if contact is not None and contact.language in CONTENT_LANGUAGES:
        return contact.language
    return group.main_language if group.main_language in CONTENT_LANGUAGES else "en"


SUBJECTS = {
    DocumentType.CONCLUSIONS: _l("Conclusions of the meeting: %(title)s"),
    DocumentType.MINUTES: _l("Minutes of the meeting: %(title)s"),
}


def _subject(meeting: Meeting, document: Document):
    template = SUBJECTS.get(document.type, SUBJECTS[DocumentType.CONCLUSIONS])
    return lambda: template % {"title": meeting.display_title}


def _mail_context(meeting: Meeting, document: Document, note: str, name: str,
                  gender=None) -> dict:
    from consult.events.views import _publicly_visible

    return {"meeting": meeting, "group": meeting.group, "document": document, "note": note,
            "name": name, "gender": gender, "attached": document.file is not None,
            "document_url": document.url if document.file is None else "",
            "meeting_public": _publicly_visible(meeting)}


def _attachments(document: Document):
    from consult.mail.services import Attachment

    if document.file is None:
        return []
    stored = document.file  # attached by reference: one copy for every member's mail
    return [Attachment(stored.filename, stored.content_type, stored_file_id=stored.id)]


@dataclass
class MailPreview:
    language: str
    subject: str
    text: str


def preview_conclusions(meeting: Meeting, document: Document, note: str,
                        language: str) -> MailPreview:
    """The mail as a member in ``language`` reads it, with a sample name."""
    from flask import render_template
    from flask_babel import force_locale

    with force_locale(language):
        subject = str(_subject(meeting, document)())
        context = _mail_context(meeting, document, note, str(_l("Name Surname")))
        text = render_template("mail/conclusions.txt", subject=subject, locale=language,
                               **context)
    return MailPreview(language, subject, text)


def send_conclusions(meeting: Meeting, document: Document, by: User | None, note: str = "",
                     day: date | None = None) -> ConclusionsSend:
    """One ConclusionsSend and one outbox message per member with an address (members on
    ``day``, today by default), in the member's language, the document attached when it is
    a stored file (else its link). Adds to the session; the caller commits."""
    from consult.invitations.services import reply_to_for, sender_for
    from consult.mail.services import queue_mail

    group = meeting.group
    if group is None:
        raise NothingToSend("the meeting belongs to no working group")
    if document.meeting_id != meeting.id:
        raise NothingToSend("the document belongs to another meeting")
    recipients = conclusions_recipients(group, day or group_today(group))
    if not recipients:
        raise NothingToSend("no member has an e-mail address")
    send = ConclusionsSend(meeting_id=meeting.id, document_id=document.id,
                           sent_by_id=by.id if by is not None else None,
                           recipients=len(recipients), note=note or "")
    db.session.add(send)
    db.session.flush()
    attachments = _attachments(document)
    series = meeting.series
    for contact in recipients:
        message = queue_mail(
            to=contact.email, to_name=contact.name, locale=mail_language(contact, group),
            template="conclusions", subject=_subject(meeting, document),
            context=_mail_context(meeting, document, note, contact.name, contact.gender),
            attachments=attachments, dedupe_key=f"conclusions:{send.id}:{contact.id}",
            topic="groups.conclusions", sender=sender_for(series),
            reply_to=reply_to_for(series),
        )
        if message is not None:
            message.batch = send.mail_batch
    return send


@dataclass
class SendLog:
    send: ConclusionsSend
    document: Document | None
    deliveries: list  # OutboxMessage rows of the send's batch
    counts: list  # (OutboxStatus, n), in the order of the statuses, zeros left out


def conclusions_log(meeting: Meeting) -> list[SendLog]:
    """Every send of the meeting's conclusions, the latest first, with its deliveries as
    the outbox has them."""
    from consult.mail.models import OutboxMessage, OutboxStatus

    sends = list(db.session.scalars(
        sa.select(ConclusionsSend).where(ConclusionsSend.meeting_id == meeting.id)
        .order_by(ConclusionsSend.created_at.desc(), ConclusionsSend.id.desc())))
    if not sends:
        return []
    batches = {send.mail_batch: send for send in sends}
    messages = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.batch.in_(list(batches)))
        .order_by(OutboxMessage.recipient_name, OutboxMessage.recipient, OutboxMessage.id))
    deliveries = defaultdict(list)
    for message in messages:
        deliveries[message.batch].append(message)
    documents = {d.id: d for d in db.session.scalars(sa.select(Document).where(
        Document.id.in_([s.document_id for s in sends if s.document_id])))}
    log = []
    for send in sends:
        rows = deliveries[send.mail_batch]
        counts: dict = defaultdict(int)
        for message in rows:
            counts[message.status] += 1
        log.append(SendLog(send, documents.get(send.document_id), rows,
                           [(status, counts[status]) for status in OutboxStatus
                            if counts[status]]))
    return log
