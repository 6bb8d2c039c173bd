"""The transparency record of a working group for one year.

What a citizen, a journalist or an auditor may know of the group's year: who led it, how
many members it had (by the organisation they represent, by stakeholder type and by gender;
names only of those who agreed to be named), every meeting with its exact date, format,
attendance by gender and agenda, the public minutes and materials, the stakeholders consulted
beyond the members (by gender and type), the group's own documents of the year, and the log
of conclusions sent to the members. Aggregates and published documents only: no participant
is named.

One ``Record`` feeds the public page, the downloadable HTML document and the PDF.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from babel.dates import format_date
from flask import render_template, url_for
from flask_babel import force_locale, ngettext, pgettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from consult.attendance.pdf import _Document, _document_locale
from consult.directory.models import StakeholderType
from consult.events.models import (
    DOCUMENT_TYPE_LABELS,
    FORMAT_LABELS,
    MEETING_TYPE_LABELS,
    Document,
    MeetingType,
)
from consult.groups.models import LEAD_ROLE_LABELS, MEMBERSHIP_ROLE_LABELS, WorkingGroup
from consult.reports import queries
from consult.reports.documents import ReportDocument, draw_sheet, format_cell
from consult.reports.queries import GENDERS, MeetingRow, ReportFilters
from consult.reports.tables import (
    TOTAL,
    WITHOUT_REGISTRATION,
    Link,
    Sheet,
    gender_columns,
    meeting_day,
    type_gender_sheet,
)

FIRST_YEAR, LAST_YEAR = 1990, 2200
TRANSPARENCY_RECORD = _l("Transparency record")


@dataclass
class MeetingEntry:
    row: MeetingRow
    documents: list[Document]

    @property
    def described(self) -> bool:
        """Whether the record has anything to say of it: an agenda or a public document."""
        return bool(self.documents or self.row.meeting.agenda)


@dataclass
class Record:
    group: WorkingGroup
    year: int
    leads: list
    members: queries.Members
    meetings: list[MeetingEntry]
    attendance: queries.GenderCounts
    consulted: queries.TypeGender
    members_consulted: queries.MembersConsulted
    documents: list[Document]
    conclusions: list[queries.ConclusionsRow]
    types: list[StakeholderType]

    @property
    def filename(self) -> str:
        return f"transparency-{self.group.slug}-{self.year}"

    def meetings_by_type(self) -> list[tuple[MeetingType, list[MeetingEntry]]]:
        return [(kind, [e for e in self.meetings if e.row.meeting.type is kind])
                for kind in MeetingType
                if any(e.row.meeting.type is kind for e in self.meetings)]


def build_record(group: WorkingGroup, year: int) -> Record:
    """The year's record of ``group``: a fixed number of aggregate queries."""
    filters = ReportFilters.for_year(year, group_id=group.id, public_only=True)
    types = queries.stakeholder_types()
    rows = queries.meeting_rows(None, types, filters)
    documents = queries.public_meeting_documents([row.meeting.id for row in rows])
    return Record(
        group=group,
        year=year,
        leads=queries.group_leads(group.id, year),
        members=queries.members_in_year(group.id, year),
        meetings=[MeetingEntry(row, documents[row.meeting.id]) for row in rows],
        attendance=queries.by_gender(filters),
        consulted=queries.consulted_non_members(filters, types),
        members_consulted=queries.members_consulted(filters),
        documents=queries.group_documents(group.id, year),
        conclusions=queries.conclusions_log(group.id, filters),
        types=types,
    )


def title(record: Record) -> str:
    return _("%(record)s %(year)s: %(group)s", record=TRANSPARENCY_RECORD, year=record.year,
             group=record.group.text("name"))


def document_url(document: Document, external: bool = False) -> str:
    if document.file is not None:
        return url_for("events.document", document_id=document.id,
                       filename=document.file.filename, _external=external)
    return document.url


# --- the record's tables ------------------------------------------------------------------

def _day(value: date | None) -> str | date:
    return value if value is not None else "—"


def leads_sheet(record: Record) -> Sheet:
    rows = [[lead.name(), str(LEAD_ROLE_LABELS[lead.role]), _day(lead.starts_on),
             _day(lead.ends_on)] for lead in record.leads]
    return Sheet("leads", _("Lead institutions in %(year)s", year=record.year), _("Leads"),
                 [_("Institution"), _("Role"), _("From"), _("Until")], rows, numeric_from=4,
                 note="" if rows else _("No lead institution is recorded."))


