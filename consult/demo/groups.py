"""Demo data of the working group and of who came to the meetings (people are fictitious).

Everything is keyed by e-mail address, document link or meeting uid, so loading it again
adds nothing. Registrations are written directly (no confirmation mail is queued); people
are checked in through the real check-in service.
"""

from __future__ import annotations

from contextlib import nullcontext
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app, has_request_context

from consult.auth.models import User
from consult.directory.models import Contact, Gender, Organisation, StakeholderType
from consult.events.models import Document, DocumentType, Meeting, MeetingFormat
from consult.extensions import db
from consult.groups.models import (
    ConclusionsSend,
    GroupLead,
    LeadRole,
    Membership,
    MembershipRole,
    WorkingGroup,
)

SWG_SLUG = "mk-roma-swg"
SWG_FIRST_MEETING = date(2019, 12, 6)
SKOPJE = ZoneInfo("Europe/Skopje")

# the scenario names the lead institutions in English; the group's main language is Macedonian
LEAD_NAMES_MK = {
    "Ministry of Labour and Social Policy": "Министерство за труд и социјална политика",
    "Cabinet of the Minister without portfolio responsible for the Roma Strategy":
        "Кабинет на министерот без ресор за имплементација на Стратегијата за Ромите",
}

F, M, U = Gender.FEMALE, Gender.MALE, Gender.UNDISCLOSED
CHAIR, MEMBER, OBSERVER, SECRETARIAT = (
    MembershipRole.CHAIR, MembershipRole.MEMBER, MembershipRole.OBSERVER,
    MembershipRole.SECRETARIAT)

# per member institution of the scenario (by its position there): its representatives as
# (name, gender, e-mail, role, agreed to be named publicly, from, until)
SWG_MEMBERS = {
    0: [("Снежана Трајковска", F, "snezana.trajkovska@mtsp.gov.mk.example", SECRETARIAT, True),
        ("Горан Јовановски", M, "goran.jovanovski@mtsp.gov.mk.example", MEMBER, True)],
    1: [("Марија Николовска", F, "marija.nikolovska@mon.gov.mk.example", MEMBER, True),
        ("Зоран Стојанов", M, "zoran.stojanov@mon.gov.mk.example", MEMBER, False)],
    2: [("Билјана Митревска", F, "biljana.mitrevska@zdravstvo.gov.mk.example", MEMBER, False,
         None, date(2020, 6, 30)),
        ("Александар Ристов", M, "aleksandar.ristov@zdravstvo.gov.mk.example", MEMBER, True,
         date(2020, 7, 1))],
    3: [("Игор Петковски", M, "igor.petkovski@mtv.gov.mk.example", MEMBER, False)],
    4: [("Ердоан Сулејмановски", M, "erdoan.sulejmanovski@mbr-romi.gov.mk.example", CHAIR,
         True),
        ("Ајнур Бајрамовска", F, "ajnur.bajramovska@mbr-romi.gov.mk.example", MEMBER, True)],
    5: [("Ана Костовска", F, "ana.kostovska@sep.gov.mk.example", MEMBER, True)],
    6: [("Владимир Цветковски", M, "vladimir.cvetkovski@avrm.gov.mk.example", MEMBER, False),
        ("Наташа Стефановска", F, "natasa.stefanovska@avrm.gov.mk.example", MEMBER, True)],
    7: [("Катерина Димитровска", F, "katerina.dimitrovska@eeas.europa.example", OBSERVER,
         True)],
    8: [("Сабина Рамадан", F, "sabina.ramadan@idnina.org.mk.example", MEMBER, True),
        ("Даниел Асанов", M, "daniel.asanov@idnina.org.mk.example", MEMBER, False)],
    9: [("Фатима Исмаиловска", F, "fatima.ismailovska@most.org.mk.example", MEMBER, True)],
    10: [("Енис Мустафа", M, "enis.mustafa@rec.org.mk.example", MEMBER, False),
         ("Ели Јашари", U, "eli.jasari@rec.org.mk.example", MEMBER, False)],
}

