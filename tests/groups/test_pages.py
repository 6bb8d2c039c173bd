"""The organizer's working-group pages over HTTP, and the public group page."""

from __future__ import annotations

import io
import re
from datetime import date

import sqlalchemy as sa

from consult.events.models import Document, DocumentType, MeetingStatus
from consult.groups.models import GroupLead, LeadRole, Membership, MembershipRole, WorkingGroup
from tests.conftest import csrf_token, post_form
from tests.factories import (
    make_contact,
    make_group,
    make_meeting,
    make_member,
    make_organisation,
    make_user,
)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def login_organizer(auth, email="elena@example.mk"):
    user = make_user(email=email, name="Елена Стојановска", locale="en")
    auth.login(email)
    return user


def group_form(**changes):
    data = {"main_language": "mk", "name_mk": "Секторска работна група за интеграција на Ромите",
            "name_en": "Sector Working Group for Roma Integration",
            "mandate_mk": "примена на секторскиот пристап",
            "established_on": "2019-12-06", "timezone": "Europe/Skopje", "public": "y"}
    data.update(changes)
    return data


def test_create_and_edit_a_group(client, auth, db):
    organizer = login_organizer(auth)
    assert "You do not manage any working group yet" in client.get(
        "/manage/groups/").get_data(as_text=True)

    # a new group starts in the organizer's language and its country's time zone
    for language, zone in (("bg", "Europe/Sofia"), ("sq", "Europe/Tirane")):
        organizer.locale = language
        db.session.commit()
        page = client.get("/manage/groups/new").get_data(as_text=True)
        assert f'<option selected value="{language}">' in page
        assert f'<option selected value="{zone}">' in page
    organizer.locale = "en"
    db.session.commit()

    # the name in the main language is missing: said next to the field, the rest is kept
    response = post_form(client, "/manage/groups/new", group_form(name_mk=""))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Please give the name in the main language." in page
    assert 'id="name_mk-error"' in page
    assert 'value="Sector Working Group for Roma Integration"' in page
    assert "примена на секторскиот пристап" in page

    response = post_form(client, "/manage/groups/new", group_form())
    assert response.status_code == 302
    group = db.session.scalar(sa.select(WorkingGroup))
    assert response.headers["Location"] == f"/manage/groups/{group.id}/"
    assert group.slug == "sektorska-rabotna-grupa-za-integratsija-na-romite"
    assert group.established_on == date(2019, 12, 6)
    assert group.timezone == "Europe/Skopje" and group.public
    assert [u.id for u in group.managers] == [organizer.id]  # added themselves

    page = client.get(f"/manage/groups/{group.id}/").get_data(as_text=True)
    assert "Sector Working Group for Roma Integration" in page  # the interface's language
    listing = client.get("/manage/groups/").get_data(as_text=True)
    assert f'href="/manage/groups/{group.id}/"' in listing

    response = post_form(client, f"/manage/groups/{group.id}/edit",
                         group_form(public="", name_en="Roma SWG"))
    assert response.status_code == 302
    db.session.refresh(group)
    assert group.public is False and group.name["en"] == "Roma SWG"


