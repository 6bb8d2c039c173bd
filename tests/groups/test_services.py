"""Members on a day, counted by gender and by type; who was consulted without being a
member; the lead passing from one institution to another."""

from __future__ import annotations

from datetime import date

from consult.groups import services
from consult.groups.models import LeadRole
from tests.factories import (
    make_attendee,
    make_contact,
    make_group,
    make_meeting,
    make_member,
    make_organisation,
)

NOV_16 = date(2020, 11, 16)


def skopje_group():
    return make_group(timezone="Europe/Skopje", slug="mk-swg")


def test_members_on_a_day_by_gender_and_type(db):
    group = skopje_group()
    ministry = make_organisation("Министерство за труд и социјална политика", "ministry")
    ngo = make_organisation("Здружение „Мост“", "civil_society")
    ana = make_contact("Ана Костовска", gender="female", organisation=ministry)
    goran = make_contact("Горан Јовановски", gender="male", organisation=ministry)
    sabina = make_contact("Сабина Рамадан", gender="female", organisation=ngo)
    eli = make_contact("Ели Јашари", gender="undisclosed")
    make_member(group, ana, ministry, starts_on=date(2019, 12, 6))
    make_member(group, goran, ministry, starts_on=date(2019, 12, 6))
    make_member(group, sabina, ngo, starts_on=date(2020, 1, 1), ends_on=date(2020, 12, 31))
    # no organisation represented: counted under the contact's own type (here: none known)
    make_member(group, eli)

    members = services.members_on(group, NOV_16)
    assert [m.contact.name for m in members] == [
        "Ана Костовска", "Горан Јовановски", "Ели Јашари", "Сабина Рамадан"]
    assert services.member_counts_by_gender(group, NOV_16) == {
        "female": 2, "male": 1, "other": 0, "undisclosed": 1}
    assert services.member_counts_by_type(group, NOV_16) == {
        "ministry": 2, "civil_society": 1, None: 1}
    by_organisation = {o.name: o.count for o in
                       services.member_counts_by_organisation(group, NOV_16)}
    assert by_organisation == {"Министерство за труд и социјална политика": 2,
                               "Здружение „Мост“": 1, "": 1}


def test_a_membership_that_ended_before_the_day_is_not_counted(db):
    group = skopje_group()
    health = make_organisation("Министерство за здравство", "ministry")
    biljana = make_contact("Билјана Митревска", gender="female", organisation=health)
    aleksandar = make_contact("Александар Ристов", gender="male", organisation=health)
    make_member(group, biljana, health, starts_on=date(2019, 12, 6), ends_on=date(2020, 6, 30))
    make_member(group, aleksandar, health, starts_on=date(2020, 7, 1))

    # the last day of a membership still counts, the next day no longer
    assert services.member_counts_by_gender(group, date(2020, 6, 30))["female"] == 1
    assert services.member_counts_by_gender(group, date(2020, 6, 30))["male"] == 0
    assert services.member_counts_by_gender(group, NOV_16) == {
        "female": 0, "male": 1, "other": 0, "undisclosed": 0}
    assert [m.contact.name for m in services.members_on(group, NOV_16)] == ["Александар Ристов"]
    assert services.member_counts_by_type(group, NOV_16) == {"ministry": 1}
    # nobody yet before the group began: every gender still answers, with zero
    assert services.member_counts_by_gender(group, date(2019, 1, 1)) == {
        "female": 0, "male": 0, "other": 0, "undisclosed": 0}
    assert services.member_counts_by_type(group, date(2019, 1, 1)) == {}


