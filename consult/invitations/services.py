"""Audiences, invitation batches and what the invited answer.

A batch is written in one transaction, in a number of SQL statements that does not grow
with the audience: one query for the recipients, one for who is already invited, bulk
inserts for invitations and outbox messages, and one INSERT … SELECT per language for the
calendar attachments. Each mail is rendered once per language (and set of meetings) with
placeholders, then personalised by substitution — rendering a template per person would
make a batch of 10,000 take minutes.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask import current_app, render_template, url_for
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer
from markupsafe import escape

from consult.auth.models import User
from consult.db import utcnow
from consult.directory.models import Contact, Organisation, StakeholderType, search_conditions
from consult.events.calendar import build_calendar
from consult.events.models import Meeting, Series
from consult.extensions import db
from consult.groups.models import Membership
from consult.i18n import CONTENT_LANGUAGES, localized
from consult.invitations.models import (
    Invitation,
    InvitationBatch,
    InvitationStatus,
    Response,
    new_token,
)
from consult.mail.models import OutboxAttachment, OutboxMessage, OutboxStatus
from consult.mail.services import display_name_safe, header_safe, undeliverable

# --- audiences --------------------------------------------------------------------------


@dataclass
class Audience:
    """Who to invite: directory filters, people left out by hand, persons or organisations."""

    types: list[str] = field(default_factory=list)  # stakeholder type codes; empty: all
    region: str = ""
    municipality: str = ""
    language: str = ""
    tag: str = ""
    group: int | None = None  # working group: its current members
    q: str = ""
    exclude: set[int] = field(default_factory=set)
    organisations: bool = False  # invite organisations, which name their delegates
    max_delegates: int = 2

    def describe(self) -> dict:
        return {"types": self.types, "region": self.region, "municipality": self.municipality,
                "language": self.language, "tag": self.tag, "group": self.group, "q": self.q,
                "excluded": sorted(self.exclude), "organisations": self.organisations,
                "max_delegates": self.max_delegates if self.organisations else None}


def _type_ids(codes: list[str]):
    return sa.select(StakeholderType.id).where(StakeholderType.code.in_(codes))


def contact_audience_query(audience: Audience):
    """Contacts with an address who did not unsubscribe, matching the audience's filters."""
    query = (
        sa.select(Contact)
        .outerjoin(Organisation, Contact.organisation_id == Organisation.id)
        .where(Contact.archived_at.is_(None), Contact.unsubscribed_at.is_(None),
               Contact.email.is_not(None), Contact.email != "")
    )
    if audience.types:
        kinds = _type_ids(audience.types)
        query = query.where(sa.or_(
            Contact.stakeholder_type_id.in_(kinds),
            sa.and_(Contact.stakeholder_type_id.is_(None),
                    Organisation.stakeholder_type_id.in_(kinds)),
        ))
    if audience.region:
        query = query.where(Contact.region == audience.region)
    if audience.municipality:
        query = query.where(Contact.municipality == audience.municipality)
    if audience.language:
        query = query.where(Contact.language == audience.language)
    if audience.tag:
        # tags are a JSON list; its text holds the tag exactly as json.dumps writes it
        query = query.where(sa.cast(Contact.tags, sa.Text).contains(
            json.dumps(audience.tag), autoescape=True))
    if audience.group:
        members = sa.select(Membership.contact_id).where(
            Membership.group_id == audience.group, Membership.current_on(date.today()))
        query = query.where(Contact.id.in_(members))
    if audience.q:
        query = query.where(*search_conditions(Contact.search_text, audience.q))
    if audience.exclude:
        query = query.where(Contact.id.not_in(audience.exclude))
    return query.order_by(Contact.name, Contact.id)


