"""The reports pages: who may read them, what they show, and how they answer bad filters."""

from __future__ import annotations

import re

import pytest

from tests.factories import make_series, make_user
from tests.reports.fixture import build_world


@pytest.fixture
def world(app, db):
    return build_world()


def signed_in(client, auth, role, **fields):
    user = make_user(role, email=f"{role}-reports@example.org", locale="en", **fields)
    auth.login(user.email)
    return user


def test_viewers_read_the_dashboard_without_personal_data(client, auth, world):
    signed_in(client, auth, "viewer")
    response = client.get("/manage/reports/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Participation reports" in page
    # the nav links to it
    assert 'href="/manage/reports/">Reports</a>' in page
    # aggregate numbers only: no participant's name or address anywhere
    for personal in ("Ана Петрова", "Вера", "Борис", "Горан", "Димо", "ana@example.bg",
                     "dim@example.bg", "Гост"):
        assert personal not in page
    # totals: 34 attended (11 with a personal record + 23 counted without registration)
    assert re.search(r"<th scope=\"row\">Total attended</th><td class=\"number\">34</td>",
                     page)


def test_dashboard_tables_are_accessible_and_charts_are_images(client, auth, world):
    signed_in(client, auth, "admin")
    page = client.get("/manage/reports/").get_data(as_text=True)
    assert page.count('role="img"') >= 6
    for label in re.findall(r'<svg class="chart-svg"[^>]*aria-label="([^"]+)"', page):
        assert label.strip()
    assert 'aria-label="Attendance by gender. woman: 17 (Attended (personal record) 5, ' \
           'Counted without registration 12)' in page
    assert "<caption" in page and 'scope="col"' in page and 'scope="row"' in page
    # no inline style or script: the CSP forbids them
    assert "style=" not in page and "<style" not in page
    assert "<script" not in page
    # all four genders, always
    for label in ("woman", "man", "other", "not disclosed"):
        assert f'<th scope="col" class="number">{label}</th>' in page
    # the sensitive answers are masked
    assert "&lt; 5" in page


def test_organizers_see_only_what_they_manage(client, auth, world):
    from consult.extensions import db

    organizer = signed_in(client, auth, "organizer")
    page = client.get("/manage/reports/").get_data(as_text=True)
    assert "No published or held meeting matches these filters." in page
    world.group.managers.append(db.session.merge(organizer))
    db.session.commit()
    page = client.get("/manage/reports/").get_data(as_text=True)
    # m1, m2, m4 (group meetings): 8 attendances with a personal record
    assert re.search(r"<th scope=\"row\">Attended \(personal record\)</th>"
                     r"<td class=\"number\">8</td>", page)
    # a series they do not manage cannot be chosen
    response = client.get(f"/manage/reports/?series={world.series.id}")
    assert response.status_code == 400
    assert "Choose a series from the list." in response.get_data(as_text=True)


@pytest.mark.parametrize("query, message", [
    ("from=garbage", "Enter a date as year-month-day"),
    ("to=2020-13-45", "Enter a date as year-month-day"),
    ("from=2021-01-01&to=2020-01-01", "The end of the period is before its start."),
    ("series=abc", "Choose a series from the list."),
    ("group=99999", "Choose a working group from the list."),
    ("type=party", "Choose a type of meeting from the list."),
    ("format=carrier-pigeon", "Choose a format from the list."),
    ("region=" + "x" * 150, "Choose a region from the list."),
])
def test_bad_filters_get_a_clear_message(client, auth, world, query, message):
    signed_in(client, auth, "admin")
    for url in (f"/manage/reports/?{query}", f"/manage/reports/participation.csv?{query}"):
        response = client.get(url)
        assert response.status_code == 400, url
        page = response.get_data(as_text=True)
        assert message in page
        assert 'class="error-summary" role="alert"' in page


def test_filters_narrow_the_report(client, auth, world):
    signed_in(client, auth, "admin")
    page = client.get("/manage/reports/?from=2021-01-01&to=2021-12-31").get_data(as_text=True)
    assert re.search(r"<th scope=\"row\">Meetings</th><td class=\"number\">1</td>", page)
    assert 'value="2021-01-01"' in page
    page = client.get("/manage/reports/?from=2030-01-01").get_data(as_text=True)
    assert "No published or held meeting matches these filters." in page
    page = client.get(f"/manage/reports/?group={world.group.id}").get_data(as_text=True)
    assert 'href="/groups/roma-swg/2020/transparency"' in page
    assert 'href="/groups/roma-swg/2021/transparency"' in page


def test_the_meeting_table_is_paginated(client, auth, app, db):
    from tests.reports.fixture import add_meetings

    series = make_series(slug="many")
    add_meetings(series, 30)
    signed_in(client, auth, "admin")
    page = client.get("/manage/reports/").get_data(as_text=True)
    assert "Meetings 1–25 of 30" in page
    assert 'href="/manage/reports/?page=2"' in page
    page = client.get("/manage/reports/?page=2").get_data(as_text=True)
    assert "Среща 29" in page and "Среща 3<" not in page


def test_funder_reports_are_for_readers_of_the_series(client, auth, world):
    signed_in(client, auth, "organizer")
    for kind in ("pdf", "xlsx", "csv"):
        assert client.get(f"/manage/reports/series/{world.series.id}/funder.{kind}"
                          ).status_code == 403
    client.post("/account/logout")


def test_reports_are_read_only(client, auth, world):
    signed_in(client, auth, "viewer")
    for url in ("/manage/reports/", "/manage/reports/participation.csv",
                f"/manage/reports/series/{world.series.id}/funder.pdf"):
        assert client.post(url).status_code in {403, 405}


def test_viewers_download_reports_without_personal_data(client, auth, world):
    import io

    from openpyxl import load_workbook
    from pypdf import PdfReader

    signed_in(client, auth, "viewer")
    personal = ("Ана Петрова", "Борис Иванов", "Вера Димитрова", "Горан Стојанов",
                "Димо Асенов", "Иван Колев", "ana@example.bg", "dim@example.bg", "Гост",
                "Подписан лист")
    for url in ("/manage/reports/participation.csv", "/manage/reports/participation.xlsx",
                "/manage/reports/participation.pdf",
                f"/manage/reports/series/{world.series.id}/funder.csv",
                f"/manage/reports/series/{world.series.id}/funder.xlsx",
                f"/manage/reports/series/{world.series.id}/funder.pdf"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "no-store"
        if url.endswith(".xlsx"):
            book = load_workbook(io.BytesIO(response.data))
            text = " ".join(str(cell) for sheet in book for row in sheet.iter_rows(
                values_only=True) for cell in row if cell is not None)
        elif url.endswith(".pdf"):
            text = " ".join(page.extract_text() for page in
                            PdfReader(io.BytesIO(response.data)).pages)
        else:
            text = response.data.decode("utf-8-sig")
        assert "Първа среща във Видин" in text, url
        for value in personal:
            assert value not in text, (url, value)


def test_a_series_dashboard_links_its_funder_report_in_every_format(client, auth, world):
    signed_in(client, auth, "viewer")
    page = client.get(f"/manage/reports/?series={world.series.id}").get_data(as_text=True)
    for kind in ("pdf", "xlsx", "csv"):
        url = f"/manage/reports/series/{world.series.id}/funder.{kind}"
        assert f'href="{url}"' in page
        assert client.get(url).status_code == 200
