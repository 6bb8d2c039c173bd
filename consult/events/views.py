"""Public pages: meetings, series, documents and calendars."""

from __future__ import annotations

from functools import wraps

import sqlalchemy as sa
from flask import Blueprint, Response, abort, render_template, request, url_for
from flask_login import current_user

from consult.auth.services import can_manage
from consult.cache import public_cache
from consult.events import services
from consult.events.calendar import build_calendar
from consult.events.models import (
    MEETING_TYPE_LABELS,
    CalendarFeed,
    Document,
    Meeting,
    MeetingStatus,
    MeetingType,
    Series,
    SeriesLogo,
)
from consult.extensions import db
from consult.files import download, file_response
from consult.forms import paginate
from consult.groups.models import WorkingGroup
from consult.i18n import localized_language, prefer_language
from consult.security import public

bp = Blueprint("events", __name__)

PER_PAGE = 20


def _filters_from_request() -> services.MeetingFilters:
    args = request.args
    when = args.get("when", "upcoming")
    return services.MeetingFilters(
        series=args.get("series", ""),
        group=args.get("group", ""),
        type=args.get("type", "") if args.get("type") in {t.value for t in MeetingType} else "",
        region=args.get("region", ""),
        month=args.get("month", ""),
        when=when if when in {"upcoming", "past", "all"} else "upcoming",
    )


def _public_series():
    return db.session.scalars(
        sa.select(Series).where(Series.published.is_(True)).order_by(Series.created_at.desc())
    ).all()


def _public_groups():
    return db.session.scalars(
        sa.select(WorkingGroup).where(WorkingGroup.public.is_(True)).order_by(WorkingGroup.id)
    ).all()


@bp.route("/")
@public
@public_cache
def index():
    upcoming = db.session.scalars(
        services.public_meetings_query(services.MeetingFilters(when="upcoming")).limit(10)
    ).all()
    recent = db.session.scalars(
        services.public_meetings_query(services.MeetingFilters(when="past")).limit(5)
    ).all()
    return render_template("events/index.html", upcoming=upcoming, recent=recent,
                           series=_public_series(), groups=_public_groups())


@bp.route("/meetings/")
@public
@public_cache
def meetings():
    filters = _filters_from_request()
    page = paginate(services.public_meetings_query(filters), PER_PAGE)
    return render_template(
        "events/meetings.html", page=page, filters=filters, series=_public_series(),
        groups=_public_groups(), regions=services.public_regions(),
        types=MEETING_TYPE_LABELS,
    )


def _is_manager(thing) -> bool:
    return current_user.is_authenticated and can_manage(current_user, thing)


def _publicly_visible(meeting: Meeting) -> bool:
    """Published (or held, or cancelled), in a published series and a public group."""
    return (
        meeting.is_public
        and (meeting.series is None or meeting.series.published)
        and (meeting.group is None or meeting.group.public)
    )


def _visible_meeting(meeting_id: int) -> Meeting:
    meeting = db.get_or_404(Meeting, meeting_id)
    if not _publicly_visible(meeting) and not _is_manager(meeting):
        abort(404)
    return meeting


def _documents(owner_clause, include_internal: bool) -> list[Document]:
    query = sa.select(Document).where(owner_clause).order_by(Document.type, Document.id)
    if not include_internal:
        query = query.where(Document.public.is_(True))
    return db.session.scalars(query).all()


@bp.route("/meetings/<int:meeting_id>")
@public
@public_cache
def meeting(meeting_id):
    meeting = _visible_meeting(meeting_id)
    manager = _is_manager(meeting)
    documents = _documents(Document.meeting_id == meeting.id, include_internal=manager)
    state = services.registration_state(meeting)
    return render_template(
        "events/meeting.html", meeting=meeting, documents=documents, state=state,
        state_label=services.REGISTRATION_STATE_LABELS[state], is_manager=manager,
        named=_named_participants(meeting),
    )


def _named_participants(meeting: Meeting) -> list[tuple[str, str]]:
    """Who took part and agreed, when registering, to appear in the published list of
    participants: (name, organisation), once the meeting is over. Nobody is named before or
    during it: who is (or will be) where is not for the public."""
    from consult.attendance.models import Attendance
    from consult.registrations.models import Registration

    if not meeting.has_ended or meeting.status is MeetingStatus.CANCELLED:
        return []
    return [tuple(row) for row in db.session.execute(
        sa.select(Registration.name, Registration.organisation_name)
        .join(Attendance, Attendance.registration_id == Registration.id)
        .where(Registration.meeting_id == meeting.id, Registration.publish_consent.is_(True),
               Registration.anonymised_at.is_(None))
        .order_by(Registration.name))]


@bp.route("/series/<slug>")
@public
@public_cache
def series(slug):
    series = db.first_or_404(sa.select(Series).where(Series.slug == slug))
    manager = _is_manager(series)
    if not series.published and not manager:
        abort(404)
    meetings = [m for m in series.meetings if m.is_public or manager]
    now = services.utcnow()
    documents = _documents(Document.series_id == series.id, include_internal=manager)
    return render_template(
        "events/series.html", series=series, documents=documents,
        upcoming=[m for m in meetings if m.ends_at >= now],
        past=[m for m in meetings if m.ends_at < now][::-1],
    )


@bp.route("/documents/<int:document_id>/<path:filename>")
@public
def document(document_id, filename):
    document = db.get_or_404(Document, document_id)
    owner = document.meeting or document.series
    if owner is None and document.group_id is not None:
        owner = db.session.get(WorkingGroup, document.group_id)
    if owner is None or document.file is None:
        abort(404)
    if document.meeting is not None:
        owner_public = _publicly_visible(document.meeting)
    elif document.series is not None:
        owner_public = document.series.published
    else:
        owner_public = owner.public
    if not (document.public and owner_public) and not _is_manager(owner):
        abort(404)
    return file_response(document.file)