def organisation_audience_query(audience: Audience):
    query = sa.select(Organisation).where(
        Organisation.archived_at.is_(None), Organisation.email != "",
        Organisation.unsubscribed_at.is_(None))
    if audience.types:
        query = query.where(Organisation.stakeholder_type_id.in_(_type_ids(audience.types)))
    if audience.region:
        query = query.where(Organisation.region == audience.region)
    if audience.municipality:
        query = query.where(Organisation.municipality == audience.municipality)
    if audience.q:
        query = query.where(*search_conditions(Organisation.search_text, audience.q))
    if audience.exclude:
        query = query.where(Organisation.id.not_in(audience.exclude))
    return query.order_by(Organisation.name, Organisation.id)


def audience_query(audience: Audience):
    if audience.organisations:
        return organisation_audience_query(audience)
    return contact_audience_query(audience)


def audience_count(audience: Audience) -> int:
    query = audience_query(audience).order_by(None).with_only_columns(sa.func.count())
    return db.session.scalar(query)


# --- unsubscribing ------------------------------------------------------------------------

def _unsubscribe_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="unsubscribe")


def unsubscribe_token(kind: str, ident: int) -> str:
    """A signed, unguessable link for one contact ("c") or organisation ("o")."""
    return _unsubscribe_serializer().dumps([kind, ident])


def unsubscriber(token: str) -> Contact | Organisation | None:
    try:
        kind, ident = _unsubscribe_serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    model = {"c": Contact, "o": Organisation}.get(kind)
    return db.session.get(model, ident) if model and isinstance(ident, int) else None


def unsubscribe(who: Contact | Organisation) -> None:
    if who.unsubscribed_at is None:
        who.unsubscribed_at = utcnow()


def subscribe_again(who: Contact | Organisation) -> None:
    who.unsubscribed_at = None


def unsubscribe_headers(url: str) -> dict:
    """RFC 2369 and RFC 8058: mail programs show an "unsubscribe" button that works in one
    click."""
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


# --- the mail -------------------------------------------------------------------------------

NAME = "⟦name⟧"
UNSUBSCRIBE = "⟦unsubscribe⟧"


SALUTED = ("female", "male")  # the genders a salutation has its own form for


def link_placeholder(meeting: Meeting) -> str:
    return f"⟦link:{meeting.id}⟧"


def mail_language(contact_language: str, meetings: list[Meeting]) -> str:
    """The contact's language if we have one, else the meetings' main language."""
    if contact_language in CONTENT_LANGUAGES:
        return contact_language
    main = meetings[0].main_language if meetings else "en"
    return main if main in CONTENT_LANGUAGES else "en"


def sender_for(series: Series | None) -> str | None:
    """The series' name before the installation's own address (mail must come from a domain
    that may send it; answers go to the series' reply-to)."""
    if series is None or not series.mail_from_name:
        return None
    return f"{display_name_safe(series.mail_from_name)} <{installation_address()}>"


def installation_address() -> str:
    """The bare address of MAIL_DEFAULT_SENDER, from which all mail goes out."""
    from consult.mail.worker import split_address

    return split_address(current_app.config["MAIL_DEFAULT_SENDER"])[1]


def reply_to_for(series: Series | None) -> str | None:
    """Where answers to a series' mails go (and its calendar entries' organizer): its own
    reply-to address, if it has one."""
    return series.reply_to if series is not None and series.reply_to else None


def series_of(meetings: list[Meeting]) -> Series | None:
    return meetings[0].series if meetings else None


def _subject(meetings: list[Meeting]) -> str:
    series = series_of(meetings)
    if len(meetings) == 1:
        return str(_l("Invitation: %(title)s", title=localized(
            meetings[0].title, meetings[0].main_language) or meetings[0].display_title))
    title = localized(series.title, series.main_language) if series else ""
    return str(_l("Invitation to %(n)s meetings: %(title)s", n=len(meetings), title=title))


@dataclass
class RenderedMail:
    subject: str
    text: str
    html: str


