"""Contacts: tags, the filters invitation audiences use too, and the exports."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import sqlalchemy as sa
from openpyxl import load_workbook

from consult.db import utcnow
from consult.directory.models import Contact
from consult.directory.services import ContactFilters, contacts_query, parse_tags
from tests.conftest import post_form
from tests.factories import (
    make_contact,
    make_group,
    make_membership,
    make_organisation,
    make_user,
)

NEW = "/manage/directory/contacts/new"


def organizer(auth):
    make_user(email="maria@example.bg")
    auth.login("maria@example.bg")


def found(db, day=None, **filters) -> list[str]:
    query = contacts_query(ContactFilters(**filters), day=day)
    return sorted(c.name for c in db.session.scalars(query))


def contact_form(**values):
    return {"name": "Георги Петров", "email": "", "gender": "male", "organisation": "",
            "stakeholder_type": "", "language": "bg", **values}


# --- tags -------------------------------------------------------------------------------------

def test_parse_tags_strips_and_drops_repeats_whatever_the_case():
    assert parse_tags(" Роми ,здравни   медиатори, роми,, Health ,health,") == [
        "Роми", "здравни медиатори", "Health"]
    assert parse_tags("") == [] and parse_tags(" , ") == []


def test_tags_are_saved_from_the_form_and_shown_back(client, auth, db):
    organizer(auth)
    response = post_form(client, NEW, contact_form(
        email="georgi@example.bg", tags=" Роми, образование ,роми,,TEAM2 "))
    assert response.status_code == 302
    georgi = db.session.scalar(sa.select(Contact).where(Contact.email == "georgi@example.bg"))
    assert georgi.tags == ["Роми", "образование", "TEAM2"]
    page = client.get(f"/manage/directory/contacts/{georgi.id}").get_data(as_text=True)
    assert 'value="Роми, образование, TEAM2"' in page
    listing = client.get("/manage/directory/?lang=en").get_data(as_text=True)
    assert ">образование</a>" in listing and "<th scope=\"col\">Tags</th>" in listing


def test_a_new_tag_takes_the_spelling_already_in_use(client, auth, db):
    organizer(auth)
    make_contact(tags=["Здравни медиатори"])
    post_form(client, NEW, contact_form(email="g@example.bg", tags="здравни МЕДИАТОРИ"))
    georgi = db.session.scalar(sa.select(Contact).where(Contact.email == "g@example.bg"))
    assert georgi.tags == ["Здравни медиатори"]


def test_too_long_or_quoted_tags_are_refused_next_to_the_field(client, auth, db):
    organizer(auth)
    long_tag = "д" * 61
    response = post_form(client, NEW + "?lang=en", contact_form(tags=f"роми, {long_tag}"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="tags-error"' in page
    assert "at most 60 characters" in page
    assert f'value="роми, {long_tag}"' in page
    response = post_form(client, NEW + "?lang=en", contact_form(tags='the "best"'))
    assert 'id="tags-error"' in response.get_data(as_text=True)
    assert post_form(client, NEW, contact_form(tags="д" * 60)).status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Contact)) == 1


def test_tag_filter_matches_whole_tags_only(client, auth, db):
    organizer(auth)
    # no tag in use yet: no empty Tag select
    make_contact("Дора", tags=[])
    assert 'id="tag"' not in client.get("/manage/directory/").get_data(as_text=True)
    make_contact("Ана", tags=["роми", "образование"])
    make_contact("Борис", tags=["роми-младежи"])
    make_contact("Вера", tags=["Roma", "50%_off"])
    make_contact("Галя", tags=["50x off"])
    assert found(db, tag="роми") == ["Ана"]
    assert found(db, tag="роми-младежи") == ["Борис"]
    assert found(db, tag="Roma") == ["Вера"]
    assert found(db, tag="50%_off") == ["Вера"]  # % and _ are not wildcards
    assert found(db, tag="ром") == []
    page = client.get("/manage/directory/?tag=роми&lang=en").get_data(as_text=True)
    assert "1 of 5 contacts" in page and "Ана" in page and "Борис" not in page
    assert '<option value="роми" selected>роми</option>' in page  # every tag in use is offered


# --- filters ----------------------------------------------------------------------------------

def test_group_filter_lists_members_on_the_day(client, auth, db):
    from consult.auth.models import User

    organizer(auth)
    maria = db.session.scalar(sa.select(User).where(User.email == "maria@example.bg"))
    # the members of the groups she manages (another's: tests/test_review_findings.py)
    group = make_group(managers=[maria],
                       name={"en": "Health working group", "mk": "Работна група за здравство"})
    other_group = make_group(name={"en": "Education group"})
    today = date(2021, 3, 1)
    current = make_contact("Ана")
    ended = make_contact("Борис")
    future = make_contact("Вера")
    elsewhere = make_contact("Галя")
    open_ended = make_contact("Дора")
    make_membership(group, current, starts_on=date(2020, 1, 1), ends_on=date(2021, 12, 31))
    make_membership(group, ended, starts_on=date(2019, 1, 1), ends_on=date(2021, 2, 28))
    make_membership(group, future, starts_on=date(2021, 3, 2))
    make_membership(other_group, elsewhere)
    make_membership(group, open_ended)
    assert found(db, day=today, group=str(group.id)) == ["Ана", "Дора"]
    assert found(db, day=today, group=str(other_group.id)) == ["Галя"]
    assert found(db, day=today, group="999999") == []
    assert len(found(db, day=today, group="not-a-number")) == 5  # ignored, not an error

    # over HTTP: today in the group's time zone
    past = date.today() - timedelta(days=1)
    make_membership(group, make_contact("Елена"), ends_on=past)
    page = client.get(f"/manage/directory/?group={group.id}&lang=en").get_data(as_text=True)
    assert "Дора" in page and "Елена" not in page
    assert f'<option value="{group.id}" selected>Health working group</option>' in page


def test_organisation_and_municipality_filters(client, auth, db):
    organizer(auth)
    lom = make_organisation("Община Лом")
    make_contact("Ана", organisation=lom, municipality="Лом")
    make_contact("Борис", municipality="Лом")
    make_contact("Вера", municipality="Ломци")
    assert found(db, organisation=str(lom.id)) == ["Ана"]
    assert found(db, municipality="Лом") == ["Ана", "Борис"]
    assert found(db, organisation=str(lom.id), municipality="Ломци") == []
    page = client.get("/manage/directory/?municipality=Лом&lang=en").get_data(as_text=True)
    assert "2 of 3 contacts" in page


# --- exports ----------------------------------------------------------------------------------

def test_xlsx_export_has_the_csv_columns_and_the_current_filters(client, auth, db):
    organizer(auth)
    lom = make_organisation("Община Лом", "municipality")
    make_contact("Мария Георгиева", "maria.g@lom.example.bg", organisation=lom,
                 region="Северозападен", tags=["роми", "здраве"])
    make_contact('=HYPERLINK("http://evil.example","Иван")', "ivan@example.bg",
                 tags=["роми"], position="\x01\x02=1+1")
    make_contact("Без таг", "bez@example.bg")
    response = client.get("/manage/directory/export.xlsx?tag=роми")
    assert response.status_code == 200
    assert response.mimetype == \
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert 'filename="contacts.xlsx"' in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = [[cell or "" for cell in row] for row in sheet.iter_rows(values_only=True)]
    csv_rows = list(csv.reader(io.StringIO(
        client.get("/manage/directory/export.csv?tag=роми").data.decode("utf-8-sig"))))
    assert rows[0] == csv_rows[0] and rows[0][-1] == "Tags"
    assert len(rows) == 3  # the header and the two tagged contacts
    by_email = {row[1]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    maria = by_email["maria.g@lom.example.bg"]
    assert (maria["Name"], maria["Organisation"], maria["Stakeholder type"], maria["Tags"]) \
        == ("Мария Георгиева", "Община Лом", "Municipality", "роми, здраве")
    ivan = by_email["ivan@example.bg"]
    # text cells, never formulas: no apostrophe needed (the CSV has one, see below)
    assert ivan["Name"] == '=HYPERLINK("http://evil.example","Иван")'
    assert ivan["Position"] == "=1+1"  # control characters gone
    assert {cell.data_type for row in sheet.iter_rows() for cell in row
            if cell.value is not None} == {"s"}
    csv_ivan = next(row for row in csv_rows if row[1] == "ivan@example.bg")
    assert csv_ivan[0].startswith("'=HYPERLINK")


def test_export_links_carry_the_filters(client, auth, db):
    organizer(auth)
    make_contact(tags=["роми"])
    page = client.get("/manage/directory/?tag=x&region=Север").get_data(as_text=True)
    assert "/manage/directory/export.xlsx?" in page and "/manage/directory/export.csv?" in page
    assert "archived=False" not in page
    csv_text = client.get("/manage/directory/export.csv").data.decode("utf-8-sig")
    header, row = csv_text.strip().splitlines()
    assert header.endswith(",Phone,Tags") and row.endswith(",роми")


def test_archived_contacts_are_marked_when_shown(client, auth, db):
    organizer(auth)
    make_contact("Стар Контакт").archived_at = utcnow()
    make_contact("Нов Контакт")
    db.session.commit()
    page = client.get("/manage/directory/?lang=en").get_data(as_text=True)
    assert "Стар Контакт" not in page and "Нов Контакт" in page
    page = client.get("/manage/directory/?archived=1&lang=en").get_data(as_text=True)
    row = page[page.index("Стар Контакт"):][:200]
    assert '<span class="badge">archived</span>' in row


def test_a_contact_page_shows_their_registrations_and_seats(client, auth, db):
    from consult.events.models import MeetingStatus
    from tests.factories import (
        make_attendee,
        make_group,
        make_meeting,
        make_member,
        make_series,
    )

    organizer(auth)
    ana = make_contact("Ана Петрова", email="ana@example.bg")
    page = client.get(f"/manage/directory/contacts/{ana.id}?lang=en").get_data(as_text=True)
    assert "Not registered for any meeting yet." in page
    assert "Not a member of any working group." in page
    from consult.auth.models import User

    maria = db.session.scalar(sa.select(User).where(User.email == "maria@example.bg"))
    series = make_series(managers=[maria], title={"bg": "Консултации 2020"})
    held = make_meeting(series, day="2020-11-02", status=MeetingStatus.HELD,
                        title={"bg": "Среща във Видин"})
    make_attendee(held, contact=ana)
    make_member(make_group(managers=[maria], name={"bg": "Работна група по образование"}),
                ana, starts_on=date(2020, 1, 1))
    # another organizer's series and group: how many, never what
    other = make_user(email="skopje@example.mk")
    elsewhere = make_meeting(make_series(managers=[other]), day="2020-11-03",
                             status=MeetingStatus.HELD, title={"bg": "Среща в Скопие"})
    make_attendee(elsewhere, contact=ana)
    make_member(make_group(managers=[other], name={"bg": "Друга група"}), ana,
                starts_on=date(2020, 1, 1))
    page = client.get(f"/manage/directory/contacts/{ana.id}?lang=en").get_data(as_text=True)
    assert "Среща във Видин" in page and "confirmed · attended" in page
    assert "Работна група по образование" in page and "Jan 1, 2020 – …" in page
    assert "Среща в Скопие" not in page and "Друга група" not in page
    assert "And 1 registration for a meeting you do not manage." in page
    assert "And 1 seat in a working group you do not manage." in page
    # so she cannot erase the person: that reaches the other series' records too
    erase = f"/manage/directory/contacts/{ana.id}/erase"
    assert "Please ask an administrator" in client.get(erase + "?lang=en").get_data(
        as_text=True)
    assert post_form(client, erase, {"reason": "request"},
                     form_page=f"/manage/directory/contacts/{ana.id}").status_code == 403
    # an administrator sees and may erase all of it
    make_user("admin", email="admin@example.bg")
    auth.logout()
    auth.login("admin@example.bg")
    page = client.get(f"/manage/directory/contacts/{ana.id}?lang=en").get_data(as_text=True)
    assert "Среща в Скопие" in page and "Друга група" in page
    assert "do not manage" not in page
    assert post_form(client, erase, {"reason": "request"}).status_code == 302


def test_a_page_past_the_end_shows_the_last_page_not_an_empty_directory(client, auth, db):
    from consult.directory.views import PER_PAGE

    organizer(auth)
    for n in range(PER_PAGE + 1):
        make_contact(f"Контакт {n:03d}", f"c{n}@example.bg")
    db.session.commit()
    page = client.get("/manage/directory/?page=999&lang=en").get_data(as_text=True)
    assert "The directory is empty" not in page
    assert f"Контакт {PER_PAGE:03d}" in page
    assert "Контакт 000" not in page  # the last page, not the first


def test_erasing_is_refused_when_the_address_is_registered_in_another_series(client, auth,
                                                                            db):
    from consult.events.models import MeetingStatus
    from tests.factories import make_attendee, make_meeting, make_series

    organizer(auth)
    ana = make_contact("Ана Петрова", email="ana@example.bg")
    other = make_user(email="skopje@example.mk")
    elsewhere = make_meeting(make_series(managers=[other]), day="2020-11-03",
                             status=MeetingStatus.HELD)
    # her address, not linked to her directory record
    registration = make_attendee(elsewhere, name="Ана П.", email="ana@example.bg")
    registration.contact_id = None
    db.session.commit()
    erase = f"/manage/directory/contacts/{ana.id}/erase"
    assert "Please ask an administrator" in client.get(erase + "?lang=en").get_data(
        as_text=True)