def members_gender_sheet(record: Record) -> Sheet:
    members = record.members
    return Sheet("members_gender", _("Members in %(year)s by gender", year=record.year),
                 _("Members by gender"), [_("Members"), *gender_columns(), str(TOTAL)],
                 [[_("People"), *(members.by_gender[g] for g in GENDERS), members.total]]
                 if members.total else [],
                 note=_("Everyone who was a member at any time in the year, counted once.")
                 if members.total else _("The group had no members recorded in this year."))


def _type_labels(record: Record) -> dict[int, str]:
    return {kind.id: kind.label() for kind in record.types}


def members_type_sheet(record: Record) -> Sheet:
    """Members by stakeholder type (of the organisation they represent): different people,
    in the directory's order of types, those without a type last."""
    counts, labels = record.members.by_type, _type_labels(record)
    rows = [[labels[kind.id], counts[kind.id]] for kind in record.types if counts.get(kind.id)]
    unknown = sum(n for kind_id, n in counts.items() if kind_id not in labels)
    if unknown:
        rows.append([str(queries.NOT_GIVEN), unknown])
    return Sheet("members_type", _("Members by stakeholder type"), _("Members by type"),
                 [_("Stakeholder type"), _("Members")], rows, wide=(0,),
                 note=_("A member who represented organisations of two types in the year "
                        "counts under each.") if sum(counts.values()) > record.members.total
                 else "")


def members_organisation_sheet(record: Record) -> Sheet:
    labels = _type_labels(record)
    rows = [[row.name or str(queries.NOT_GIVEN),
             labels.get(row.type_id, "") if row.name else "", row.members]
            for row in record.members.by_organisation]
    return Sheet("members_organisation", _("Members by the organisation they represent"),
                 _("Members by organisation"),
                 [_("Organisation"), _("Stakeholder type"), _("Members")], rows,
                 numeric_from=2, wide=(0,))


def named_members_sheet(record: Record) -> Sheet:
    rows = [[m.name, m.organisation or "—", str(MEMBERSHIP_ROLE_LABELS[m.role]),
             _day(m.starts_on), _day(m.ends_on)] for m in record.members.named]
    return Sheet("members_named", _("Members who agreed to be named"), _("Named members"),
                 [pgettext("person", "Name"), _("Organisation"), _("Role"), _("From"),
                  _("Until")], rows,
                 numeric_from=5, wide=(1,),
                 note=_("Other members are counted above, not named: they did not agree to "
                        "appear on public pages.") if rows else
                 _("No member has agreed to be named publicly."))


def meetings_sheet(kind: MeetingType, entries: list[MeetingEntry], external: bool) -> Sheet:
    columns = [_("Date"), _("Meeting"), _("Format"), *gender_columns(),
               str(WITHOUT_REGISTRATION), str(TOTAL)]
    rows, totals = [], [0] * 6
    for entry in entries:
        row, meeting = entry.row, entry.row.meeting
        numbers = [*(row.by_gender[g] for g in GENDERS), row.without_registration, row.total]
        rows.append([meeting_day(meeting),
                     Link(meeting.display_title, url_for("events.meeting",
                                                         meeting_id=meeting.id,
                                                         _external=external)),
                     str(FORMAT_LABELS[meeting.format]), *numbers])
        totals = [a + b for a, b in zip(totals, numbers, strict=True)]
    title = f"{MEETING_TYPE_LABELS[kind]} ({len(entries)})"
    return Sheet(f"meetings_{kind.value}", title.capitalize(), title[:31], columns, rows,
                 [[str(TOTAL), "", "", *totals]], numeric_from=3, wide=(1,), header_column=1)


def consulted_sheet(record: Record) -> Sheet:
    sheet = type_gender_sheet(record.consulted, key="consulted",
                              title=_("Consulted non-members by stakeholder type and gender"),
                              people=True)
    if sheet.empty:
        sheet.note = _("Nobody took part in the group's meetings of this year without being "
                       "a member.")
    return sheet


def documents_sheet(record: Record, external: bool) -> Sheet:
    rows = [[Link(d.title, document_url(d, external)) if (d.file or d.url) else d.title,
             str(DOCUMENT_TYPE_LABELS[d.type]), _day(d.published_on)]
            for d in record.documents]
    return Sheet("documents", _("Documents of the group for %(year)s", year=record.year),
                 _("Documents"), [_("Document"), _("Type"), _("Published on")], rows,
                 numeric_from=3, wide=(0,),
                 note="" if rows else _("No document of the group is published for this "
                                        "year."))