def render_invitation(meetings: list[Meeting], locale: str, for_organisation: bool,
                      max_delegates: int = 1, gender: str | None = None) -> RenderedMail:
    """The invitation in ``locale`` with placeholders for the personal parts; ``gender``
    picks the salutation (see `consult.i18n.greeting`)."""
    with force_locale(locale):
        subject = _subject(meetings)
        context = dict(
            meetings=meetings, series=series_of(meetings), name=NAME, locale=locale,
            link=link_placeholder, unsubscribe_url=UNSUBSCRIBE, subject=subject,
            for_organisation=for_organisation, max_delegates=max_delegates, gender=gender,
        )
        return RenderedMail(
            subject, render_template("mail/invitation.txt", **context),
            render_template("mail/invitation.html", **context),
        )


def personalise(mail: RenderedMail, name: str, links: dict[str, str], unsubscribe_url: str,
                html: bool) -> str:
    body = mail.html if html else mail.text
    values = {NAME: name, UNSUBSCRIBE: unsubscribe_url, **links}
    for placeholder, value in values.items():
        body = body.replace(placeholder, str(escape(value)) if html else value)
    return body


def _external_url(endpoint: str, token: str) -> str:
    return url_for(endpoint, token=token, _external=True)


def preview(meetings: list[Meeting], locale: str, for_organisation: bool = False,
            max_delegates: int = 1) -> RenderedMail:
    """What a recipient in ``locale`` reads, with a sample name and links."""
    mail = render_invitation(meetings, locale, for_organisation, max_delegates)
    with force_locale(locale):
        sample = str(_l("Name Surname"))
    link = _external_url("invitations.respond", "…")
    links = {link_placeholder(m): link for m in meetings}
    unsubscribe_url = _external_url("invitations.unsubscribe_page", "…")
    return RenderedMail(
        mail.subject,
        personalise(mail, sample, links, unsubscribe_url, html=False),
        personalise(mail, sample, links, unsubscribe_url, html=True),
    )


# --- batches -------------------------------------------------------------------------------

class NothingToSend(ValueError):
    pass


@dataclass
class _Recipient:
    kind: str  # "c" or "o"
    ident: int
    email: str
    name: str
    locale: str
    gender: str | None = None  # a contact's, for the salutation; organisations have none


def _recipients(audience: Audience, meetings: list[Meeting]) -> list[_Recipient]:
    if audience.organisations:
        rows = db.session.execute(
            audience_query(audience).with_only_columns(
                Organisation.id, Organisation.email, Organisation.name))
        return [_Recipient("o", ident, email.lower(), name, mail_language("", meetings))
                for ident, email, name in rows if not undeliverable(email)]
    rows = db.session.execute(
        audience_query(audience).with_only_columns(
            Contact.id, Contact.email, Contact.name, Contact.language, Contact.gender))
    return [_Recipient("c", ident, email, name, mail_language(language, meetings),
                       gender.value if gender is not None else None)
            for ident, email, name, language, gender in rows if not undeliverable(email)]


@dataclass
class _Written:
    subject: str
    text: str
    html: str
    unsubscribe_url: str


class _InvitationWriter:
    """Invitation mails, each distinct one rendered once (by language, meetings, kind and
    salutation) and then made personal: ``create_batch`` writes a batch's with it, and
    ``_write_again`` the mails of a batch still to go."""

    def __init__(self):
        self.link_base = _external_url("invitations.respond", "TOKEN")
        self.unsubscribe_base = _external_url("invitations.unsubscribe_page", "TOKEN")
        self.rendered: dict[tuple, RenderedMail] = {}

    def write(self, meetings: list[Meeting], locale: str, for_organisation: bool,
              max_delegates: int, gender: str | None, name: str, tokens: dict[int, str],
              owner: tuple[str, int]) -> _Written:
        """``tokens``: the invitation's token per meeting; ``owner``: ("c", contact id) or
        ("o", organisation id), whose unsubscribe link the mail carries."""
        # at most three renderings per language and set: to a woman, to a man, neutral
        salutation = gender if gender in SALUTED else None
        key = (locale, tuple(m.id for m in meetings), for_organisation, max_delegates,
               salutation)
        if key not in self.rendered:
            self.rendered[key] = render_invitation(meetings, locale, for_organisation,
                                                   max_delegates, salutation)
        mail = self.rendered[key]
        links = {link_placeholder(m): self.link_base.replace("TOKEN", tokens[m.id])
                 for m in meetings}
        unsubscribe_url = self.unsubscribe_base.replace("TOKEN", unsubscribe_token(*owner))
        return _Written(mail.subject,
                        personalise(mail, name, links, unsubscribe_url, html=False),
                        personalise(mail, name, links, unsubscribe_url, html=True),
                        unsubscribe_url)

    def calendar_sets(self) -> set[tuple[str, tuple[int, ...]]]:
        """The (language, meeting ids) of the mails written: one calendar file each."""
        return {key[:2] for key in self.rendered}


