"""The transparency record of a working group for a year: a public page and a document.

Public on purpose (listed in tests/test_access.py): it holds aggregates and published
documents only, names only members who agreed to be named, and exists only for public
groups; an internal group's record is "not found" like the group itself.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, render_template

from consult.cache import public_cache
from consult.extensions import db
from consult.files import download
from consult.groups.models import WorkingGroup
from consult.i18n import current_language
from consult.reports.queries import group_first_year, group_last_year, record_years
from consult.reports.record import (
    FIRST_YEAR,
    LAST_YEAR,
    attendance_line,
    build_record,
    document_url,
    record_html,
    record_pdf,
    record_tables,
    title,
    without_registration_note,
)
from consult.security import public

bp = Blueprint("transparency", __name__)


def _public_group(slug: str, year: int) -> WorkingGroup:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        abort(404)
    group = db.first_or_404(sa.select(WorkingGroup).where(WorkingGroup.slug == slug))
    if not group.public:
        abort(404)
    first = group_first_year(group)  # no record of a year before the group existed
    if (first is not None and year < first) or year > group_last_year(group):
        abort(404)  # nor of one nothing is planned in yet
    return group


@bp.route("/groups/<slug>/<int:year>/transparency")
@public
@public_cache
def record(slug, year):
    group = _public_group(slug, year)
    data = build_record(group, year)
    return render_template("reports/transparency.html", record=data,
                           tables=record_tables(data), title=title(data),
                           years=record_years(group),
                           attendance=attendance_line(data),
                           without_note=without_registration_note(data),
                           doc_url=document_url)


@bp.route("/groups/<slug>/<int:year>/transparency.pdf")
@public
@public_cache
def record_pdf_file(slug, year):
    data = build_record(_public_group(slug, year), year)
    return download(record_pdf(data, current_language()), "application/pdf",
                    f"{data.filename}.pdf", cache=None)


@bp.route("/groups/<slug>/<int:year>/transparency.<any(xlsx, csv):kind>")
@public
@public_cache
def record_spreadsheet(slug, year, kind):
    """The record's tables as a workbook or CSV, for those who count and compare."""
    from consult.reports.documents import write
    from consult.reports.record import record_document

    data = build_record(_public_group(slug, year), year)
    body, content_type, filename = write(record_document(data, current_language()), kind)
    return download(body, content_type, filename, cache=None)


@bp.route("/groups/<slug>/<int:year>/transparency.html")
@public
@public_cache
def record_html_file(slug, year):
    data = build_record(_public_group(slug, year), year)
    return download(record_html(data, current_language()).encode("utf-8"),
                    "text/html; charset=utf-8", f"{data.filename}.html", cache=None)