def test_lead_history_passes_from_one_ministry_to_another(client, auth, db):
    organizer = login_organizer(auth)
    group = make_group(managers=[organizer], timezone="Europe/Skopje")
    url = f"/manage/groups/{group.id}/leads/new"

    response = post_form(client, url, {"role": "lead", "starts_on": ""})
    page = response.get_data(as_text=True)
    assert "Give the institution's name in at least one language." in page
    assert "Please fill in this field." in page

    assert post_form(client, url, {
        "institution_mk": "Министерство за труд и социјална политика",
        "institution_en": "Ministry of Labour and Social Policy",
        "role": "lead", "starts_on": "2019-12-06", "hand_over": "y"}).status_code == 302
    assert post_form(client, url, {
        "institution_mk": "Кабинет на министерот без ресор",
        "role": "lead", "starts_on": "2020-01-01", "hand_over": "y"}).status_code == 302
    assert post_form(client, url, {
        "institution_mk": "Министерство за труд и социјална политика",
        "role": "co_lead", "starts_on": "2020-01-01", "hand_over": "y"}).status_code == 302
    leads = db.session.scalars(sa.select(GroupLead).order_by(GroupLead.id)).all()
    assert [(lead.role, lead.starts_on, lead.ends_on) for lead in leads] == [
        (LeadRole.LEAD, date(2019, 12, 6), date(2019, 12, 31)),
        (LeadRole.LEAD, date(2020, 1, 1), None),
        (LeadRole.CO_LEAD, date(2020, 1, 1), None),
    ]

    # edit, end, remove (after a confirmation page)
    first, second, co_lead = leads
    second_id, co_lead_id = second.id, co_lead.id
    response = post_form(client, f"/manage/groups/leads/{first.id}/edit", {
        "institution_mk": "Министерство за труд и социјална политика (МТСП)",
        "role": "lead", "starts_on": "2019-12-06", "ends_on": "2019-11-01"})
    assert "The end cannot be before the start." in response.get_data(as_text=True)
    response = post_form(client, f"/manage/groups/leads/{second.id}/end",
                         {"ends_on": "2021-06-30"})
    assert response.status_code == 302
    # the message gives the date as people write it, not 2021-06-30
    assert "ends on June 30, 2021." in client.get("/manage/groups/?lang=en").get_data(
        as_text=True)
    confirm = client.get(f"/manage/groups/leads/{co_lead.id}/delete")
    assert "end the term instead" in confirm.get_data(as_text=True)
    assert post_form(client, f"/manage/groups/leads/{co_lead.id}/delete", {}).status_code == 302
    db.session.expire_all()
    assert db.session.get(GroupLead, second_id).ends_on == date(2021, 6, 30)
    assert db.session.scalar(sa.select(GroupLead.id).where(GroupLead.id == co_lead_id)) is None

    public = client.get(f"/groups/{group.slug}").get_data(as_text=True)
    assert "Ministry of Labour and Social Policy" in public  # in the visitor's language
    assert "Кабинет на министерот без ресор" in public  # the only language it has
    assert "Dec 6, 2019 – Dec 31, 2019" in public


