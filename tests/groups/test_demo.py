"""The demo gives the working group its leads, members, documents, attendance and a sent
conclusions mail, and the TEAM2 meetings their participants; loading it twice adds nothing."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from consult.attendance.models import Attendance
from consult.directory.models import Contact
from consult.events.models import Document, Meeting
from consult.groups import services
from consult.groups.models import ConclusionsSend, GroupLead, Membership, WorkingGroup
from consult.mail.models import OutboxMessage, OutboxStatus
from consult.registrations.models import Registration

MODELS = (Contact, Membership, GroupLead, Document, Registration, Attendance, ConclusionsSend,
          OutboxMessage)


def counts(db):
    return {m.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(m))
            for m in MODELS}


def test_demo_loads_twice_without_duplicates_and_gives_members_and_attendance(
        runner, db, client, auth):
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    loaded = counts(db)
    second = runner.invoke(args=["demo", "load"])
    assert second.exit_code == 0, second.output
    assert "Demo already loaded" in second.output
    assert counts(db) == loaded

    group = db.session.scalar(sa.select(WorkingGroup).where(WorkingGroup.slug == "mk-roma-swg"))
    assert [(lead.role.value, lead.starts_on, lead.ends_on) for lead in group.leads] == [
        ("lead", date(2019, 12, 6), date(2019, 12, 31)),
        ("lead", date(2020, 1, 1), None), ("co_lead", date(2020, 1, 1), None)]
    by_gender = services.member_counts_by_gender(group, date(2020, 11, 16))
    assert sum(by_gender.values()) >= 11 and by_gender["female"] and by_gender["male"]
    by_type = services.member_counts_by_type(group, date(2020, 11, 16))
    assert {"ministry", "national_agency", "international_org", "civil_society"} <= set(by_type)
    assert {m.contact.language for m in services.members_on(group, date(2020, 11, 16))} == {
        "mk"}

    # each of the group's three meetings has members present and some absent, and the
    # experts who are not members count as consulted
    for meeting in db.session.scalars(sa.select(Meeting).where(Meeting.group_id == group.id)):
        registered = db.session.scalar(sa.select(sa.func.count()).select_from(Registration)
                                       .where(Registration.meeting_id == meeting.id))
        present = db.session.scalar(sa.select(sa.func.count()).select_from(Attendance)
                                    .where(Attendance.meeting_id == meeting.id))
        assert 0 < present < registered, meeting.uid
    consulted = services.consulted_stakeholders(group, date(2019, 1, 1), date(2020, 12, 31))
    assert consulted.people == 3 and consulted.meetings == 3

    documents = services.group_documents(group, include_internal=False)
    assert {d.year for d in documents} == {2019, 2020} and len(documents) == 7
    call = next(d for d in documents if d.type.value == "call_for_members")
    assert call.url.startswith("https://example.org/") and call.published_on is not None

    send = db.session.scalar(sa.select(ConclusionsSend))
    messages = db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.batch == send.mail_batch)).all()
    assert len(messages) == send.recipients > 0
    assert all(m.status is OutboxStatus.SENT and m.sent_at for m in messages)

    # the TEAM2 meetings that were held have participants, in different numbers
    present = []
    for number in range(1, 8):
        meeting = db.session.scalar(sa.select(Meeting).where(
            Meeting.uid == f"team2-2020-{number}@demo.consult"))
        present.append(db.session.scalar(sa.select(sa.func.count()).select_from(Attendance)
                                         .where(Attendance.meeting_id == meeting.id)))
    assert all(present) and len(set(present)) > 3
    kinds = db.session.scalars(sa.select(Registration.stakeholder_type_id).distinct()).all()
    assert len(set(kinds)) >= 4

    # the log of the sent conclusions, as the group's manager sees it
    auth.login("skopje@demo.consult.example", "consult-demo-2020")
    page = client.get(f"/manage/meetings/{send.meeting_id}/conclusions").get_data(as_text=True)
    assert page.count("status status-sent") == len(messages)