def create_batch(meetings: list[Meeting], audience: Audience, by: User | None,
                 resend: bool = False) -> InvitationBatch:
    """Write the invitations and their mails for ``audience`` in the current transaction.

    People already invited to a meeting are skipped for it, unless ``resend``: then they get
    the mail again, with the same personal link.
    """
    meetings = sorted(meetings, key=lambda m: m.starts_at)
    if not meetings:
        raise NothingToSend("no meetings")
    recipients = _recipients(audience, meetings)
    owner = Invitation.organisation_id if audience.organisations else Invitation.contact_id
    existing = {
        (meeting_id, ident): (invitation_id, token)
        for meeting_id, ident, invitation_id, token in db.session.execute(
            sa.select(Invitation.meeting_id, owner, Invitation.id, Invitation.token).where(
                Invitation.meeting_id.in_([m.id for m in meetings]), owner.is_not(None)))
    }
    series = series_of(meetings)
    batch = InvitationBatch(series=series, created_by=by, audience=audience.describe(),
                            meeting_ids=[m.id for m in meetings])
    db.session.add(batch)
    db.session.flush()

    writer = _InvitationWriter()
    sender = sender_for(series)
    reply_to = reply_to_for(series)
    max_delegates = audience.max_delegates if audience.organisations else 1
    new_rows, resent_rows, messages = [], [], []
    message_sets: dict[str, tuple] = {}
    now = utcnow()
    for person in recipients:
        mail_key = f"invitation:{batch.id}:{person.kind}{person.ident}"
        tokens = {}
        for meeting in meetings:
            found = existing.get((meeting.id, person.ident))
            if found and not resend:
                continue
            if found:
                tokens[meeting.id] = found[1]
                resent_rows.append({"id": found[0], "mail_key": mail_key, "email": person.email})
                continue
            token = new_token()
            tokens[meeting.id] = token
            new_rows.append({
                "meeting_id": meeting.id, "batch_id": batch.id, "token": token,
                "contact_id": person.ident if person.kind == "c" else None,
                "organisation_id": person.ident if person.kind == "o" else None,
                "email": person.email, "name": person.name, "locale": person.locale,
                "max_delegates": max_delegates, "mail_key": mail_key,
                "response": Response.NONE, "decline_reason": "", "created_at": now,
            })
        if not tokens:
            continue
        chosen = [m for m in meetings if m.id in tokens]
        message_sets[mail_key] = (person.locale, tuple(m.id for m in chosen))
        mail = writer.write(chosen, person.locale, audience.organisations, max_delegates,
                            person.gender, person.name, tokens, (person.kind, person.ident))
        messages.append({
            "dedupe_key": mail_key, "topic": "invitations.invitation", "batch": batch.mail_batch,
            "recipient": header_safe(person.email),
            "recipient_name": display_name_safe(person.name),
            "sender": sender, "reply_to": header_safe(reply_to) if reply_to else None,
            "locale": person.locale, "subject": header_safe(mail.subject),
            "body_text": mail.text, "body_html": mail.html,
            "headers": unsubscribe_headers(mail.unsubscribe_url),
            "status": OutboxStatus.PENDING, "attempts": 0, "next_attempt_at": now,
            "created_at": now,
        })
    if not messages:
        raise NothingToSend("everyone is invited already")
    if new_rows:
        db.session.execute(sa.insert(Invitation), new_rows)
    if resent_rows:
        db.session.execute(sa.update(Invitation), resent_rows)
    db.session.execute(sa.insert(OutboxMessage), messages)
    # one calendar per language and set of meetings, attached with one statement each
    sets = writer.calendar_sets()
    shared_language = len(sets) > len({locale for locale, _ in sets})
    for locale, meeting_ids in sets:
        chosen = [m for m in meetings if m.id in meeting_ids]
        ics = build_calendar(chosen, method="PUBLISH", locale=locale)
        rows = sa.select(
            OutboxMessage.id, sa.literal("invitation.ics"),
            sa.literal("text/calendar; method=PUBLISH"), sa.literal(ics, sa.LargeBinary),
        ).where(OutboxMessage.batch == batch.mail_batch, OutboxMessage.locale == locale)
        if shared_language:  # several sets of meetings in this language: name the messages
            keys = [k for k, chosen in message_sets.items() if chosen == (locale, meeting_ids)]
            rows = rows.where(OutboxMessage.dedupe_key.in_(keys))
        db.session.execute(sa.insert(OutboxAttachment).from_select(
            ["message_id", "filename", "content_type", "data"], rows))
    batch.total = len(messages)
    return batch


