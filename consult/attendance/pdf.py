"""Printable PDFs of a meeting: the sign-in sheet for the door and certificates of attendance.

Pure functions: they take model objects and return the bytes of a PDF; the caller decides who
may have them and whom they list. Fixed texts are in the document's language, the meeting's
and the series' texts in that language where they have it. The fonts are bundled with the
package (DejaVu Sans, ``fonts/``), so Cyrillic renders whatever the server has installed.

Neither document prints e-mail addresses, phone numbers or the online link: a sign-in sheet
lies on a table where everyone can read it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from io import BytesIO
from pathlib import Path

from babel.dates import format_date
from flask import current_app
from flask_babel import force_locale, lazy_pgettext
from flask_babel import lazy_gettext as _l
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace
from PIL import Image

from consult.directory.models import GENDER_LABELS
from consult.events.display import meeting_date, meeting_when
from consult.events.models import FORMAT_LABELS, Meeting, MeetingFormat, Series
from consult.files import IMAGE_KINDS, sniff
from consult.registrations.models import Registration

log = logging.getLogger(__name__)

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONT = "DejaVuSans"

SIGN_IN_SHEET = _l("Sign-in sheet")
NUMBER = _l("No.")
NAME = lazy_pgettext("person", "Name")
ORGANISATION = _l("Organisation")
GENDER = _l("Gender")
SIGNATURE = _l("Signature")
WHEN = _l("When")
FORMAT = _l("Format")
PLACE = _l("Place")
PROJECT = _l("Project")
PROJECT_CODE = _l("Project code")
FUNDER = _l("Funder")
FUNDING_PROGRAMME = _l("Funding programme")
IMPLEMENTING_BODY = _l("Implementing body")
CO_ORGANISERS = _l("Co-organisers")
CERTIFICATE = _l("Certificate of attendance")
TOOK_PART_IN = _l("took part in")
ORGANISED_BY = _l("Organised by")

MARGIN = 12  # mm, every side
LOGO_HEIGHT = 14  # mm
# the disclaimer's print size (pt) and line height (mm): smaller for a long one, which may
# take at most FOOTER_SHARE of the page's height
DISCLAIMER_SIZES = ((7.5, 3.4), (6.5, 2.9), (5.5, 2.5))
FOOTER_SHARE = 0.2
SHEET_FONT_SIZE = 10  # pt
SHEET_ROW_HEIGHT = 9  # mm: room for a signature
# No., name, organisation, gender, signature: fractions of the width between the margins
SHEET_COLUMNS = (0.045, 0.25, 0.32, 0.115, 0.27)


def sign_in_sheet(meeting: Meeting, registrations: Iterable[Registration],
                  blank_rows: int = 10, locale: str | None = None) -> bytes:
    """The sign-in sheet of ``meeting`` (A4 landscape) in ``locale`` (default: the meeting's
    main language): one numbered row per registration, in the order given, then
    ``blank_rows`` numbered empty rows for people who come without registering."""
    locale = _document_locale(locale, meeting.main_language)
    with force_locale(locale):
        pdf = _Document("L", locale, _disclaimer(meeting.series))
        title = f"{SIGN_IN_SHEET} — {meeting.display_title}"
        pdf.set_title(title)
        pdf.running_header = f"{title} — {meeting_date(meeting)}"
        pdf.first_page()
        _draw_logos(pdf, meeting.series)
        heading = _heading(meeting)
        if heading:
            pdf.write_line(heading, size=14, bold=True)
        _draw_funder_lines(pdf, meeting.series)
        co_organisers = _co_organisers(meeting)
        if co_organisers:
            pdf.write_label(CO_ORGANISERS, ", ".join(co_organisers), size=9)
        pdf.ln(3)
        pdf.write_line(str(SIGN_IN_SHEET), size=16, bold=True)
        pdf.write_line(meeting.display_title, size=13, bold=True)
        for label, value in _meeting_details(meeting):
            pdf.write_label(label, value)
        pdf.ln(4)
        _draw_table(pdf, list(registrations), max(blank_rows, 0))
        return pdf.finish()


def certificate(registration: Registration, locale: str | None = None,
                issued_on: date | None = None) -> bytes:
    """A one-page certificate (A4 portrait) that the person took part in the meeting, in
    ``locale`` (default: the language the person registered in). ``issued_on`` defaults to
    today in the meeting's time zone. Whether the person was there is the caller's check."""
    meeting = registration.meeting
    series = meeting.series
    locale = _document_locale(locale, registration.locale)
    issued_on = issued_on or datetime.now(meeting.zone).date()
    with force_locale(locale):
        pdf = _Document("P", locale, _disclaimer(series))
        pdf.set_title(f"{CERTIFICATE} — {registration.name}")
        pdf.first_page()
        pdf.set_draw_color(150)
        pdf.rect(MARGIN / 2, MARGIN / 2, pdf.w - MARGIN, pdf.h - MARGIN)
        pdf.set_draw_color(0)
        _draw_logos(pdf, series, center=True)
        heading = _heading(meeting)
        if heading:
            pdf.write_line(heading, size=11, align="C")
        pdf.ln(18)
        pdf.write_line(str(CERTIFICATE), size=26, bold=True, align="C", height=12)
        pdf.ln(14)
        pdf.write_line(registration.name, size=22, bold=True, align="C", height=11)
        if registration.organisation_name:
            pdf.write_line(registration.organisation_name, size=12, align="C")
        pdf.ln(8)
        pdf.write_line(str(TOOK_PART_IN), size=12, align="C")
        pdf.ln(4)
        pdf.write_line(meeting.display_title, size=17, bold=True, align="C", height=8)
        pdf.ln(6)
        pdf.write_line(meeting_date(meeting), size=12, align="C")
        place = _place(meeting)
        if place:
            pdf.write_line(place, size=12, align="C")
        organisers = _organisers(meeting)
        if organisers:
            pdf.ln(8)
            pdf.write_line(f"{ORGANISED_BY}: {', '.join(organisers)}", size=12, align="C")
        pdf.ln(16)
        issued = format_date(issued_on, "long", locale=locale)
        pdf.write_line(str(_l("Issued on %(date)s", date=issued)), size=10, align="C")
        _draw_funder_lines(pdf, series, at_bottom=True)
        return pdf.finish()


class _Document(FPDF):
    """A4 page with the bundled fonts; the series' disclaimer and "page / pages" at the foot
    of every page, and a one-line running header from the second page on."""

    def __init__(self, orientation: str, locale: str, disclaimer: str):
        super().__init__(orientation=orientation, unit="mm", format="A4")
        self.add_font(FONT, "", FONT_DIR / "DejaVuSans.ttf")
        self.add_font(FONT, "B", FONT_DIR / "DejaVuSans-Bold.ttf")
        self.set_lang(locale)
        self.set_creator("Consult")
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.disclaimer = disclaimer
        self.running_header = ""
        self.footer_height = 0.0
        self.disclaimer_size, self.disclaimer_line = DISCLAIMER_SIZES[0]
        self.disclaimer_in_footer = not disclaimer

    def first_page(self) -> None:
        """Open page 1 and keep the content clear of the footer (measured on a page: the
        disclaimer can run to several lines). A disclaimer too long for a footer, even in
        smaller print, is printed once after the content (see ``finish``)."""
        self.add_page()
        footer_text = 0.0
        for size, line_height in DISCLAIMER_SIZES if self.disclaimer else ():
            self.set_font(FONT, size=size)
            lines = self.multi_cell(self.epw, line_height, self.disclaimer, dry_run=True,
                                    output="LINES")
            if len(lines) * line_height <= self.h * FOOTER_SHARE:
                self.disclaimer_size, self.disclaimer_line = size, line_height
                self.disclaimer_in_footer = True
                footer_text = len(lines) * line_height
                break
        # the disclaimer, the page number under it, and some air above
        self.footer_height = footer_text + 5 + 4
        self.set_auto_page_break(True, margin=MARGIN + self.footer_height)

    @property
    def footer_disclaimer(self) -> str:
        return self.disclaimer if self.disclaimer_in_footer else ""

    def finish(self) -> bytes:
        if not self.disclaimer_in_footer:
            self.ln(4)
            self.set_font(FONT, size=DISCLAIMER_SIZES[-1][0])
            self.multi_cell(self.epw, DISCLAIMER_SIZES[-1][1], self.disclaimer, align="L",
                            new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        return bytes(self.output())

    def header(self) -> None:
        if self.page_no() > 1 and self.running_header:
            self.set_font(FONT, size=8)
            self.set_text_color(80)
            self.cell(self.epw, 5, self.running_header, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            self.set_text_color(0)
            self.ln(2)

    def footer(self) -> None:
        self.set_y(-(MARGIN + self.footer_height - 4))
        self.set_font(FONT, size=self.disclaimer_size)
        self.set_text_color(60)
        if self.footer_disclaimer:
            self.multi_cell(self.epw, self.disclaimer_line, self.footer_disclaimer, align="L",
                            new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FONT, size=8)
        self.cell(self.epw, 5, f"{self.page_no()} / {self.str_alias_nb_pages}", align="R")
        self.set_text_color(0)

    def write_line(self, text: str, size: float, bold: bool = False, align: str = "L",
                   height: float | None = None) -> None:
        """A paragraph across the page, wrapped."""
        self.set_font(FONT, "B" if bold else "", size=size)
        self.multi_cell(self.epw, height or size * 0.5, text, align=align,
                        new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def write_label(self, label, value: str, size: float = 10) -> None:
        """``Label: value`` with the label in bold, wrapped."""
        height = size * 0.5
        self.set_x(self.l_margin)
        self.set_font(FONT, "B", size=size)
        self.write(height, f"{label}: ")
        self.set_font(FONT, size=size)
        self.write(height, value)
        self.ln(height)

    def label_height(self, label, value: str, size: float = 10) -> float:
        """How tall ``write_label`` will make it: its words wrapped as write() wraps them."""
        self.set_font(FONT, "B", size=size)
        x = self.get_string_width(f"{label}: ")
        self.set_font(FONT, size=size)
        space, lines = self.get_string_width(" "), 1
        for word in value.split():
            width = self.get_string_width(word)
            if x > 0 and x + width > self.epw:
                lines, x = lines + 1, 0
            while width > self.epw:  # a word longer than the line (a URL) is broken up
                lines, width = lines + 1, width - self.epw
            x += width + space
        return lines * size * 0.5


def _document_locale(locale: str | None, fallback: str | None) -> str:
    languages = current_app.config["LANGUAGES"]
    for candidate in (locale, fallback):
        if candidate in languages:
            return candidate
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def _disclaimer(series: Series | None) -> str:
    return series.text("disclaimer").strip() if series is not None else ""


def _heading(meeting: Meeting) -> str:
    """What the meeting is part of: its series, else its working group."""
    if meeting.series is not None:
        return meeting.series.text("title")
    if meeting.group is not None:
        return meeting.group.text("name")
    return ""


def _co_organisers(meeting: Meeting) -> list[str]:
    """The meeting's co-organisers, else the series' (one a line)."""
    series = meeting.series
    text = meeting.co_organisers or (series.co_organisers if series is not None else "")
    return [name.strip() for name in text.splitlines() if name.strip()]


def _organisers(meeting: Meeting) -> list[str]:
    """Who organised the meeting: the series' implementing body and the co-organisers."""
    series = meeting.series
    names = [series.text("implementing_body")] if series is not None else []
    unique: list[str] = []
    for name in (n.strip() for n in names + _co_organisers(meeting)):
        if name and name not in unique:
            unique.append(name)
    return unique


