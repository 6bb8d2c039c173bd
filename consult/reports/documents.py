"""Report documents and their files: CSV (UTF-8 with a byte order mark, so Excel reads
Cyrillic), Excel (a sheet per table, written row by row) and PDF (bundled DejaVu fonts).

A ``ReportDocument`` is built in one language (``build_*`` run under ``force_locale``) and
written by any of the writers, which add nothing of their own but formatting.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from babel.dates import format_date
from flask_babel import force_locale, pgettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from fpdf.fonts import FontFace

from consult.attendance.pdf import (
    FONT,
    _disclaimer,
    _Document,
    _document_locale,
    _draw_logos,
)
from consult.db import utcnow
from consult.directory.services import spreadsheet_safe
from consult.events.models import (
    FORMAT_LABELS,
    MEETING_TYPE_LABELS,
    Meeting,
    Series,
)
from consult.extensions import db
from consult.files import XLSX
from consult.groups.models import WorkingGroup
from consult.reports import queries
from consult.reports.queries import ReportFilters
from consult.reports.tables import (
    Link,
    Sheet,
    gender_sheet,
    meetings_gender_sheet,
    meetings_type_sheet,
    participation_sheets,
    summary_sheet,
    type_gender_sheet,
    without_registration_sheet,
)

PROJECT_CODE = _l("Project code")
PROJECT = _l("Project")
FUNDER = _l("Funder")
FUNDING_PROGRAMME = _l("Funding programme")
IMPLEMENTING_BODY = _l("Implementing body")


@dataclass
class ReportDocument:
    title: str
    locale: str
    lines: list[tuple[str, str]] = field(default_factory=list)  # label, value
    sheets: list[Sheet] = field(default_factory=list)
    series: Series | None = None  # its logos and disclaimer go on the PDF
    disclaimer: str = ""
    filename: str = "report"


def format_cell(value, locale: str, for_text: bool = True) -> str:
    if isinstance(value, Link):
        return value.text
    if isinstance(value, date):
        return format_date(value, "medium", locale=locale) if for_text else value.isoformat()
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return str(value)


def _produced_line() -> tuple[str, str]:
    return _("Produced on"), format_date(utcnow().date(), "long", locale=_current_locale())


def _current_locale() -> str:
    from flask_babel import get_locale

    locale = get_locale()
    return str(locale) if locale else "en"


# --- what goes in ---------------------------------------------------------------------------

def describe_filters(filters: ReportFilters) -> list[tuple[str, str]]:
    """The filters of a report, in words, for the head of its files."""
    locale = _current_locale()
    lines = []
    if filters.date_from or filters.date_to:
        start = format_date(filters.date_from, "long", locale=locale) if filters.date_from \
            else "…"
        end = format_date(filters.date_to, "long", locale=locale) if filters.date_to else "…"
        lines.append((_("Period"), f"{start} – {end}"))
    else:
        lines.append((_("Period"), _("all meetings")))
    if filters.series_id is not None:
        series = db.session.get(Series, filters.series_id)
        lines.append((_("Series"), series.text("title") if series else "—"))
    if filters.group_id is not None:
        group = db.session.get(WorkingGroup, filters.group_id)
        lines.append((_("Working group"), group.text("name") if group else "—"))
    if filters.meeting_type is not None:
        lines.append((_("Type of meeting"), str(MEETING_TYPE_LABELS[filters.meeting_type])))
    if filters.region is not None:
        lines.append((_("Region"), filters.region or str(queries.NOT_GIVEN)))
    if filters.format is not None:
        lines.append((_("Format"), str(FORMAT_LABELS[filters.format])))
    lines.append((_("Meetings counted"), _("published or held; drafts and cancelled meetings "
                                          "are left out")))
    if filters.scope is not None:  # an organizer's report: their series and groups only
        lines.append((_("Series and groups"), _("those you manage")))
    return lines


def build_meeting_report(meeting: Meeting, locale: str | None = None) -> ReportDocument:
    """One meeting's participation report, as a funder asks for each event: the series'
    funder block and disclaimer, the meeting's date and place, every breakdown."""
    series = meeting.series
    locale = _document_locale(locale, meeting.main_language)
    with force_locale(locale):
        filters = ReportFilters(meeting_id=meeting.id)
        board = queries.dashboard(filters, per_page=1)
        rows = queries.meeting_rows(None, board.types, filters)
        lines = funder_lines(series) if series else []
        lines += [(_("Meeting"), meeting.display_title),
                  (_("When"), format_date(meeting.local_start.date(), "long", locale=locale)),
                  _produced_line()]
        return ReportDocument(
            title=_("Participation report: %(title)s", title=meeting.display_title),
            locale=locale, lines=lines, sheets=participation_sheets(board, rows),
            series=series, disclaimer=_disclaimer(series),
            filename=f"participation-meeting-{meeting.id}")