def conclusions_sheet(record: Record, external: bool) -> Sheet:
    rows = []
    for send in record.conclusions:
        document = send.document
        if document is None:
            shown = _("(not published)")
        elif document.file or document.url:
            shown = Link(document.title, document_url(document, external))
        else:
            shown = document.title
        day = format_cell(meeting_day(send.meeting), _locale())
        rows.append([send.sent_at.astimezone(send.meeting.zone).date(),
                     f"{send.meeting.display_title} ({day})", shown, send.recipients])
    return Sheet("conclusions", _("Conclusions sent to the members"), _("Conclusions sent"),
                 [_("Sent on"), _("Meeting"), _("Document"), _("Recipients")], rows,
                 numeric_from=3, wide=(1, 2),
                 note="" if rows else _("No conclusions were mailed to the members this "
                                        "year."))


def _locale() -> str:
    from flask_babel import get_locale

    locale = get_locale()
    return str(locale) if locale else "en"


@dataclass
class RecordTables:
    leads: Sheet
    members_gender: Sheet
    members_type: Sheet
    members_organisation: Sheet
    members_named: Sheet
    meetings: list[tuple[MeetingType, Sheet, list[MeetingEntry]]]
    consulted: Sheet
    documents: Sheet
    conclusions: Sheet


def record_tables(record: Record, external: bool = False) -> RecordTables:
    return RecordTables(
        leads=leads_sheet(record),
        members_gender=members_gender_sheet(record),
        members_type=members_type_sheet(record),
        members_organisation=members_organisation_sheet(record),
        members_named=named_members_sheet(record),
        meetings=[(kind, meetings_sheet(kind, entries, external), entries)
                  for kind, entries in record.meetings_by_type()],
        consulted=consulted_sheet(record),
        documents=documents_sheet(record, external),
        conclusions=conclusions_sheet(record, external),
    )


# --- the documents ------------------------------------------------------------------------

def record_locale(record: Record, locale: str | None) -> str:
    return _document_locale(locale, record.group.main_language)


def record_html(record: Record, locale: str | None = None) -> str:
    """The record as one self-contained HTML document: absolute links, no scripts, no
    styles (it reads as plain, structured HTML anywhere it is saved)."""
    locale = record_locale(record, locale)
    with force_locale(locale):
        return render_template("reports/transparency_document.html", record=record,
                               tables=record_tables(record, external=True),
                               title=title(record), locale=locale,
                               attendance=attendance_line(record),
                               without_note=without_registration_note(record),
                               doc_url=lambda d: document_url(d, external=True),
                               produced=format_date(date.today(), "long", locale=locale))


def record_document(record: Record, locale: str | None = None) -> ReportDocument:
    """The record's tables as a report document, for a workbook or CSV: each table a sheet,
    with the numbers as numbers for a journalist to sum and compare."""
    locale = record_locale(record, locale)
    with force_locale(locale):
        tables = record_tables(record, external=True)
        lines = [(_("Working group"), record.group.text("name")),
                 (_("Attendance in %(year)s", year=record.year), attendance_line(record)),
                 (_("Produced on"), format_date(date.today(), "long", locale=locale))]
        if without_registration_note(record):
            lines.append(("", without_registration_note(record)))
        sheets = [tables.leads, tables.members_gender, tables.members_type,
                  tables.members_organisation, tables.members_named,
                  *(sheet for _kind, sheet, _entries in tables.meetings),
                  tables.consulted, tables.documents, tables.conclusions]
        return ReportDocument(title=title(record), locale=locale, lines=lines,
                              sheets=sheets, filename=record.filename)


