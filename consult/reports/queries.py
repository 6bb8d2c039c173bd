"""Participation statistics, counted by the database.

Every number here comes from an aggregate query (COUNT … GROUP BY): no function loads
people or attendances into Python to count them, so a report costs the same number of
statements for ten meetings or ten thousand, and its time grows with the database's own
GROUP BY. Python only arranges the few result rows into tables.

What is counted:

* meetings: published or held ones (drafts and cancelled meetings took no place), narrowed
  by ``ReportFilters`` and, for an organizer, by the meetings they manage (``scope``);
* invited: invitations (a person or an organisation);
* registered: registrations that are confirmed, waitlisted or waiting for approval;
* attended: attendance records, counted by the gender, stakeholder type and region
  *snapshotted at registration*; plus the counts recorded without personal records
  (``AggregateAttendance``), always kept in their own column and added to totals;
* a person: the registration's contact, else its lower-cased e-mail address.

Dates: a period covers the meetings whose local date (the day they start on where they take
place, ``Meeting.local_date``) falls from its first to its last day; membership is judged on
that same date.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from consult.attendance.models import AggregateAttendance, Attendance
from consult.directory.models import Gender, StakeholderType
from consult.events.models import (
    Document,
    Meeting,
    MeetingFormat,
    MeetingStatus,
    MeetingType,
    Series,
)
from consult.extensions import db
from consult.groups.models import ConclusionsSend, GroupLead, Membership, WorkingGroup
from consult.invitations.models import Invitation
from consult.registrations.models import ACTIVE_STATUSES, Registration, person_key

GENDERS: tuple[str, ...] = tuple(g.value for g in Gender)
# meetings that took (or will take) place; drafts and cancelled meetings are not reported
REPORTED_STATUSES = (MeetingStatus.PUBLISHED, MeetingStatus.HELD)
SENSITIVE_ANSWERS = ("yes", "no", "prefer_not")
SENSITIVE_ANSWER_LABELS = {
    "yes": _l("yes"),
    "no": _l("no"),
    "prefer_not": _l("prefers not to say"),
}
DEFAULT_MIN_COUNT = 5


def zero_by_gender() -> dict[str, int]:
    return dict.fromkeys(GENDERS, 0)


def min_count() -> int:
    """Counts of answers to a sensitive question below this are shown as "< N"."""
    return int(current_app.config.get("REPORT_MIN_COUNT", DEFAULT_MIN_COUNT))


def masked(n: int, minimum: int | None = None) -> int | str:
    """``n`` itself, or "< minimum" when it is smaller (zero included: "nobody" is news too)."""
    minimum = min_count() if minimum is None else minimum
    return n if n >= minimum else f"< {minimum}"


# --- filters ------------------------------------------------------------------------------

@dataclass(frozen=True)
class ReportFilters:
    """Which meetings a report covers. ``None`` means "any"; ``region=""`` means meetings
    without a region. ``scope`` is a SELECT of the meeting ids the reader may see (None:
    all); ``public_only`` leaves out meetings of unpublished series (public records)."""

    date_from: date | None = None
    date_to: date | None = None
    meeting_id: int | None = None
    series_id: int | None = None
    group_id: int | None = None
    meeting_type: MeetingType | None = None
    region: str | None = None
    format: MeetingFormat | None = None
    public_only: bool = False
    scope: Any = field(default=None, compare=False, repr=False)

    @classmethod
    def for_year(cls, year: int, **fields) -> ReportFilters:
        return cls(date_from=date(year, 1, 1), date_to=date(year, 12, 31), **fields)

    def conditions(self) -> list:
        """WHERE conditions on ``Meeting``."""
        conditions = [Meeting.status.in_(REPORTED_STATUSES)]
        if self.date_from is not None:
            conditions.append(Meeting.local_date >= self.date_from)
        if self.date_to is not None:
            conditions.append(Meeting.local_date <= self.date_to)
        if self.meeting_id is not None:
            conditions.append(Meeting.id == self.meeting_id)
        if self.series_id is not None:
            conditions.append(Meeting.series_id == self.series_id)
        if self.group_id is not None:
            conditions.append(Meeting.group_id == self.group_id)
        if self.meeting_type is not None:
            conditions.append(Meeting.type == self.meeting_type)
        if self.region is not None:
            conditions.append(Meeting.region == self.region)
        if self.format is not None:
            conditions.append(Meeting.format == self.format)
        if self.public_only:
            published = sa.select(Series.id).where(Series.published.is_(True)).correlate(None)
            conditions.append(sa.or_(Meeting.series_id.is_(None),
                                     Meeting.series_id.in_(published)))
        if self.scope is not None:
            # never correlated to the enclosing query's meetings: a list of ids of its own
            conditions.append(Meeting.id.in_(self.scope.correlate(None)))
        return conditions


def group_years(group_id: int) -> list[int]:
    """The years (where it met) in which the working group held reported meetings: the
    years a transparency record exists for."""
    year = sa.extract("year", Meeting.local_date)
    return [int(y) for y in db.session.scalars(
        sa.select(year).where(Meeting.group_id == group_id, Meeting.status.in_(REPORTED_STATUSES))
        .distinct().order_by(year))]


def record_years(group) -> list[int]:
    """The years a transparency record can be read for: from the first year the group is
    known to have existed to the last one something is planned in, met or not (a year
    without meetings still had members, leads and documents)."""
    from consult.reports.record import FIRST_YEAR, LAST_YEAR

    first = group_first_year(group)
    if first is None:
        return []
    # a mistyped date (0202 for 2020) must not put centuries of links on the page
    return list(range(max(first, FIRST_YEAR), min(group_last_year(group), LAST_YEAR) + 1))


def group_first_year(group) -> int | None:
    """The first year the working group is known to have existed: established, a lead's or
    a member's term begun, or a meeting held (None when nothing says)."""
    from consult.groups.models import GroupLead, Membership

    starts = db.session.execute(sa.select(*(
        sa.select(sa.func.min(column)).where(*where).scalar_subquery()
        for column, where in (
            (Membership.starts_on, [Membership.group_id == group.id]),
            (GroupLead.starts_on, [GroupLead.group_id == group.id]),
            # a draft's date says nothing yet
            (Meeting.local_date, [Meeting.group_id == group.id,
                                  Meeting.status.in_(REPORTED_STATUSES)]))))).one()
    days = [d for d in (group.established_on, *starts) if d is not None]
    return min(days).year if days else None