@bp.route("/series/logos/<int:logo_id>")
@public
def series_logo(logo_id):
    logo = db.get_or_404(SeriesLogo, logo_id)
    if not logo.series.published and not _is_manager(logo.series):
        abort(404)
    response = file_response(logo.file, inline=True)
    if logo.series.published:
        response.headers["Cache-Control"] = "public, max-age=3600"
    return response


def _ics_response(body: bytes, filename: str) -> Response:
    return download(body, "text/calendar; charset=utf-8", filename, inline=True,
                    cache="public, max-age=300")


@bp.route("/meetings/<int:meeting_id>.ics")
@public
@public_cache
def meeting_ics(meeting_id):
    meeting = _visible_meeting(meeting_id)
    response = _ics_response(build_calendar([meeting]), f"meeting-{meeting.id}.ics")
    if not _publicly_visible(meeting):  # a manager's look at a draft: no shared caches
        response.headers["Cache-Control"] = "private, no-store"
    return response


def _in_the_series_language(view):
    """A calendar program asks without a language: the series' own, unless the visitor (or
    the subscription link's ?lang=) chose one. Decided before the page cache looks up its
    entry, whose key is the language."""
    @wraps(view)
    def wrapped(slug):
        prefer_language(db.session.scalar(
            sa.select(Series.main_language).where(Series.slug == slug)))
        return view(slug)

    return wrapped


@bp.route("/series/<slug>.ics")
@public
@_in_the_series_language
@public_cache
def series_ics(slug):
    series = db.first_or_404(
        sa.select(Series).where(Series.slug == slug, Series.published.is_(True))
    )
    meetings = [m for m in series.meetings if m.is_public]
    return _ics_response(
        build_calendar(meetings, name=series.text("title")), f"{series.slug}.ics"
    )


@bp.route("/calendar.ics")
@public
@public_cache
def calendar_ics():
    query = services.public_meetings_query(services.MeetingFilters(when="all"))
    meetings = db.session.scalars(query).all()
    from flask_babel import gettext as _

    return _ics_response(build_calendar(meetings, name=_("Consultations")), "consult.ics")


@bp.route("/calendar/private/<token>.ics")
@public
def private_ics(token):
    feed = db.first_or_404(sa.select(CalendarFeed).where(CalendarFeed.token == token))
    if not feed.user.active:
        abort(404)
    from flask_babel import gettext as _

    prefer_language(feed.user.locale)  # the calendar program asks without a language
    response = _ics_response(
        build_calendar(services.feed_meetings(feed.user), name=_("My consultations")),
        "my-consultations.ics",
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


def webcal(url: str) -> str:
    return "webcal://" + url.split("://", 1)[1]


@bp.app_template_global()
def meeting_public_url(meeting):
    return url_for("events.meeting", meeting_id=meeting.id, _external=True)


# for a lang attribute on text shown in another language than the page
bp.add_app_template_global(localized_language, "lang_of")
bp.add_app_template_global(webcal, "webcal")
bp.add_app_template_global(lambda: MeetingStatus, "MeetingStatus")


def _event_status(meeting) -> str:
    if meeting.status is MeetingStatus.CANCELLED:
        return "https://schema.org/EventCancelled"
    if meeting.sequence and meeting.changes and "moved" in meeting.changes[-1].kind:
        return "https://schema.org/EventRescheduled"
    return "https://schema.org/EventScheduled"


_ATTENDANCE = {
    "in_person": "https://schema.org/OfflineEventAttendanceMode",
    "online": "https://schema.org/OnlineEventAttendanceMode",
    "hybrid": "https://schema.org/MixedEventAttendanceMode",
}


@bp.app_template_global()
def meeting_jsonld(meeting) -> dict:
    """schema.org Event; the online link stays private (VirtualLocation has only our page)."""
    url = url_for("events.meeting", meeting_id=meeting.id, _external=True)
    locations = []
    if meeting.has_place:
        locations.append({"@type": "Place", "name": meeting.venue or meeting.region,
                          "address": meeting.address or meeting.region})
    if meeting.format.value != "in_person":
        locations.append({"@type": "VirtualLocation", "url": url})
    data = {
        "@context": "https://schema.org",
        "@type": "Event",
        "name": meeting.display_title,
        "startDate": meeting.local_start.isoformat(),
        "endDate": meeting.local_end.isoformat(),
        "eventStatus": _event_status(meeting),
        "eventAttendanceMode": _ATTENDANCE[meeting.format.value],
        "location": locations[0] if len(locations) == 1 else locations,
        "url": url,
        "inLanguage": meeting.languages or [meeting.main_language],
    }
    if meeting.text("description"):
        data["description"] = meeting.text("description")
    if meeting.series is not None:
        organizer = meeting.series.text("implementing_body")
        if organizer:
            data["organizer"] = {"@type": "Organization", "name": organizer}
        if meeting.series.text("funder"):
            data["funder"] = {"@type": "Organization", "name": meeting.series.text("funder")}
    return data


@bp.app_template_global()
def series_jsonld(series, meetings) -> dict:
    return {
        "@context": "https://schema.org",
        "@type": "EventSeries",
        "name": series.text("title"),
        "description": series.text("description"),
        "url": url_for("events.series", slug=series.slug, _external=True),
        "funder": {"@type": "Organization", "name": series.text("funder")}
        if series.text("funder") else None,
        "subEvent": [meeting_jsonld(m) for m in meetings],
    }
