"""Personal data over time: what a participant can download, retention, erasure on request.

Anonymising keeps everything reports count — gender, stakeholder type, region, status,
attendance, the organisation as an institution — and replaces what identifies a person. The
e-mail address becomes a keyed pseudonym (the same person keeps the same pseudonym), so
"unique people" and "first-time vs returning" figures do not change either.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from consult.attendance.models import Attendance
from consult.auth.models import User
from consult.db import utcnow
from consult.directory.models import Contact
from consult.events.models import Meeting
from consult.extensions import db
from consult.groups.models import Membership
from consult.invitations.models import Invitation
from consult.mail.models import OutboxAttachment, OutboxMessage, OutboxStatus
from consult.registrations.models import ErasureLog, Registration

ANONYMISED_DOMAIN = "anonymised.invalid"  # RFC 2606: can never receive mail


def pseudonym(email: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, email.strip().lower().encode(), hashlib.sha256).hexdigest()[:20]
    return f"{digest}@{ANONYMISED_DOMAIN}"


ERASED = "—"  # in place of an erased name or address


def anonymise_registration(registration: Registration, keep_contact: bool = True) -> None:
    if registration.anonymised_at is None:
        registration.email = pseudonym(registration.email)
    registration.name = ""
    registration.phone = ""
    registration.position = ""
    registration.accessibility_needs = ""
    registration.interpretation_language = ""
    registration.answers = {}
    registration.status_reason = ""
    registration.search_text = ""
    registration.organisation_name = ""
    if not keep_contact:
        registration.contact_id = None
    registration.anonymised_at = registration.anonymised_at or utcnow()


def anonymise_invitation(invitation: Invitation, keep_contact: bool = True) -> None:
    invitation.email = pseudonym(invitation.email) if "@" in invitation.email and \
        not invitation.email.endswith(ANONYMISED_DOMAIN) else invitation.email
    if invitation.contact_id is not None:
        invitation.name = ""
        invitation.decline_reason = ""
        if not keep_contact:
            invitation.contact_id = None


def retention_cutoff(now: datetime | None = None) -> datetime:
    months = current_app.config["RETENTION_MONTHS"]
    return (now or utcnow()) - timedelta(days=round(months * 30.44))


def apply_retention(now: datetime | None = None, dry_run: bool = False) -> dict[str, int]:
    """Anonymise the registrations (and invitations) of meetings that ended more than
    RETENTION_MONTHS ago."""
    cutoff = retention_cutoff(now)
    old_meetings = sa.select(Meeting.id).where(Meeting.ends_at < cutoff)
    registrations = db.session.scalars(sa.select(Registration).where(
        Registration.meeting_id.in_(old_meetings), Registration.anonymised_at.is_(None))).all()
    invitations = db.session.scalars(sa.select(Invitation).where(
        Invitation.meeting_id.in_(old_meetings), Invitation.contact_id.is_not(None),
        Invitation.name != "")).all()
    counts = {"registrations": len(registrations), "invitations": len(invitations)}
    if dry_run:
        return counts
    for registration in registrations:
        anonymise_registration(registration)
    for invitation in invitations:
        anonymise_invitation(invitation)
    if registrations or invitations:
        db.session.add(ErasureLog(kind="retention", registrations=len(registrations),
                                  reason=f"meetings ended before {cutoff:%Y-%m-%d}"))
    return counts


def same_person(contact: Contact):
    """The registrations erasing ``contact`` reaches: linked to it, or made with its
    address."""
    conditions = [Registration.contact_id == contact.id]
    if contact.email:
        conditions.append(Registration.email == contact.email)
    return sa.or_(*conditions)


def erase_contact(contact: Contact, by: User | None, reason: str) -> dict[str, int]:
    """Erase a person on request: their registrations and invitations are anonymised, the
    directory entry keeps only what counts (gender, type, region) and is archived, their
    seats in working groups are no longer named, and the mail to them keeps only its
    delivery record (what was not sent yet is withdrawn). Logged."""
    registrations = db.session.scalars(sa.select(Registration).where(
        same_person(contact))).all()
    invited_at = db.session.scalars(sa.select(Invitation.email).where(
        Invitation.contact_id == contact.id)).all()
    _erase_mail_to(
        {a.lower() for a in (contact.email, *(r.email for r in registrations), *invited_at)
         if a},
        # a working group's conclusions are keyed by the member
        OutboxMessage.dedupe_key.like(f"conclusions:%:{contact.id}"))
    db.session.execute(sa.update(Membership).where(Membership.contact_id == contact.id)
                       .values(publish_consent=False))
    for registration in registrations:
        anonymise_registration(registration, keep_contact=False)
    invitations = db.session.scalars(sa.select(Invitation).where(
        Invitation.contact_id == contact.id)).all()
    for invitation in invitations:
        anonymise_invitation(invitation)
    contact.name = ERASED
    contact.email = None
    contact.phone = ""
    contact.position = ""
    contact.tags = []
    contact.search_text = ""
    contact.archived_at = contact.archived_at or utcnow()
    contact.unsubscribed_at = contact.unsubscribed_at or utcnow()
    db.session.add(ErasureLog(kind="request", registrations=len(registrations), contacts=1,
                              reason=reason.strip()[:2000], by_id=by.id if by else None))
    return {"registrations": len(registrations), "invitations": len(invitations)}


def _erase_mail_to(addresses: set[str], *also) -> None:
    """The outbox's messages to these addresses (or matching ``also``): status, dates and
    subject stay (what was sent when); address, name, bodies, attachments and the
    address-bearing dedupe key go, and nothing still waiting is sent."""
    to_them = sa.or_(sa.func.lower(OutboxMessage.recipient).in_(sorted(addresses)), *also)
    ids = sa.select(OutboxMessage.id).where(to_them).scalar_subquery()
    db.session.execute(sa.delete(OutboxAttachment).where(OutboxAttachment.message_id.in_(ids)))
    waiting = (OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.HELD)
    db.session.execute(
        sa.update(OutboxMessage).where(to_them).values(
            status=sa.case((OutboxMessage.status.in_(waiting), OutboxStatus.WITHDRAWN.value),
                           else_=OutboxMessage.status),
            last_error=sa.case((OutboxMessage.status.in_(waiting), "erased on request"),
                               else_=OutboxMessage.last_error),
            recipient=ERASED, recipient_name="", body_text="", body_html=None, headers={},
            prepare_with=None, lease_until=None, dedupe_key=None)
        .execution_options(synchronize_session=False))


def personal_data(registration: Registration, everything: bool = False) -> dict:
    """What we hold about the person behind a registration: the registration itself, or with
    ``everything`` all registrations with its address, their directory record, invitations
    and working groups.

    Only the registration itself is downloaded with its link: anyone can type an address
    into the public form and get a link, so everything about an address goes to that address
    by mail (``send_personal_data``).
    """
    if everything:
        rows = db.session.scalars(sa.select(Registration).where(
            Registration.email == registration.email).order_by(Registration.created_at)).all()
    else:
        rows = [registration]
    attended = set(db.session.scalars(sa.select(Attendance.registration_id).where(
        Attendance.registration_id.in_([r.id for r in rows]))))
    contact = registration.contact
    data = {
        "exported_at": utcnow().isoformat(),
        "registrations": [{
            "meeting": r.meeting.display_title,
            "meeting_starts": r.meeting.local_start.isoformat(),
            "status": r.status.value,
            "name": r.name, "email": r.email, "gender": r.gender.value,
            "organisation": r.organisation_name,
            "stakeholder_type": r.stakeholder_type.code if r.stakeholder_type else "",
            "region": r.region, "position": r.position, "phone": r.phone,
            "accessibility_needs": r.accessibility_needs,
            "interpretation_language": r.interpretation_language,
            "publish_consent": r.publish_consent,
            "sensitive_answer": r.sensitive_answer,
            "consent_text": r.consent_text, "consent_version": r.consent_version,
            "answers": r.answers or {},
            "registered_at": r.created_at.isoformat(),
            "attended": r.id in attended,
        } for r in rows],
    }
    # the directory's record is the person's only where it holds this very address: a
    # personal invitation's link may have been used by someone else (their own address)
    if everything and contact is not None and \
            (contact.email or "").lower() == registration.email.lower():
        data["directory"] = {
            "name": contact.name, "email": contact.email, "phone": contact.phone,
            "gender": contact.gender.value, "position": contact.position,
            "organisation": contact.organisation.name if contact.organisation else "",
            "region": contact.region, "municipality": contact.municipality,
            "language": contact.language, "tags": contact.tags,
            "unsubscribed_at": contact.unsubscribed_at.isoformat()
            if contact.unsubscribed_at else None,
        }
        data["invitations"] = [{
            "meeting": i.meeting.display_title, "sent_to": i.email,
            "answer": i.response.value, "decline_reason": i.decline_reason,
        } for i in db.session.scalars(sa.select(Invitation).where(
            Invitation.contact_id == contact.id))]
        data["working_groups"] = [{
            "group": m.group.text("name"), "role": m.role.value,
            "organisation": m.organisation.name if m.organisation else "",
            "starts_on": m.starts_on.isoformat() if m.starts_on else None,
            "ends_on": m.ends_on.isoformat() if m.ends_on else None,
            "name_published": m.publish_consent,
        } for m in db.session.scalars(sa.select(Membership).where(
            Membership.contact_id == contact.id).order_by(Membership.starts_on, Membership.id))]
    return data


def personal_data_key(registration: Registration) -> str:
    """The outbox key of the personal-data mail: at most one a day for a registration."""
    return f"personal-data:{registration.id}:{utcnow():%Y-%m-%d}"


def send_personal_data(registration: Registration) -> bool:
    """Mail everything held about the registration's address to that address, as a JSON
    file; once a day at most. False when today's is already on its way."""
    import json

    from flask_babel import lazy_gettext as _l

    from consult.i18n import CONTENT_LANGUAGES
    from consult.mail.services import Attachment, queue_mail

    key = personal_data_key(registration)
    if db.session.scalar(sa.select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key)):
        return False
    body = json.dumps(personal_data(registration, everything=True), ensure_ascii=False,
                      indent=2)
    queue_mail(
        to=registration.email, to_name=registration.name,
        locale=registration.locale if registration.locale in CONTENT_LANGUAGES else "en",
        template="personal_data", subject=_l("The data we hold about you"),
        context={"registration": registration},
        attachments=[Attachment("my-data.json", "application/json",
                                body.encode("utf-8"))],
        dedupe_key=key, topic="registrations.personal_data")
    return True
