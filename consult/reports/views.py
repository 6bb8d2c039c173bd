"""Organizer and viewer pages of the participation reports and their exports.

Everything here is read only (GET) and aggregate: viewers may read every report, organizers
the reports of the series and groups they manage, administrators everything. No page or
file names a participant.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from consult.events.manage import require_reader
from consult.events.models import (
    FORMAT_LABELS,
    MEETING_TYPE_LABELS,
    Meeting,
    MeetingFormat,
    MeetingType,
    Series,
    series_managers,
)
from consult.events.services import managed_meetings_query, visible_to
from consult.extensions import db
from consult.files import download
from consult.forms import page_number
from consult.groups.models import WorkingGroup, group_managers
from consult.i18n import current_language
from consult.reports import charts, documents, queries, tables
from consult.reports.queries import REPORTED_STATUSES, ReportFilters

bp = Blueprint("reports", __name__, url_prefix="/manage/reports")

PER_PAGE = 25
FILTER_FIELDS = ("from", "to", "series", "group", "type", "region", "format")
MAX_REGION = 120


@dataclass
class FilterForm:
    """The dashboard's filters as typed (to fill the form again), their errors, and the
    ``ReportFilters`` they make when there is none."""

    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    filters: ReportFilters | None = None
    series: list[Series] = field(default_factory=list)
    groups: list[WorkingGroup] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)

    def query_args(self) -> dict[str, str]:
        return {name: value for name, value in self.values.items() if value}


@bp.app_template_filter("report_cell")
def report_cell(value) -> str:
    """A cell of a report table as text: dates in the reader's language."""
    return documents.format_cell(value, current_language())


def _scope():
    """The meetings the reader may see: all for admins and viewers, else those of the
    series and groups they manage."""
    if current_user.is_admin or current_user.is_viewer:
        return None
    return managed_meetings_query(current_user).with_only_columns(Meeting.id)


def _parse_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _pick(value: str, options: dict[str, object], errors: dict, name: str, message: str):
    """The option chosen by its key (as typed), or None; an unknown key is an error."""
    if not value:
        return None
    if value not in options:
        errors[name] = message
        return None
    return options[value]


def parse_filters(args) -> FilterForm:
    values = {name: (args.get(name) or "").strip()[:200] for name in FILTER_FIELDS}
    form = FilterForm(values)
    scope = _scope()
    form.series = list(db.session.scalars(
        visible_to(current_user, Series, series_managers).order_by(Series.created_at.desc())))
    form.groups = sorted(db.session.scalars(visible_to(current_user, WorkingGroup,
                                                       group_managers)),
                         key=lambda group: group.text("name").casefold())
    regions = sa.select(Meeting.region).where(Meeting.region != "",
                                              Meeting.status.in_(REPORTED_STATUSES))
    if scope is not None:
        regions = regions.where(Meeting.id.in_(scope))
    form.regions = list(db.session.scalars(regions.distinct().order_by(Meeting.region)))

    errors = form.errors
    dates = {}
    for name in ("from", "to"):
        if values[name]:
            dates[name] = _parse_date(values[name])
            if dates[name] is None:
                errors[name] = _("Enter a date as year-month-day, for example 2020-11-02.")
    if dates.get("from") and dates.get("to") and dates["from"] > dates["to"]:
        errors["to"] = _("The end of the period is before its start.")
    series = _pick(values["series"], {str(s.id): s for s in form.series}, errors, "series",
                   _("Choose a series from the list."))
    group = _pick(values["group"], {str(g.id): g for g in form.groups}, errors, "group",
                  _("Choose a working group from the list."))
    meeting_type = _pick(values["type"], {t.value: t for t in MeetingType}, errors, "type",
                         _("Choose a type of meeting from the list."))
    meeting_format = _pick(values["format"], {f.value: f for f in MeetingFormat}, errors,
                           "format", _("Choose a format from the list."))
    if len(values["region"]) > MAX_REGION:
        errors["region"] = _("Choose a region from the list.")
    if not errors:
        form.filters = ReportFilters(
            date_from=dates.get("from"), date_to=dates.get("to"),
            series_id=series.id if series else None, group_id=group.id if group else None,
            meeting_type=meeting_type, region=values["region"] or None,
            format=meeting_format, scope=scope)
    return form