def group_last_year(group) -> int:
    """The last year a record can say something for: this year where the group works, or a
    later one a published meeting is planned in."""
    from consult.groups.services import group_today

    planned = db.session.scalar(sa.select(sa.func.max(Meeting.local_date)).where(
        Meeting.group_id == group.id, Meeting.status != MeetingStatus.DRAFT))
    return max(group_today(group).year, planned.year if planned else 0)


def meeting_ids(filters: ReportFilters) -> sa.Select:
    """SELECT of the ids of the meetings a report covers."""
    return sa.select(Meeting.id).where(*filters.conditions()).correlate(None)


def meetings_query(filters: ReportFilters) -> sa.Select:
    return sa.select(Meeting).where(*filters.conditions()).order_by(Meeting.starts_at,
                                                                    Meeting.id)


def _attendances() -> sa.Select:
    """FROM attendances JOIN registrations JOIN meetings: add columns, filters, grouping."""
    return (sa.select()
            .select_from(Attendance)
            .join(Registration, Registration.id == Attendance.registration_id)
            .join(Meeting, Meeting.id == Attendance.meeting_id))


def _gender_sums():
    """The aggregate counts by gender, summed in SQL from the JSON of AggregateAttendance."""
    return [sa.func.coalesce(sa.func.sum(AggregateAttendance.by_gender[g].as_integer()), 0)
            for g in GENDERS]


def _aggregate_total():
    """One AggregateAttendance row's count over every gender (an SQL expression)."""
    return sum(
        sa.func.coalesce(AggregateAttendance.by_gender[g].as_integer(), 0) for g in GENDERS)


def _type_sums(codes: list[str]):
    return [sa.func.coalesce(sa.func.sum(AggregateAttendance.by_type[c].as_integer()), 0)
            for c in codes]


def _aggregates() -> sa.Select:
    return (sa.select().select_from(AggregateAttendance)
            .join(Meeting, Meeting.id == AggregateAttendance.meeting_id))


def _person_parts():
    """The same person as two columns, cheaper to sort and count than one text: the
    contact, else (with no contact) the lower-cased address."""
    return (Registration.contact_id,
            sa.case((Registration.contact_id.is_(None), sa.func.lower(Registration.email))))


def stakeholder_types() -> list[StakeholderType]:
    return list(db.session.scalars(
        sa.select(StakeholderType).order_by(StakeholderType.position, StakeholderType.code)))


# --- invited → registered → attended ------------------------------------------------------

@dataclass
class Funnel:
    meetings: int
    invited: int
    registered: int
    attended: int  # attendance records (registered participants and walk-ins)
    without_registration: int  # counted without personal records

    @property
    def attended_total(self) -> int:
        return self.attended + self.without_registration


