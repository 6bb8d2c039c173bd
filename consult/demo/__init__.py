"""Demo data drawn from real consultation scenarios (people are fictitious).

`load_demo` only adds what is missing, keyed by e-mail and slug, so running it again
changes nothing.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from consult.auth.models import User, UserRole
from consult.events.models import (
    NAMING_PEOPLE,
    AgendaItem,
    Document,
    DocumentType,
    Meeting,
    MeetingFormat,
    MeetingStatus,
    MeetingType,
    RegistrationMode,
    Series,
)
from consult.extensions import db
from consult.groups.models import WorkingGroup

DATA = Path(__file__).parent / "data"
DEMO_PASSWORD = "consult-demo-2020"  # noqa: S105 - printed by `make run`, demo data only
DEMO_ADMIN = "admin@demo.consult.example"
DEMO_ORGANIZER = "organizer@demo.consult.example"
DEMO_USERS = [
    (DEMO_ADMIN, "Администратор", UserRole.ADMIN, "en"),
    (DEMO_ORGANIZER, "Мария Георгиева", UserRole.ORGANIZER, "bg"),
    ("skopje@demo.consult.example", "Елена Стојановска", UserRole.ORGANIZER, "mk"),
    ("viewer@demo.consult.example", "Journalist Viewer", UserRole.VIEWER, "en"),
]


def _load(name: str) -> dict:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def _ensure_user(email, name, role, locale) -> tuple[User, bool]:
    user = db.session.scalar(sa.select(User).where(User.email == email))
    if user is not None:
        return user, False
    user = User(email=email, name=name, role=role, locale=locale)
    user.set_password(DEMO_PASSWORD)
    db.session.add(user)
    return user, True


def load_demo() -> int:
    """Add the demo records that are missing; returns how many were added."""
    from consult.directory.models import ensure_builtin_types

    added = ensure_builtin_types()
    users = {}
    for email, name, role, locale in DEMO_USERS:
        users[email], new = _ensure_user(email, name, role, locale)
        added += new

    team2 = _load("team2-2020.json")["series"]
    if db.session.scalar(sa.select(Series).where(Series.slug == "team2-2020")) is None:
        db.session.add(
            Series(
                slug="team2-2020",
                main_language="bg",
                title=team2["title"],
                description={"en": "\n".join(team2["purpose"])},
                project_code=team2["code"],
                project_name=team2["project"],
                funder=team2["funder"],
                programme=team2["programme"],
                implementing_body=team2["implementing_body"],
                disclaimer={
                    # shown on pages, in mail and in PDFs alike: "this content", not "page"
                    "bg": "Съдържанието е отговорност единствено на изпълняващата "
                    "организация и по никакъв начин не отразява официалната позиция на "
                    "Европейската комисия.",
                    "en": "This content is the sole responsibility of the implementing body "
                    "and does not reflect the official position of the European Commission.",
                },
                timezone=team2["timezone"],
                published=True,
                managers=[users[DEMO_ORGANIZER]],
            )
        )
        added += 1

    swg = _load("mk-roma-swg.json")["group"]
    if db.session.scalar(sa.select(WorkingGroup).where(WorkingGroup.slug == "mk-roma-swg")) is None:
        db.session.add(
            WorkingGroup(
                slug="mk-roma-swg",
                main_language="mk",
                name=swg["name"],
                mandate={
                    "en": swg["purpose"],
                    "mk": "примена на секторскиот пристап во прашањата што се однесуваат "
                    "на Ромите",
                },
                established_on=date(2019, 12, 6),
                timezone=swg["timezone"],
                public=True,
                managers=[users["skopje@demo.consult.example"]],
            )
        )
        added += 1
    db.session.flush()
    added += _load_meetings(users)
    added += _load_directory()
    added += _upcoming_meeting()
    from consult.demo import groups as group_demo

    added += group_demo.load_working_group(users)
    added += group_demo.load_team2_attendance(users[DEMO_ORGANIZER])
    return added


def _load_directory() -> int:
    """The Bulgarian stakeholder list of the TEAM2 scenario, through the real importer."""
    from consult.directory import importer
    from consult.directory.models import Contact

    if db.session.scalar(sa.select(Contact.id).limit(1)) is not None:
        return 0
    parsed = importer.parse((DATA / "bg-stakeholders.csv").read_bytes(), "bg-stakeholders.csv")
    result = importer.preview(parsed, importer.guess_mapping(parsed.headers), "skip", False)
    return importer.apply(result)["new"]


def _upcoming_meeting() -> int:
    """A follow-up TEAM2 meeting some weeks ahead, so the demo has someone to invite to."""
    uid = "team2-follow-up@demo.consult"
    if not _meeting_missing(uid):
        return 0
    series = db.session.scalar(sa.select(Series).where(Series.slug == "team2-2020"))
    zone = ZoneInfo(series.timezone)
    day = date.today() + timedelta(days=42)
    day += timedelta(days=(1 - day.weekday()) % 7)  # a Tuesday
    start = datetime.combine(day, time(10, 0), tzinfo=zone)
    db.session.add(Meeting(
        uid=uid,
        series=series,
        main_language="bg",
        title={"bg": "Последваща среща – Северозападен регион",
               "en": "Follow-up meeting – North-West region"},
        type=MeetingType.REGIONAL,
        format=MeetingFormat.HYBRID,
        starts_at=start.astimezone(UTC),
        ends_at=(start + timedelta(hours=3)).astimezone(UTC),
        timezone=series.timezone,
        venue="Областна администрация Видин",
        address="пл. „Бдинци“ 1, Видин",
        online_url="https://meet.example.org/team2-follow-up",
        region="Северозападен",
        capacity=30,
        registration_mode=RegistrationMode.INVITATION,
        languages=["bg"],
        status=MeetingStatus.PUBLISHED,
        reminder_days=2,
        agenda=_agenda(start, {"bg": TEAM2_AGENDA_BG}),
    ))
    return 1


TEAM2_AGENDA_BG = [
    "Откриване и цели на срещата",
    "Напредък по приоритетите на Националната стратегия: аналитичен доклад",
    "Данни от системата за мониторинг, оценка и контрол",
    "Стратегическата рамка на ЕС за равенство, приобщаване и участие на ромите до 2030 г.",
    "Местни успехи и трудности: дискусия",
    "Предложения за актуализираната стратегия след 2020 г.; закриване",
]
AGENDA_OFFSETS = [0, 15, 45, 75, 105, 160]  # minutes after the start

SWG_MEETINGS_MK = {
    "2019-12-06": "Прв работен состанок",
    "2020-11-16": "Работен состанок на секторската работна група за образование, "
    "вработување и социјална политика и интеграција на Ромите",
    "2020-11-19": "Технички состанок за вклучување на Ромите и Ромите бегалци",
}
DOCUMENT_TYPES = {
    "agenda": DocumentType.AGENDA,
    "invitation": DocumentType.INVITATION,
    "list of invited participants": DocumentType.INVITEES,
    "e-mail list of invitees": DocumentType.INVITEES,
    "report": DocumentType.REPORT,
}


def _meeting_missing(uid: str) -> bool:
    return db.session.scalar(sa.select(Meeting.id).where(Meeting.uid == uid)) is None


def _agenda(start: datetime, titles_by_language: dict[str, list[str]]) -> list[AgendaItem]:
    items = []
    for position, offset in enumerate(AGENDA_OFFSETS, start=1):
        at = (start + timedelta(minutes=offset)).time()
        title = {lang: titles[position - 1] for lang, titles in titles_by_language.items()}
        items.append(AgendaItem(position=position, starts_at=at, title=title))
    return items


def _load_meetings(users) -> int:
    added = 0
    data = _load("team2-2020.json")
    series = db.session.scalar(sa.select(Series).where(Series.slug == "team2-2020"))
    zone = ZoneInfo(data["series"]["timezone"])
    for number, row in enumerate(data["meetings"], start=1):
        uid = f"team2-2020-{number}@demo.consult"
        if not _meeting_missing(uid):
            continue
        day = date.fromisoformat(row["date"])
        start = datetime.combine(day, time.fromisoformat(row["start"]), tzinfo=zone)
        end = datetime.combine(day, time.fromisoformat(row["end"]), tzinfo=zone)
        fmt = MeetingFormat(row["format"])
        db.session.add(Meeting(
            uid=uid,
            series=series,
            main_language="bg",
            title={"bg": f"Дискусионна среща – {row['region']}",
                   "en": f"Discussion meeting – {row['region']}"},
            type=MeetingType.REGIONAL,
            format=fmt,
            starts_at=start.astimezone(UTC),
            ends_at=end.astimezone(UTC),
            timezone=data["series"]["timezone"],
            venue=row.get("venue", ""),
            online_url="https://meet.example.org/team2-" + str(number)
            if fmt is not MeetingFormat.IN_PERSON else "",
            region=row["region"],
            capacity=40,
            registration_mode=RegistrationMode.INVITATION,
            languages=["bg"],
            status=MeetingStatus.HELD,
            agenda=_agenda(start, {"bg": TEAM2_AGENDA_BG, "en": data["agenda_template"]}),
        ))
        added += 1

    swg = _load("mk-roma-swg.json")
    group = db.session.scalar(sa.select(WorkingGroup).where(WorkingGroup.slug == "mk-roma-swg"))
    zone = ZoneInfo(swg["group"]["timezone"])
    for row in swg["meetings"]:
        uid = f"mk-roma-swg-{row['date']}@demo.consult"
        if not _meeting_missing(uid):
            continue
        day = date.fromisoformat(row["date"])
        start = datetime.combine(day, time(10, 0), tzinfo=zone)
        fmt = MeetingFormat(row["format"])
        meeting = Meeting(
            uid=uid,
            group=group,
            main_language="mk",
            title={"mk": SWG_MEETINGS_MK[row["date"]], "en": row["title"]},
            type=MeetingType(row["type"]),
            format=fmt,
            starts_at=start.astimezone(UTC),
            ends_at=(start + timedelta(hours=3)).astimezone(UTC),
            timezone=swg["group"]["timezone"],
            venue="Скопје" if fmt is not MeetingFormat.ONLINE else "",
            co_organisers="\n".join(row.get("organisers", []) + row.get("supported_by", [])),
            registration_mode=RegistrationMode.INVITATION,
            languages=["mk", "sq"],
            status=MeetingStatus.HELD,
        )
        db.session.add(meeting)
        db.session.flush()
        for title in row.get("documents", []):
            db.session.add(Document(
                meeting_id=meeting.id,
                type=DOCUMENT_TYPES.get(title, DocumentType.ACTION_PLAN),
                title=title[:1].upper() + title[1:300],
                language="mk",
                public=DOCUMENT_TYPES.get(title) not in NAMING_PEOPLE,
                year=day.year,
            ))
        added += 1
    return added