# consulted, not members: (name, gender, e-mail, stakeholder type, organisation)
SWG_EXPERTS = [
    ("Весна Ангеловска", F, "vesna.angelovska@istrazuvanja.mk.example", "academia", None),
    ("Арбен Шабани", M, "arben.sabani@istrazuvanja.mk.example", "academia", None),
    ("Мирјана Тодоровска", F, "mirjana.todorovska@ri2020.example", "international_org",
     "Иницијатива „Ромска интеграција 2020“"),
]

# who registered for each meeting and who of them did not come (by e-mail address)
SWG_ATTENDANCE = {
    "2019-12-06": {
        "registered": "all members", "experts": ["vesna.angelovska@istrazuvanja.mk.example"],
        "absent": ["igor.petkovski@mtv.gov.mk.example", "daniel.asanov@idnina.org.mk.example"],
    },
    "2020-11-16": {
        "registered": "all members", "experts": ["arben.sabani@istrazuvanja.mk.example"],
        "absent": ["zoran.stojanov@mon.gov.mk.example", "eli.jasari@rec.org.mk.example",
                   "katerina.dimitrovska@eeas.europa.example"],
    },
    "2020-11-19": {
        "registered": [
            "snezana.trajkovska@mtsp.gov.mk.example", "goran.jovanovski@mtsp.gov.mk.example",
            "erdoan.sulejmanovski@mbr-romi.gov.mk.example",
            "ajnur.bajramovska@mbr-romi.gov.mk.example", "ana.kostovska@sep.gov.mk.example",
            "katerina.dimitrovska@eeas.europa.example", "sabina.ramadan@idnina.org.mk.example",
            "enis.mustafa@rec.org.mk.example", "aleksandar.ristov@zdravstvo.gov.mk.example",
        ],
        "experts": ["vesna.angelovska@istrazuvanja.mk.example",
                    "mirjana.todorovska@ri2020.example",
                    "arben.sabani@istrazuvanja.mk.example"],
        "absent": ["arben.sabani@istrazuvanja.mk.example",
                   "aleksandar.ristov@zdravstvo.gov.mk.example"],
    },
}

DOCS = "https://example.org/mk-roma-swg"
# (type, year, title, link, published on)
SWG_DOCUMENTS = [
    (DocumentType.RULES, 2019, "Деловник за работа на Секторската работна група",
     f"{DOCS}/2019/delovnik.pdf", None),
    (DocumentType.CALL_FOR_MEMBERS, 2019,
     "Јавен повик до граѓанските организации за членство во Секторската работна група",
     f"{DOCS}/2019/javen-povik", date(2019, 11, 4)),
    (DocumentType.METHODOLOGY, 2019,
     "Методологија за избор на партнери од граѓанскиот сектор", f"{DOCS}/2019/metodologija.pdf",
     None),
    (DocumentType.WORK_PLAN, 2020, "Програма за работа за 2020 година",
     f"{DOCS}/2020/programa-za-rabota.pdf", None),
    (DocumentType.ANNUAL_REPORT, 2020, "Годишен извештај за работата во 2020 година",
     f"{DOCS}/2020/godisen-izvestaj.pdf", None),
    (DocumentType.INDICATORS, 2020, "Индикатори за успешност за 2020 година",
     f"{DOCS}/2020/indikatori.pdf", None),
    (DocumentType.STRATEGIC_RESPONSE, 2020,
     "Стратешки одговор на Секторската работна група за 2020 година",
     f"{DOCS}/2020/strateski-odgovor.pdf", None),
]
CONCLUSIONS_URL = f"{DOCS}/2020/zaklucoci-2020-11-16.pdf"
CONCLUSIONS_SENT_AT = datetime(2020, 11, 17, 9, 30, tzinfo=SKOPJE)


def _type_ids() -> dict[str, int]:
    return dict(db.session.execute(sa.select(StakeholderType.code, StakeholderType.id)).all())


def _organisation(name: str, type_id: int | None, country: str) -> tuple[Organisation, int]:
    organisation = db.session.scalar(
        sa.select(Organisation).where(sa.func.lower(Organisation.name) == name.lower()))
    if organisation is not None:
        return organisation, 0
    organisation = Organisation(name=name, stakeholder_type_id=type_id, country=country)
    organisation.refresh_search()
    db.session.add(organisation)
    return organisation, 1