def funnel(filters: ReportFilters) -> Funnel:
    """Meetings, invitations, registrations, attendances and counts without registration:
    one statement of five scalar subqueries."""
    ids = meeting_ids(filters)

    def count(column, *where):
        return sa.select(sa.func.count(column)).where(*where).correlate(None).scalar_subquery()

    without = (sa.select(sa.func.coalesce(sa.func.sum(_aggregate_total()), 0))
               .where(AggregateAttendance.meeting_id.in_(ids)).correlate(None)
               .scalar_subquery())
    row = db.session.execute(sa.select(
        count(Meeting.id, Meeting.id.in_(ids)),
        count(Invitation.id, Invitation.meeting_id.in_(ids)),
        count(Registration.id, Registration.meeting_id.in_(ids),
              Registration.status.in_(ACTIVE_STATUSES)),
        count(Attendance.id, Attendance.meeting_id.in_(ids)),
        without,
    )).one()
    return Funnel(*(int(n or 0) for n in row))


# --- attendance by gender -----------------------------------------------------------------

@dataclass
class GenderCounts:
    """Attendance by gender: registered participants and counts without registration."""

    recorded: dict[str, int]
    aggregate: dict[str, int]

    @property
    def total(self) -> dict[str, int]:
        return {g: self.recorded[g] + self.aggregate[g] for g in GENDERS}

    @property
    def recorded_total(self) -> int:
        return sum(self.recorded.values())

    @property
    def aggregate_total(self) -> int:
        return sum(self.aggregate.values())

    @property
    def grand_total(self) -> int:
        return self.recorded_total + self.aggregate_total


def by_gender(filters: ReportFilters) -> GenderCounts:
    recorded = zero_by_gender()
    query = (_attendances().add_columns(Registration.gender, sa.func.count(Attendance.id))
             .where(*filters.conditions()).group_by(Registration.gender))
    for gender, n in db.session.execute(query):
        recorded[gender.value] = n
    sums = db.session.execute(_aggregates().add_columns(*_gender_sums())
                              .where(*filters.conditions())).one()
    return GenderCounts(recorded, dict(zip(GENDERS, (int(n) for n in sums), strict=True)))


# --- stakeholder type × gender ------------------------------------------------------------

class _RowTotals:
    """Totals of a breakdown row: people with a record (by gender), and with the counts
    recorded without registration."""

    by_gender: dict[str, int]
    without_registration: int

    @property
    def recorded(self) -> int:
        return sum(self.by_gender.values())

    @property
    def total(self) -> int:
        return self.recorded + self.without_registration


@dataclass
class TypeRow(_RowTotals):
    type_id: int | None
    code: str
    label: str
    by_gender: dict[str, int]  # registered participants
    without_registration: int = 0


@dataclass
class TypeGender:
    rows: list[TypeRow]  # the types with a count, in the directory's order; "not given" last
    recorded_by_gender: dict[str, int]
    aggregate_by_gender: dict[str, int]

    @property
    def recorded(self) -> int:
        return sum(self.recorded_by_gender.values())

    @property
    def without_registration_by_type(self) -> int:
        return sum(row.without_registration for row in self.rows)

    @property
    def total_by_gender(self) -> dict[str, int]:
        return {g: self.recorded_by_gender[g] + self.aggregate_by_gender[g] for g in GENDERS}


NOT_GIVEN = _l("not given")


def _cells(rows) -> dict[int | None, dict[str, int]]:
    """{type id: {gender: n}} from the (type id, gender, n) rows of a GROUP BY."""
    cells: dict[int | None, dict[str, int]] = {}
    for type_id, gender, n in rows:
        cells.setdefault(type_id, zero_by_gender())[gender.value] = n
    return cells


def _summed(counts) -> dict[str, int]:
    total = zero_by_gender()
    for by_gender in counts:
        for g in GENDERS:
            total[g] += by_gender[g]
    return total


def _type_rows(cells: dict[int | None, dict[str, int]], types: list[StakeholderType],
               without_registration: dict[str, int] | None = None,
               untyped_without_registration: int = 0) -> list[TypeRow]:
    """A row per type with a count, in the directory's order, then "not given" for people
    without a type (or with a type since deleted), and for the counts without registration
    that were not given by type."""
    without_registration = without_registration or {}
    rows = [TypeRow(t.id, t.code, t.label(), cells.get(t.id, zero_by_gender()),
                    without_registration.get(t.code, 0))
            for t in types if t.id in cells or without_registration.get(t.code)]
    known = {t.id for t in types}
    unknown = _summed(counts for type_id, counts in cells.items() if type_id not in known)
    if any(unknown.values()) or untyped_without_registration:
        rows.append(TypeRow(None, "", str(NOT_GIVEN), unknown, untyped_without_registration))
    return rows


