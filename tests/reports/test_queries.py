"""Every cell of every breakdown on the hand-built world of tests/reports/fixture.py."""

from __future__ import annotations

from datetime import date

import pytest
from flask import current_app

from consult.events.models import MeetingFormat, MeetingType
from consult.reports import queries
from consult.reports.queries import ReportFilters
from tests.reports.fixture import build_world, type_id


@pytest.fixture
def world(app, db):
    return build_world()


def g(female=0, male=0, other=0, undisclosed=0):
    return {"female": female, "male": male, "other": other, "undisclosed": undisclosed}


def test_funnel_counts_reported_meetings_only(world):
    funnel = queries.funnel(ReportFilters())
    # m1..m4; the draft m5 and the cancelled m6 are left out
    assert (funnel.meetings, funnel.invited, funnel.registered, funnel.attended,
            funnel.without_registration, funnel.attended_total) == (4, 9, 15, 11, 23, 34)


def test_funnel_of_one_series_and_one_year(world):
    series = queries.funnel(ReportFilters(series_id=world.series.id))
    assert (series.meetings, series.invited, series.registered, series.attended,
            series.without_registration) == (3, 8, 13, 9, 23)
    year = queries.funnel(ReportFilters.for_year(2021))
    assert (year.meetings, year.invited, year.registered, year.attended,
            year.without_registration) == (1, 1, 2, 2, 0)


def test_attendance_by_gender_shows_all_four_and_keeps_counts_apart(world):
    counts = queries.by_gender(ReportFilters())
    assert counts.recorded == g(5, 3, 2, 1)
    assert counts.aggregate == g(12, 9, 0, 2)
    assert counts.total == g(17, 12, 2, 3)
    assert (counts.recorded_total, counts.aggregate_total, counts.grand_total) == (11, 23, 34)
    empty = queries.by_gender(ReportFilters.for_year(2019))
    assert empty.recorded == g() and empty.aggregate == g() and list(empty.total) == [
        "female", "male", "other", "undisclosed"]


def test_stakeholder_type_by_gender(world):
    table = queries.type_gender(ReportFilters())
    rows = {row.code: row for row in table.rows}
    assert [row.code for row in table.rows] == ["ministry", "municipality", "civil_society", ""]
    assert rows["ministry"].by_gender == g(3, 1)
    assert (rows["ministry"].without_registration, rows["ministry"].total) == (0, 4)
    assert rows["municipality"].by_gender == g(0, 2)
    assert (rows["municipality"].without_registration, rows["municipality"].total) == (4, 6)
    assert rows["civil_society"].by_gender == g(2)
    assert (rows["civil_society"].without_registration, rows["civil_society"].total) == (3, 5)
    assert rows[""].by_gender == g(0, 0, 2, 1) and rows[""].type_id is None
    assert rows[""].label == "not given"
    assert table.recorded_by_gender == g(5, 3, 2, 1)
    assert table.aggregate_by_gender == g(12, 9, 0, 2)
    assert table.total_by_gender == g(17, 12, 2, 3)
    # 7 of the 23 counted without registration were given by type; the rest are "not given"
    assert rows[""].without_registration == 16
    assert (table.recorded, table.without_registration_by_type) == (11, 23)


def test_by_meeting_region_participant_region_and_type(world):
    regions = {row.key: row for row in queries.by_meeting_region(ReportFilters())}
    assert list(regions) == ["Видин", "Монтана", ""]
    assert (regions["Видин"].meetings, regions["Видин"].by_gender,
            regions["Видин"].without_registration) == (2, g(3, 2, 1), 0)
    assert (regions["Монтана"].meetings, regions["Монтана"].by_gender,
            regions["Монтана"].without_registration, regions["Монтана"].total) == (
        1, g(1, 0, 1, 1), 23, 26)
    assert (regions[""].meetings, regions[""].by_gender, regions[""].label) == (
        1, g(1, 1), "not given")

    participants = {row.key: row.by_gender for row in
                    queries.by_participant_region(ReportFilters())}
    assert participants == {"Видин": g(1, 1), "Монтана": g(1, 0, 1), "София": g(2),
                            "Скопје": g(0, 1), "": g(1, 1, 1, 1)}

    types = {row.key: row for row in queries.by_meeting_type(ReportFilters())}
    assert list(types) == ["plenary", "technical", "regional_discussion"]
    assert (types["plenary"].meetings, types["plenary"].by_gender) == (2, g(3, 2, 1))
    assert (types["technical"].meetings, types["technical"].by_gender) == (1, g(1, 1))
    assert (types["regional_discussion"].without_registration,
            types["regional_discussion"].total) == (23, 26)