def _contact(email: str, name: str, gender: Gender, organisation: Organisation | None,
             language: str, type_id: int | None = None) -> tuple[Contact, int]:
    contact = db.session.scalar(sa.select(Contact).where(Contact.email == email))
    if contact is not None:
        return contact, 0
    contact = Contact(name=name, email=email, gender=gender, organisation=organisation,
                      stakeholder_type_id=type_id, language=language, tags=[])
    contact.refresh_search()
    db.session.add(contact)
    return contact, 1


# --- the working group ----------------------------------------------------------------------

def load_working_group(users: dict) -> int:
    from consult.demo import _load

    group = db.session.scalar(sa.select(WorkingGroup).where(WorkingGroup.slug == SWG_SLUG))
    if group is None:
        return 0
    scenario = _load("mk-roma-swg.json")
    added = _leads(group, scenario["group"]["lead_history"])
    types = _type_ids()
    people, n = _members(group, scenario["member_institutions"], types)
    added += n
    experts, n = _experts(types)
    added += n
    db.session.flush()
    added += _documents(group)
    added += _swg_attendance(group, people, experts, users["skopje@demo.consult.example"])
    added += _conclusions_sent(group, users["skopje@demo.consult.example"])
    return added


def _leads(group: WorkingGroup, history: list[dict]) -> int:
    if group.leads:
        return 0
    added = 0
    for number, step in enumerate(history):
        starts = date.fromisoformat(step["from"])
        following = history[number + 1:] if number + 1 < len(history) else []
        ends = date.fromisoformat(following[0]["from"]) - timedelta(days=1) if following else None
        for role, key in ((LeadRole.LEAD, "lead"), (LeadRole.CO_LEAD, "co_lead")):
            if key in step:
                english = step[key]
                group.leads.append(GroupLead(
                    institution={"en": english, "mk": LEAD_NAMES_MK.get(english, english)},
                    role=role, starts_on=starts, ends_on=ends))
                added += 1
    return added


def _members(group: WorkingGroup, institutions: list[dict], types: dict[str, int]
             ) -> tuple[dict[str, Contact], int]:
    added = 0
    people: dict[str, Contact] = {}
    for position, institution in enumerate(institutions):
        organisation, n = _organisation(institution["name"], types.get(institution["type"]),
                                        "MK")
        added += n
        for row in SWG_MEMBERS.get(position, []):
            name, gender, email, role, consent = row[:5]
            starts = row[5] if len(row) > 5 and row[5] else SWG_FIRST_MEETING
            ends = row[6] if len(row) > 6 else None
            contact, n = _contact(email, name, gender, organisation, "mk")
            added += n
            people[email] = contact
            db.session.flush()
            exists = db.session.scalar(sa.select(Membership.id).where(
                Membership.group_id == group.id, Membership.contact_id == contact.id))
            if exists is None:
                db.session.add(Membership(
                    group_id=group.id, contact_id=contact.id, organisation=organisation,
                    role=role, starts_on=starts, ends_on=ends, publish_consent=consent))
                added += 1
    return people, added


def _experts(types: dict[str, int]) -> tuple[dict[str, Contact], int]:
    added = 0
    experts = {}
    for name, gender, email, type_code, organisation_name in SWG_EXPERTS:
        organisation = None
        if organisation_name:
            organisation, n = _organisation(organisation_name, types.get(type_code), "")
            added += n
        contact, n = _contact(email, name, gender, organisation, "mk", types.get(type_code))
        experts[email] = contact
        added += n
    return experts, added


def _documents(group: WorkingGroup) -> int:
    added = 0
    for kind, year, title, url, published_on in SWG_DOCUMENTS:
        exists = db.session.scalar(sa.select(Document.id).where(
            Document.group_id == group.id, Document.url == url))
        if exists is None:
            db.session.add(Document(group_id=group.id, type=kind, year=year, title=title,
                                    url=url, language="mk", public=True,
                                    published_on=published_on))
            added += 1
    return added


def _swg_meeting(day: str) -> Meeting | None:
    return db.session.scalar(sa.select(Meeting).where(
        Meeting.uid == f"{SWG_SLUG}-{day}@demo.consult"))


