"""Organisation pages: list with search, filters and counts; form; archive; detail page."""

from __future__ import annotations

import sqlalchemy as sa

from consult.directory.models import Organisation
from consult.directory.services import OrganisationFilters, organisations_query
from tests.conftest import csrf_token, post_form
from tests.factories import make_contact, make_organisation, make_user

LIST = "/manage/directory/organisations/"


def organizer(auth):
    make_user(email="maria@example.bg")
    auth.login("maria@example.bg")


def names(db, **filters):
    return [o.name for o in db.session.scalars(organisations_query(OrganisationFilters(**filters)))]


def test_latin_search_finds_cyrillic_names_and_filters_narrow(client, auth, db):
    organizer(auth)
    vidin = make_organisation("Община Видин", "municipality", region="Северозападен")
    make_organisation("Областна администрация Видин", "regional_administration",
                      region="Северозападен")
    make_organisation("Община Русе", "municipality", region="Северен централен")
    make_contact("Тодор Иванов", organisation=vidin)
    make_contact("Елена Петрова", organisation=vidin)
    make_contact("Архивиран", organisation=vidin).archived_at = sa.func.now()
    db.session.commit()

    assert names(db, q="obshtina vidin") == ["Община Видин"]
    assert names(db, q="видин") == ["Областна администрация Видин", "Община Видин"]
    assert names(db, type="municipality") == ["Община Видин", "Община Русе"]
    assert names(db, region="Северен централен") == ["Община Русе"]

    page = client.get(LIST + "?q=Vidin&type=municipality&lang=en").get_data(as_text=True)
    assert "1 of 3 organisations" in page
    assert "Община Видин" in page and "Областна администрация" not in page
    # two contacts, the archived one not counted, linked to the filtered contact list
    assert f'href="/manage/directory/?organisation={vidin.id}">2</a>' in page
    everyone = client.get(LIST + "?lang=en").get_data(as_text=True)
    assert "3 of 3 organisations" in everyone
    assert "Северен централен" in everyone  # a region to choose


def test_long_lists_are_paginated_keeping_filters(client, auth, db):
    organizer(auth)
    for n in range(55):
        db.session.add(Organisation(name=f"Читалище {n:02}", search_text=f"читалище chitalishte "
                                                                          f"{n:02}"))
    db.session.commit()
    page = client.get(LIST + "?q=chitalishte&lang=en").get_data(as_text=True)
    assert "55 of 55 organisations" in page
    assert 'rel="next"' in page and "q=chitalishte" in page
    second = client.get(LIST + "?q=chitalishte&page=2").get_data(as_text=True)
    assert "Читалище 54" in second and "Читалище 00" not in second


def test_form_shows_each_problem_next_to_its_field_and_keeps_input(client, auth, db):
    organizer(auth)
    make_organisation("Община Лом")
    response = post_form(client, "/manage/directory/organisations/new?lang=en",
                         {"name": "", "email": "not-an-address", "stakeholder_type": "",
                          "country": "BG", "region": "Северозападен"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="name-error"' in page and 'id="email-error"' in page
    assert 'value="Северозападен"' in page
    # the same name in other capitals is the same organisation for contacts
    response = post_form(client, "/manage/directory/organisations/new?lang=en",
                         {"name": "ОБЩИНА ЛОМ", "email": "", "stakeholder_type": "",
                          "country": ""})
    page = response.get_data(as_text=True)
    assert 'id="name-error"' in page and "already has this name" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)) == 1