def type_gender(filters: ReportFilters,
                types: list[StakeholderType] | None = None) -> TypeGender:
    """Attendance by stakeholder type × gender (one GROUP BY), and the counts without
    registration by type and by gender (one aggregate over the JSON counts)."""
    types = stakeholder_types() if types is None else types
    cells = _cells(db.session.execute(
        _attendances()
        .add_columns(Registration.stakeholder_type_id, Registration.gender, sa.func.count())
        .where(*filters.conditions())
        .group_by(Registration.stakeholder_type_id, Registration.gender)))
    codes = [t.code for t in types]
    sums = [int(n) for n in db.session.execute(
        _aggregates().add_columns(*_gender_sums(), *_type_sums(codes))
        .where(*filters.conditions())).one()]
    aggregate_by_gender = dict(zip(GENDERS, sums[:len(GENDERS)], strict=True))
    aggregate_by_type = dict(zip(codes, sums[len(GENDERS):], strict=True))
    # a count by type may cover only part of those counted (the form allows less, not more):
    # the rest is "not given", so the table adds up to the same total as the gender table
    untyped = sum(aggregate_by_gender.values()) - sum(aggregate_by_type.values())
    return TypeGender(_type_rows(cells, types, aggregate_by_type, max(untyped, 0)),
                      _summed(cells.values()), aggregate_by_gender)


# --- by region, by meeting type -----------------------------------------------------------

@dataclass
class GroupRow(_RowTotals):
    key: str
    label: str
    meetings: int
    by_gender: dict[str, int]  # registered participants
    without_registration: int = 0


def _by_meeting_column(filters: ReportFilters, column, label) -> list[GroupRow]:
    """Meetings, attendance by gender and counts without registration, grouped by a column
    of the meeting: three GROUP BY statements."""
    rows: dict[Any, GroupRow] = {}

    def row(key) -> GroupRow:
        if key not in rows:
            rows[key] = GroupRow(_key(key), label(key), 0, zero_by_gender())
        return rows[key]

    for key, n in db.session.execute(sa.select(column, sa.func.count(Meeting.id))
                                     .where(*filters.conditions()).group_by(column)):
        row(key).meetings = n
    query = (_attendances().add_columns(column, Registration.gender,
                                        sa.func.count(Attendance.id))
             .where(*filters.conditions()).group_by(column, Registration.gender))
    for key, gender, n in db.session.execute(query):
        row(key).by_gender[gender.value] = n
    query = (_aggregates().add_columns(column, sa.func.sum(_aggregate_total()))
             .where(*filters.conditions()).group_by(column))
    for key, n in db.session.execute(query):
        row(key).without_registration = int(n or 0)
    return sorted(rows.values(), key=lambda r: (r.key == "", r.label.casefold()))


def _key(value) -> str:
    return value.value if hasattr(value, "value") else (value or "")


def by_meeting_region(filters: ReportFilters) -> list[GroupRow]:
    return _by_meeting_column(filters, Meeting.region, lambda key: key or str(NOT_GIVEN))


def by_meeting_type(filters: ReportFilters) -> list[GroupRow]:
    from consult.events.models import MEETING_TYPE_LABELS

    rows = _by_meeting_column(filters, Meeting.type, lambda key: str(MEETING_TYPE_LABELS[key]))
    order = [t.value for t in MeetingType]
    return sorted(rows, key=lambda r: order.index(r.key))


def by_participant_region(filters: ReportFilters) -> list[GroupRow]:
    """Attendance by the region participants gave when registering (registered only)."""
    rows: dict[str, GroupRow] = {}
    query = (_attendances().add_columns(Registration.region, Registration.gender,
                                        sa.func.count(Attendance.id))
             .where(*filters.conditions()).group_by(Registration.region, Registration.gender))
    for region, gender, n in db.session.execute(query):
        key = region or ""
        if key not in rows:
            rows[key] = GroupRow(key, key or str(NOT_GIVEN), 0, zero_by_gender())
        rows[key].by_gender[gender.value] += n
    return sorted(rows.values(), key=lambda r: (r.key == "", r.label.casefold()))


# --- people: unique, first-time and returning ---------------------------------------------

@dataclass
class People:
    attendances: int  # attendance records
    people: int  # different people among them
    without_registration: int  # counted without personal records: not identifiable


