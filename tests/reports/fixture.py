"""A small world built by hand, whose every report number is worked out in the comments.

Series "team2" (Bulgarian, EU funded) and working group "roma-swg" (Macedonian, public).

    m1  2020-03-10  series + group  plenary     in person  Видин     sensitive question
    m2  2020-06-15  series + group  technical   online     (none)
    m3  2020-11-02  series          regional    hybrid     Монтана   + 23 counted without
                                                                        registration
    m4  2021-02-01  group           plenary     in person  Видин
    m5  2020-01-20  group, DRAFT    (not reported; Vera "attended")
    m6  2020-09-01  series, CANCELLED (not reported)

People (snapshot gender / stakeholder type at registration):

    Ана Петрова      F ministry       member of the group from 2020-01-01, named with consent
    Борис Иванов     M municipality   member 2020-01-01 … 2020-05-31, no consent to be named
    Вера Димитрова   F civil society  never a member
    Горан Стојанов   M ministry       member from 2020-06-01, named with consent
    Димо (walk-in)   O (no type)      no contact; e-mail "Dim@Example.BG" at m1,
                                      "dim@example.bg" at m3: one person
    anonymous        U (no type)      walk-in without e-mail at m3

Attendance (invited / registered / attended):

    m1  5 / 6 / 4   Ана, Борис, Вера, Димо attended; Горан confirmed, Иван waitlisted;
                    Петар cancelled (not counted); an organisation invited
    m2  2 / 3 / 2   Ана, Горан attended; Вера pending
    m3  1 / 4 / 3   Вера, Димо, anonymous attended; Ана confirmed;
                    counted without registration F12 M9 O0 U2 (23), municipality 4, CSO 3
    m4  1 / 2 / 2   Ана, Борис (no longer a member)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

import sqlalchemy as sa

from consult.attendance.models import AggregateAttendance, Attendance, CheckInMethod
from consult.directory.models import Gender, StakeholderType
from consult.events.models import (
    AgendaItem,
    Document,
    DocumentType,
    Meeting,
    MeetingFormat,
    MeetingStatus,
    MeetingType,
)
from consult.extensions import db
from consult.files import StoredFile
from consult.groups.models import ConclusionsSend, GroupLead, LeadRole, Membership
from consult.invitations.models import Invitation
from consult.registrations.models import Registration, RegistrationStatus
from tests.factories import (
    make_contact,
    make_group,
    make_meeting,
    make_organisation,
    make_series,
)

DISCLAIMER_BG = ("Тази публикация е осъществена с финансовата подкрепа на Европейския съюз. "
                 "Съдържанието ѝ е отговорност единствено на организаторите.")


@dataclass
class World:
    series: object
    group: object
    meetings: dict
    contacts: dict
    types: dict


def type_id(code: str) -> int:
    return db.session.scalar(sa.select(StakeholderType.id).where(StakeholderType.code == code))


def _register(meeting, email, name, gender, type_code=None, contact=None, attended=False,
              status=RegistrationStatus.CONFIRMED, organisation_name="", region="",
              sensitive=None):
    registration = Registration(
        meeting_id=meeting.id, email=email, name=name, gender=gender,
        stakeholder_type_id=type_id(type_code) if type_code else None,
        contact_id=contact.id if contact else None, status=status,
        organisation_name=organisation_name, region=region, sensitive_answer=sensitive,
        consent_text="…", consent_version="1")
    db.session.add(registration)
    db.session.flush()
    if attended:
        db.session.add(Attendance(registration_id=registration.id, meeting_id=meeting.id,
                                  method=CheckInMethod.DOOR))
    return registration


def _invite(meeting, contact=None, organisation=None):
    target = contact or organisation
    db.session.add(Invitation(meeting_id=meeting.id, contact_id=contact.id if contact else None,
                              organisation_id=organisation.id if organisation else None,
                              email=target.email or "org@example.bg", name=target.name,
                              mail_key=f"k-{meeting.id}-{target.id}-{bool(contact)}"))


def build_world() -> World:
    series = make_series(
        slug="team2",
        title={"bg": "Дискусионни срещи TEAM2", "en": "TEAM2 discussion meetings"},
        main_language="bg", published=True,
        project_code="101038470", project_name={"bg": "Национални ромски платформи"},
        funder={"bg": "Европейска комисия"},
        programme={"bg": "Програма „Права, равенство и гражданство“"},
        implementing_body={"bg": "Министерство на труда и социалната политика"},
        disclaimer={"bg": DISCLAIMER_BG})
    group = make_group(
        slug="roma-swg", main_language="mk", public=True,
        name={"mk": "Секторска работна група за интеграција на Ромите",
              "en": "Sector Working Group for Roma Integration"})
    db.session.add_all([
        GroupLead(group_id=group.id, role=LeadRole.LEAD,
                  institution={"mk": "Министерство за труд и социјална политика"},
                  starts_on=date(2019, 12, 6), ends_on=date(2019, 12, 31)),
        GroupLead(group_id=group.id, role=LeadRole.LEAD,
                  institution={"mk": "Кабинет на министерот без ресор"},
                  starts_on=date(2020, 1, 1)),
        GroupLead(group_id=group.id, role=LeadRole.CO_LEAD,
                  institution={"mk": "Министерство за труд и социјална политика"},
                  starts_on=date(2020, 1, 1)),
    ])
    ministry = make_organisation("Министерство на труда", type_code="ministry",
                                 email="mlsp@example.bg")
    mlsp_mk = make_organisation("Министерство за труд и социјална политика",
                                type_code="ministry")
    vidin = make_organisation("Община Видин", type_code="municipality")
    ana = make_contact("Ана Петрова", "ana@example.bg", organisation=ministry,
                       gender=Gender.FEMALE)
    boris = make_contact("Борис Иванов", "boris@example.bg", organisation=vidin,
                         gender=Gender.MALE)
    vera = make_contact("Вера Димитрова", "vera@example.bg", gender=Gender.FEMALE,
                        type_code="civil_society")
    goran = make_contact("Горан Стојанов", "goran@example.mk", gender=Gender.MALE,
                         type_code="ministry")

    held = MeetingStatus.HELD
    m1 = make_meeting(series, group, day="2020-03-10", type=MeetingType.PLENARY,
                      format=MeetingFormat.IN_PERSON, region="Видин", status=held,
                      venue="Областна администрация", address="пл. „Бдинци“ 1, Видин",
                      title={"bg": "Първа среща във Видин"},
                      sensitive_question={"bg": "Самоопределяте ли се като ром?"})
    m2 = make_meeting(series, group, day="2020-06-15", type=MeetingType.TECHNICAL,
                      format=MeetingFormat.ONLINE, status=held,
                      title={"bg": "Техническа среща онлайн"})
    m3 = make_meeting(series, None, day="2020-11-02", type=MeetingType.REGIONAL,
                      format=MeetingFormat.HYBRID, region="Монтана",
                      status=MeetingStatus.PUBLISHED, venue="Читалище „Светлина“",
                      address="Монтана", title={"bg": "Регионална дискусия в Монтана"})
    m4 = make_meeting(None, group, day="2021-02-01", type=MeetingType.PLENARY,
                      format=MeetingFormat.IN_PERSON, region="Видин", status=held,
                      zone="Europe/Skopje", title={"mk": "Пленарна седница 2021"},
                      main_language="mk")
    m5 = make_meeting(None, group, day="2020-01-20", status=MeetingStatus.DRAFT,
                      title={"mk": "Нацрт"}, main_language="mk")
    m6 = make_meeting(series, None, day="2020-09-01", status=MeetingStatus.CANCELLED,
                      title={"bg": "Отменена среща"})

    F, M, O, U = Gender.FEMALE, Gender.MALE, Gender.OTHER, Gender.UNDISCLOSED  # noqa: E741
    # m1: 5 invited (4 people and an organisation), 6 registered, 4 attended
    for contact in (ana, boris, vera, goran):
        _invite(m1, contact)
    _invite(m1, organisation=vidin)
    _register(m1, "ana@example.bg", "Ана Петрова", F, "ministry", ana, attended=True,
              sensitive="yes", region="София")
    _register(m1, "boris@example.bg", "Борис Иванов", M, "municipality", boris, attended=True,
              sensitive="no", region="Видин")
    _register(m1, "vera@example.bg", "Вера Димитрова", F, "civil_society", vera,
              attended=True, sensitive="yes", region="Видин")
    _register(m1, "goran@example.mk", "Горан Стојанов", M, "ministry", goran)
    _register(m1, "Dim@Example.BG", "Димо Асенов", O, attended=True)
    _register(m1, "ivan@example.bg", "Иван Колев", M, "media",
              status=RegistrationStatus.WAITLISTED)
    _register(m1, "petar@example.bg", "Петар Петров", M, "media",
              status=RegistrationStatus.CANCELLED)
    # m2: 2 invited, 3 registered, 2 attended
    _invite(m2, ana)
    _invite(m2, goran)
    _register(m2, "ana@example.bg", "Ана Петрова", F, "ministry", ana, attended=True,
              region="София")
    _register(m2, "goran@example.mk", "Горан Стојанов", M, "ministry", goran, attended=True,
              region="Скопје")
    _register(m2, "vera@example.bg", "Вера Димитрова", F, "civil_society", vera,
              status=RegistrationStatus.PENDING)
    # m3: 1 invited, 4 registered, 3 attended, and counts without registration
    _invite(m3, vera)
    _register(m3, "vera@example.bg", "Вера Димитрова", F, "civil_society", vera,
              attended=True, region="Монтана")
    _register(m3, "dim@example.bg", "Димо Асенов", O, attended=True, region="Монтана")
    _register(m3, "walk-in-0001@meeting-3.invalid", "Гост", U, attended=True)
    _register(m3, "ana@example.bg", "Ана Петрова", F, "ministry", ana)
    db.session.add(AggregateAttendance(
        meeting_id=m3.id, by_gender={"female": 12, "male": 9, "other": 0, "undisclosed": 2},
        by_type={"municipality": 4, "civil_society": 3}, note="Подписан лист"))
    # m4 (2021): Boris is no longer a member
    _invite(m4, ana)
    _register(m4, "ana@example.bg", "Ана Петрова", F, "ministry", ana, attended=True)
    _register(m4, "boris@example.bg", "Борис Иванов", M, "municipality", boris,
              attended=True)
    # a draft and a cancelled meeting: never reported
    _register(m5, "vera@example.bg", "Вера Димитрова", F, "civil_society", vera,
              attended=True)
    _register(m6, "boris@example.bg", "Борис Иванов", M, "municipality", boris)
    _invite(m6, boris)
    db.session.add(AggregateAttendance(meeting_id=m6.id, by_gender={"female": 50}))

    # memberships
    db.session.add_all([
        Membership(group_id=group.id, contact_id=ana.id, starts_on=date(2020, 1, 1),
                   publish_consent=True),
        Membership(group_id=group.id, contact_id=boris.id, starts_on=date(2020, 1, 1),
                   ends_on=date(2020, 5, 31)),
        Membership(group_id=group.id, contact_id=goran.id, organisation_id=mlsp_mk.id,
                   starts_on=date(2020, 6, 1), publish_consent=True),
    ])

    # documents: public and internal, of meetings and of the group
    agenda_file = StoredFile(filename="dnevni-red.pdf", content_type="application/pdf",
                             size=9, sha256="0" * 64, data=b"%PDF-1.4\n")
    db.session.add_all([
        Document(meeting_id=m1.id, type=DocumentType.AGENDA, title="Дневен ред на срещата",
                 file=agenda_file),
        Document(meeting_id=m1.id, type=DocumentType.MINUTES, title="Протокол от срещата",
                 url="https://example.org/protokol.pdf"),
        Document(meeting_id=m1.id, type=DocumentType.INVITEES, title="Вътрешен списък",
                 url="https://example.org/internal.pdf", public=False),
        Document(meeting_id=m1.id, type=DocumentType.PRESENTATION, title="Презентация на МТСП"),
        # the technical meeting has an agenda and no document
        AgendaItem(meeting_id=m2.id, position=1, starts_at=time(10, 0), title={
            "bg": "Преглед на индикаторите"}, speaker="Министерство на труда"),
        AgendaItem(meeting_id=m2.id, position=2, title={"bg": "Разни"}),
        Document(group_id=group.id, type=DocumentType.WORK_PLAN, title="Работен план 2020",
                 year=2020, url="https://example.org/plan-2020.pdf"),
        Document(group_id=group.id, type=DocumentType.CALL_FOR_MEMBERS,
                 title="Јавен повик за членови", year=2020,
                 published_on=date(2020, 2, 3), url="https://example.org/povik"),
        Document(group_id=group.id, type=DocumentType.ANNUAL_REPORT,
                 title="Нацрт годишен извештај", year=2020,
                 url="https://example.org/draft.pdf", public=False),
        Document(group_id=group.id, type=DocumentType.WORK_PLAN, title="Работен план 2021",
                 year=2021, url="https://example.org/plan-2021.pdf"),
    ])
    db.session.flush()
    minutes = db.session.scalar(sa.select(Document).where(Document.title ==
                                                          "Протокол от срещата"))
    db.session.add(ConclusionsSend(meeting_id=m1.id, document_id=minutes.id, recipients=12,
                                   created_at=datetime(2020, 3, 20, 9, 0, tzinfo=UTC)))
    db.session.commit()
    return World(series, group, {"m1": m1, "m2": m2, "m3": m3, "m4": m4, "m5": m5, "m6": m6},
                 {"ana": ana, "boris": boris, "vera": vera, "goran": goran},
                 {code: type_id(code) for code in ("ministry", "municipality",
                                                   "civil_society", "media")})


def add_meetings(series, n: int, start_day: int = 1) -> list[Meeting]:
    """``n`` held meetings, each with one attendee and one invitation (statement counts)."""
    meetings = []
    for i in range(n):
        meeting = Meeting(series_id=series.id, title={"bg": f"Среща {i}"},
                          starts_at=datetime(2022, 1, 1, 9, tzinfo=UTC),
                          ends_at=datetime(2022, 1, 1, 12, tzinfo=UTC),
                          status=MeetingStatus.HELD, region=f"Регион {i % 3}")
        db.session.add(meeting)
        meetings.append(meeting)
    db.session.flush()
    for i, meeting in enumerate(meetings):
        _register(meeting, f"p{i}@example.bg", f"Участник {i}", Gender.FEMALE, "ministry",
                  attended=True)
        db.session.add(AggregateAttendance(meeting_id=meeting.id, by_gender={"male": 1}))
    db.session.commit()
    return meetings