# --- sending control ------------------------------------------------------------------------

def batch_progress(batch: InvitationBatch) -> dict:
    rows = db.session.execute(
        sa.select(OutboxMessage.status, sa.func.count())
        .where(OutboxMessage.batch == batch.mail_batch).group_by(OutboxMessage.status))
    counts = {status.value: 0 for status in OutboxStatus}
    counts.update({status.value: n for status, n in rows})
    done = counts["sent"] + counts["failed"] + counts["withdrawn"]
    return {"batch": batch.id, "total": batch.total, "sent": counts["sent"],
            "failed": counts["failed"], "paused": counts["held"], "withdrawn": counts["withdrawn"],
            "waiting": counts["pending"] + counts["sending"], "done": done >= batch.total,
            "percent": round(100 * counts["sent"] / batch.total) if batch.total else 100}


def _set_status(batch: InvitationBatch, from_: tuple[OutboxStatus, ...], to: OutboxStatus,
                **values) -> int:
    result = db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.batch == batch.mail_batch, OutboxMessage.status.in_(from_))
        .values(status=to, **values)
        .execution_options(synchronize_session=False))
    return result.rowcount


def pause(batch: InvitationBatch) -> int:
    """Hold what has not gone yet; a mail already handed to the server cannot be called back."""
    return _set_status(batch, (OutboxStatus.PENDING,), OutboxStatus.HELD)


def resume(batch: InvitationBatch) -> int:
    _write_again(batch, (OutboxStatus.HELD,))
    return _set_status(batch, (OutboxStatus.HELD,), OutboxStatus.PENDING,
                       next_attempt_at=utcnow())


def _write_again(batch: InvitationBatch, statuses: tuple[OutboxStatus, ...]) -> None:
    """Write the batch's mails still to go (held by a pause, or failed) again, from the
    meetings as they are now: a meeting moved since the batch was made must not go out at
    its old time and with its old calendar entry. (Those sent already heard of the change:
    ``events.notify_meeting_changed``; held ones were left out of that, as they had
    nothing in any calendar.)"""
    messages = db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.batch == batch.mail_batch, OutboxMessage.status.in_(statuses))).all()
    if not messages:
        return
    meetings = sorted(db.session.scalars(sa.select(Meeting).where(
        Meeting.id.in_(batch.meeting_ids or []))), key=lambda m: m.starts_at)
    invitations = defaultdict(list)
    for invitation in db.session.scalars(sa.select(Invitation).where(
            Invitation.mail_key.in_([m.dedupe_key for m in messages]))):
        invitations[invitation.mail_key].append(invitation)
    writer = _InvitationWriter()
    calendars: dict[tuple, bytes] = {}
    for message in messages:
        mine = invitations.get(message.dedupe_key, [])
        chosen = [m for m in meetings if m.id in {i.meeting_id for i in mine}]
        if not chosen:
            continue
        first = mine[0]
        for_organisation = first.organisation_id is not None
        gender = first.contact.gender.value if first.contact and first.contact.gender else None
        owner = ("o", first.organisation_id) if for_organisation else ("c", first.contact_id)
        mail = writer.write(chosen, message.locale, for_organisation, first.max_delegates,
                            gender, first.name, {i.meeting_id: i.token for i in mine}, owner)
        message.subject = header_safe(mail.subject)
        message.body_text, message.body_html = mail.text, mail.html
        calendar_key = (message.locale, tuple(m.id for m in chosen))
        if calendar_key not in calendars:
            calendars[calendar_key] = build_calendar(chosen, method="PUBLISH",
                                                     locale=message.locale)
        for attachment in message.attachments:
            if attachment.filename == "invitation.ics":
                attachment.data = calendars[calendar_key]