def _swg_attendance(group: WorkingGroup, people: dict[str, Contact],
                    experts: dict[str, Contact], organizer: User) -> int:
    added = 0
    for day, plan in SWG_ATTENDANCE.items():
        meeting = _swg_meeting(day)
        if meeting is None:
            continue
        if plan["registered"] == "all members":
            on = date.fromisoformat(day)
            emails = [email for email, contact in people.items()
                      if db.session.scalar(sa.select(Membership.id).where(
                          Membership.group_id == group.id, Membership.contact_id == contact.id,
                          Membership.current_on(on)).limit(1)) is not None]
        else:
            emails = list(plan["registered"])
        everyone = {**people, **experts}
        for number, email in enumerate(emails + plan["experts"]):
            contact = everyone[email]
            registration, new = _registration(meeting, contact, number)
            added += new
            if email not in plan["absent"]:
                added += _attend(meeting, registration, organizer, number)
    return added


def _conclusions_sent(group: WorkingGroup, organizer: User) -> int:
    """The conclusions of the 16 November 2020 meeting, mailed to the members the next day
    (the outbox rows are marked sent: the log shows each delivery)."""
    from consult.groups import services
    from consult.mail.models import OutboxMessage, OutboxStatus

    meeting = _swg_meeting("2020-11-16")
    if meeting is None:
        return 0
    added = 0
    document = db.session.scalar(sa.select(Document).where(
        Document.meeting_id == meeting.id, Document.url == CONCLUSIONS_URL))
    if document is None:
        document = Document(
            meeting_id=meeting.id, type=DocumentType.CONCLUSIONS, language="mk", year=2020,
            title="Заклучоци од работниот состанок на 16 ноември 2020", url=CONCLUSIONS_URL,
            public=True)
        db.session.add(document)
        db.session.flush()
        added += 1
    if db.session.scalar(sa.select(ConclusionsSend.id).where(
            ConclusionsSend.meeting_id == meeting.id).limit(1)) is not None:
        return added
    # links in the mail need a host: outside a request, a made-up one (SERVER_NAME if set)
    context = nullcontext() if has_request_context() else current_app.test_request_context()
    with context:
        send = services.send_conclusions(
            meeting, document, organizer, day=CONCLUSIONS_SENT_AT.date(),
            note="Ве молиме да ги доставите вашите коментари до 30 ноември 2020 година.")
    sent_at = CONCLUSIONS_SENT_AT.astimezone(UTC)
    send.created_at = sent_at
    messages = db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.batch == send.mail_batch)).all()
    for number, message in enumerate(messages):
        message.status = OutboxStatus.SENT
        message.attempts = 1
        message.created_at = sent_at
        message.next_attempt_at = sent_at
        message.sent_at = sent_at + timedelta(seconds=2 * (number + 1))
    return added + 1 + len(messages)


# --- registrations and attendance -----------------------------------------------------------

def _registration(meeting: Meeting, contact: Contact | None, number: int, *,
                  name: str = "", email: str = "", gender: Gender = Gender.UNDISCLOSED,
                  organisation_name: str = "", type_id: int | None = None,
                  walk_in: bool = False):
    """The registration of ``contact`` (or of a walk-in) for ``meeting``, written directly:
    no mail is queued."""
    from consult.attendance.services import WALK_IN_CONSENT
    from consult.registrations.models import Registration, RegistrationStatus
    from consult.registrations.services import CONSENT_TEXT, CONSENT_VERSION

    email = contact.email if contact is not None else email
    registration = db.session.scalar(sa.select(Registration).where(
        Registration.meeting_id == meeting.id, Registration.email == email))
    if registration is not None:
        return registration, 0
    registration = Registration(meeting=meeting, email=email, status=RegistrationStatus.CONFIRMED,
                                locale=meeting.main_language)
    if contact is not None:
        kind = contact.stakeholder_type
        registration.contact = contact
        registration.name = contact.name
        registration.gender = contact.gender
        registration.organisation = contact.organisation
        registration.organisation_name = contact.organisation.name if contact.organisation else ""
        registration.stakeholder_type_id = kind.id if kind is not None else None
        registration.region = contact.region
        registration.municipality = contact.municipality
        registration.position = contact.position
        registration.locale = contact.language or meeting.main_language
        registration.publish_consent = number % 3 != 2
    else:
        registration.name = name
        registration.gender = gender
        registration.organisation_name = organisation_name
        registration.stakeholder_type_id = type_id
        registration.region = meeting.region
    registration.consent_text = WALK_IN_CONSENT if walk_in else str(CONSENT_TEXT)
    registration.consent_version = CONSENT_VERSION
    registration.created_at = (meeting.starts_at + timedelta(minutes=5 + number) if walk_in
                               else meeting.starts_at - timedelta(days=7, hours=number))
    registration.refresh_search()
    db.session.add(registration)
    db.session.flush()
    return registration, 1