def test_add_a_member_found_by_a_latin_search(client, auth, db):
    organizer = login_organizer(auth)
    group = make_group(managers=[organizer], timezone="Europe/Skopje")
    ministry = make_organisation("Министерство за образование и наука", "ministry")
    make_organisation("Агенција за вработување", "national_agency")
    snezana = make_contact("Снежана Трајковска", organisation=ministry, gender="female")
    make_contact("Горан Јовановски")

    page = client.get(f"/manage/groups/{group.id}/members/new?q=trajkovska snez").get_data(
        as_text=True)
    assert "Снежана Трајковска" in page
    assert "Горан Јовановски" not in page
    choose = f"/manage/groups/{group.id}/members/new?contact={snezana.id}"
    assert f'href="{choose}&amp;q=trajkovska+snez"' in page

    # the contact's organisation is proposed; an unknown one is refused next to the field
    form = client.get(choose).get_data(as_text=True)
    assert 'value="Министерство за образование и наука"' in form
    response = post_form(client, choose, {"role": "chair", "organisation": "Непостоечко",
                                          "starts_on": "2019-12-06", "publish_consent": "y"})
    page = response.get_data(as_text=True)
    assert "The directory has no organisation of this name." in page
    assert 'value="Непостоечко"' in page and 'value="2019-12-06"' in page

    response = post_form(client, choose, {"role": "chair",
                                          "organisation": "агенција за вработување",
                                          "starts_on": "2019-12-06", "publish_consent": "y"})
    assert response.status_code == 302
    membership = db.session.scalar(sa.select(Membership))
    assert membership.role is MembershipRole.CHAIR
    assert membership.organisation.name == "Агенција за вработување"
    assert membership.publish_consent and membership.starts_on == date(2019, 12, 6)

    # a second, overlapping seat of the same person is refused
    response = post_form(client, choose, {"role": "member", "starts_on": "2020-01-01"})
    assert "already has a seat in the group" in response.get_data(as_text=True)

    page = client.get(f"/manage/groups/{group.id}/?on=2020-11-16").get_data(as_text=True)
    assert "Снежана Трајковска" in page
    assert "Members on November 16, 2020" in page

    # the search marks people who are members already
    page = client.get(f"/manage/groups/{group.id}/members/new?q=Снежана").get_data(as_text=True)
    assert "member now" in page

    # end, then the day after she is no longer counted; edit keeps the rest
    response = post_form(client, f"/manage/groups/memberships/{membership.id}/end",
                         {"ends_on": "2020-06-30"})
    assert response.status_code == 302
    page = client.get(f"/manage/groups/{group.id}/?on=2020-07-01").get_data(as_text=True)
    assert "Nobody was a member of the group on this day." in page
    page = client.get(f"/manage/groups/{group.id}/?all=1").get_data(as_text=True)
    assert "Снежана Трајковска" in page
    response = post_form(client, f"/manage/groups/memberships/{membership.id}/edit", {
        "role": "observer", "organisation": "", "starts_on": "2019-12-06",
        "ends_on": "2020-06-30"})
    assert response.status_code == 302
    db.session.refresh(membership)
    assert membership.role is MembershipRole.OBSERVER and membership.organisation is None
    assert membership.publish_consent is False

    assert "end the membership instead" in client.get(
        f"/manage/groups/memberships/{membership.id}/delete").get_data(as_text=True)
    post_form(client, f"/manage/groups/memberships/{membership.id}/delete", {})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Membership)) == 0


def test_counts_on_the_group_page_show_every_gender(client, auth, db):
    organizer = login_organizer(auth)
    group = make_group(managers=[organizer], timezone="Europe/Skopje")
    ngo = make_organisation("Здружение „Иднина за сите“", "civil_society")
    make_member(group, make_contact("Сабина Рамадан", gender="female"), ngo)
    make_member(group, make_contact("Даниел Асанов", gender="male"), ngo)
    page = client.get(f"/manage/groups/{group.id}/").get_data(as_text=True)
    counts = re.search(r"Members by gender</caption>.*?</table>", page, re.S).group(0)
    for label in ("woman", "man", "other", "not disclosed", "Total"):
        assert f">{label}</th>" in counts
    assert re.findall(r'<td class="number">(\d+)</td>', counts) == ["1", "1", "0", "0", "2"]
    assert "Civil society organisation" in page
    # a wrong date is said next to the field, and today is shown
    page = client.get(f"/manage/groups/{group.id}/?on=2020-13-45").get_data(as_text=True)
    assert "Not a valid date value." in page