def _place(meeting: Meeting) -> str:
    format_label = str(FORMAT_LABELS[meeting.format])
    if meeting.format is MeetingFormat.ONLINE:
        return format_label
    place = ", ".join(part for part in (meeting.venue, meeting.address) if part)
    if meeting.format is MeetingFormat.HYBRID:
        return f"{place} — {format_label}" if place else format_label
    return place


def _meeting_details(meeting: Meeting) -> list[tuple[object, str]]:
    details = [(WHEN, meeting_when(meeting)), (FORMAT, str(FORMAT_LABELS[meeting.format]))]
    place = ", ".join(part for part in (meeting.venue, meeting.address) if part)
    if meeting.has_place and place:
        details.append((PLACE, place))
    return details


def _funder_lines(series: Series | None) -> list[tuple[object, str]]:
    if series is None:
        return []
    lines: list[tuple[object, str]] = []
    project = series.text("project_name")
    if project:
        code = f" ({series.project_code})" if series.project_code else ""
        lines.append((PROJECT, project + code))
    elif series.project_code:
        lines.append((PROJECT_CODE, series.project_code))
    if series.text("funder"):
        lines.append((FUNDER, series.text("funder")))
    if series.text("programme"):
        lines.append((FUNDING_PROGRAMME, series.text("programme")))
    if series.text("implementing_body"):
        lines.append((IMPLEMENTING_BODY, series.text("implementing_body")))
    return lines


