"""`flask report …` writes its files."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from tests.reports.fixture import build_world


@pytest.fixture
def world(app, db):
    return build_world()


def pdf_text(path) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(path).pages).split())


def test_report_series_in_every_format(runner, world, tmp_path):
    for kind in ("csv", "xlsx", "pdf"):
        out = tmp_path / f"team2.{kind}"
        result = runner.invoke(args=["report", "series", "team2", "--format", kind,
                                     "--out", str(out)])
        assert result.exit_code == 0, result.output
        assert f"Wrote {out}" in result.output
    rows = list(csv.reader(io.StringIO((tmp_path / "team2.csv").read_text("utf-8-sig"))))
    # the series' language by default: Bulgarian headings
    assert rows[0][0].endswith(": Дискусионни срещи TEAM2")
    assert any(row[:2] == ["2020-03-10", "Първа среща във Видин"] for row in rows)
    book = load_workbook(tmp_path / "team2.xlsx")
    assert len(book.sheetnames) == 7
    text = pdf_text(tmp_path / "team2.pdf")
    assert "101038470" in text and "Регионална дискусия в Монтана" in text


def test_report_series_in_english(runner, world, tmp_path):
    out = tmp_path / "team2.pdf"
    result = runner.invoke(args=["report", "series", "team2", "--format", "pdf", "--out",
                                 str(out), "--locale", "en"])
    assert result.exit_code == 0, result.output
    assert "Funder report: TEAM2 discussion meetings" in pdf_text(out)


def test_report_group_for_a_year(runner, world, tmp_path):
    out = tmp_path / "group.xlsx"
    result = runner.invoke(args=["report", "group", "roma-swg", "--year", "2020", "--format",
                                 "xlsx", "--out", str(out), "--locale", "en"])
    assert result.exit_code == 0, result.output
    book = load_workbook(out)
    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(values_only=True)
               if row and len(row) > 1}
    # m1 and m2: 7 invited, 9 registered, 6 attended
    assert (summary["Meetings"], summary["Invited (people and organisations)"],
            summary["Registered"], summary["Total attended"]) == (2, 7, 9, 6)
    about = [row[0] for row in book["About"].iter_rows(values_only=True) if row]
    assert about[0] == "Participation report 2020: Sector Working Group for Roma Integration"
    for kind in ("csv", "pdf"):
        out = tmp_path / f"group.{kind}"
        result = runner.invoke(args=["report", "group", "roma-swg", "--year", "2020",
                                     "--format", kind, "--out", str(out)])
        assert result.exit_code == 0, result.output
        assert out.stat().st_size > 500


def test_report_transparency(runner, world, tmp_path):
    out = tmp_path / "record.pdf"
    result = runner.invoke(args=["report", "transparency", "--group", "roma-swg", "--year",
                                 "2020", "--format", "pdf", "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = pdf_text(out)
    assert "Секторска работна група за интеграција на Ромите" in text
    assert "Горан Стојанов" in text and "Борис Иванов" not in text
    out = tmp_path / "record.html"
    result = runner.invoke(args=["report", "transparency", "--group", str(world.group.id),
                                 "--year", "2020", "--format", "html", "--out", str(out)])
    assert result.exit_code == 0, result.output
    html = out.read_text("utf-8")
    assert '<html lang="mk">' in html and "Ана Петрова" in html
    assert "Вера Димитрова" not in html


def test_report_refuses_unknown_things(runner, world, tmp_path):
    out = tmp_path / "x.pdf"
    result = runner.invoke(args=["report", "series", "nope", "--format", "pdf", "--out",
                                 str(out)])
    assert result.exit_code != 0 and "No series 'nope'" in result.output
    result = runner.invoke(args=["report", "transparency", "--group", "nope", "--year",
                                 "2020", "--format", "pdf", "--out", str(out)])
    assert result.exit_code != 0 and "No working group 'nope'" in result.output
    result = runner.invoke(args=["report", "group", "roma-swg", "--year", "20", "--format",
                                 "pdf", "--out", str(out)])
    assert result.exit_code != 0
    result = runner.invoke(args=["report", "series", "team2", "--format", "docx", "--out",
                                 str(out)])
    assert result.exit_code != 0
    assert not out.exists()