def test_unique_people_versus_attendances(world):
    people = queries.people(ReportFilters())
    # Ана ×3, Борис ×2, Вера ×2, Горан, Димо ×2 (one person whatever the capitals), a guest
    assert (people.attendances, people.people, people.without_registration) == (11, 6, 23)
    series_2020 = queries.people(ReportFilters(series_id=world.series.id))
    assert (series_2020.attendances, series_2020.people) == (9, 6)


def test_first_time_and_returning(world):
    everything = queries.first_time(ReportFilters())
    assert everything.first == g(2, 2, 1, 1)
    assert everything.returning == g(3, 1, 1, 0)
    assert (everything.first_total, everything.returning_total) == (6, 5)
    # in 2021 both Ана and Борис had come before: "first ever", not first in the period
    later = queries.first_time(ReportFilters.for_year(2021))
    assert later.first == g() and later.returning == g(1, 1)
    # Вера "attended" a draft meeting in January: drafts are not meetings that took place
    march = queries.first_time(ReportFilters(date_from=date(2020, 3, 1),
                                             date_to=date(2020, 3, 31)))
    assert march.first == g(2, 1, 1) and march.returning == g()


def test_members_versus_consulted_non_members(world):
    members = queries.members_consulted(ReportFilters())
    # m1: Ана and Борис members, Вера and Димо not; m2: Ана, Горан (member from June);
    # m4 (2021): Ана member, Борис no longer
    assert members.by_kind["member"] == g(3, 2)
    assert members.by_kind["non_member"] == g(1, 1, 1)
    assert members.by_kind["no_group"] == g(1, 0, 1, 1)  # m3 belongs to no group
    assert (members.total("member"), members.total("non_member"),
            members.total("no_group")) == (5, 3, 3)
    assert (members.without_registration_group, members.without_registration_other) == (0, 23)

    consulted = queries.consulted_non_members(ReportFilters.for_year(2020,
                                                                      group_id=world.group.id))
    assert [(row.code, row.by_gender) for row in consulted.rows] == [
        ("civil_society", g(1)), ("", g(0, 0, 1))]
    consulted_2021 = queries.consulted_non_members(
        ReportFilters.for_year(2021, group_id=world.group.id))
    assert [(row.code, row.by_gender) for row in consulted_2021.rows] == [
        ("municipality", g(0, 1))]


def test_sensitive_answers_are_masked_below_the_minimum(world):
    answers = queries.sensitive_answers(ReportFilters())
    assert answers.asked == 1
    assert answers.counts == {"yes": "< 5", "no": "< 5", "prefer_not": "< 5"}
    current_app.config["REPORT_MIN_COUNT"] = 2
    try:
        answers = queries.sensitive_answers(ReportFilters())
    finally:
        current_app.config["REPORT_MIN_COUNT"] = 5
    assert answers.counts == {"yes": 2, "no": "< 2", "prefer_not": "< 2"}
    assert queries.sensitive_answers(ReportFilters.for_year(2021)).asked == 0


def test_masked():
    assert queries.masked(0, 5) == "< 5"
    assert queries.masked(4, 5) == "< 5"
    assert queries.masked(5, 5) == 5


def test_per_meeting_rows(world):
    types = queries.stakeholder_types()
    rows = {row.meeting.id: row for row in queries.meeting_rows(None, types, ReportFilters())}
    m = world.meetings
    assert list(rows) == [m["m1"].id, m["m2"].id, m["m3"].id, m["m4"].id]
    one = rows[m["m1"].id]
    assert (one.invited, one.registered, one.attended, one.total) == (5, 6, 4, 4)
    assert one.by_gender == g(2, 1, 1)
    t = world.types
    assert one.by_type == {t["ministry"]: 1, t["municipality"]: 1, t["civil_society"]: 1,
                           None: 1}
    two = rows[m["m2"].id]
    assert (two.invited, two.registered, two.by_gender, two.by_type) == (
        2, 3, g(1, 1), {t["ministry"]: 2})
    three = rows[m["m3"].id]
    assert (three.invited, three.registered, three.by_gender) == (1, 4, g(1, 0, 1, 1))
    assert three.aggregate_by_gender == g(12, 9, 0, 2)
    assert three.aggregate_by_type == {"municipality": 4, "civil_society": 3}
    assert (three.attended, three.without_registration, three.total) == (3, 23, 26)
    four = rows[m["m4"].id]
    assert (four.invited, four.registered, four.by_gender) == (1, 2, g(1, 1))