def people(filters: ReportFilters) -> People:
    contact, address = _person_parts()
    attendances, contacts, addresses = db.session.execute(
        _attendances().add_columns(sa.func.count(Attendance.id),
                                   sa.func.count(sa.distinct(contact)),
                                   sa.func.count(sa.distinct(address)))
        .where(*filters.conditions())).one()
    unique = contacts + addresses
    without = db.session.scalar(_aggregates().add_columns(
        sa.func.coalesce(sa.func.sum(_aggregate_total()), 0)).where(*filters.conditions()))
    return People(attendances, unique, int(without or 0))


@dataclass
class FirstTime:
    first: dict[str, int]  # attendances that were the person's first meeting ever
    returning: dict[str, int]  # attendances of people who had come to an earlier meeting

    @property
    def first_total(self) -> int:
        return sum(self.first.values())

    @property
    def returning_total(self) -> int:
        return sum(self.returning.values())


def first_time(filters: ReportFilters) -> FirstTime:
    """Each attendance in the report is the person's first meeting ever (over every held or
    published meeting, whatever the filters), or a return: a window function numbers each
    person's attendances by the meetings' start."""
    ranked = (_attendances()
              .add_columns(
                  Attendance.meeting_id.label("meeting_id"),
                  Registration.gender.label("gender"),
                  sa.func.row_number().over(partition_by=_person_parts(),
                                            order_by=(Meeting.starts_at, Meeting.id))
                  .label("n"))
              .where(Meeting.status.in_(REPORTED_STATUSES))
              .subquery())
    query = (sa.select(ranked.c.gender,
                       sa.func.sum(sa.case((ranked.c.n == 1, 1), else_=0)),
                       sa.func.sum(sa.case((ranked.c.n > 1, 1), else_=0)))
             .where(ranked.c.meeting_id.in_(meeting_ids(filters)))
             .group_by(ranked.c.gender))
    first, returning = zero_by_gender(), zero_by_gender()
    for gender, n_first, n_returning in db.session.execute(query):
        first[gender.value] = int(n_first or 0)
        returning[gender.value] = int(n_returning or 0)
    return FirstTime(first, returning)


# --- members of the working group and consulted non-members -------------------------------

MEMBER, NON_MEMBER, NO_GROUP = "member", "non_member", "no_group"


def _membership_kind():
    """'member' when the attendee held a seat in the meeting's working group on the
    meeting's (local) date, 'non_member' otherwise; 'no_group' for meetings of no group."""
    from consult.groups.services import seat_held

    return sa.case((Meeting.group_id.is_(None), NO_GROUP),
                   (seat_held(Meeting.group_id, Meeting.local_date), MEMBER),
                   else_=NON_MEMBER)


@dataclass
class MembersConsulted:
    by_kind: dict[str, dict[str, int]]  # member / non_member / no_group → gender → n
    without_registration_group: int  # counted at group meetings: membership not known
    without_registration_other: int

    def total(self, kind: str) -> int:
        return sum(self.by_kind[kind].values())


def members_consulted(filters: ReportFilters) -> MembersConsulted:
    """Attendance at working-group meetings by members (on the meeting's date) and by
    consulted non-members, by gender; attendance at other meetings apart."""
    inner = (_attendances()
             .add_columns(_membership_kind().label("kind"), Registration.gender.label("gender"))
             .where(*filters.conditions()).subquery())
    by_kind = {kind: zero_by_gender() for kind in (MEMBER, NON_MEMBER, NO_GROUP)}
    for kind, gender, n in db.session.execute(
            sa.select(inner.c.kind, inner.c.gender, sa.func.count())
            .group_by(inner.c.kind, inner.c.gender)):
        by_kind[kind][gender.value] = n
    total = _aggregate_total()
    in_group = Meeting.group_id.is_not(None)
    group, other = db.session.execute(_aggregates().add_columns(
        sa.func.coalesce(sa.func.sum(sa.case((in_group, total), else_=0)), 0),
        sa.func.coalesce(sa.func.sum(sa.case((in_group, 0), else_=total)), 0),
    ).where(*filters.conditions())).one()
    return MembersConsulted(by_kind, int(group), int(other))


