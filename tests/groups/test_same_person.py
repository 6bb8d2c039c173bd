"""The group page and the reports count the same people: a consulted stakeholder who wrote
two different addresses but is one directory contact is one person in both."""

from __future__ import annotations

from datetime import date

from consult.attendance.models import Attendance
from consult.directory.models import Gender
from consult.events.models import MeetingStatus
from consult.groups.models import Membership
from consult.groups.services import consulted_stakeholders
from consult.registrations.models import Registration
from consult.reports import queries
from consult.reports.queries import ReportFilters
from tests.factories import make_contact, make_group, make_meeting


def attend(db, meeting, email, name, gender, contact=None):
    registration = Registration(meeting_id=meeting.id, email=email, name=name, gender=gender,
                                contact_id=contact.id if contact else None)
    db.session.add(registration)
    db.session.flush()
    db.session.add(Attendance(registration_id=registration.id, meeting_id=meeting.id))


def test_group_pages_and_reports_agree_on_people_and_members(db):
    group = make_group()
    first = make_meeting(group=group, day="2020-02-10", status=MeetingStatus.HELD)
    second = make_meeting(group=group, day="2020-06-10", status=MeetingStatus.HELD)
    ana = make_contact("Ана Стојанова", "ana@example.mk", gender=Gender.FEMALE)
    member = make_contact("Бесим Аслани", "besim@example.mk", gender=Gender.MALE)
    db.session.add(Membership(group_id=group.id, contact_id=member.id,
                              starts_on=date(2020, 3, 1)))
    attend(db, first, "ana@example.mk", "Ана Стојанова", Gender.FEMALE, ana)
    attend(db, second, "ana.stojanova@ngo.example.mk", "Ана Стојанова", Gender.FEMALE, ana)
    # a member from March: consulted in February (by address only), a member in June
    attend(db, first, "besim@example.mk", "Бесим Аслани", Gender.MALE)
    attend(db, second, "besim@example.mk", "Бесим Аслани", Gender.MALE, member)
    db.session.commit()

    page = consulted_stakeholders(group, date(2020, 1, 1), date(2020, 12, 31))
    report = queries.consulted_non_members(ReportFilters(group_id=group.id))
    assert page.people == 2 and page.by_gender["female"] == 1 and page.by_gender["male"] == 1
    assert report.recorded_by_gender["female"] == 1 and report.recorded_by_gender["male"] == 1
    assert page.attendances == 3  # Ana twice, Besim once before he joined
    members = queries.members_consulted(ReportFilters(group_id=group.id))
    assert members.by_kind["member"]["male"] == 1
    assert members.by_kind["non_member"] == {"female": 2, "male": 1, "other": 0,
                                             "undisclosed": 0}