def test_filters_by_type_region_format_and_group(world):
    def meetings(**fields):
        return queries.funnel(ReportFilters(**fields)).meetings

    assert meetings(meeting_type=MeetingType.PLENARY) == 2
    assert meetings(region="Видин") == 2
    assert meetings(region="") == 1
    assert meetings(format=MeetingFormat.ONLINE) == 1
    assert meetings(group_id=world.group.id) == 3
    assert meetings(date_from=date(2020, 6, 15), date_to=date(2020, 6, 15)) == 1
    assert meetings(date_to=date(2020, 3, 9)) == 0


def test_scope_keeps_an_organizer_to_their_meetings(world):
    import sqlalchemy as sa

    from consult.events.models import Meeting

    scope = sa.select(Meeting.id).where(Meeting.group_id == world.group.id)
    funnel = queries.funnel(ReportFilters(scope=scope))
    assert (funnel.meetings, funnel.attended) == (3, 8)
    assert queries.by_gender(ReportFilters(scope=scope)).recorded == g(4, 3, 1)


def test_dashboard_puts_it_together(world):
    board = queries.dashboard(ReportFilters(), per_page=2)
    assert board.funnel.attended_total == 34
    assert board.meetings.total == 4 and board.meetings.pages == 2
    assert [row.meeting.id for row in board.meeting_rows] == [
        world.meetings["m1"].id, world.meetings["m2"].id]


def test_members_of_the_group_in_a_year(world):
    members = queries.members_in_year(world.group.id, 2020)
    assert members.by_gender == g(1, 2)
    assert [(row.name, row.members) for row in members.by_organisation] == [
        ("Министерство за труд и социјална политика", 1),
        ("Министерство на труда", 1),
        ("Община Видин", 1),
    ]
    assert [m.name for m in members.named] == ["Горан Стојанов", "Ана Петрова"]
    assert [row.type_id for row in members.by_organisation] == [
        type_id("ministry"), type_id("ministry"), type_id("municipality")]
    assert members.by_type == {type_id("ministry"): 2, type_id("municipality"): 1}
    members_2021 = queries.members_in_year(world.group.id, 2021)
    assert members_2021.by_gender == g(1, 1)


def test_a_member_of_an_untyped_organisation_has_no_type_not_another(world, db):
    """The type counted is the represented organisation's, even when it has none recorded:
    never the member's own organisation's (an NGO here)."""
    from consult.groups.models import Membership
    from tests.factories import make_contact, make_organisation

    untyped = make_organisation("Министерство Х")
    ngo = make_organisation("Сдружение Заедно", type_code="civil_society")
    vesna = make_contact("Весна Ангеловска", "vesna@example.mk", organisation=ngo)
    db.session.add(Membership(group_id=world.group.id, contact_id=vesna.id,
                              organisation_id=untyped.id, starts_on=date(2020, 3, 1)))
    db.session.commit()
    members = queries.members_in_year(world.group.id, 2020)
    assert members.by_type == {type_id("ministry"): 2, type_id("municipality"): 1, None: 1}
    row = next(r for r in members.by_organisation if r.name == "Министерство Х")
    assert row.type_id is None


def test_group_documents_and_conclusions(world):
    documents = queries.group_documents(world.group.id, 2020)
    assert [d.title for d in documents] == ["Работен план 2020", "Јавен повик за членови"]
    log = queries.conclusions_log(world.group.id, ReportFilters.for_year(2020))
    assert [(row.document.title, row.recipients) for row in log] == [
        ("Протокол от срещата", 12)]
    public = queries.public_meeting_documents([world.meetings["m1"].id])
    assert [d.title for d in public[world.meetings["m1"].id]] == [
        "Дневен ред на срещата", "Протокол от срещата", "Презентация на МТСП"]


def test_a_member_who_walked_in_unlinked_counts_as_member(world, db):
    from consult.attendance.models import Attendance
    from consult.directory.models import Gender
    from consult.groups.models import Membership
    from consult.registrations.models import Registration
    from tests.factories import make_contact

    marija = make_contact("Марија Николовска", "marija@example.mk", gender=Gender.FEMALE)
    db.session.add(Membership(group_id=world.group.id, contact_id=marija.id))
    walk_in = Registration(meeting_id=world.meetings["m2"].id, email="marija@example.mk",
                           name="Марија", gender=Gender.FEMALE)  # not linked to the contact
    db.session.add(walk_in)
    db.session.flush()
    db.session.add(Attendance(registration_id=walk_in.id, meeting_id=walk_in.meeting_id))
    db.session.commit()
    members = queries.members_consulted(ReportFilters())
    assert members.by_kind["member"] == g(4, 2)
    assert members.by_kind["non_member"] == g(1, 1, 1)
