"""The public transparency record: aggregates and published documents; consenting members'
names only; internal groups not found."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from tests.factories import make_group
from tests.reports.fixture import build_world

URL = "/groups/roma-swg/2020/transparency"
NEVER_SHOWN = (
    "Борис Иванов",  # a member who did not agree to be named
    "Вера Димитрова", "Димо", "Гост", "Иван Колев",  # participants
    "ana@example.bg", "vera@example.bg", "dim@example.bg",
    "Вътрешен списък", "Нацрт годишен извештај",  # internal documents
    "Работен план 2021",  # another year's document
    "Нацрт",  # the draft meeting
    "Пленарна седница 2021",  # a meeting of another year
)


@pytest.fixture
def world(app, db):
    return build_world()


def text_of(html: str) -> str:
    class Text(HTMLParser):
        def __init__(self):
            super().__init__()
            self.parts = []

        def handle_data(self, data):
            self.parts.append(data)

    parser = Text()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def test_the_public_page(client, world):
    response = client.get(URL + "?lang=en")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    text = text_of(html)
    assert "Sector Working Group for Roma Integration" in text
    # the leads of the year: the ministry's lead ended with 2019, so it is in 2019's record
    assert "Кабинет на министерот без ресор" in text
    assert "Dec 6, 2019" not in text
    text_2019 = text_of(client.get("/groups/roma-swg/2019/transparency?lang=en").get_data(
        as_text=True))
    assert re.search(r"Министерство за труд и социјална политика lead institution "
                     r"Dec 6, 2019 Dec 31, 2019", text_2019)
    assert "Кабинет на министерот без ресор" not in text_2019
    # members: counted by organisation and by gender; named only with consent
    assert "Ана Петрова" in text and "Горан Стојанов" in text
    assert re.search(r"People 1 2 0 0 3", text)
    assert re.search(r"Община Видин Municipality 1", text)
    # and by the stakeholder type of the organisation they represent
    assert re.search(r"Members by stakeholder type Stakeholder type Members Ministry 2 "
                     r"Municipality 1 Members by the organisation", text)
    for hidden in NEVER_SHOWN:
        assert hidden not in html, hidden
    # every meeting of the year by type, exact date, format, attendance by gender
    assert re.search(r"Plenary meeting \(1\).*?Mar 10, 2020 Първа среща във Видин in person "
                     r"2 1 1 0 0 4", text)
    assert re.search(r"Technical meeting \(1\).*?Jun 15, 2020 Техническа среща онлайн online "
                     r"1 1 0 0 0 2", text)
    assert "6 attendances at 2 meetings" in text
    # and the group's page leads to the records of the years it met
    group_page = client.get("/groups/roma-swg?lang=en").get_data(as_text=True)
    assert 'href="/groups/roma-swg/2020/transparency"' in group_page
    # the meetings' public documents, linked
    assert 'href="/meetings/' in html
    assert re.search(r'<a href="/documents/\d+/dnevni-red.pdf">Дневен ред на срещата</a>', html)
    assert '<a href="https://example.org/protokol.pdf">Протокол от срещата</a>' in html
    # a document still to come says so; an agenda shows under its meeting
    assert "Презентация на МТСП (presentation, to be published)" in text
    assert re.search(r"Jun 15, 2020 — Техническа среща онлайн Agenda: 10:00 Преглед на "
                     r"индикаторите — Министерство на труда Разни", text)
    # consulted non-members by type and gender (people): Вера (CSO), Димо (no type)
    assert re.search(r"Civil society organisation 1 0 0 0 1", text)
    assert re.search(r"not given 0 0 1 0 1 Total 1 0 1 0 2", text)
    # the group's documents of the year, the call for members with its date
    assert "Работен план 2020" in text
    assert re.search(r"Јавен повик за членови call for members Feb 3, 2020", text)
    # conclusions sent: date, document, recipients
    assert re.search(r"Mar 20, 2020 Първа среща във Видин \(Mar 10, 2020\) "
                     r"Протокол от срещата 12", text)
    assert "style=" not in html and "<script" not in html
    # links to other years and to the documents
    assert 'href="/groups/roma-swg/2021/transparency"' in html
    assert 'href="/groups/roma-swg/2020/transparency.pdf"' in html


def test_internal_groups_and_odd_years_are_not_found(client, db, world):
    make_group(slug="internal-team", public=False)
    assert client.get("/groups/internal-team/2020/transparency").status_code == 404
    assert client.get("/groups/internal-team/2020/transparency.pdf").status_code == 404
    assert client.get("/groups/internal-team/2020/transparency.html").status_code == 404
    assert client.get("/groups/no-such-group/2020/transparency").status_code == 404
    assert client.get("/groups/roma-swg/99999/transparency").status_code == 404
    # before its first lead, member or meeting (Dec 2019) the group did not exist
    assert client.get("/groups/roma-swg/2018/transparency").status_code == 404
    assert client.get("/groups/roma-swg/2019/transparency").status_code == 200
    # nor after this year, unless a meeting is planned then
    from datetime import date

    from consult.events.models import MeetingStatus
    from consult.groups.models import WorkingGroup
    from tests.factories import make_meeting

    this_year = date.today().year
    assert client.get(f"/groups/roma-swg/{this_year}/transparency").status_code == 200
    assert client.get(f"/groups/roma-swg/{this_year + 2}/transparency").status_code == 404
    group = db.session.scalar(sa.select(WorkingGroup).where(WorkingGroup.slug == "roma-swg"))
    make_meeting(group=group, day=f"{this_year + 2}-03-10", status=MeetingStatus.PUBLISHED)
    assert client.get(f"/groups/roma-swg/{this_year + 2}/transparency").status_code == 200


def test_a_year_without_meetings_has_empty_states(client, world):
    response = client.get("/groups/roma-swg/2019/transparency?lang=en")
    assert response.status_code == 200
    text = text_of(response.get_data(as_text=True))
    assert "The group held no meeting in this year." in text
    assert "No document of the group is published for this year." in text
    assert "No conclusions were mailed to the members this year." in text


def test_the_pdf(client, world):
    response = client.get(URL + ".pdf?lang=en")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"] == \
        'attachment; filename="transparency-roma-swg-2020.pdf"; ' \
        "filename*=UTF-8''transparency-roma-swg-2020.pdf"
    reader = PdfReader(io.BytesIO(response.data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    flat = " ".join(text.split())
    assert "Sector Working Group for Roma Integration" in flat
    assert "Ана Петрова" in flat and "Горан Стојанов" in flat
    for hidden in NEVER_SHOWN:
        assert hidden not in flat, hidden
    assert re.search(r"Първа среща във Видин in person 2 1 1 0 0 4", flat)
    assert "Дневен ред на срещата" in flat and "Протокол от срещата" in flat
    assert "Јавен повик за членови" in flat
    assert "6 attendances at 2 meetings" in flat
    assert "Презентация на МТСП (presentation, to be published)" in flat
    assert "1. 10:00 Преглед на индикаторите — Министерство на труда 2. Разни" in flat
    assert "Ministry 2 Municipality 1" in flat  # members by type
    # the documents are links
    links = [annotation.get_object()["/A"]["/URI"] for page in reader.pages
             for annotation in page.get("/Annots", []) or []
             if "/A" in annotation.get_object()]
    assert "https://example.org/protokol.pdf" in links
    assert any(re.match(r"https?://localhost/documents/\d+/dnevni-red.pdf", link)
               for link in links)


def test_the_html_document(client, world):
    response = client.get(URL + ".html?lang=mk")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    html = response.get_data(as_text=True)
    assert html.startswith("<!doctype html>") and '<html lang="mk">' in html
    assert "Секторска работна група за интеграција на Ромите" in html
    # the named members' column names people, not organisations
    assert re.search(r"Членови што се согласиле да бидат наведени поименично.*?<th[^>]*>Име и "
                     r"презиме</th>", html, re.S)
    assert "Ана Петрова" in html and "Горан Стојанов" in html
    for hidden in NEVER_SHOWN:
        assert hidden not in html, hidden
    # links work outside the site
    assert re.search(r'href="https?://localhost/documents/\d+/dnevni-red.pdf"', html)
    assert "Преглед на индикаторите" in html
    assert 'href="http://localhost/groups/roma-swg/2020/transparency"' in html
    assert "<script" not in html and "style" not in html


def test_the_group_managers_page_leads_to_the_records(client, auth, db, world):
    from consult.groups.models import WorkingGroup
    from tests.factories import make_user

    make_user(role="admin", email="admin@example.bg")
    auth.login("admin@example.bg")
    group = db.session.scalar(sa.select(WorkingGroup).where(WorkingGroup.slug == "roma-swg"))
    page = client.get(f"/manage/groups/{group.id}/?lang=en").get_data(as_text=True)
    assert 'href="/groups/roma-swg/2020/transparency">2020</a>' in page


def test_every_year_of_the_group_has_its_record_linked_met_or_not(client, db):
    from datetime import date

    from consult.events.models import MeetingStatus
    from tests.factories import make_meeting

    group = make_group(slug="years-group", public=True, established_on=date(2018, 5, 1))
    make_meeting(group=group, day="2020-03-10", status=MeetingStatus.HELD)
    db.session.commit()
    page = client.get("/groups/years-group?lang=en").get_data(as_text=True)
    this_year = date.today().year
    for year in range(2018, this_year + 1):
        assert f'href="/groups/years-group/{year}/transparency"' in page, year
        assert client.get(f"/groups/years-group/{year}/transparency").status_code == 200
    assert 'href="/groups/years-group/2017/transparency"' not in page
    record = client.get("/groups/years-group/2019/transparency").get_data(as_text=True)
    assert 'href="/groups/years-group/2018/transparency"' in record


def test_the_headline_says_how_many_were_counted_without_registration(client, db):
    from consult.attendance.models import AggregateAttendance
    from consult.events.models import MeetingStatus
    from tests.factories import make_attendee, make_meeting

    group = make_group(slug="counted-group", public=True)
    meeting = make_meeting(group=group, day="2020-03-10", status=MeetingStatus.HELD)
    make_attendee(meeting)
    db.session.add(AggregateAttendance(meeting_id=meeting.id, by_type={},
                                       by_gender={"female": 3, "male": 2}))
    db.session.commit()
    text = text_of(client.get("/groups/counted-group/2020/transparency?lang=en").get_data(
        as_text=True))
    assert re.search(r"6 attendances at 1 meeting \([^)]*\) Of these, 5 were counted without "
                     r"registration", text)


def test_the_records_tables_as_a_workbook_and_csv(client, db, world):
    import csv

    from openpyxl import load_workbook

    page = client.get(URL + "?lang=en").get_data(as_text=True)
    assert 'href="/groups/roma-swg/2020/transparency.xlsx"' in page
    response = client.get("/groups/roma-swg/2020/transparency.xlsx?lang=en")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    assert book.properties.creator == "Consult"
    assert book.properties.title.startswith("Transparency record 2020")
    about = [row for row in book.worksheets[0].iter_rows(values_only=True)]
    assert any("6 attendances at 2 meetings" in str(cell) for row in about for cell in row)
    members = list(book["Members by gender"].iter_rows(values_only=True))
    assert members[2][1:5] == (1, 2, 0, 0)  # people: numbers, to be summed
    # a meeting's or a document's title links to it
    links = {cell.value: cell.hyperlink.target for sheet in book.worksheets
             for row in sheet.iter_rows() for cell in row if cell.hyperlink is not None}
    assert links["Работен план 2020"] == "https://example.org/plan-2020.pdf"
    assert links["Първа среща във Видин"].startswith("http://localhost/meetings/")
    text = client.get("/groups/roma-swg/2020/transparency.csv?lang=en").data.decode(
        "utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert ["Members in 2020 by gender"] in rows
    for hidden in NEVER_SHOWN:
        assert hidden not in text, hidden
        assert all(hidden not in str(c) for s in book.worksheets
                   for r in s.iter_rows(values_only=True) for c in r), hidden


def test_a_mistyped_year_does_not_fill_the_page_with_links(client, db):
    from datetime import date

    from consult.events.models import MeetingStatus
    from tests.factories import make_contact, make_meeting, make_member

    group = make_group(slug="typo-group", public=True)
    make_member(group, make_contact("Ана Петрова"), starts_on=date(202, 1, 1))  # for 2020
    make_meeting(group=group, day="1970-01-01")  # a draft's date says nothing
    make_meeting(group=group, day="2020-03-10", status=MeetingStatus.HELD)
    db.session.commit()
    page = client.get("/groups/typo-group?lang=en").get_data(as_text=True)
    years = [int(y) for y in re.findall(r'href="/groups/typo-group/(\d+)/transparency"', page)]
    assert min(years) == 1990 and max(years) == date.today().year