def stop(batch: InvitationBatch) -> int:
    return _set_status(batch, (OutboxStatus.PENDING, OutboxStatus.HELD), OutboxStatus.WITHDRAWN)


def retry_failed(batch: InvitationBatch) -> int:
    """Send the failed mails again, to the address the directory has now (the organizer may
    have corrected it)."""
    _write_again(batch, (OutboxStatus.FAILED,))
    failed = db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.batch == batch.mail_batch, OutboxMessage.status == OutboxStatus.FAILED))
    count = 0
    for message in failed:
        invitation = db.session.scalar(
            sa.select(Invitation).where(Invitation.mail_key == message.dedupe_key).limit(1))
        owner = (invitation.contact or invitation.organisation) if invitation else None
        if owner is not None and owner.email and not owner.unsubscribed_at:
            address = owner.email.lower()
            message.recipient = address
            db.session.execute(sa.update(Invitation).where(
                Invitation.mail_key == message.dedupe_key).values(email=address))
        message.status = OutboxStatus.PENDING
        message.attempts = 0
        message.next_attempt_at = utcnow()
        message.lease_until = None
        message.claimed_by = None
        count += 1
    return count


def running_batches(meeting: Meeting) -> list[InvitationBatch]:
    batches = sa.select(Invitation.batch_id).where(Invitation.meeting_id == meeting.id)
    return list(db.session.scalars(
        sa.select(InvitationBatch).where(InvitationBatch.id.in_(batches))
        .order_by(InvitationBatch.created_at.desc())))


# --- status of each invitation ---------------------------------------------------------------

def status_expression():
    return sa.case(
        (Invitation.response == Response.REGISTERED, InvitationStatus.REGISTERED.value),
        (Invitation.response == Response.DECLINED, InvitationStatus.DECLINED.value),
        (Invitation.response == Response.CANCELLED, InvitationStatus.CANCELLED.value),
        (OutboxMessage.status == OutboxStatus.SENT, InvitationStatus.SENT.value),
        (OutboxMessage.status == OutboxStatus.FAILED, InvitationStatus.FAILED.value),
        (OutboxMessage.status == OutboxStatus.WITHDRAWN, InvitationStatus.WITHDRAWN.value),
        else_=InvitationStatus.QUEUED.value,
    )


def invitations_query(meeting: Meeting, status: str = ""):
    """(invitation, status, last mail error) rows of a meeting, filterable by status."""
    status_value = status_expression().label("status")
    query = (
        sa.select(Invitation, status_value, OutboxMessage.last_error)
        .outerjoin(OutboxMessage, OutboxMessage.dedupe_key == Invitation.mail_key)
        .where(Invitation.meeting_id == meeting.id)
    )
    if status:
        query = query.where(status_expression() == status)
    return query.order_by(Invitation.name, Invitation.id)