def _draw_funder_lines(pdf: _Document, series: Series | None, at_bottom: bool = False) -> None:
    lines = _funder_lines(series)
    if not lines:
        return
    size = 9
    if at_bottom:
        # the block sits just above the footer, wherever the text above ended; a long name
        # wraps, and its height is measured so that the block stays on the page
        block = sum(pdf.label_height(label, value, size) for label, value in lines) + 2
        pdf.set_y(max(pdf.get_y() + 4, pdf.page_break_trigger - block))
    for label, value in lines:
        pdf.write_label(label, value, size=size)


def _draw_logos(pdf: _Document, series: Series | None, center: bool = False) -> None:
    """The series' logos in a row, from their stored bytes; a file that is not a readable
    PNG or JPEG is left out (the page must print all the same)."""
    if series is None or not series.logos:
        return
    images = []
    for logo in series.logos:
        data = logo.file.data if logo.file is not None else None
        if not data or sniff(data) not in IMAGE_KINDS:
            log.warning("logo %s of series %s is not a PNG or JPEG", logo.id, series.slug)
            continue
        images.append((logo, data))
    if not images:
        return
    gap = 6
    widths = []
    for logo, data in images:
        try:
            with Image.open(BytesIO(data)) as image:
                pixels_wide, pixels_high = image.size
        except (OSError, ValueError, Image.DecompressionBombError):
            log.warning("logo %s of series %s cannot be read", logo.id, series.slug)
            continue
        widths.append((logo, data, LOGO_HEIGHT * pixels_wide / pixels_high))
    if not widths:
        return
    total = sum(w for _, _, w in widths) + gap * (len(widths) - 1)
    scale = min(1.0, pdf.epw / total)
    x = pdf.l_margin + ((pdf.epw - total * scale) / 2 if center else 0)
    y = pdf.get_y()
    for logo, data, width in widths:
        pdf.image(BytesIO(data), x=x, y=y, w=width * scale, h=LOGO_HEIGHT * scale,
                  alt_text=logo.alt_text)
        x += (width + gap) * scale
    pdf.set_y(y + LOGO_HEIGHT * scale + 3)


