"""Report results as tables ("sheets"): the one shape the page, the CSV, the Excel workbook
and the PDF are all written from, so every format shows the same numbers under the same
headings. Cells are ``str``, ``int``, ``float``, ``date`` or ``Link``; each writer formats them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from consult.directory.models import GENDER_LABELS, Gender
from consult.events.models import FORMAT_LABELS, Meeting, MeetingFormat
from consult.reports import queries
from consult.reports.queries import GENDERS, SENSITIVE_ANSWER_LABELS, Dashboard, MeetingRow

ATTENDED = _l("Attended (personal record)")
WITHOUT_REGISTRATION = _l("Counted without registration")
TOTAL = _l("Total")
TOTAL_ATTENDED = _l("Total attended")


@dataclass(frozen=True)
class Link:
    """A cell that links somewhere (a document, a meeting's public page)."""

    text: str
    url: str

    def __str__(self) -> str:
        return self.text


@dataclass
class Sheet:
    key: str
    title: str
    short: str  # an Excel sheet name: at most 31 characters
    columns: list[str]
    rows: list[list] = field(default_factory=list)
    footer: list[list] = field(default_factory=list)  # totals
    note: str = ""
    numeric_from: int = 1  # columns from this one on hold numbers
    wide: tuple[int, ...] = ()  # columns that need more room (titles, places)
    header_column: int = 0  # the column that names the row

    @property
    def empty(self) -> bool:
        return not self.rows


def gender_columns() -> list[str]:
    return [str(GENDER_LABELS[Gender(g)]) for g in GENDERS]


def _genders(counts: dict[str, int]) -> list[int]:
    return [counts[g] for g in GENDERS]


def place(meeting: Meeting) -> str:
    format_label = str(FORMAT_LABELS[meeting.format])
    if meeting.format is MeetingFormat.ONLINE:
        return format_label
    return ", ".join(part for part in (meeting.venue, meeting.address) if part) or "—"


def meeting_day(meeting: Meeting) -> date:
    return meeting.local_start.date()


# --- the participation report -------------------------------------------------------------

def summary_sheet(funnel: queries.Funnel) -> Sheet:
    return Sheet("summary", _("Invited, registered, attended"), _("Summary"),
                 [_("Stage"), _("Number")], [
                     [_("Meetings"), funnel.meetings],
                     [_("Invited (people and organisations)"), funnel.invited],
                     [_("Registered"), funnel.registered],
                     [str(ATTENDED), funnel.attended],
                     [str(WITHOUT_REGISTRATION), funnel.without_registration],
                     [str(TOTAL_ATTENDED), funnel.attended_total],
                 ],
                 note=_("Registered: confirmed, on the waiting list or waiting for approval. "
                        "Attended: people checked in, walk-ins included. Counts recorded "
                        "without registration are added to the total."))


def gender_sheet(counts: queries.GenderCounts) -> Sheet:
    rows = [[str(GENDER_LABELS[Gender(g)]), counts.recorded[g], counts.aggregate[g],
             counts.total[g]] for g in GENDERS]
    return Sheet("gender", _("Attendance by gender"), _("By gender"),
                 [_("Gender"), str(ATTENDED), str(WITHOUT_REGISTRATION), str(TOTAL)], rows,
                 [[str(TOTAL), counts.recorded_total, counts.aggregate_total,
                   counts.grand_total]])


def type_gender_sheet(table: queries.TypeGender, key: str = "type_gender",
                      title: str | None = None, people: bool = False) -> Sheet:
    if people:  # consulted non-members: different people, no counts without registration
        columns = [_("Stakeholder type"), *gender_columns(), str(TOTAL)]
        rows = [[row.label, *_genders(row.by_gender), row.recorded] for row in table.rows]
        footer = [[str(TOTAL), *_genders(table.recorded_by_gender), table.recorded]]
        return Sheet(key, title or _("Consulted non-members by stakeholder type and gender"),
                     _("Consulted non-members"), columns, rows, footer if rows else [],
                     note=_("Different people who took part in the group's meetings without "
                            "being members on the meeting's date."))
    columns = [_("Stakeholder type"), *gender_columns(), str(ATTENDED),
               str(WITHOUT_REGISTRATION), str(TOTAL)]
    rows = [[row.label, *_genders(row.by_gender), row.recorded, row.without_registration,
             row.total] for row in table.rows]
    footer = [[str(TOTAL), *_genders(table.recorded_by_gender), table.recorded,
               table.without_registration_by_type,
               table.recorded + table.without_registration_by_type]]
    aggregate = ", ".join(f"{label} {n}" for label, n in zip(
        gender_columns(), _genders(table.aggregate_by_gender), strict=True))
    note = _("The counts without registration are known by type and, separately, by gender "
             "(%(counts)s); the gender columns hold people with a personal record.",
             counts=aggregate)
    return Sheet(key, title or _("Attendance by stakeholder type and gender"),
                 _("By type and gender"), columns, rows, footer if rows else [], note=note)


def _group_rows_sheet(key: str, title: str, short: str, first: str,
                      rows: list[queries.GroupRow], meetings: bool = True,
                      aggregate: bool = True) -> Sheet:
    columns = [first]
    if meetings:
        columns.append(_("Meetings"))
    columns += gender_columns()
    columns += [str(ATTENDED), str(WITHOUT_REGISTRATION), str(TOTAL)] if aggregate else \
        [str(TOTAL)]
    body, totals = [], [0] * (len(columns) - 1)
    for row in rows:
        cells = [row.meetings] if meetings else []
        cells += _genders(row.by_gender)
        cells += [row.recorded, row.without_registration, row.total] if aggregate else \
            [row.recorded]
        body.append([row.label, *cells])
        totals = [a + b for a, b in zip(totals, cells, strict=True)]
    return Sheet(key, title, short, columns, body, [[str(TOTAL), *totals]] if body else [])


def meeting_region_sheet(rows: list[queries.GroupRow]) -> Sheet:
    return _group_rows_sheet("meeting_region", _("Attendance by region of the meeting"),
                             _("By region of meeting"), _("Region"), rows)


def participant_region_sheet(rows: list[queries.GroupRow]) -> Sheet:
    sheet = _group_rows_sheet("participant_region",
                              _("Attendance by the region participants gave"),
                              _("By region of participant"), _("Region"), rows,
                              meetings=False, aggregate=False)
    sheet.note = _("People with a personal record only: counts without registration have "
                   "no region of their own.")
    return sheet


def meeting_type_sheet(rows: list[queries.GroupRow]) -> Sheet:
    return _group_rows_sheet("meeting_type", _("Attendance by type of meeting"),
                             _("By type of meeting"), _("Type of meeting"), rows)


def people_sheet(people: queries.People) -> Sheet:
    average = round(people.attendances / people.people, 2) if people.people else 0
    return Sheet("people", _("Different people and attendances"), _("People"),
                 [_("What"), _("Number")], [
                     [_("Attendances (personal records)"), people.attendances],
                     [_("Different people"), people.people],
                     [_("Meetings per person (average)"), average],
                     [_("Counted without registration (people not identifiable)"),
                      people.without_registration],
                 ],
                 note=_("A person is the directory contact of the registration, else its "
                        "e-mail address."))


def first_time_sheet(first: queries.FirstTime) -> Sheet:
    rows = [[str(GENDER_LABELS[Gender(g)]), first.first[g], first.returning[g],
             first.first[g] + first.returning[g]] for g in GENDERS]
    return Sheet("first_time", _("First-time and returning participants"),
                 _("First-time and returning"),
                 [_("Gender"), _("First meeting ever"), _("Had attended before"), str(TOTAL)],
                 rows, [[str(TOTAL), first.first_total, first.returning_total,
                         first.first_total + first.returning_total]],
                 note=_("Each attendance with a personal record: the person's first meeting "
                        "ever (whatever the filters), or a return."))


def members_sheet(members: queries.MembersConsulted) -> Sheet:
    labels = {
        queries.MEMBER: _("Members of the working group (on the meeting's date)"),
        queries.NON_MEMBER: _("Consulted non-members"),
        queries.NO_GROUP: _("At meetings of no working group"),
    }
    rows = [[labels[kind], *_genders(members.by_kind[kind]), members.total(kind)]
            for kind in (queries.MEMBER, queries.NON_MEMBER, queries.NO_GROUP)]
    return Sheet("members", _("Members and consulted non-members"), _("Members"),
                 [_("Who"), *gender_columns(), str(TOTAL)], rows,
                 note=_("Attendances with a personal record. Counted without registration: "
                        "%(group)s at working-group meetings (membership not known), "
                        "%(other)s at other meetings.",
                        group=members.without_registration_group,
                        other=members.without_registration_other))


def sensitive_sheet(sensitive: queries.Sensitive) -> Sheet:
    if not sensitive.asked:
        return Sheet("sensitive", _("Answers to the sensitive question"), _("Sensitive question"),
                     [_("Answer"), _("Number")],
                     note=_("No meeting in this report asked a sensitive question."))
    rows = [[str(SENSITIVE_ANSWER_LABELS[a]), sensitive.counts[a]]
            for a in queries.SENSITIVE_ANSWERS]
    return Sheet("sensitive", _("Answers to the sensitive question"), _("Sensitive question"),
                 [_("Answer"), _("Number")], rows,
                 note=_("Only in aggregate, of the people who took part and agreed to answer; "
                        "a number below %(n)s is shown as “< %(n)s”.", n=sensitive.minimum))


def _used_types(rows: list[MeetingRow], types) -> tuple[list, bool]:
    used = set()
    for row in rows:
        used.update(type_id for type_id, n in row.by_type.items() if n)
    columns = [t for t in types if t.id in used]
    known = {t.id for t in types}
    return columns, any(type_id not in known for type_id in used)


def meetings_gender_sheet(rows: list[MeetingRow]) -> Sheet:
    columns = [_("Date"), _("Meeting"), _("Place"), _("Format"), _("Invited"),
               _("Registered"), *gender_columns(), str(ATTENDED), str(WITHOUT_REGISTRATION),
               str(TOTAL_ATTENDED)]
    body = []
    totals = [0] * 9
    for row in rows:
        m = row.meeting
        numbers = [row.invited, row.registered, *_genders(row.by_gender), row.attended,
                   row.without_registration, row.total]
        body.append([meeting_day(m), m.display_title, place(m), str(FORMAT_LABELS[m.format]),
                     *numbers])
        totals = [a + b for a, b in zip(totals, numbers, strict=True)]
    footer = [[str(TOTAL), _("%(n)s meetings", n=len(rows)), "", "", *totals]] if body else []
    return Sheet("meetings_gender", _("Meetings: invited, registered and attended by gender"),
                 _("Meetings by gender"), columns, body, footer, numeric_from=4, wide=(1, 2),
                 header_column=1)


def meetings_type_sheet(rows: list[MeetingRow], types) -> Sheet:
    used, unknown = _used_types(rows, types)
    columns = [_("Date"), _("Meeting"), *(t.label() for t in used)]
    if unknown:
        columns.append(str(queries.NOT_GIVEN))
    columns += [str(ATTENDED), str(WITHOUT_REGISTRATION), str(TOTAL_ATTENDED)]
    known = {t.id for t in types}
    body = []
    totals = [0] * (len(columns) - 2)
    for row in rows:
        numbers = [row.by_type.get(t.id, 0) for t in used]
        if unknown:
            numbers.append(sum(n for type_id, n in row.by_type.items() if type_id not in known))
        numbers += [row.attended, row.without_registration, row.total]
        body.append([meeting_day(row.meeting), row.meeting.display_title, *numbers])
        totals = [a + b for a, b in zip(totals, numbers, strict=True)]
    footer = [[str(TOTAL), _("%(n)s meetings", n=len(rows)), *totals]] if body else []
    return Sheet("meetings_type", _("Meetings: attended by stakeholder type"),
                 _("Meetings by type"), columns, body, footer, numeric_from=2, wide=(1,),
                 header_column=1,
                 note=_("People with a personal record, by the type they gave when "
                        "registering; counts without registration are in their own column."))


def without_registration_sheet(rows: list[MeetingRow], types) -> Sheet:
    counted = [row for row in rows if row.without_registration or row.aggregate_by_type]
    codes = sorted({code for row in counted for code in row.aggregate_by_type},
                   key=lambda code: next((i for i, t in enumerate(types) if t.code == code),
                                         len(types)))
    labels = {t.code: t.label() for t in types}

    def untyped(row: MeetingRow) -> int:  # counted, but not given by type
        return max(row.without_registration - sum(row.aggregate_by_type.values()), 0)

    some_untyped = any(untyped(row) for row in counted)
    columns = [_("Date"), _("Meeting"), *gender_columns(), str(TOTAL),
               *(labels.get(code, code) for code in codes)]
    if some_untyped:
        columns.append(str(queries.NOT_GIVEN))
    body = []
    for row in counted:
        body.append([meeting_day(row.meeting), row.meeting.display_title,
                     *_genders(row.aggregate_by_gender), row.without_registration,
                     *(row.aggregate_by_type.get(code, 0) for code in codes),
                     *([untyped(row)] if some_untyped else [])])
    return Sheet("without_registration",
                 _("Counted without registration (no personal records)"),
                 _("Without registration"), columns, body, numeric_from=2, wide=(1,),
                 header_column=1,
                 note=_("Counts recorded where people did not register (for instance from a "
                        "signed sheet). They are kept apart and added to the totals."))


def participation_sheets(board: Dashboard, all_rows: list[MeetingRow]) -> list[Sheet]:
    """Every breakdown of the dashboard, and the per-meeting tables for ``all_rows``."""
    return [
        summary_sheet(board.funnel),
        gender_sheet(board.by_gender),
        type_gender_sheet(board.type_gender),
        meeting_region_sheet(board.by_meeting_region),
        participant_region_sheet(board.by_participant_region),
        meeting_type_sheet(board.by_meeting_type),
        people_sheet(board.people),
        first_time_sheet(board.first_time),
        members_sheet(board.members),
        sensitive_sheet(board.sensitive),
        meetings_gender_sheet(all_rows),
        meetings_type_sheet(all_rows, board.types),
        without_registration_sheet(all_rows, board.types),
    ]