def build_participation(filters: ReportFilters, locale: str, title: str | None = None,
                        filename: str = "participation") -> ReportDocument:
    """The participation report: every breakdown and every meeting matching ``filters``."""
    locale = _document_locale(locale, None)
    with force_locale(locale):
        board = queries.dashboard(filters, per_page=1)
        rows = queries.meeting_rows(None, board.types, filters)
        return ReportDocument(
            title=title or _("Participation report"), locale=locale,
            lines=[*describe_filters(filters), _produced_line()],
            sheets=participation_sheets(board, rows), filename=filename)


def funder_lines(series: Series) -> list[tuple[str, str]]:
    lines = []
    if series.project_code:
        lines.append((str(PROJECT_CODE), series.project_code))
    if series.text("project_name"):
        lines.append((str(PROJECT), series.text("project_name")))
    if series.text("funder"):
        lines.append((str(FUNDER), series.text("funder")))
    if series.text("programme"):
        lines.append((str(FUNDING_PROGRAMME), series.text("programme")))
    if series.text("implementing_body"):
        lines.append((str(IMPLEMENTING_BODY), series.text("implementing_body")))
    return lines


def build_funder(series: Series, locale: str | None = None) -> ReportDocument:
    """The funder report of a series: its funder block, a row per meeting (date, place,
    format, invited, registered, attended by gender and by stakeholder type), totals, and
    the counts recorded without registration, labelled; the disclaimer on every page."""
    locale = _document_locale(locale, series.main_language)
    with force_locale(locale):
        # what took place: a meeting still to come would be a row of zeros, and stretch
        # the period into the future
        today = utcnow().astimezone(ZoneInfo(series.timezone or "UTC")).date()
        filters = ReportFilters(series_id=series.id, date_to=today)
        types = queries.stakeholder_types()
        rows = queries.meeting_rows(None, types, filters)
        lines = funder_lines(series)
        if rows:
            first, last = rows[0].meeting.local_start.date(), rows[-1].meeting.local_start.date()
            lines.append((_("Period"), f"{format_date(first, 'long', locale=locale)} – "
                                       f"{format_date(last, 'long', locale=locale)}"))
        planned = db.session.scalar(sa.select(sa.func.count()).select_from(
            queries.meeting_ids(ReportFilters(series_id=series.id,
                                              date_from=today + timedelta(days=1))).subquery()))
        if planned:
            lines.append((_("Meetings still to come (not in this report)"), str(planned)))
        lines.append(_produced_line())
        sheets = [
            summary_sheet(queries.funnel(filters)),
            meetings_gender_sheet(rows),
            meetings_type_sheet(rows, types),
            gender_sheet(queries.by_gender(filters)),
            type_gender_sheet(queries.type_gender(filters, types)),
            without_registration_sheet(rows, types),
        ]
        return ReportDocument(
            title=_("Funder report: %(title)s", title=series.text("title")), locale=locale,
            lines=lines, sheets=sheets, series=series, disclaimer=_disclaimer(series),
            filename=f"funder-report-{series.slug}")


# --- CSV ----------------------------------------------------------------------------------