def consulted_non_members(filters: ReportFilters,
                          types: list[StakeholderType] | None = None) -> TypeGender:
    """The different people who took part in working-group meetings without being members,
    by stakeholder type × gender (a person in two cells when their answers changed)."""
    types = stakeholder_types() if types is None else types
    inner = (_attendances()
             .add_columns(_membership_kind().label("kind"), person_key().label("person"),
                          Registration.stakeholder_type_id.label("type_id"),
                          Registration.gender.label("gender"))
             .where(*filters.conditions(), Meeting.group_id.is_not(None)).subquery())
    cells = _cells(db.session.execute(
        sa.select(inner.c.type_id, inner.c.gender, sa.func.count(sa.distinct(inner.c.person)))
        .where(inner.c.kind == NON_MEMBER).group_by(inner.c.type_id, inner.c.gender)))
    return TypeGender(_type_rows(cells, types), _summed(cells.values()), zero_by_gender())


# --- the sensitive question ---------------------------------------------------------------

@dataclass
class Sensitive:
    asked: int  # meetings in the report that asked a sensitive question
    counts: dict[str, int | str]  # answer → count, or "< N" when below REPORT_MIN_COUNT
    minimum: int


def sensitive_answers(filters: ReportFilters) -> Sensitive:
    """Answers of the people who took part, only in aggregate, small counts hidden. Neither
    the number of people who did not answer nor a total is given: with the attendance
    totals either would let a reader work a hidden count out."""
    asked = db.session.scalar(sa.select(sa.func.count(Meeting.id)).where(
        *filters.conditions(), Meeting.sensitive_question.is_not(None),
        sa.cast(Meeting.sensitive_question, sa.String).not_in(["{}", "null"])))
    raw = dict.fromkeys(SENSITIVE_ANSWERS, 0)
    query = (_attendances().add_columns(Registration.sensitive_answer,
                                        sa.func.count(Attendance.id))
             .where(*filters.conditions(), Registration.sensitive_answer.in_(SENSITIVE_ANSWERS))
             .group_by(Registration.sensitive_answer))
    for answer, n in db.session.execute(query):
        raw[answer] = n
    minimum = min_count()
    return Sensitive(asked or 0, {a: masked(n, minimum) for a, n in raw.items()}, minimum)


# --- per meeting --------------------------------------------------------------------------

@dataclass
class MeetingRow:
    meeting: Meeting
    invited: int = 0
    registered: int = 0
    by_gender: dict[str, int] = field(default_factory=zero_by_gender)  # registered people
    by_type: dict[int | None, int] = field(default_factory=dict)  # registered people
    aggregate_by_gender: dict[str, int] = field(default_factory=zero_by_gender)
    aggregate_by_type: dict[str, int] = field(default_factory=dict)  # by type code

    @property
    def attended(self) -> int:
        return sum(self.by_gender.values())

    @property
    def without_registration(self) -> int:
        return sum(self.aggregate_by_gender.values())

    @property
    def total(self) -> int:
        return self.attended + self.without_registration


def meeting_rows(meetings: list[Meeting] | None, types: list[StakeholderType],
                 filters: ReportFilters | None = None) -> list[MeetingRow]:
    """Invited, registered and attended (by gender and by type) for each meeting: four
    GROUP BY statements whatever the number of meetings. Give the meetings (a page of
    them), or ``None`` and the filters for every meeting of a report."""
    if meetings is None:
        meetings = list(db.session.scalars(meetings_query(filters or ReportFilters())))
    rows = {m.id: MeetingRow(m) for m in meetings}
    if not rows:
        return []
    ids = list(rows)
    for meeting_id, n in db.session.execute(
            sa.select(Invitation.meeting_id, sa.func.count(Invitation.id))
            .where(Invitation.meeting_id.in_(ids)).group_by(Invitation.meeting_id)):
        rows[meeting_id].invited = n
    for meeting_id, n in db.session.execute(
            sa.select(Registration.meeting_id, sa.func.count(Registration.id))
            .where(Registration.meeting_id.in_(ids), Registration.status.in_(ACTIVE_STATUSES))
            .group_by(Registration.meeting_id)):
        rows[meeting_id].registered = n
    query = (sa.select(Attendance.meeting_id, Registration.gender,
                       Registration.stakeholder_type_id, sa.func.count(Attendance.id))
             .join(Registration, Registration.id == Attendance.registration_id)
             .where(Attendance.meeting_id.in_(ids))
             .group_by(Attendance.meeting_id, Registration.gender,
                       Registration.stakeholder_type_id))
    for meeting_id, gender, type_id, n in db.session.execute(query):
        row = rows[meeting_id]
        row.by_gender[gender.value] += n
        row.by_type[type_id] = row.by_type.get(type_id, 0) + n
    codes = [t.code for t in types]
    columns = [sa.func.coalesce(AggregateAttendance.by_gender[g].as_integer(), 0)
               for g in GENDERS]
    columns += [sa.func.coalesce(AggregateAttendance.by_type[c].as_integer(), 0) for c in codes]
    for meeting_id, *counts in db.session.execute(
            sa.select(AggregateAttendance.meeting_id, *columns)
            .where(AggregateAttendance.meeting_id.in_(ids))):
        row = rows[meeting_id]
        row.aggregate_by_gender = dict(zip(GENDERS, (int(n) for n in counts), strict=False))
        row.aggregate_by_type = {c: int(n) for c, n in zip(codes, counts[len(GENDERS):],
                                                           strict=True) if n}
    return [rows[m.id] for m in meetings]


