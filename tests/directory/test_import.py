"""Importing the Bulgarian stakeholder list as spreadsheet programs save it."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import sqlalchemy as sa
from openpyxl import Workbook

from consult.directory.models import Contact, Gender, Organisation
from tests.conftest import csrf_token, post_form
from tests.factories import make_user

DATA = Path(__file__).parent / "data" / "bg-stakeholders.csv"


def count(db, model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def upload(client, data: bytes, filename: str, **options):
    token = csrf_token(client, "/manage/directory/import")
    form = {"csrf_token": token, "on_existing": "update", "file": (io.BytesIO(data), filename)}
    form.update(options)
    response = client.post("/manage/directory/import", data=form,
                           content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return response.headers["Location"]


def confirm(client, review_url):
    page = client.get(review_url).get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    return client.post(review_url, data={"csrf_token": token, "action": "import"})


def organizer(auth):
    make_user(email="maria@example.bg")
    auth.login("maria@example.bg")


def test_preview_shows_every_rejected_row_and_writes_nothing(client, auth, db):
    organizer(auth)
    review = upload(client, DATA.read_bytes(), "bg-stakeholders.csv")
    page = client.get(review + "&lang=en").get_data(as_text=True)
    assert "UTF-8" in page
    assert "New contacts: 234" in page
    assert "Rejected: 5" in page
    assert "The e-mail address is missing (a contact without one needs a phone number)." in page
    assert "is not a valid e-mail address" in page
    assert "The same e-mail address as line 2." in page
    assert "The name is missing." in page
    assert "Unknown gender “xyz”." in page
    assert count(db, Contact) == 0


def test_confirmed_import_writes_contacts_with_normalised_genders(client, auth, db):
    organizer(auth)
    review = upload(client, DATA.read_bytes(), "bg-stakeholders.csv")
    # the new contacts can be looked at before importing: the first 200 of 234
    page = client.get(review + "&lang=en").get_data(as_text=True)
    listed = page[page.index("New contacts (234)"):page.index("</details>")]
    assert "The first 200 of 234 are listed." in listed
    assert listed.count("<tr><td>") == 200
    assert "nadezhda.marinova@oa-vidin.example.bg" in listed
    assert "Областна администрация Видин" in listed
    response = confirm(client, review)
    assert response.status_code == 302
    assert count(db, Contact) == 234
    nadezhda = db.session.scalar(sa.select(Contact).where(
        Contact.email == "nadezhda.marinova@oa-vidin.example.bg"))
    assert nadezhda.gender is Gender.FEMALE  # "Ж"
    assert nadezhda.organisation.name == "Областна администрация Видин"
    assert nadezhda.stakeholder_type.code == "regional_administration"
    todor = db.session.scalar(sa.select(Contact).where(
        Contact.email == "todor.ivanov@obshtina-vidin.example.bg"))
    assert todor.gender is Gender.MALE  # "мъж"
    assert count(db, Organisation) > 50
    # the same file again: nothing new, nothing changed
    again = upload(client, DATA.read_bytes(), "bg-stakeholders.csv")
    page = client.get(again + "&lang=en").get_data(as_text=True)
    assert "New contacts: 0" in page and "Updated: 0" in page


def test_unknown_gender_can_be_recorded_as_undisclosed(client, auth, db):
    organizer(auth)
    review = upload(client, DATA.read_bytes(), "bg-stakeholders.csv",
                    unknown_gender_as_undisclosed="y")
    page = client.get(review + "&lang=en").get_data(as_text=True)
    assert "Rejected: 4" in page
    assert "recorded as not disclosed" in page
    confirm(client, review)
    unknown = db.session.scalar(sa.select(Contact).where(
        Contact.email == "nepoznat.pol@example.bg"))
    assert unknown.gender is Gender.UNDISCLOSED


def test_windows_cyrillic_with_semicolons_is_detected(client, auth, db):
    organizer(auth)
    text = DATA.read_text(encoding="utf-8").replace(",", ";")
    review = upload(client, text.encode("cp1251"), "excel-export.csv")
    page = client.get(review + "&lang=en").get_data(as_text=True)
    assert "Windows-1251" in page
    assert "separator: semicolon" in page
    assert "New contacts: 234" in page
    confirm(client, review)
    assert db.session.scalar(sa.select(Contact.name).where(
        Contact.email == "todor.hristov@oa-vidin.example.bg")) == "Тодор Христов"


def test_xlsx_workbook_with_bulgarian_headers(client, auth, db):
    organizer(auth)
    book = Workbook()
    sheet = book.active
    sheet.append(["Име", "Имейл", "Пол", "Организация", "Вид", "Регион"])
    sheet.append(["Елена Петрова", "Elena.Petrova@Example.bg", "жена", "Община Белоградчик",
                  "municipality", "Северозападен"])
    sheet.append(["Иван Иванов", "ivan@example.bg", "М", "", "Министерство", ""])
    buffer = io.BytesIO()
    book.save(buffer)
    review = upload(client, buffer.getvalue(), "списък.xlsx")
    page = client.get(review + "&lang=en").get_data(as_text=True)
    assert "New contacts: 2" in page
    assert "File: списък.xlsx (Excel workbook), 2 rows." in page
    confirm(client, review)
    elena = db.session.scalar(sa.select(Contact).where(Contact.email == "elena.petrova@example.bg"))
    assert elena.gender is Gender.FEMALE and elena.region == "Северозападен"
    ivan = db.session.scalar(sa.select(Contact).where(Contact.email == "ivan@example.bg"))
    assert ivan.stakeholder_type.code == "ministry"  # matched by its Bulgarian name


def test_a_workbook_with_a_title_above_its_headers(client, auth, db):
    organizer(auth)
    book = Workbook()
    sheet = book.active
    sheet.append(["Списък на участниците, Видин, 2 ноември 2020"])
    sheet.append([])
    sheet.append(["Име", "Имейл", "Пол"])
    sheet.append(["Елена Петрова", "elena@example.bg", "жена"])
    sheet.append(["Лош Ред", "not-an-address", "мъж"])
    buffer = io.BytesIO()
    book.save(buffer)
    review = upload(client, buffer.getvalue(), "участници.xlsx")
    page = client.get(review + "&lang=en").get_data(as_text=True)
    assert "New contacts: 1" in page and "Rejected: 1" in page
    # lines are numbered as in the file: the bad row is row 5 of the sheet
    assert re.search(r"<tr><td>5</td><td>Лош Ред</td>", page)


def test_existing_contacts_are_matched_case_insensitively(client, auth, db):
    organizer(auth)
    existing = Contact(name="Тодор Христов", email="todor.hristov@oa-vidin.example.bg",
                       position="експерт")
    db.session.add(existing)
    db.session.commit()
    csv_text = "name,email,gender,position\nТодор Христов,TODOR.Hristov@oa-vidin.example.bg,м," \
               "главен експерт\n"
    skip = upload(client, csv_text.encode(), "a.csv", on_existing="skip")
    assert "Left as they are: 1" in client.get(skip + "&lang=en").get_data(as_text=True)
    update = upload(client, csv_text.encode(), "b.csv", on_existing="update")
    page = client.get(update + "&lang=en").get_data(as_text=True)
    assert "Updated: 1" in page and "Position" in page
    confirm(client, update)
    db.session.refresh(existing)
    assert existing.position == "главен експерт"
    assert existing.gender is Gender.MALE
    assert count(db, Contact) == 1


def test_columns_can_be_remapped_in_the_preview(client, auth, db):
    organizer(auth)
    csv_text = "Who,Address,Sex\nЕлена Петрова,elena@example.bg,Ж\n"
    review = upload(client, csv_text.encode(), "odd-headers.csv")
    page = client.get(review + "&lang=en").get_data(as_text=True)
    assert "Rejected: 1" in page  # no name or e-mail column recognised
    remapped = client.get(review + "&map-name=0&map-email=1&map-gender=2&lang=en")
    assert "New contacts: 1" in remapped.get_data(as_text=True)


def test_a_confirmed_import_cannot_be_applied_twice(client, auth, db):
    organizer(auth)
    review = upload(client, "name,email\nА Б,ab@example.bg\nВ Г,vg@example.bg\n".encode(),
                    "x.csv")
    confirm(client, review)
    confirm(client, review)
    assert count(db, Contact) == 2
    # reopened, the page tells what the import did, not a new comparison
    page = client.get(review + "?lang=en").get_data(as_text=True)
    assert ": 2 new contacts, 0 updated." in page and "Rejected:" not in page
    # one is one, in Bulgarian too
    review = upload(client, "name,email\nД Е,de@example.bg\n".encode(), "y.csv")
    confirm(client, review)
    assert ": 1 new contact, 0 updated." in client.get(review + "?lang=en").get_data(
        as_text=True)
    post_form(client, "/language", {"lang": "bg"}, form_page=review)  # the account's setting
    page = client.get(review).get_data(as_text=True)
    assert ": 1 нов контакт, 0 обновени." in page and "separator: comma" not in page
    assert "разделител: запетая, 1 ред." in page


def test_empty_or_unreadable_files_get_a_message(client, auth, db):
    organizer(auth)
    token = csrf_token(client, "/manage/directory/import")
    response = client.post("/manage/directory/import", data={"csrf_token": token,
                                                             "on_existing": "update"})
    assert 'id="file-error"' in response.get_data(as_text=True)
    # refused on the upload page, next to the field, and nothing kept
    from consult.directory.models import ImportBatch

    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01" + bytes(range(256)) * 4
    for data, filename, message in ((b"PK\x03\x04broken", "broken.xlsx", "cannot be read"),
                                    (png, "list.png", "neither a CSV text file"),
                                    (png, "list.csv", "neither a CSV text file")):
        token = csrf_token(client, "/manage/directory/import?lang=en")
        response = client.post("/manage/directory/import", data={
            "csrf_token": token, "on_existing": "update", "file": (io.BytesIO(data), filename)},
            content_type="multipart/form-data")
        page = response.get_data(as_text=True)
        assert response.status_code == 200 and 'id="file-error"' in page
        assert message in page.split('id="file-error"', 1)[1][:400], filename
    assert count(db, ImportBatch) == 0 and count(db, Contact) == 0


def test_unicode_text_from_excel_and_spelled_out_languages(client, auth, db):
    organizer(auth)
    data = ("name\temail\tgender\tlanguage\n"
            "Ана Петрова\tana@example.bg\tж\tБългарски\n"
            "Emina Hoxha\temina@example.al\tf\tShqip\n"
            "Марко Марков\tmarko@example.mk\tм\tклингонски\n").encode("utf-16")
    review = upload(client, data, "list.txt")
    page = client.get(review + "&lang=en" if "?" in review else review + "?lang=en").get_data(
        as_text=True)
    assert "UTF-16" in page
    assert "Unknown language “клингонски”." in page
    confirm(client, review)
    languages = dict(db.session.execute(sa.select(Contact.email, Contact.language)).all())
    assert languages == {"ana@example.bg": "bg", "emina@example.al": "sq"}


def test_values_longer_than_the_directory_holds_are_rejected_with_the_reason(client, auth,
                                                                              db):
    organizer(auth)
    data = ("name,email,position,organisation\n"
            f"{'Я' * 201},long@example.bg,експерт,Община Видин\n"
            f"Ана Петрова,ana@example.bg,{'д' * 201},{'О' * 301}\n"
            "Боян Петров,boyan@example.bg,експерт,Община Видин\n").encode()
    review = upload(client, data, "list.csv")
    page = client.get(review + "&lang=en" if "?" in review else review + "?lang=en").get_data(
        as_text=True)
    assert "Name is longer than 200 characters." in page
    assert "Position is longer than 200 characters." in page
    assert "Organisation is longer than 300 characters." in page
    confirm(client, review)
    assert set(db.session.scalars(sa.select(Contact.email))) == {"boyan@example.bg"}


def test_viewers_never_see_the_directory(client, auth, db):
    make_user("viewer", email="journalist@example.org")
    auth.login("journalist@example.org")
    assert client.get("/manage/directory/").status_code == 403
    assert client.get("/manage/directory/export.csv").status_code == 403


def test_search_finds_cyrillic_from_latin_and_filters(client, auth, db):
    organizer(auth)
    review = upload(client, DATA.read_bytes(), "bg-stakeholders.csv")
    confirm(client, review)
    page = client.get("/manage/directory/?q=todor+hristov&lang=en").get_data(as_text=True)
    assert "Тодор Христов" in page
    assert "Надежда Маринова" not in page
    page = client.get("/manage/directory/?q=Видин&type=municipality").get_data(as_text=True)
    assert "Община Видин" in page and "Областна администрация Видин" not in page
    region = client.get("/manage/directory/?region=Северозападен&lang=en").get_data(
        as_text=True)
    assert 'rel="next"' not in region or "Page 1 of" in region
    everyone = client.get("/manage/directory/?lang=en").get_data(as_text=True)
    assert "234 of 234 contacts" in everyone and 'rel="next"' in everyone
    exported = client.get("/manage/directory/export.csv?type=mediator")
    assert exported.data.startswith("\ufeff".encode())
    lines = exported.data.decode("utf-8-sig").strip().splitlines()
    assert lines[0].startswith("Name,E-mail,Gender")
    from consult.directory.services import ContactFilters, contacts_query

    mediators = db.session.scalars(contacts_query(ContactFilters(type="mediator"))).all()
    assert len(lines) - 1 == len(mediators) > 10
    assert all(",Mediator," in line for line in lines[1:])


def test_contact_form_validates_and_keeps_input(client, auth, db):
    organizer(auth)
    db.session.add(Contact(name="Заета", email="taken@example.bg"))
    db.session.commit()
    response = post_form(client, "/manage/directory/contacts/new",
                         {"name": "Георги Петров", "email": "TAKEN@example.bg",
                          "gender": "male", "organisation": "Община Лом", "language": "bg",
                          "stakeholder_type": ""})
    page = response.get_data(as_text=True)
    assert 'id="email-error"' in page and 'value="Георги Петров"' in page
    response = post_form(client, "/manage/directory/contacts/new",
                         {"name": "Георги Петров", "email": "georgi@example.bg",
                          "gender": "male", "organisation": "Община Лом", "language": "bg",
                          "stakeholder_type": ""})
    assert response.status_code == 302
    georgi = db.session.scalar(sa.select(Contact).where(Contact.email == "georgi@example.bg"))
    assert georgi.organisation.name == "Община Лом"
    assert "georgi" in georgi.search_text


def test_the_directory_export_imports_back_with_its_tags(client, auth, db):
    organizer(auth)
    db.session.add_all([
        Contact(name="Ана Стоянова", email="ana@example.bg", gender=Gender.FEMALE,
                tags=["Медиатори", "Видин"]),
        Contact(name="Бойко Петров", email="boyko@example.bg", gender=Gender.MALE,
                tags=["медиатори"]),
    ])
    db.session.commit()
    exported = client.get("/manage/directory/export.csv").data
    assert "Медиатори, Видин" in exported.decode("utf-8-sig")
    # the same file into an empty directory: the tags come back
    db.session.execute(sa.delete(Contact))
    db.session.add(Contact(name="Анелия Колева", email="anelia@example.bg", tags=["Видин"]))
    db.session.commit()
    confirm(client, upload(client, exported, "contacts.csv"))
    tags = dict(db.session.execute(sa.select(Contact.email, Contact.tags)).all())
    assert tags["ana@example.bg"] == ["Медиатори", "Видин"]
    assert tags["boyko@example.bg"] == ["Медиатори"]  # the spelling the directory uses

    # a later file adds tags, in any case, and never removes any
    csv_text = "name,email,етикети\nАна Стоянова,ana@example.bg,\"видин, Ромски общности\"\n"
    review = upload(client, csv_text.encode(), "more.csv")
    assert "Tags" in client.get(review + "&lang=en").get_data(as_text=True)
    confirm(client, review)
    db.session.expire_all()
    assert db.session.scalar(sa.select(Contact.tags).where(
        Contact.email == "ana@example.bg")) == ["Медиатори", "Видин", "Ромски общности"]


def test_an_export_with_phone_numbers_imports_back_unchanged(client, auth, db):
    """The CSV's apostrophe before "+359…" (so Excel shows it, never runs it) comes off
    again on import: nothing to change, nothing stored with an apostrophe."""
    organizer(auth)
    dash = Organisation(name="-Тире ООД")
    db.session.add(Contact(name="Ана Стоянова", email="ana@example.bg", phone="+359 2 940 1234",
                           position="=експерт", organisation=dash, region="'-Север"))
    db.session.commit()
    exported = client.get("/manage/directory/export.csv").data.decode("utf-8-sig")
    assert "'+359 2 940 1234" in exported and "'-Тире ООД" in exported
    review = upload(client, exported.encode("utf-8-sig"), "contacts.csv")
    page = client.get(review + "&lang=en").get_data(as_text=True)
    assert "Left as they are: 1" in page and "no changes" in page
    confirm(client, review)
    db.session.expire_all()
    contact = db.session.scalar(sa.select(Contact))
    assert (contact.phone, contact.position, contact.organisation.name, contact.region) == (
        "+359 2 940 1234", "=експерт", "-Тире ООД", "'-Север")  # a real apostrophe stays
    assert count(db, Organisation) == 1


def test_a_new_organisation_or_type_is_a_change_the_preview_names(client, auth, db):
    organizer(auth)
    db.session.add(Contact(name="Ана Стоянова", email="ana@example.bg",
                           organisation=Organisation(name="Община Видин")))
    db.session.commit()
    same = "name,email,organisation\nАна Стоянова,ana@example.bg,ОБЩИНА ВИДИН\n"
    page = client.get(upload(client, same.encode(), "a.csv") + "&lang=en").get_data(
        as_text=True)
    assert "no changes" in page
    moved = "name,email,organisation,type\nАна Стоянова,ana@example.bg,Община Лом,municipality\n"
    review = upload(client, moved.encode(), "b.csv")
    page = client.get(review + "&lang=en").get_data(as_text=True)
    assert "Updated: 1" in page and "changes: Organisation, Stakeholder type" in page
    confirm(client, review)
    db.session.expire_all()
    contact = db.session.scalar(sa.select(Contact))
    assert contact.organisation.name == "Община Лом"
    assert contact.stakeholder_type.code == "municipality"


def test_contacts_known_by_phone_only_import_and_are_recognised_again(client, auth, db):
    """A mediator without an e-mail address comes in with a phone number and is the same
    contact on the next import (same name and number, whatever the spacing)."""
    organizer(auth)
    csv_text = ("name,email,phone,position\n"
                "Ахмед Юсеинов,,+359 88 123 4567,здравен медиатор\n"
                "Ахмед Юсеинов,,0888-123-4567,\n"  # another Ахмед, another number
                "Фатме Ахмедова,,,медиатор\n"  # neither address nor phone
                "Ахмед  Юсеинов,,+359881234567,\n")  # the first one again
    review = upload(client, csv_text.encode(), "mediators.csv")
    page = client.get(review + "&lang=en").get_data(as_text=True)
    assert "New contacts: 2" in page and "Rejected: 2" in page
    assert "The e-mail address is missing (a contact without one needs a phone number)." in page
    assert "The same name and phone as line 2." in page
    confirm(client, review)
    assert sorted(db.session.execute(sa.select(Contact.phone, Contact.email)).all()) == [
        ("+359 88 123 4567", None), ("0888-123-4567", None)]
    # the next file: the first mediator is recognised by name and phone, and updated
    again = "name,email,phone,position\nахмед юсеинов,,+359 88 123 45 67,координатор\n"
    review = upload(client, again.encode(), "again.csv")
    page = client.get(review + "&lang=en").get_data(as_text=True)
    assert "New contacts: 0" in page and "Updated: 1" in page
    confirm(client, review)
    db.session.expire_all()
    assert count(db, Contact) == 2
    assert db.session.execute(sa.select(Contact.phone, Contact.position).order_by(
        Contact.id)).all() == [("+359 88 123 45 67", "координатор"), ("0888-123-4567", "")]


def test_a_list_too_long_or_a_workbook_that_unpacks_too_large_is_refused(client, auth, db,
                                                                          monkeypatch):
    from consult.directory import importer
    from consult.directory.models import ImportBatch

    organizer(auth)
    monkeypatch.setattr(importer, "MAX_ROWS", 5)
    rows = [["Име", "Имейл"]] + [[f"Човек {n}", f"p{n}@example.bg"] for n in range(6)]
    book = Workbook()
    for row in rows:
        book.active.append(row)
    workbook = io.BytesIO()
    book.save(workbook)
    # a sheet that packs small and unpacks large, as a "zip bomb" does
    bomb = Workbook()
    bomb.active.append(["Име", "Имейл"])
    bomb.active.append(["x" * 30000, "a@example.bg"])
    packed = io.BytesIO()
    bomb.save(packed)
    assert len(packed.getvalue()) < 10_000
    monkeypatch.setattr(importer, "MAX_UNPACKED_BYTES", 25_000)
    csv_text = "\n".join(",".join(row) for row in rows).encode()
    for data, filename, message in (
            (csv_text, "list.csv", "more than 5 rows"),
            (workbook.getvalue(), "list.xlsx", "more than 5 rows"),
            (packed.getvalue(), "bomb.xlsx", "This workbook unpacks to more than")):
        token = csrf_token(client, "/manage/directory/import?lang=en")
        page = client.post("/manage/directory/import", data={
            "csrf_token": token, "on_existing": "update", "file": (io.BytesIO(data), filename)},
            content_type="multipart/form-data").get_data(as_text=True)
        assert message in page.split('id="file-error"', 1)[1][:400], filename
    assert count(db, ImportBatch) == 0 and count(db, Contact) == 0
    # at the limit, a list is read
    assert len(importer.parse("\n".join(",".join(r) for r in rows[:6]).encode(),
                              "list.csv").rows) == 5


def test_a_workbook_declaring_a_huge_sheet_is_read_as_the_cells_it_has():
    import zipfile

    from consult.directory import importer

    book = Workbook()
    book.active.append(["Име", "Имейл"])
    book.active.append(["Ана", "ana@example.bg"])
    buffer = io.BytesIO()
    book.save(buffer)
    source, out = zipfile.ZipFile(io.BytesIO(buffer.getvalue())), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for member in source.infolist():
            data = source.read(member.filename)
            if member.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<dimension ref="[^"]+"\s*/>',
                              b'<dimension ref="A1:XFD1048576"/>', data)
                assert b"XFD1048576" in data
            archive.writestr(member, data)
    parsed = importer.parse(out.getvalue(), "list.xlsx")
    assert parsed.headers == ["Име", "Имейл"] and parsed.rows == [["Ана", "ana@example.bg"]]


def test_a_quotation_mark_never_closed_is_reported_with_its_line(client, auth, db):
    organizer(auth)
    text = "name,email\nАна,ana@example.bg\n\"Борис,boris@example.bg\n" + "x" * 200_000
    token = csrf_token(client, "/manage/directory/import?lang=en")
    page = client.post("/manage/directory/import", data={
        "csrf_token": token, "on_existing": "update",
        "file": (io.BytesIO(text.encode()), "list.csv")},
        content_type="multipart/form-data").get_data(as_text=True)
    assert "cannot be read (perhaps a quotation mark that is never closed)" in page.split(
        'id="file-error"', 1)[1][:400]


def test_an_export_in_each_language_imports_back_unchanged(client, auth, db):
    """The directory export speaks the organizer's language (column names, genders, types)
    and the importer reads each language's export back as the same contacts."""
    from openpyxl import load_workbook

    from tests.factories import make_contact, make_organisation

    organizer(auth)
    vidin = make_organisation("Община Видин", "municipality")
    make_contact("Ана Стоянова", "ana@example.bg", organisation=vidin, gender=Gender.FEMALE,
                 region="Северозападен", oblast="Видин", tags=["роми"], language="bg")
    make_contact("Бојан Петровски", "bojan@example.mk", type_code="ngo",
                 gender=Gender.UNDISCLOSED, language="mk", phone="+389 2 312 3456")
    make_contact("Arben Hoxha", "arben@example.al", type_code="mediator", gender=Gender.MALE,
                 language="sq")
    before = {c.email: (c.name, c.gender, c.stakeholder_type_id, c.organisation_id, c.oblast,
                        c.language, c.phone, c.tags) for c in db.session.scalars(
                            sa.select(Contact))}
    expected = {"bg": ("Пол", "жена"), "mk": ("Пол", "жена"), "sq": ("Gjinia", "grua"),
                "en": ("Gender", "woman")}
    for language, (gender_header, woman) in expected.items():
        text = client.get(f"/manage/directory/export.csv?lang={language}").data.decode(
            "utf-8-sig")
        header, *rows = list(csv.reader(io.StringIO(text)))
        assert header[2] == gender_header and "gender" not in header, language
        ana = next(row for row in rows if row[1] == "ana@example.bg")
        assert ana[2] == woman, language
        workbook = client.get(f"/manage/directory/export.xlsx?lang={language}").data
        assert next(load_workbook(io.BytesIO(workbook)).active.iter_rows(
            values_only=True))[2] == gender_header
        for data, name in ((text.encode("utf-8-sig"), "contacts.csv"),
                           (workbook, "contacts.xlsx")):
            page = client.get(upload(client, data, name) + "&lang=en").get_data(as_text=True)
            assert "Left as they are: 3" in page, (language, name)
            assert "Rejected: 0" in page and "New contacts: 0" in page, (language, name)
            confirm(client, upload(client, data, name))
            db.session.expire_all()
            assert {c.email: (c.name, c.gender, c.stakeholder_type_id, c.organisation_id,
                              c.oblast, c.language, c.phone, c.tags)
                    for c in db.session.scalars(sa.select(Contact))} == before