def test_consulted_stakeholders_exclude_members_and_count_non_members_by_gender(db):
    group = skopje_group()
    ministry = make_organisation("Министерство за образование и наука", "ministry")
    marija = make_contact("Марија Николовска", gender="female", organisation=ministry,
                          email="marija@mon.example.mk")
    zoran = make_contact("Зоран Стојанов", gender="male", organisation=ministry)
    newcomer = make_contact("Наташа Стефановска", gender="female")
    make_member(group, marija, ministry, starts_on=date(2019, 12, 6))
    make_member(group, zoran, ministry, starts_on=date(2019, 12, 6))
    # a member only from December: at the November meetings she was consulted, not a member
    make_member(group, newcomer, starts_on=date(2020, 12, 1))

    plenary = make_meeting(group=group, day="2020-11-16", zone="Europe/Skopje")
    technical = make_meeting(group=group, day="2020-11-19", zone="Europe/Skopje")
    earlier = make_meeting(group=group, day="2019-12-06", zone="Europe/Skopje")
    other_group = make_meeting(group=make_group(), day="2020-11-16", zone="Europe/Skopje")

    make_attendee(plenary, marija)
    # the same member registered by hand, without the directory link: matched by address
    make_attendee(technical, name="Марија Николовска", email="marija@mon.example.mk",
                  gender="female", type_code="ministry")
    make_attendee(plenary, zoran, attended=False)
    make_attendee(plenary, newcomer, type_code="academia")
    expert = dict(name="Весна Ангеловска", email="vesna@example.mk", gender="female",
                  type_code="academia")
    make_attendee(plenary, **expert)
    make_attendee(technical, **expert)  # one person at two meetings
    make_attendee(technical, name="Арбен Шабани", email="arben@example.mk", gender="male",
                  type_code="international_org")
    make_attendee(technical, name="Registered, did not come", email="absent@example.mk",
                  gender="male", attended=False)
    make_attendee(earlier, name="Outside the period", email="early@example.mk", gender="male")
    make_attendee(other_group, name="Another group", email="other@example.mk", gender="other")

    counts = services.consulted_stakeholders(group, date(2020, 1, 1), date(2020, 12, 31))
    assert counts.by_gender == {"female": 2, "male": 1, "other": 0, "undisclosed": 0}
    assert counts.by_type == {"academia": 2, "international_org": 1}
    assert counts.people == 3
    assert counts.attendances == 4
    assert counts.meetings == 2

    # the period is in local dates and inclusive
    only_technical = services.consulted_stakeholders(group, date(2020, 11, 19),
                                                     date(2020, 11, 19))
    assert only_technical.by_gender == {"female": 1, "male": 1, "other": 0, "undisclosed": 0}
    nothing = services.consulted_stakeholders(group, date(2021, 1, 1), date(2021, 12, 31))
    assert nothing.people == 0 and nothing.meetings == 0
    assert nothing.by_gender == {"female": 0, "male": 0, "other": 0, "undisclosed": 0}


def test_the_lead_passes_from_one_ministry_to_another(db):
    group = skopje_group()
    labour = {"mk": "Министерство за труд и социјална политика",
              "en": "Ministry of Labour and Social Policy"}
    cabinet = {"mk": "Кабинет на министерот без ресор", "en": "Cabinet of the Minister"}
    first, ended = services.add_lead(group, labour, LeadRole.LEAD, date(2019, 12, 6))
    assert ended == []
    second, ended = services.add_lead(group, cabinet, LeadRole.LEAD, date(2020, 1, 1),
                                      hand_over=True)
    co_lead, _ = services.add_lead(group, labour, LeadRole.CO_LEAD, date(2020, 1, 1),
                                   hand_over=True)
    db.session.commit()
    assert ended == [first] and first.ends_on == date(2019, 12, 31)
    assert second.ends_on is None and co_lead.ends_on is None
    assert [lead.institution["en"] for lead in services.leads_on(group, date(2019, 12, 10))] \
        == ["Ministry of Labour and Social Policy"]
    assert {(lead.institution["en"], lead.role) for lead in
            services.leads_on(group, NOV_16)} == {
        ("Cabinet of the Minister", LeadRole.LEAD),
        ("Ministry of Labour and Social Policy", LeadRole.CO_LEAD)}


def test_the_group_page_and_the_record_count_a_members_type_alike(db):
    from consult.reports import queries

    group = skopje_group()
    untyped = make_organisation("Мрежа без тип", None)
    ministry = make_organisation("Министерство", "ministry")
    # represents an organisation whose type is not recorded: "not given", not her own type
    make_member(group, make_contact("Ана", type_code="civil_society"), untyped,
                starts_on=date(2020, 1, 1))
    # represents nobody: her own organisation's type before her own
    make_member(group, make_contact("Вера", organisation=ministry, type_code="mediator"),
                starts_on=date(2020, 1, 1))
    assert services.member_counts_by_type(group, NOV_16) == {None: 1, "ministry": 1}
    assert queries.members_in_year(group.id, 2020).by_type == {
        None: 1, ministry.stakeholder_type_id: 1}