# --- the participation dashboard ----------------------------------------------------------

@dataclass
class Dashboard:
    filters: ReportFilters
    types: list[StakeholderType]
    funnel: Funnel
    by_gender: GenderCounts
    type_gender: TypeGender
    by_meeting_region: list[GroupRow]
    by_participant_region: list[GroupRow]
    by_meeting_type: list[GroupRow]
    people: People
    first_time: FirstTime
    members: MembersConsulted
    sensitive: Sensitive
    meetings: Any  # a page of meetings (flask_sqlalchemy Pagination), its rows below
    meeting_rows: list[MeetingRow]


def dashboard(filters: ReportFilters, page: int = 1, per_page: int = 25) -> Dashboard:
    """Every breakdown of the participation report, and one page of the per-meeting table:
    a fixed number of SQL statements, however many meetings and people there are."""
    types = stakeholder_types()
    pagination = db.paginate(meetings_query(filters), page=page, per_page=per_page,
                             error_out=False)
    return Dashboard(
        filters=filters,
        types=types,
        funnel=funnel(filters),
        by_gender=by_gender(filters),
        type_gender=type_gender(filters, types),
        by_meeting_region=by_meeting_region(filters),
        by_participant_region=by_participant_region(filters),
        by_meeting_type=by_meeting_type(filters),
        people=people(filters),
        first_time=first_time(filters),
        members=members_consulted(filters),
        sensitive=sensitive_answers(filters),
        meetings=pagination,
        meeting_rows=meeting_rows(list(pagination.items), types),
    )


# --- a working group's year (the transparency record) -------------------------------------

def _overlaps_year(year: int, term=Membership):
    """A term (a membership, a lead) that reached into ``year``: open ends reach anywhere."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    return sa.and_(sa.or_(term.starts_on.is_(None), term.starts_on <= last),
                   sa.or_(term.ends_on.is_(None), term.ends_on >= first))


def _member_organisation():
    from consult.directory.models import Contact, Organisation

    represented = sa.orm.aliased(Organisation)
    own = sa.orm.aliased(Organisation)
    name = sa.func.coalesce(represented.name, own.name, "")
    query = (sa.select()
             .select_from(Membership)
             .join(Contact, Contact.id == Membership.contact_id)
             .outerjoin(represented, represented.id == Membership.organisation_id)
             .outerjoin(own, own.id == Contact.organisation_id))
    return query, name, Contact


def _member_type(contact):
    """A member's stakeholder type: that of the organisation they represent in the group;
    without one, that of their own organisation; without any organisation, their own. An
    organisation without a recorded type counts as "not given", never as its member's other
    type."""
    from consult.directory.models import Organisation

    represented = sa.select(Organisation.stakeholder_type_id).where(
        Organisation.id == Membership.organisation_id).scalar_subquery()
    own = sa.select(Organisation.stakeholder_type_id).where(
        Organisation.id == contact.organisation_id).scalar_subquery()
    return sa.case((Membership.organisation_id.is_not(None), represented),
                   (contact.organisation_id.is_not(None), own),
                   else_=contact.stakeholder_type_id)


@dataclass
class OrganisationMembers:
    name: str
    members: int
    type_id: int | None = None


@dataclass
class NamedMember:
    name: str
    organisation: str
    role: Any
    starts_on: date | None
    ends_on: date | None


@dataclass
class Members:
    by_organisation: list[OrganisationMembers]
    by_gender: dict[str, int]  # different people
    named: list[NamedMember]  # only those who agreed to be named publicly
    by_type: dict[int | None, int] = field(default_factory=dict)  # type id: people

    @property
    def total(self) -> int:
        return sum(self.by_gender.values())


def members_in_year(group_id: int, year: int) -> Members:
    """The group's members at any time in ``year``: counted by the organisation they
    represent, and apart by gender (GROUP BY, each person once); named only with consent.

    Organisation and gender are never crossed: where an organisation has one member, the
    cross would tell that person's gender."""
    query, organisation, contact = _member_organisation()
    where = (Membership.group_id == group_id, _overlaps_year(year))
    kind = _member_type(contact)
    organisations = [OrganisationMembers(name, n, type_id) for name, type_id, n in
                     db.session.execute(
        query.add_columns(organisation, sa.func.min(kind),
                          sa.func.count(sa.distinct(Membership.contact_id)))
        .where(*where).group_by(organisation))]
    by_type = dict(db.session.execute(
        query.add_columns(kind, sa.func.count(sa.distinct(Membership.contact_id)))
        .where(*where).group_by(kind)).all())
    totals = zero_by_gender()
    for gender, n in db.session.execute(
            sa.select(contact.gender, sa.func.count(sa.distinct(Membership.contact_id)))
            .select_from(Membership).join(contact, contact.id == Membership.contact_id)
            .where(*where).group_by(contact.gender)):
        totals[gender.value] = n
    named = [NamedMember(*row) for row in db.session.execute(
        query.add_columns(contact.name, organisation, Membership.role, Membership.starts_on,
                          Membership.ends_on)
        .where(*where, Membership.publish_consent.is_(True))
        .order_by(organisation, contact.name))]
    return Members(sorted(organisations, key=lambda r: (r.name == "", r.name.casefold())),
                   totals, named, by_type)


