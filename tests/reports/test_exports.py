"""The exports read back: CSV with the csv module, Excel with openpyxl, PDF with pypdf."""

from __future__ import annotations

import csv
import io
import re

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from pypdf import PdfReader

from tests.factories import make_user
from tests.reports.fixture import DISCLAIMER_BG, build_world


@pytest.fixture
def world(app, db):
    return build_world()


@pytest.fixture
def admin(client, auth, world):
    make_user("admin", email="admin-exports@example.org", locale="en")
    auth.login("admin-exports@example.org")
    return client


def csv_rows(body: bytes) -> list[list[str]]:
    assert body.startswith(b"\xef\xbb\xbf"), "UTF-8 with a byte order mark, for Excel"
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def section(rows: list[list[str]], title: str) -> list[list[str]]:
    """The rows of one table of a CSV: from its title to the next blank line."""
    start = rows.index([title])
    end = next((i for i in range(start, len(rows)) if not rows[i]), len(rows))
    return rows[start + 1:end]


def pdf_text(body: bytes) -> str:
    assert body.startswith(b"%PDF")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)


def test_participation_csv(admin):
    response = admin.get("/manage/reports/participation.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = csv_rows(response.data)
    assert rows[0] == ["Participation report"]
    gender = section(rows, "Attendance by gender")
    assert gender == [
        ["Gender", "Attended (personal record)", "Counted without registration", "Total"],
        ["woman", "5", "12", "17"], ["man", "3", "9", "12"], ["other", "2", "0", "2"],
        ["not disclosed", "1", "2", "3"], ["Total", "11", "23", "34"]]
    types = section(rows, "Attendance by stakeholder type and gender")
    assert types[1] == ["Ministry", "3", "1", "0", "0", "4", "0", "4"]
    assert types[2] == ["Municipality", "0", "2", "0", "0", "2", "4", "6"]
    # the 23 counted in Montana, 7 of them by type: the other 16 are "not given", and the
    # table adds up to the gender table's 34
    assert types[4] == ["not given", "0", "0", "2", "1", "3", "16", "19"]
    assert types[5] == ["Total", "5", "3", "2", "1", "11", "23", "34"]
    meetings = section(rows, "Meetings: invited, registered and attended by gender")
    assert meetings[1][:2] == ["2020-03-10", "Първа среща във Видин"]
    assert meetings[1][4:] == ["5", "6", "2", "1", "1", "0", "4", "0", "4"]
    assert meetings[-1][0] == "Total" and meetings[-1][4:] == [
        "9", "15", "5", "3", "2", "1", "11", "23", "34"]
    sensitive = section(rows, "Answers to the sensitive question")
    assert sensitive[1:4] == [["yes", "< 5"], ["no", "< 5"], ["prefers not to say", "< 5"]]
    # no participant is named, no address given
    text = response.data.decode("utf-8-sig")
    for personal in ("Ана Петрова", "Борис", "Вера", "ana@example.bg", "Димо"):
        assert personal not in text


def test_participation_xlsx_has_a_sheet_per_table(admin):
    response = admin.get("/manage/reports/participation.xlsx?from=2020-01-01&to=2020-12-31")
    # the file's name says which meetings it counts
    assert 'filename="participation-2020-01-01_2020-12-31.xlsx"' in \
        response.headers["Content-Disposition"]
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames[:4] == ["About", "Summary", "By gender", "By type and gender"]
    assert {"Meetings by gender", "Meetings by type", "Without registration",
            "Sensitive question", "First-time and returning", "Members"} <= set(
        book.sheetnames)
    assert all(len(name) <= 31 for name in book.sheetnames)
    gender = list(book["By gender"].iter_rows(values_only=True))
    assert gender[0][0] == "Attendance by gender"
    # 2020 only: m1, m2, m3 — numbers stay numbers
    assert gender[2] == ("woman", 4, 12, 16)
    assert gender[-1] == ("Total", 9, 23, 32)
    meetings = list(book["Meetings by gender"].iter_rows(values_only=True))
    assert meetings[2][1] == "Първа среща във Видин"
    assert meetings[2][0].date().isoformat() == "2020-03-10"
    about = list(book["About"].iter_rows(values_only=True))
    assert ("Period", "January 1, 2020 – December 31, 2020") in about
    # in Bulgarian the first sheet is about the report (not "about the meeting")
    from tests.conftest import post_form

    post_form(admin, "/language", {"lang": "bg"}, form_page="/manage/reports/")
    response = admin.get("/manage/reports/participation.xlsx?from=2020-01-01&to=2020-12-31")
    assert load_workbook(io.BytesIO(response.data)).sheetnames[0] == "За справката"


def test_participation_pdf(admin):
    response = admin.get("/manage/reports/participation.pdf")
    assert response.status_code == 200
    text = pdf_text(response.data)
    assert "Participation report" in text
    assert "Първа среща във Видин" in text and "Регионална дискусия в Монтана" in text
    assert re.search(r"Total attended\s+34", text)


def test_funder_report_pdf(admin, world):
    response = admin.get(f"/manage/reports/series/{world.series.id}/funder.pdf")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == \
        'attachment; filename="funder-report-team2.pdf"; ' \
        "filename*=UTF-8''funder-report-team2.pdf"
    text = pdf_text(response.data)
    for expected in ("Funder report: TEAM2 discussion meetings", "101038470",
                     "Програма „Права, равенство и гражданство“",
                     "Министерство на труда и социалната политика",
                     "Първа среща във Видин", "Техническа среща онлайн",
                     "Регионална дискусия в Монтана", "Counted without registration"):
        assert expected in text, expected
    # the disclaimer at the foot of every page
    pages = PdfReader(io.BytesIO(response.data)).pages
    for page in pages:
        assert "Тази публикация е осъществена" in page.extract_text()
    # the draft and the cancelled meeting are not in it
    assert "Отменена среща" not in text and "Нацрт" not in text
    # the row of the meeting in Vidin: invited, registered, by gender, totals
    assert re.search(r"Първа среща във Видин.*?5\s+6\s+2\s+1\s+1\s+0\s+4\s+0\s+4", text,
                     re.S)
    # totals of the three meetings: 8 invited, 13 registered, 9 + 23 = 32 attended
    assert re.search(r"Total\s+3 meetings\s+8\s+13\s+4\s+2\s+2\s+1\s+9\s+23\s+32", text)


def test_funder_report_in_bulgarian(client, auth, world):
    make_user("viewer", email="viewer-bg@example.org", locale="bg")
    auth.login("viewer-bg@example.org")
    response = client.get(f"/manage/reports/series/{world.series.id}/funder.pdf")
    assert response.status_code == 200
    text = pdf_text(response.data)
    assert "Дискусионни срещи TEAM2" in text
    assert DISCLAIMER_BG.split(".")[0] in text.replace("\n", " ")


def test_funder_report_xlsx_and_csv(admin, world):
    response = admin.get(f"/manage/reports/series/{world.series.id}/funder.xlsx")
    book = load_workbook(io.BytesIO(response.data))
    about = dict(row[:2] for row in book["About"].iter_rows(values_only=True) if row
                 and len(row) > 1 and row[1] is not None)
    assert about["Project code"] == "101038470"
    assert about["Funding programme"] == "Програма „Права, равенство и гражданство“"
    assert about["Implementing body"] == "Министерство на труда и социалната политика"
    assert any(DISCLAIMER_BG in (row[0] or "") for row in
               book["About"].iter_rows(values_only=True) if row)
    meetings = list(book["Meetings by gender"].iter_rows(values_only=True))
    assert [row[1] for row in meetings[2:5]] == [
        "Първа среща във Видин", "Техническа среща онлайн", "Регионална дискусия в Монтана"]
    assert meetings[4][4:] == (1, 4, 1, 0, 1, 1, 3, 23, 26)
    assert meetings[5][0] == "Total" and meetings[5][4:] == (8, 13, 4, 2, 2, 1, 9, 23, 32)
    by_type = list(book["Meetings by type"].iter_rows(values_only=True))
    assert by_type[1][2:] == ("Ministry", "Municipality", "Civil society organisation",
                              "not given", "Attended (personal record)",
                              "Counted without registration", "Total attended")
    assert by_type[2][2:] == (1, 1, 1, 1, 4, 0, 4)
    without = list(book["Without registration"].iter_rows(values_only=True))
    assert without[0][0] == "Counted without registration (no personal records)"
    assert without[1][-1] == "not given"
    assert without[2][1:] == ("Регионална дискусия в Монтана", 12, 9, 0, 2, 23, 4, 3, 16)

    rows = csv_rows(admin.get(f"/manage/reports/series/{world.series.id}/funder.csv").data)
    assert ["Project code", "101038470"] in rows
    assert [DISCLAIMER_BG] in rows


def test_spreadsheet_cells_never_become_formulas(admin, world):
    from consult.extensions import db

    world.meetings["m1"].title = {"bg": "=HYPERLINK(\"http://evil\")"}
    db.session.commit()
    rows = csv_rows(admin.get(f"/manage/reports/series/{world.series.id}/funder.csv").data)
    assert any(row[1:2] == ["'=HYPERLINK(\"http://evil\")"] for row in rows)


def test_the_funder_report_leaves_out_meetings_still_to_come(admin, world, db):
    from datetime import timedelta

    from consult.db import utcnow
    from consult.events.models import MeetingStatus
    from tests.factories import make_meeting

    day = (utcnow() + timedelta(days=40)).date().isoformat()
    make_meeting(world.series, day=day, status=MeetingStatus.PUBLISHED,
                 title={"bg": "Среща догодина"})
    db.session.commit()
    text = pdf_text(admin.get(f"/manage/reports/series/{world.series.id}/funder.pdf").data)
    assert "Среща догодина" not in text
    assert "Meetings still to come (not in this report): 1" in text
    assert re.search(r"Total\s+3 meetings\s+8\s+13", text)
    # the dashboard, which looks ahead too, lists it
    page = admin.get(f"/manage/reports/?series={world.series.id}").get_data(as_text=True)
    assert "Среща догодина" in page


def test_pdf_text_columns_wrap_between_words_never_inside_one(app):
    from datetime import date

    from consult.attendance.pdf import FONT, _Document
    from consult.reports.documents import CELL_PADDING, TABLE_FONT_SIZE, _column_widths
    from consult.reports.tables import Sheet

    formats = ["хибридно (присъствено и онлайн)", "присъствено", "онлайн"]
    sheet = Sheet("t", "Срещи", "Срещи", ["Дата", "Среща", "Формат", "Място",
                                          *[f"Брой {n}" for n in range(12)]],
                  rows=[[date(2020, 11, 2), "Регионална дискусионна среща " * 3, f, "Видин",
                         *range(12)] for f in formats],
                  numeric_from=4, wide=(1,))
    with app.test_request_context():
        pdf = _Document("L", "bg", "")
        widths = _column_widths(pdf, sheet, "bg")
        pdf.set_font(FONT, size=TABLE_FONT_SIZE)
        assert widths[2] >= pdf.get_string_width("присъствено") + CELL_PADDING - 0.01
        assert sum(widths) <= pdf.epw
        # one very long word (a link in a place) asks for no more than the column's usual
        # width, and the numbers keep nearly all of theirs
        from consult.reports.documents import TEXT_WIDTH

        sheet.rows[0][3] = "https://example.org/" + "x" * 200
        squeezed = _column_widths(pdf, sheet, "bg")
        assert squeezed[3] <= TEXT_WIDTH + 0.01
        assert all(new >= 0.9 * old for new, old in zip(squeezed[4:], widths[4:], strict=True))


def test_an_organizers_report_says_it_covers_the_series_they_manage(client, auth, world):
    make_user(email="organizer-exports@example.org", locale="en")
    auth.login("organizer-exports@example.org")
    rows = csv_rows(client.get("/manage/reports/participation.csv").data)
    assert ["Series and groups", "those you manage"] in rows
    auth.logout()
    make_user("admin", email="admin-scope@example.org", locale="en")
    auth.login("admin-scope@example.org")
    rows = csv_rows(client.get("/manage/reports/participation.csv").data)
    assert ["Series and groups", "those you manage"] not in rows


def test_one_meetings_participation_report_with_the_funders_details(client, auth, world, db):
    from consult.events.models import Meeting

    vidin = db.session.scalar(sa.select(Meeting).where(
        Meeting.title["bg"].as_string() == "Първа среща във Видин"))
    make_user(email="outsider-exports@example.org")
    auth.login("outsider-exports@example.org")
    url = f"/manage/reports/meetings/{vidin.id}/participation"
    assert client.get(url + ".pdf").status_code == 403  # not their series
    auth.logout()
    make_user("admin", email="admin-meeting@example.org", locale="en")
    auth.login("admin-meeting@example.org")
    page = client.get(f"/manage/meetings/{vidin.id}/?lang=en").get_data(as_text=True)
    assert f'href="{url}.pdf"' in page
    text = pdf_text(client.get(url + ".pdf").data)
    assert "Participation report: Първа среща във Видин" in text
    assert "101038470" in text  # the series' project code
    assert "Регионална дискусия в Монтана" not in text  # the other meetings are not in it
    assert re.search(r"Total attended\s+4", text)
    rows = csv_rows(client.get(url + ".csv").data)
    assert rows[0] == ["Participation report: Първа среща във Видин"]
    book = load_workbook(io.BytesIO(client.get(url + ".xlsx").data))
    assert book.sheetnames[0] == "About"
