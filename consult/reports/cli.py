"""`flask report …`: scheduled exports of reports and transparency records.

    flask report series SLUG --format csv|xlsx|pdf --out FILE
    flask report group SLUG --year YEAR --format csv|xlsx|pdf --out FILE
    flask report transparency --group SLUG_OR_ID --year YEAR --format pdf|html --out FILE

Links in the files are absolute, built from SERVER_NAME and PREFERRED_URL_SCHEME.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from consult.events.models import Series
from consult.extensions import db

report_cli = AppGroup("report", help="Export participation reports and transparency records.")

LOCALE = click.option("--locale", default=None,
                      help="Language of the file (en, bg, mk, sq); default: the series' or "
                           "the group's main language.")


@contextmanager
def _request_context():
    """A request context for url_for and the language of the document."""
    config = current_app.config
    base_url = f"{config.get('PREFERRED_URL_SCHEME') or 'https'}://" \
               f"{config.get('SERVER_NAME') or 'localhost'}"
    with current_app.test_request_context("/", base_url=base_url):
        yield


def _write(out: str, body: bytes) -> None:
    path = Path(out)
    if path.parent and not path.parent.exists():
        raise click.ClickException(f"The folder {path.parent} does not exist.")
    path.write_bytes(body)
    click.echo(f"Wrote {path} ({len(body):,} bytes)")


def _year(value: int) -> int:
    from consult.reports.record import FIRST_YEAR, LAST_YEAR

    if not FIRST_YEAR <= value <= LAST_YEAR:
        raise click.BadParameter(f"a year between {FIRST_YEAR} and {LAST_YEAR}")
    return value


@report_cli.command("series")
@click.argument("slug")
@click.option("--format", "kind", type=click.Choice(["csv", "xlsx", "pdf"]), required=True)
@click.option("--out", required=True, type=click.Path(dir_okay=False, writable=True),
              help="The file to write.")
@LOCALE
def series_command(slug, kind, out, locale):
    """The funder report of the series SLUG: a row per meeting, totals, funder block."""
    from consult.reports import documents

    series = db.session.scalar(sa.select(Series).where(Series.slug == slug))
    if series is None:
        raise click.ClickException(f"No series {slug!r}.")
    with _request_context():
        document = documents.build_funder(series, locale)
        body, _content_type, _name = documents.write(document, kind)
    _write(out, body)


@report_cli.command("group")
@click.argument("slug")
@click.option("--year", required=True, type=int, callback=lambda _c, _p, v: _year(v))
@click.option("--format", "kind", type=click.Choice(["csv", "xlsx", "pdf"]), required=True)
@click.option("--out", required=True, type=click.Path(dir_okay=False, writable=True),
              help="The file to write.")
@LOCALE
def group_command(slug, year, kind, out, locale):
    """The participation report of the working group SLUG's meetings in YEAR."""
    from flask_babel import force_locale
    from flask_babel import gettext as _

    from consult.reports import documents
    from consult.reports.queries import ReportFilters, find_group

    group = find_group(slug)
    if group is None:
        raise click.ClickException(f"No working group {slug!r}.")
    with _request_context():
        locale = locale or group.main_language
        with force_locale(documents._document_locale(locale, group.main_language)):
            title = _("Participation report %(year)s: %(group)s", year=year,
                      group=group.text("name"))
        document = documents.build_participation(
            ReportFilters.for_year(year, group_id=group.id), locale, title=title,
            filename=f"participation-{group.slug}-{year}")
        body, _content_type, _name = documents.write(document, kind)
    _write(out, body)


@report_cli.command("transparency")
@click.option("--group", "group_ref", required=True, help="The group's slug or id.")
@click.option("--year", required=True, type=int, callback=lambda _c, _p, v: _year(v))
@click.option("--format", "kind", type=click.Choice(["pdf", "html"]), required=True)
@click.option("--out", required=True, type=click.Path(dir_okay=False, writable=True),
              help="The file to write.")
@LOCALE
def transparency_command(group_ref, year, kind, out, locale):
    """The public transparency record of a working group for YEAR."""
    from consult.reports.queries import find_group
    from consult.reports.record import build_record, record_html, record_pdf

    group = find_group(group_ref)
    if group is None:
        raise click.ClickException(f"No working group {group_ref!r}.")
    if not group.public:
        click.echo(f"Note: {group.slug} is an internal group; its record is not on the site.",
                   err=True)
    with _request_context():
        record = build_record(group, year)
        body = record_pdf(record, locale) if kind == "pdf" else \
            record_html(record, locale).encode("utf-8")
    _write(out, body)