def record_pdf(record: Record, locale: str | None = None) -> bytes:
    """The record as a PDF (A4 portrait, bundled fonts): the same sections and numbers."""
    locale = record_locale(record, locale)
    with force_locale(locale):
        tables = record_tables(record, external=True)
        heading = title(record)
        pdf = _Document("P", locale, "")
        pdf.set_title(heading)
        pdf.running_header = heading
        pdf.first_page()
        pdf.write_line(str(TRANSPARENCY_RECORD) + f" {record.year}", size=12)
        pdf.write_line(record.group.text("name"), size=16, bold=True, height=8)
        mandate = record.group.text("mandate")
        if mandate:
            pdf.write_line(mandate, size=9)
        pdf.write_label(_("Produced on"), format_date(date.today(), "long", locale=locale),
                        size=9)
        pdf.write_label(_("Attendance in %(year)s", year=record.year), attendance_line(
            record), size=9)
        _section(pdf, _("Lead institutions"))
        draw_sheet(pdf, tables.leads, locale)
        _section(pdf, _("Members"))
        for sheet in (tables.members_gender, tables.members_type,
                      tables.members_organisation, tables.members_named):
            draw_sheet(pdf, sheet, locale)
        _section(pdf, _("Meetings in %(year)s", year=record.year))
        if not tables.meetings:
            pdf.write_line(_("The group held no meeting in this year."), size=9)
        for _kind, sheet, entries in tables.meetings:
            draw_sheet(pdf, sheet, locale)
            _meeting_documents(pdf, entries, locale)
        _section(pdf, _("Consulted non-members"))
        draw_sheet(pdf, tables.consulted, locale)
        if without_registration_note(record):
            pdf.write_line(without_registration_note(record), size=7.5)
        _section(pdf, _("Documents"))
        draw_sheet(pdf, tables.documents, locale)
        draw_sheet(pdf, tables.conclusions, locale)
        return pdf.finish()


def attendance_line(record: Record) -> str:
    counts = record.attendance
    parts = ", ".join(f"{label} {counts.total[g]}" for g, label in
                      zip(GENDERS, gender_columns(), strict=True))
    line = _("%(attendances)s at %(meetings)s (%(parts)s)",
             attendances=ngettext("%(num)d attendance", "%(num)d attendances",
                                  counts.grand_total),
             meetings=ngettext("%(num)d meeting", "%(num)d meetings", len(record.meetings)),
             parts=parts)
    if counts.aggregate_total:
        # the meeting tables' gender columns hold people with a personal record only: say
        # how the two figures meet
        line += " " + ngettext(
            "Of these, %(num)d was counted without registration; the tables below show it "
            "in its own column.",
            "Of these, %(num)d were counted without registration; the tables below show them "
            "in their own column.", counts.aggregate_total)
    return line


def without_registration_note(record: Record) -> str:
    if not record.members_consulted.without_registration_group:
        return ""
    return _("Besides: %(n)s attendances counted without registration at the group's "
             "meetings (membership not known).",
             n=record.members_consulted.without_registration_group)


def _section(pdf: _Document, heading: str) -> None:
    if pdf.will_page_break(30):
        pdf.add_page()
    pdf.ln(5)
    pdf.write_line(heading, size=13, bold=True, height=7)


def _meeting_documents(pdf: _Document, entries: list[MeetingEntry], locale: str) -> None:
    """Under each type's table: every meeting's public documents, as links."""
    from consult.attendance.pdf import FONT

    described = [entry for entry in entries if entry.described]
    if not described:
        return
    pdf.ln(2)
    pdf.write_line(_("Agenda, minutes and materials"), size=9, bold=True)
    for entry in described:
        meeting = entry.row.meeting
        pdf.write_line(f"{format_cell(meeting_day(meeting), locale)} — "
                       f"{meeting.display_title}", size=8.5)
        agenda = [_("Agenda") + ":"] if meeting.agenda else []
        for number, item in enumerate(meeting.agenda, 1):
            at = item.starts_at.strftime("%H:%M") + " " if item.starts_at else ""
            speaker = f" — {item.speaker}" if item.speaker else ""
            agenda.append(f"{number}. {at}{item.text()}{speaker}")
        for line in agenda:
            pdf.set_x(pdf.l_margin + 4)
            pdf.set_font(FONT, size=8.5)
            pdf.multi_cell(pdf.epw - 4, 4.2, line, new_x="LMARGIN", new_y="NEXT")
        for document in entry.documents:
            published = document.file or document.url
            label = f"• {document.title} ({DOCUMENT_TYPE_LABELS[document.type]}" + (
                ")" if published else f", {_('to be published')})")
            url = document_url(document, external=True) if published else ""
            pdf.set_x(pdf.l_margin + 4)
            pdf.set_font(FONT, size=8.5)
            pdf.set_text_color(11, 79, 138) if url else pdf.set_text_color(0)
            pdf.multi_cell(pdf.epw - 4, 4.2, label, link=url or None, new_x="LMARGIN",
                           new_y="NEXT")
            pdf.set_text_color(0)