def group_leads(group_id: int, year: int | None = None) -> list[GroupLead]:
    """The group's lead and co-lead institutions, oldest first: the whole history, or those
    whose term reached into ``year``."""
    query = sa.select(GroupLead).where(GroupLead.group_id == group_id)
    if year is not None:
        query = query.where(_overlaps_year(year, GroupLead))
    return list(db.session.scalars(query.order_by(
        GroupLead.starts_on.is_(None).desc(), GroupLead.starts_on, GroupLead.id)))


def public_meeting_documents(meeting_ids_: list[int]) -> dict[int, list[Document]]:
    """The public documents of these meetings (agenda, minutes, materials), by meeting."""
    documents: dict[int, list[Document]] = {i: [] for i in meeting_ids_}
    if not meeting_ids_:
        return documents
    for document in db.session.scalars(
            sa.select(Document).where(Document.meeting_id.in_(meeting_ids_),
                                      Document.public.is_(True))
            .order_by(Document.meeting_id, Document.type, Document.id)):
        documents[document.meeting_id].append(document)
    return documents


GROUP_DOCUMENT_ORDER = ("work_plan", "annual_report", "indicators", "rules_of_procedure",
                        "call_for_members", "methodology", "strategic_response")


def group_documents(group_id: int, year: int) -> list[Document]:
    """The group's own public documents of ``year`` (work plan, annual report, indicators,
    rules, call for members, methodology, strategic responses, others): by their year, or
    by their publication date when they have no year."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    documents = list(db.session.scalars(
        sa.select(Document).where(
            Document.group_id == group_id, Document.meeting_id.is_(None),
            Document.public.is_(True),
            sa.or_(Document.year == year,
                   sa.and_(Document.year.is_(None), Document.published_on >= first,
                           Document.published_on <= last)))
        .order_by(Document.id)))

    def order(document: Document) -> tuple:
        kind = document.type.value
        return (GROUP_DOCUMENT_ORDER.index(kind) if kind in GROUP_DOCUMENT_ORDER
                else len(GROUP_DOCUMENT_ORDER), document.published_on or date.max, document.id)

    return sorted(documents, key=order)


@dataclass
class ConclusionsRow:
    sent_at: datetime
    meeting: Meeting
    document: Document | None  # None when it was removed or is not public
    recipients: int


def conclusions_log(group_id: int, filters: ReportFilters) -> list[ConclusionsRow]:
    """Conclusions and minutes mailed to the members after the group's meetings."""
    rows = db.session.execute(
        sa.select(ConclusionsSend, Meeting, Document)
        .join(Meeting, Meeting.id == ConclusionsSend.meeting_id)
        .outerjoin(Document, Document.id == ConclusionsSend.document_id)
        .where(*filters.conditions(), Meeting.group_id == group_id)
        .order_by(ConclusionsSend.created_at, ConclusionsSend.id))
    return [ConclusionsRow(send.created_at, meeting,
                           document if document is not None and document.public else None,
                           send.recipients)
            for send, meeting, document in rows]


def find_group(slug_or_id: str) -> WorkingGroup | None:
    if slug_or_id.isdigit():
        group = db.session.get(WorkingGroup, int(slug_or_id))
        if group is not None:
            return group
    return db.session.scalar(sa.select(WorkingGroup).where(WorkingGroup.slug == slug_or_id))