def test_group_documents_with_a_call_for_members(client, auth, db):
    organizer = login_organizer(auth)
    group = make_group(managers=[organizer], timezone="Europe/Skopje")
    url = f"/manage/groups/{group.id}/documents/new"

    response = post_form(client, url, {"type": "call_for_members", "title": "Јавен повик",
                                       "language": "mk", "year": "2019", "public": "y"})
    page = response.get_data(as_text=True)
    assert "Give the link where the call was published." in page
    assert "Give the date the call was published." in page
    assert 'value="Јавен повик"' in page

    assert post_form(client, url, {
        "type": "call_for_members", "title": "Јавен повик за членство", "language": "mk",
        "year": "2019", "public": "y", "url": "https://example.org/povik",
        "published_on": "2019-11-04"}).status_code == 302
    assert post_form(client, url, {
        "type": "work_plan", "title": "Програма за работа за 2020", "year": "2020",
        "language": "mk", "url": "https://example.org/plan.pdf"}).status_code == 302  # internal
    # a file sent with a form that needs correcting: the page says to choose it again
    token = csrf_token(client, url)
    response = client.post(url + "?lang=en", data={
        "csrf_token": token, "type": "rules_of_procedure", "title": "", "year": "2019",
        "language": "mk", "public": "y", "file": (io.BytesIO(PDF), "Деловник.pdf")},
        content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Choose “Деловник.pdf” again: a browser does not keep a chosen file" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Document)) == 2
    response = client.post(url, data={
        "csrf_token": token, "type": "rules_of_procedure", "title": "Деловник", "year": "2019",
        "language": "mk", "public": "y", "file": (io.BytesIO(PDF), "Деловник.pdf")},
        content_type="multipart/form-data")
    assert response.status_code == 302

    call = db.session.scalar(sa.select(Document).where(
        Document.type == DocumentType.CALL_FOR_MEMBERS))
    assert call.group_id == group.id and call.published_on == date(2019, 11, 4)
    page = client.get(f"/manage/groups/{group.id}/").get_data(as_text=True)
    documents = page[page.index('id="documents"'):]
    assert documents.index("<h3>2020</h3>") < documents.index("<h3>2019</h3>")
    assert "Published on Nov 4, 2019" in documents

    # anyone sees the public ones, by year; the internal work plan only its managers
    auth.logout()
    public = client.get(f"/groups/{group.slug}").get_data(as_text=True)
    assert "Јавен повик за членство" in public and "Published on Nov 4, 2019" in public
    assert "Деловник" in public and "Програма за работа" not in public
    rules = db.session.scalar(sa.select(Document).where(Document.type == DocumentType.RULES))
    assert client.get(f"/documents/{rules.id}/x.pdf").data == PDF

    # removing asks first
    auth.login("elena@example.mk")
    confirm = client.get(f"/manage/documents/{call.id}/delete")
    assert confirm.status_code == 200 and "Јавен повик за членство" in confirm.get_data(
        as_text=True)
    response = post_form(client, f"/manage/documents/{call.id}/delete", {})
    assert response.headers["Location"] == f"/manage/groups/{group.id}/#documents"
    assert db.session.scalar(sa.select(Document.id).where(Document.id == call.id)) is None


def test_another_organizer_gets_403_and_viewers_read_only(client, auth, db):
    owner = make_user(email="owner@example.mk")
    group = make_group(managers=[owner], public=False)
    contact = make_contact("Ана Костовска")
    membership = make_member(group, contact, publish_consent=False)
    lead = GroupLead(group_id=group.id, institution={"mk": "Министерство"},
                     role=LeadRole.LEAD, starts_on=date(2020, 1, 1))
    meeting = make_meeting(group=group)
    db.session.add(lead)
    db.session.commit()
    urls = [f"/manage/groups/{group.id}/", f"/manage/groups/{group.id}/edit",
            f"/manage/groups/{group.id}/leads/new", f"/manage/groups/leads/{lead.id}/edit",
            f"/manage/groups/leads/{lead.id}/end", f"/manage/groups/leads/{lead.id}/delete",
            f"/manage/groups/{group.id}/members/new?q=ana",
            f"/manage/groups/{group.id}/members/new?contact={contact.id}",
            f"/manage/groups/memberships/{membership.id}/edit",
            f"/manage/groups/memberships/{membership.id}/end",
            f"/manage/groups/memberships/{membership.id}/delete",
            f"/manage/groups/{group.id}/documents/new",
            f"/manage/meetings/{meeting.id}/conclusions",
            f"/manage/meetings/new?group={group.id}"]

    make_user(email="intruder@example.mk")
    auth.login("intruder@example.mk")
    token = csrf_token(client, "/manage/")
    for url in urls:
        assert client.get(url).status_code == 403, url
        if not url.endswith("/") and "?" not in url:
            assert client.post(url, data={"csrf_token": token}).status_code == 403, url
    assert "Ана Костовска" not in client.get("/manage/groups/").get_data(as_text=True)
    # an internal group has no public page for them either
    assert client.get(f"/groups/{group.slug}").status_code == 404
    auth.logout()
    assert client.get(f"/groups/{group.slug}").status_code == 404

    # a viewer reads the group page, without the names of members who did not consent,
    # and changes nothing
    make_user("viewer", email="viewer@example.mk")
    auth.login("viewer@example.mk")
    page = client.get(f"/manage/groups/{group.id}/")
    assert page.status_code == 200
    assert "Ана Костовска" not in page.get_data(as_text=True)
    assert "name not published" in page.get_data(as_text=True)
    token = csrf_token(client, "/manage/")
    for url in urls[1:]:
        if "?" not in url:
            assert client.post(url, data={"csrf_token": token}).status_code == 403, url
    assert client.get(f"/manage/groups/{group.id}/members/new?q=ana").status_code == 403
    assert db.session.get(Membership, membership.id) is not None

    # the manager sees the internal group's page
    auth.logout()
    auth.login("owner@example.mk")
    assert client.get(f"/groups/{group.slug}").status_code == 200


def test_public_page_names_only_members_who_agreed(client, db):
    group = make_group(timezone="Europe/Skopje", slug="mk-roma-swg",
                       name={"mk": "Секторска работна група", "en": "Sector Working Group"},
                       mandate={"en": "apply the sector approach"})
    ministry = make_organisation("Министерство за труд и социјална политика", "ministry")
    ngo = make_organisation("Здружение „Мост меѓу заедниците“", "civil_society")
    make_member(group, make_contact("Снежана Трајковска", gender="female"), ministry,
                publish_consent=True, starts_on=date(2019, 12, 6))
    make_member(group, make_contact("Горан Јовановски", gender="male"), ministry,
                starts_on=date(2019, 12, 6))
    make_member(group, make_contact("Фатима Исмаиловска", gender="female"), ngo,
                publish_consent=True)
    make_member(group, make_contact("Ели Јашари", gender="undisclosed"), ngo)
    # a former member, named while she was one, is not on today's list
    make_member(group, make_contact("Билјана Митревска", gender="female"), ministry,
                publish_consent=True, ends_on=date(2020, 6, 30))
    make_meeting(group=group, day="2019-12-06", zone="Europe/Skopje",
                 status=MeetingStatus.HELD, type="plenary",
                 title={"mk": "Прв работен состанок", "en": "First working meeting"})
    make_meeting(group=group, day="2020-11-19", zone="Europe/Skopje",
                 status=MeetingStatus.HELD, type="technical",
                 title={"en": "Technical meeting on the inclusion of Roma"})
    make_meeting(group=group, day="2021-03-01", zone="Europe/Skopje",
                 title={"en": "A draft nobody may see"})

    response = client.get("/groups/mk-roma-swg?lang=en")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Sector Working Group" in page and "apply the sector approach" in page
    assert "Снежана Трајковска" in page and "Фатима Исмаиловска" in page
    for hidden in ("Горан Јовановски", "Ели Јашари", "Билјана Митревска"):
        assert hidden not in page
    counts = re.search(r"Members by gender</caption>.*?</table>", page, re.S).group(0)
    assert re.findall(r'<td class="number">(\d+)</td>', counts) == ["2", "1", "0", "1", "4"]
    # and by the stakeholder type of the organisation they represent
    by_type = re.search(r"Members by stakeholder type of the organisation they represent"
                        r"</caption>.*?</table>", page, re.S).group(0)
    cells = [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(
        r"<t[hd][^>]*>(.*?)</t[hd]>", by_type.split("</thead>")[-1], re.S)]
    assert cells[:4] == ["Ministry", "2", "Civil society organisation", "2"]
    assert "Министерство за труд и социјална политика" in page
    assert page.index("plenary meeting") < page.index("First working meeting")
    assert page.index("technical meeting") < page.index("Technical meeting on the inclusion")
    assert "A draft nobody may see" not in page
    assert client.get("/groups/no-such-group").status_code == 404
    # the home page links the group
    assert 'href="/groups/mk-roma-swg"' in client.get("/").get_data(as_text=True)