def _draw_table(pdf: _Document, registrations: Sequence[Registration], blank_rows: int) -> None:
    headings = (NUMBER, NAME, ORGANISATION, GENDER, SIGNATURE)
    pdf.set_font(FONT, size=SHEET_FONT_SIZE)
    with pdf.table(
        col_widths=tuple(pdf.epw * share for share in SHEET_COLUMNS),
        width=pdf.epw,
        text_align=("RIGHT", "LEFT", "LEFT", "LEFT", "LEFT"),
        headings_style=FontFace(emphasis="BOLD", fill_color=(230, 230, 230)),
        line_height=SHEET_FONT_SIZE * 0.5,
        min_row_height=SHEET_ROW_HEIGHT,
        v_align="MIDDLE",
        repeat_headings=1,
    ) as table:
        row = table.row()
        for heading in headings:
            row.cell(str(heading))
        for number, registration in enumerate(registrations, start=1):
            row = table.row()
            row.cell(str(number))
            row.cell(registration.name)
            row.cell(registration.organisation_name or "")
            row.cell(str(GENDER_LABELS[registration.gender]))
            row.cell("")
        for number in range(len(registrations) + 1, len(registrations) + blank_rows + 1):
            row = table.row()
            row.cell(str(number))
            for _ in range(len(headings) - 1):
                row.cell("")