def _charts(board: queries.Dashboard) -> dict[str, charts.Chart]:
    recorded, aggregate = str(tables.ATTENDED), str(tables.WITHOUT_REGISTRATION)
    funnel = board.funnel
    result = {
        "funnel": charts.bar_chart("chart-funnel", _("Invited, registered, attended"), [
            (_("Invited"), funnel.invited), (_("Registered"), funnel.registered),
            (str(tables.TOTAL_ATTENDED), funnel.attended_total)]),
        "gender": charts.stacked_chart("chart-gender", _("Attendance by gender"), [
            (label, [("recorded", recorded, board.by_gender.recorded[g]),
                     ("aggregate", aggregate, board.by_gender.aggregate[g])])
            for g, label in zip(queries.GENDERS, tables.gender_columns(), strict=True)]),
        "type_gender": charts.stacked_chart(
            "chart-type-gender", _("Attendance by stakeholder type and gender (personal "
                                   "records)"),
            [(row.label, charts.gender_parts(row.by_gender))
             for row in board.type_gender.rows if row.recorded]),
        "meeting_region": charts.stacked_chart(
            "chart-region", _("Attendance by region of the meeting"),
            [(row.label, [("recorded", recorded, row.recorded),
                          ("aggregate", aggregate, row.without_registration)])
             for row in board.by_meeting_region]),
        "first_time": charts.stacked_chart(
            "chart-first-time", _("First-time and returning participants"), [
                (_("First meeting ever"), charts.gender_parts(board.first_time.first)),
                (_("Had attended before"), charts.gender_parts(board.first_time.returning)),
            ]),
        "members": charts.stacked_chart(
            "chart-members", _("Members and consulted non-members"), [
                (_("Members"), charts.gender_parts(board.members.by_kind[queries.MEMBER])),
                (_("Consulted non-members"),
                 charts.gender_parts(board.members.by_kind[queries.NON_MEMBER])),
                (_("No working group"),
                 charts.gender_parts(board.members.by_kind[queries.NO_GROUP])),
            ]),
    }
    return result


def _group_years(form: FilterForm) -> list[int]:
    """Years in which the chosen (public) group met: links to its transparency records."""
    filters = form.filters
    if filters is None or filters.group_id is None:
        return []
    group = db.session.get(WorkingGroup, filters.group_id)
    if group is None or not group.public:
        return []
    return queries.group_years(group.id)


@bp.route("/")
def dashboard():
    form = parse_filters(request.args)
    context = {"form": form, "types": MEETING_TYPE_LABELS, "formats": FORMAT_LABELS}
    if form.errors:
        return render_template("reports/dashboard.html", board=None, **context), 400
    board = queries.dashboard(form.filters, page=page_number(), per_page=PER_PAGE)
    sheets = {sheet.key: sheet for sheet in tables.participation_sheets(
        board, board.meeting_rows)}
    if board.meetings.pages > 1:  # totals of one page would mislead: the report has them
        for key in ("meetings_gender", "meetings_type"):
            sheets[key].footer = []
    return render_template("reports/dashboard.html", board=board, sheets=sheets,
                           charts=_charts(board), group_years=_group_years(form), **context)


@bp.route("/participation.<any(csv, xlsx, pdf):kind>")
def export(kind):
    """The dashboard's report, every meeting included, as CSV, Excel or PDF."""
    form = parse_filters(request.args)
    if form.errors:
        return render_template("reports/dashboard.html", board=None, form=form,
                               types=MEETING_TYPE_LABELS, formats=FORMAT_LABELS), 400
    document = documents.build_participation(form.filters, current_language(),
                                             filename=_export_name(form.filters))
    return download(*documents.write(document, kind))


def _export_name(filters) -> str:
    """participation-<series or group>-<type>-<format>-<region>-<from>_<to>: files saved side
    by side say which meetings each counts."""
    from consult.events.services import slugify
    from consult.groups.models import WorkingGroup

    parts = ["participation"]
    if filters.series_id is not None:
        series = db.session.get(Series, filters.series_id)
        parts.append(series.slug if series else str(filters.series_id))
    if filters.group_id is not None:
        group = db.session.get(WorkingGroup, filters.group_id)
        parts.append(group.slug if group else str(filters.group_id))
    for value in (filters.meeting_type, filters.format):
        if value is not None:
            parts.append(value.value.replace("_", "-"))
    if filters.region:
        parts.append(slugify(filters.region))
    if filters.date_from or filters.date_to:
        parts.append(f"{filters.date_from or ''}_{filters.date_to or ''}")
    return "-".join(part for part in parts if part)


@bp.route("/meetings/<int:meeting_id>/participation.<any(pdf, xlsx, csv):kind>")
def meeting_report(meeting_id, kind):
    """One meeting's participation report, with the series' funder block."""
    meeting = require_reader(db.get_or_404(Meeting, meeting_id))
    if meeting.status not in queries.REPORTED_STATUSES:
        abort(404)  # a draft or a cancelled meeting has no participation to report
    return download(*documents.write(documents.build_meeting_report(
        meeting, current_language()), kind))


@bp.route("/series/<int:series_id>/funder.<any(pdf, xlsx, csv):kind>")
def funder(series_id, kind):
    """The funder report of a series: funder block, a row per meeting, totals."""
    series = require_reader(db.get_or_404(Series, series_id))
    document = documents.build_funder(series, current_language())
    return download(*documents.write(document, kind))