def to_csv(document: ReportDocument) -> bytes:
    """Every table one after the other, each under its title, a blank line between."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def text(value) -> str:
        value = format_cell(value, document.locale, for_text=False)
        return spreadsheet_safe(value) if isinstance(value, str) else value

    writer.writerow([text(document.title)])
    for label, value in document.lines:
        writer.writerow([text(label), text(value)])
    if document.disclaimer:
        writer.writerow([text(document.disclaimer)])
    for sheet in document.sheets:
        writer.writerow([])
        writer.writerow([text(sheet.title)])
        writer.writerow([text(c) for c in sheet.columns])
        for row in sheet.rows + sheet.footer:
            writer.writerow([text(c) for c in row])
        if sheet.note:
            writer.writerow([text(sheet.note)])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


# --- Excel --------------------------------------------------------------------------------

_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")


def _sheet_name(name: str, taken: set[str]) -> str:
    base = _SHEET_NAME_BAD.sub(" ", name).strip()[:31] or "Sheet"
    candidate, n = base, 2
    while candidate.casefold() in taken:
        suffix = f" {n}"
        candidate = base[:31 - len(suffix)] + suffix
        n += 1
    taken.add(candidate.casefold())
    return candidate


def to_xlsx(document: ReportDocument) -> bytes:
    """A workbook: "About" (title, funder block, filters, disclaimer), then a sheet per
    table. Numbers are numbers and dates are dates, so the sheets can be summed."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    # what a spreadsheet program's "properties" show: the report, not the library
    book.properties.creator = "Consult"
    book.properties.title = document.title
    taken: set[str] = set()
    bold = Font(bold=True)

    def value(cell):
        if isinstance(cell, str):
            return spreadsheet_safe(ILLEGAL_CHARACTERS_RE.sub("", cell))
        return cell

    def strong(sheet, cell):
        written = WriteOnlyCell(sheet, value=value(cell))
        written.font = bold
        return written

    def linked(sheet, link: Link):  # a document or a meeting's page: its title, linked
        written = WriteOnlyCell(sheet, value=value(link.text))
        written.hyperlink = link.url
        return written

    about = book.create_sheet(_sheet_name(pgettext("workbook sheet", "About"), taken))
    about.column_dimensions["A"].width = 28
    about.column_dimensions["B"].width = 80
    about.append([strong(about, document.title)])
    for label, text in document.lines:
        about.append([strong(about, label), value(text)])
    if document.disclaimer:
        about.append([])
        about.append([value(document.disclaimer)])
    for table in document.sheets:
        sheet = book.create_sheet(_sheet_name(table.short, taken))
        for index in range(len(table.columns)):
            letter = chr(ord("A") + index) if index < 26 else None
            if letter:
                wide = index < table.numeric_from
                sheet.column_dimensions[letter].width = 40 if index in table.wide else \
                    (24 if wide else 14)
        sheet.append([strong(sheet, table.title)])
        sheet.append([strong(sheet, c) for c in table.columns])
        for row in table.rows:
            sheet.append([linked(sheet, c) if isinstance(c, Link) else value(c) for c in row])
        for row in table.footer:
            sheet.append([strong(sheet, c) for c in row])
        if table.note:
            sheet.append([])
            sheet.append([value(table.note)])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- PDF ----------------------------------------------------------------------------------

TABLE_FONT_SIZE = 7.5  # pt
HEADING_FONT_SIZE = 6.8  # pt, the column headings
NUMBER_WIDTH = 16.0  # mm, a column of numbers, at least
DATE_WIDTH = 24.5  # mm
TEXT_WIDTH = 34.0  # mm
WIDE_WIDTH = 58.0  # mm
CELL_PADDING = 2.4  # mm, left and right together


def to_pdf(document: ReportDocument) -> bytes:
    """A4 landscape: logos, title, funder block or filters, then each table with its
    title, totals in bold, and its note; the disclaimer and page numbers at the foot."""
    locale = document.locale
    with force_locale(locale):
        pdf = _Document("L", locale, document.disclaimer)
        pdf.set_title(document.title)
        pdf.running_header = document.title
        pdf.first_page()
        _draw_logos(pdf, document.series)
        pdf.write_line(document.title, size=15, bold=True, height=7)
        pdf.ln(1)
        for label, text in document.lines:
            pdf.write_label(label, text, size=9)
        for sheet in document.sheets:
            draw_sheet(pdf, sheet, locale)
        return pdf.finish()