def _attend(meeting: Meeting, registration, organizer: User, number: int,
            walk_in: bool = False) -> int:
    from consult.attendance.models import CheckInMethod
    from consult.attendance.services import attendance_of, check_in

    if attendance_of(registration) is not None:
        return 0
    online = meeting.format is MeetingFormat.ONLINE or (
        meeting.format is MeetingFormat.HYBRID and number % 2 == 1)
    if walk_in:
        method = CheckInMethod.WALK_IN
    elif online:
        method = CheckInMethod.ONLINE
    elif meeting.group_id is not None:
        method = CheckInMethod.LIST
    else:
        method = CheckInMethod.DOOR
    attendance = check_in(registration, organizer, method, online=online and not walk_in)
    attendance.checked_in_at = meeting.starts_at + timedelta(minutes=(number * 3) % 25 - 10)
    return 1


# --- the TEAM2 discussion meetings ----------------------------------------------------------

# per held meeting, in order: how many registered from the region's directory contacts, how
# many of them did not come, and who came without registering
TEAM2_REGISTERED = [11, 8, 14, 9, 7, 13, 6]
TEAM2_ABSENT = [2, 1, 3, 1, 0, 2, 1]
TEAM2_WALK_INS = {
    1: [("Росица Асенова", Gender.FEMALE, "", "mediator")],
    3: [("Ивайло Методиев", Gender.MALE, "Община Варна", "municipality"),
        ("Гюлер Юсеинова", Gender.FEMALE, "", "mediator")],
    5: [("Стоян Кирилов", Gender.MALE, "Национално звено за контакт",
         "national_contact_point")],
    6: [("Десислава Петкова", Gender.UNDISCLOSED, "Екип на проекта Т.Е.А.М.2",
         "project_team")],
}


def load_team2_attendance(organizer: User) -> int:
    types = _type_ids()
    added = 0
    for number, registered in enumerate(TEAM2_REGISTERED, start=1):
        meeting = db.session.scalar(sa.select(Meeting).where(
            Meeting.uid == f"team2-2020-{number}@demo.consult"))
        if meeting is None or not meeting.region:
            continue
        contacts = db.session.scalars(
            sa.select(Contact).where(Contact.region == meeting.region,
                                     Contact.archived_at.is_(None),
                                     Contact.email.is_not(None), Contact.email != "")
            .order_by(Contact.email)).all()
        if not contacts:
            continue
        # spread the choice over the list: mixed organisations, types and genders
        step = max(1, len(contacts) // registered)
        chosen = [contacts[(i * step + number) % len(contacts)] for i in range(registered)]
        chosen = list(dict.fromkeys(chosen))
        absent = {c.id for c in chosen[-TEAM2_ABSENT[number - 1]:]} \
            if TEAM2_ABSENT[number - 1] else set()
        for position, contact in enumerate(chosen):
            registration, new = _registration(meeting, contact, position)
            added += new
            if contact.id not in absent:
                added += _attend(meeting, registration, organizer, position)
        for k, (name, gender, organisation, type_code) in enumerate(
                TEAM2_WALK_INS.get(number, []), start=1):
            registration, new = _registration(
                meeting, None, len(chosen) + k, name=name, gender=gender,
                email=f"walk-in-{k}@team2-2020-{number}.demo.invalid",
                organisation_name=organisation, type_id=types.get(type_code), walk_in=True)
            added += new
            added += _attend(meeting, registration, organizer, len(chosen) + k, walk_in=True)
    return added