def test_organisation_is_created_and_a_rename_reaches_its_contacts_search(client, auth, db):
    organizer(auth)
    form_page = "/manage/directory/organisations/new"
    response = post_form(client, form_page, {
        "name": "Сдружение Ромска памет", "stakeholder_type": "",
        "email": "Office@Pamet.example.bg", "region": "Южен централен", "oblast": "Пловдив",
        "municipality": "Пловдив", "country": "BG"})
    assert response.status_code == 302
    organisation = db.session.scalar(sa.select(Organisation))
    assert response.headers["Location"].endswith(f"/organisations/{organisation.id}")
    assert (organisation.email, organisation.country) == ("office@pamet.example.bg", "BG")
    assert "sdruzhenie" in organisation.search_text
    contact = make_contact("Асен Николов", organisation=organisation)

    civil = db.session.scalar(sa.text("SELECT id FROM stakeholder_types WHERE code = "
                                      "'civil_society'"))
    edit = f"/manage/directory/organisations/{organisation.id}/edit"
    assert 'value="Сдружение Ромска памет"' in client.get(edit).get_data(as_text=True)
    response = post_form(client, edit, {
        "name": "Фондация Ромска памет", "stakeholder_type": str(civil), "email": "",
        "region": "Южен централен", "oblast": "", "municipality": "", "country": "MK"})
    assert response.status_code == 302
    db.session.expire_all()
    assert organisation.stakeholder_type.code == "civil_society"
    assert organisation.country == "MK" and organisation.oblast == ""
    # contacts inherit the type and are found by the organisation's new name
    assert contact.stakeholder_type.code == "civil_society"
    page = client.get("/manage/directory/?q=fondatsiya").get_data(as_text=True)
    assert "Асен Николов" in page
    detail = client.get(f"/manage/directory/organisations/{organisation.id}?lang=en")
    text = detail.get_data(as_text=True)
    assert "North Macedonia" in text and "Civil society organisation" in text


def test_archive_hides_and_restore_brings_back(client, auth, db):
    organizer(auth)
    organisation = make_organisation("Читалище Светлина")
    url = f"/manage/directory/organisations/{organisation.id}/archive"
    detail = f"/manage/directory/organisations/{organisation.id}"
    assert client.post(url, data={}).status_code == 400  # no CSRF token, nothing happens
    response = post_form(client, url, {}, form_page=detail, follow_redirects=True)
    assert "Читалище Светлина is archived" in response.get_data(as_text=True)
    assert "Читалище Светлина" not in client.get(LIST).get_data(as_text=True)
    assert "Читалище Светлина" in client.get(LIST + "?archived=1").get_data(as_text=True)
    db.session.refresh(organisation)
    assert organisation.archived_at is not None
    # a contact typed in with the archived organisation's name is told so
    added = post_form(client, "/manage/directory/contacts/new?lang=en", {
        "name": "Нов Човек", "email": "nov@example.bg", "gender": "male",
        "organisation": "читалище светлина", "stakeholder_type": "", "language": "bg"},
        follow_redirects=True)
    assert "Читалище Светлина is archived: bring it back" in added.get_data(as_text=True)
    post_form(client, url, {}, form_page=detail)
    db.session.refresh(organisation)
    assert organisation.archived_at is None
    assert "Читалище Светлина" in client.get(LIST).get_data(as_text=True)


def test_detail_page_lists_its_contacts_only(client, auth, db):
    organizer(auth)
    lom = make_organisation("Община Лом", "municipality", email="obshtina@lom.example.bg")
    other = make_organisation("Община Вършец")
    make_contact("Мария Георгиева", organisation=lom, position="експерт")
    make_contact("Петър Петров", organisation=other)
    page = client.get(f"/manage/directory/organisations/{lom.id}?lang=en").get_data(as_text=True)
    assert "Мария Георгиева" in page and "експерт" in page
    assert "Петър Петров" not in page
    assert "mailto:obshtina@lom.example.bg" in page
    assert f"/manage/directory/?organisation={lom.id}" in page
    filtered = client.get(f"/manage/directory/?organisation={lom.id}&lang=en")
    text = filtered.get_data(as_text=True)
    assert "Мария Георгиева" in text and "Петър Петров" not in text
    assert "Only the contacts of Община Лом" in text
    assert client.get("/manage/directory/organisations/999999").status_code == 404


def test_contacts_and_organisations_are_linked_by_a_section_nav(client, auth, db):
    organizer(auth)
    contacts = client.get("/manage/directory/?lang=en").get_data(as_text=True)
    assert f'href="{LIST}"' in contacts
    assert 'href="/manage/directory/" aria-current="page">Contacts' in contacts
    organisations = client.get(LIST + "?lang=en").get_data(as_text=True)
    assert f'href="{LIST}" aria-current="page">Organisations' in organisations


def test_viewers_never_see_organisations(client, auth, db):
    organisation = make_organisation()
    make_user("viewer", email="journalist@example.org")
    auth.login("journalist@example.org")
    assert client.get(LIST).status_code == 403
    assert client.get(f"/manage/directory/organisations/{organisation.id}").status_code == 403
    token = csrf_token(client, "/manage/")
    response = client.post(f"/manage/directory/organisations/{organisation.id}/archive",
                           data={"csrf_token": token})
    assert response.status_code == 403
