"""A meeting belongs to the day (and month, and report period) where it takes place: 00:30
in Sofia on 1 March is 22:30 UTC on 28 February."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from consult.attendance.models import Attendance
from consult.directory.models import Gender
from consult.events.models import Meeting, MeetingStatus
from consult.groups.models import Membership
from consult.groups.services import group_meetings
from consult.registrations.models import Registration
from consult.reports import queries
from consult.reports.queries import ReportFilters
from tests.factories import make_contact, make_group, make_meeting, make_series


def test_the_local_date_follows_the_start_and_the_zone(db):
    meeting = make_meeting(make_series(), day="2027-03-01", start="00:30", end="02:00")
    assert meeting.starts_at.date() == date(2027, 2, 28)  # in UTC
    assert meeting.local_date == date(2027, 3, 1)
    meeting.timezone = "UTC"
    db.session.commit()
    assert db.session.scalar(sa.select(Meeting.local_date)) == date(2027, 2, 28)


def test_the_month_filter_uses_the_month_where_the_meeting_is(client, db):
    make_meeting(make_series(published=True), day="2027-03-01", start="00:30", end="02:00",
                 status=MeetingStatus.PUBLISHED, title={"bg": "Среща след полунощ"})
    march = client.get("/meetings/?when=all&month=2027-03").get_data(as_text=True)
    february = client.get("/meetings/?when=all&month=2027-02").get_data(as_text=True)
    assert "Среща след полунощ" in march
    assert "Среща след полунощ" not in february


def test_report_periods_and_membership_use_the_local_date(db):
    group = make_group()
    meeting = make_meeting(make_series(), group=group, day="2027-03-01", start="00:30",
                           end="02:00", status=MeetingStatus.HELD)
    marija = make_contact("Марија Николовска", "marija@example.mk", gender=Gender.FEMALE)
    # a member from the meeting's (local) day on: a member at this meeting
    db.session.add(Membership(group_id=group.id, contact_id=marija.id,
                              starts_on=date(2027, 3, 1)))
    registration = Registration(meeting_id=meeting.id, email=marija.email, name=marija.name,
                                gender=Gender.FEMALE, contact_id=marija.id)
    db.session.add(registration)
    db.session.flush()
    db.session.add(Attendance(registration_id=registration.id, meeting_id=meeting.id))
    db.session.commit()

    february = queries.funnel(ReportFilters(date_from=date(2027, 2, 1),
                                            date_to=date(2027, 2, 28)))
    march = queries.funnel(ReportFilters(date_from=date(2027, 3, 1),
                                         date_to=date(2027, 3, 31)))
    assert (february.meetings, march.meetings) == (0, 1)
    assert march.attended == 1
    members = queries.members_consulted(ReportFilters())
    assert members.by_kind["member"]["female"] == 1
    assert members.by_kind["non_member"]["female"] == 0
    assert group_meetings(group, date(2027, 3, 1), date(2027, 3, 1)) == [meeting]
    assert group_meetings(group, date(2027, 2, 28), date(2027, 2, 28)) == []


def test_a_groups_record_years_are_the_years_where_it_met(db):
    group = make_group()
    make_meeting(group=group, day="2021-01-01", start="00:30", end="02:00",
                 status=MeetingStatus.HELD)
    assert queries.group_years(group.id) == [2021]  # 2020-12-31 22:30 in UTC