def draw_sheet(pdf: _Document, sheet: Sheet, locale: str) -> None:
    if pdf.will_page_break(42):  # the title, the headings and a few rows stay together
        pdf.add_page()
    pdf.ln(4)
    pdf.write_line(sheet.title, size=11, bold=True, height=6)
    if sheet.empty:
        pdf.write_line(sheet.note or _("Nothing to count."), size=8.5)
        return
    widths = _column_widths(pdf, sheet, locale)
    pdf.set_font(FONT, size=TABLE_FONT_SIZE)
    bold = FontFace(emphasis="BOLD")
    with pdf.table(
        col_widths=tuple(widths),
        width=sum(widths),
        align="LEFT",
        text_align=tuple("LEFT" if i < sheet.numeric_from else "RIGHT"
                         for i in range(len(widths))),
        headings_style=FontFace(emphasis="BOLD", size_pt=HEADING_FONT_SIZE,
                                fill_color=(230, 230, 230)),
        line_height=TABLE_FONT_SIZE * 0.48,
        repeat_headings=1,
        v_align="MIDDLE",
    ) as table:
        row = table.row()
        for column in sheet.columns:
            row.cell(str(column))
        for cells in sheet.rows:
            row = table.row()
            for cell in cells:
                if isinstance(cell, Link):
                    row.cell(cell.text, link=cell.url)
                else:
                    row.cell(format_cell(cell, locale))
        for cells in sheet.footer:
            row = table.row()
            for cell in cells:
                row.cell(format_cell(cell, locale), style=bold)
    if sheet.note:
        pdf.ln(1)
        pdf.write_line(sheet.note, size=7.5)


def _column_widths(pdf: _Document, sheet: Sheet, locale: str) -> list[float]:
    """Room for each column: numbers and dates never narrower than their longest heading
    word or value, text never narrower than its longest word (a date or a word broken in two
    is hard to read); when the table is wider than the page the text columns give way first,
    down to their longest word, then everything shrinks."""
    widths, fixed, floors = [], [], []
    for index, heading in enumerate(sheet.columns):
        pdf.set_font(FONT, "B", size=HEADING_FONT_SIZE)
        longest = max((pdf.get_string_width(word) for word in str(heading).split()),
                      default=0) + CELL_PADDING
        pdf.set_font(FONT, size=TABLE_FONT_SIZE)
        values = [format_cell(row[index], locale) for row in sheet.rows + sheet.footer]
        if index >= sheet.numeric_from:
            widest = max((pdf.get_string_width(v) for v in values), default=0) + CELL_PADDING
            widths.append(max(NUMBER_WIDTH, longest, widest))
            fixed.append(True)
        elif any(isinstance(row[index], date) for row in sheet.rows):
            widest = max((pdf.get_string_width(v) for v in values), default=0) + CELL_PADDING
            widths.append(max(DATE_WIDTH, longest, widest))
            fixed.append(True)
        else:
            # a text column wraps between words, never inside one ("присъствено")
            # (up to the column's usual width: one address or link in a title must not
            # squeeze the whole table)
            usual = WIDE_WIDTH if index in sheet.wide else TEXT_WIDTH
            word = min(max((pdf.get_string_width(w) for v in values for w in v.split()),
                           default=0) + CELL_PADDING, usual)
            widths.append(max(usual, longest, word))
            fixed.append(False)
            floors.append(max(longest, word))
            continue
        floors.append(widths[-1])  # numbers and dates keep their room
    room = pdf.epw - 0.1
    rigid = sum(w for w, f in zip(widths, fixed, strict=True) if f)
    flexible = sum(w for w, f in zip(widths, fixed, strict=True) if not f)
    if rigid + flexible > room and flexible:
        factor = max(0.45, (room - rigid) / flexible)
        widths = [w if f else max(w * factor, floor)
                  for w, f, floor in zip(widths, fixed, floors, strict=True)]
    scale = min(1.0, room / sum(widths))
    return [w * scale for w in widths]


def write(document: ReportDocument, kind: str) -> tuple[bytes, str, str]:
    """The file of ``document`` as ``kind`` (csv, xlsx, pdf): body, content type, name."""
    if kind == "csv":
        return to_csv(document), "text/csv; charset=utf-8", f"{document.filename}.csv"
    if kind == "xlsx":
        return to_xlsx(document), XLSX, f"{document.filename}.xlsx"
    if kind == "pdf":
        return to_pdf(document), "application/pdf", f"{document.filename}.pdf"
    raise ValueError(kind)