def status_counts(meeting: Meeting) -> dict[InvitationStatus, int]:
    status_value = status_expression()
    rows = db.session.execute(
        sa.select(status_value, sa.func.count())
        .select_from(Invitation)
        .outerjoin(OutboxMessage, OutboxMessage.dedupe_key == Invitation.mail_key)
        .where(Invitation.meeting_id == meeting.id)
        .group_by(status_value))
    counts = dict.fromkeys(InvitationStatus, 0)
    counts.update({InvitationStatus(value): n for value, n in rows})
    return counts


# --- answers ----------------------------------------------------------------------------------

def by_token(token: str) -> Invitation | None:
    if not token or len(token) > 64:
        return None
    return db.session.scalar(sa.select(Invitation).where(Invitation.token == token))


def decline(invitation: Invitation, reason: str) -> None:
    invitation.response = Response.DECLINED
    invitation.responded_at = utcnow()
    invitation.decline_reason = reason.strip()[:2000]


def registered_through(invitation: Invitation) -> None:
    invitation.response = Response.REGISTERED
    invitation.responded_at = utcnow()


def registration_cancelled(invitation: Invitation, still_registered: int) -> None:
    """A registration through ``invitation`` is cancelled: when nobody is left registered
    through it (an organisation may have other delegates), the invitation says so, offers to
    register again, and is no longer counted as registered nor reminded as unanswered."""
    if still_registered == 0 and invitation.response is Response.REGISTERED:
        invitation.response = Response.CANCELLED
        invitation.responded_at = utcnow()


def invited_people(meeting: Meeting) -> list:
    """The invited who may hold the meeting in their calendar and are not registered through
    their invitation: its mail (with the .ics) went out, or is on its way and goes before
    the change mail (the worker sends in order), and neither they nor their organisation
    unsubscribed. A sending paused or stopped, or a mail refused, left nothing in anyone's
    calendar. Those who have not answered hear of every change and of the cancellation;
    those who declined, or registered and then cancelled, only of the cancellation: a
    CANCEL of an entry they may have kept is harmless, while an update would put back
    into their calendar a meeting they said they would not attend. The open invitations
    come first, so an address invited twice hears as the open one."""
    from consult.events.services import Recipient
    from consult.registrations.models import Registration

    rows = db.session.execute(
        sa.select(Invitation.email, Invitation.name, Invitation.locale, Invitation.token,
                  Invitation.response, Invitation.contact_id, Invitation.organisation_id,
                  Contact.gender)
        .join(OutboxMessage, OutboxMessage.dedupe_key == Invitation.mail_key)
        .outerjoin(Contact, Contact.id == Invitation.contact_id)
        .outerjoin(Organisation, Organisation.id == Invitation.organisation_id)
        .where(Invitation.meeting_id == meeting.id,
               Invitation.response != Response.REGISTERED,
               OutboxMessage.status.in_(
                   (OutboxStatus.SENT, OutboxStatus.SENDING, OutboxStatus.PENDING)),
               Contact.unsubscribed_at.is_(None), Organisation.unsubscribed_at.is_(None))
        .order_by(sa.case((Invitation.response == Response.NONE, 0), else_=1), Invitation.id))
    # an address registered for the meeting otherwise (the public form, by an organizer, at
    # the door) and no longer: it had its CANCEL or never had a seat; an update would put
    # the meeting back into its calendar (those still registered hear as registered)
    registered = {email.lower() for email in db.session.scalars(
        sa.select(Registration.email).where(Registration.meeting_id == meeting.id))}
    people = []
    for email, name, locale, token, response, contact_id, organisation_id, gender in rows:
        kind, ident = ("o", organisation_id) if organisation_id else ("c", contact_id)
        people.append(Recipient(
            email, name, locale, seated=False, gender=gender.value if gender else None,
            link=url_for("invitations.respond", token=token, _external=True), invited=True,
            cancellation_only=response is not Response.NONE or email.lower() in registered,
            unsubscribe_url=url_for("invitations.unsubscribe_page",
                                    token=unsubscribe_token(kind, ident), _external=True)))
    return people


def group_by_locale(invitations) -> dict[str, list]:
    grouped = defaultdict(list)
    for invitation in invitations:
        grouped[invitation.locale].append(invitation)
    return grouped
