"""Organizer pages for series, meetings, agendas, documents and calendar feeds."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from consult.auth.models import User, UserRole
from consult.auth.services import can_manage
from consult.db import utcnow
from consult.events import services
from consult.events.forms import (
    AgendaItemForm,
    CancelMeetingForm,
    DocumentForm,
    LogoForm,
    MeetingForm,
    SeriesForm,
    SessionsForm,
    fill_language_fields,
    home_defaults,
    language_values,
)
from consult.events.models import (
    NAMING_PEOPLE,
    AgendaItem,
    Document,
    DocumentType,
    Meeting,
    MeetingFormat,
    MeetingStatus,
    MeetingType,
    RegistrationMode,
    Series,
    SeriesLogo,
    series_managers,
)
from consult.events.views import bp
from consult.extensions import db
from consult.files import IMAGE_KINDS, UploadRejected, delete_unreferenced, store_upload
from consult.forms import ConfirmForm, select_choices
from consult.groups.models import WorkingGroup, group_managers
from consult.security import any_role_may_post, roles_required


def require_manager(thing):
    if not can_manage(current_user, thing):
        abort(403)
    return thing


def require_reader(thing):
    """Viewers read everything; organizers what they manage."""
    if current_user.is_viewer:
        return thing
    return require_manager(thing)


# --- home -----------------------------------------------------------------------------------

def _visible(model, managers_table):
    query = services.visible_to(current_user, model, managers_table).order_by(model.id)
    return db.session.scalars(query).all()


@bp.route("/manage/")
def manage_home():
    series = _visible(Series, series_managers)
    upcoming = db.session.scalars(
        services.managed_meetings_query(current_user)
        .where(Meeting.ends_at >= services.utcnow())
        .order_by(Meeting.starts_at)
        .limit(20)
    ).all()
    return render_template(
        "events/manage_home.html", series=series, groups=_visible(WorkingGroup, group_managers),
        upcoming=upcoming,
    )


# --- series ---------------------------------------------------------------------------------

def _manager_choices():
    users = db.session.scalars(
        sa.select(User)
        .where(User.active.is_(True), User.role != UserRole.VIEWER)
        .order_by(User.name, User.email)
    )
    return select_choices((u.id, f"{u.display_name} <{u.email}>") for u in users)


# the series' per-language texts, as the form has them
SERIES_TEXTS = ("title", "description", "project_name", "funder", "programme",
                "implementing_body", "disclaimer")


def _apply_series_form(series: Series, form: SeriesForm) -> None:
    for name in SERIES_TEXTS:
        setattr(series, name, language_values(form, name))
    series.main_language = form.main_language.data
    series.project_code = form.project_code.data
    series.co_organisers = form.co_organisers.data
    series.timezone = form.timezone.data
    series.published = form.published.data
    chosen = set(form.managers.data or [])
    if current_user.id not in chosen and not current_user.is_admin:
        chosen.add(current_user.id)  # organizers cannot lock themselves out of their series
    series.managers = list(db.session.scalars(sa.select(User).where(User.id.in_(chosen))))


@bp.route("/manage/series/new", methods=["GET", "POST"])
@roles_required("admin", "organizer")
def create_series():
    form = SeriesForm()
    form.managers.choices = _manager_choices()
    if request.method == "GET":
        form.managers.data = [current_user.id]
        home_defaults(form)
    if form.validate_on_submit():
        series = Series()
        _apply_series_form(series, form)
        series.slug = services.unique_slug(
            services.slugify(series.title.get(series.main_language, "")),
            services.series_slug_taken,
        )
        db.session.add(series)
        db.session.commit()
        flash(_("The series is created. Now add its meetings."), "success")
        return redirect(url_for("events.manage_series", series_id=series.id))
    return render_template("events/series_form.html", form=form, series=None)


@bp.route("/manage/series/<int:series_id>/edit", methods=["GET", "POST"])
def edit_series(series_id):
    series = require_manager(db.get_or_404(Series, series_id))
    form = SeriesForm(obj=series)
    form.managers.choices = _manager_choices()
    if request.method == "GET":
        for name in SERIES_TEXTS:
            fill_language_fields(form, name, getattr(series, name))
        form.managers.data = [u.id for u in series.managers]
    if form.validate_on_submit():
        _apply_series_form(series, form)
        db.session.commit()
        flash(_("The series is saved."), "success")
        return redirect(url_for("events.manage_series", series_id=series.id))
    return render_template("events/series_form.html", form=form, series=series)


@bp.route("/manage/series/<int:series_id>/")
def manage_series(series_id):
    return _series_page(require_reader(db.get_or_404(Series, series_id)))


def _documents_for_reader(owner) -> list[Document]:
    """A series' or meeting's documents on its organizer page: a viewer, who may open only
    the public ones, is shown only those."""
    query = sa.select(Document).where(owner).order_by(Document.id)
    if current_user.is_viewer:
        query = query.where(Document.public.is_(True))
    return db.session.scalars(query).all()


def _series_page(series: Series, document_form=None, logo_form=None):
    documents = _documents_for_reader(Document.series_id == series.id)
    return render_template("events/manage_series.html", series=series, documents=documents,
                           document_form=document_form or DocumentForm(formdata=None),
                           logo_form=logo_form or LogoForm(formdata=None),
                           confirm=ConfirmForm())


@bp.route("/manage/series/<int:series_id>/logos", methods=["GET", "POST"])
def add_series_logo(series_id):
    series = require_manager(db.get_or_404(Series, series_id))
    if request.method == "GET":  # the address a refused upload leaves in the address bar
        return redirect(url_for("events.manage_series", series_id=series.id) + "#logos")
    form = LogoForm()
    if form.validate_on_submit():
        try:
            stored = store_upload(form.file.data, IMAGE_KINDS)
        except UploadRejected as error:
            form.file.errors.append(str(error.args[0]))
            db.session.rollback()
        else:
            position = max((logo.position for logo in series.logos), default=0) + 1
            series.logos.append(SeriesLogo(file=stored, alt_text=form.alt_text.data,
                                           position=position))
            db.session.commit()
            flash(_("The logo is added."), "success")
            return redirect(url_for("events.manage_series", series_id=series.id) + "#logos")
    return _series_page(series, logo_form=form), 400


@bp.route("/manage/logos/<int:logo_id>/delete", methods=["GET", "POST"])
def delete_series_logo(logo_id):
    logo = db.get_or_404(SeriesLogo, logo_id)
    series = require_manager(logo.series)
    back = url_for("events.manage_series", series_id=series.id) + "#logos"
    form = ConfirmForm()
    if form.validate_on_submit():
        db.session.delete(logo)
        db.session.flush()
        delete_unreferenced()
        db.session.commit()
        flash(_("The logo is removed."), "success")
        return redirect(back)
    return render_template(
        "confirm_removal.html", form=form, back=back, heading=_("Remove the logo"),
        lines=[_("Remove the logo “%(alt)s” from the pages, mail and documents of %(series)s?",
                 alt=logo.alt_text, series=series.text("title"))])


@bp.route("/manage/series/<int:series_id>/sessions", methods=["GET", "POST"])
def add_sessions(series_id):
    series = require_manager(db.get_or_404(Series, series_id))
    form = SessionsForm()
    if request.method == "GET":
        form.timezone.data = series.timezone
        extra = min(max(request.args.get("rows", 7, type=int), 1), 60)
        while len(form.rows) < extra:
            form.rows.append_entry()
    if form.validate_on_submit():
        created = []
        for row in form.rows:
            data = row.form
            if not data.date.data:
                continue
            zone = form.timezone.data
            meeting = Meeting(
                series=series,
                main_language=series.main_language,
                title=dict(series.title),
                type=MeetingType(form.type.data),
                format=MeetingFormat(data.format.data),
                starts_at=services.to_utc(data.date.data, data.start_time.data, zone),
                ends_at=services.to_utc(data.date.data, data.end_time.data, zone),
                timezone=zone,
                region=data.region.data,
                venue=data.venue.data,
                online_url=data.online_url.data,
                capacity=form.capacity.data,
                registration_mode=RegistrationMode(form.registration_mode.data),
                languages=[series.main_language],
                status=MeetingStatus.PUBLISHED if form.publish.data else MeetingStatus.DRAFT,
            )
            db.session.add(meeting)
            created.append(meeting)
        db.session.commit()
        flash(_("%(n)s sessions are added.", n=len(created)), "success")
        return redirect(url_for("events.manage_series", series_id=series.id))
    return render_template("events/sessions_form.html", form=form, series=series)


# --- meetings -------------------------------------------------------------------------------

def _meeting_values(form: MeetingForm) -> dict:
    zone = form.timezone.data

    def local(value: datetime | None):
        return services.to_utc(value.date(), value.time(), zone) if value else None

    return {
        "title": language_values(form, "title"),
        "description": language_values(form, "description"),
        "sensitive_question": language_values(form, "sensitive_question"),
        "main_language": form.main_language.data,
        "type": MeetingType(form.type.data),
        "format": MeetingFormat(form.format.data),
        "starts_at": services.to_utc(form.date.data, form.start_time.data, zone),
        "ends_at": services.to_utc(form.date.data, form.end_time.data, zone),
        "timezone": zone,
        "venue": form.venue.data,
        "address": form.address.data,
        "online_url": form.online_url.data,
        "region": form.region.data,
        "capacity": form.capacity.data,
        "registration_mode": RegistrationMode(form.registration_mode.data),
        "registration_opens_at": local(form.registration_opens.data),
        "registration_closes_at": local(form.registration_closes.data),
        "co_organisers": form.co_organisers.data,
        "languages": form.languages.data or [],
    }


def _fill_meeting_form(form: MeetingForm, meeting: Meeting) -> None:
    fill_language_fields(form, "title", meeting.title)
    fill_language_fields(form, "description", meeting.description)
    fill_language_fields(form, "sensitive_question", meeting.sensitive_question or {})
    form.main_language.data = meeting.main_language
    form.type.data = meeting.type.value
    form.format.data = meeting.format.value
    form.date.data = meeting.local_start.date()
    form.start_time.data = meeting.local_start.time()
    form.end_time.data = meeting.local_end.time()
    form.timezone.data = meeting.timezone
    form.registration_mode.data = meeting.registration_mode.value
    for field, value in (("registration_opens", meeting.registration_opens_at),
                         ("registration_closes", meeting.registration_closes_at)):
        getattr(form, field).data = (
            value.astimezone(meeting.zone).replace(tzinfo=None) if value else None
        )
    form.languages.data = meeting.languages or []


@bp.route("/manage/meetings/new", methods=["GET", "POST"])
@roles_required("admin", "organizer")
def create_meeting():
    series = group = None
    if request.args.get("series"):
        series = require_manager(db.get_or_404(Series, request.args.get("series", type=int)))
    elif request.args.get("group"):
        group = require_manager(db.get_or_404(WorkingGroup, request.args.get("group", type=int)))
    else:
        abort(404)
    owner = series or group
    form = MeetingForm()
    if request.method == "GET":
        form.timezone.data = owner.timezone
        form.main_language.data = owner.main_language
        if series is not None:
            fill_language_fields(form, "title", series.title)
    if form.validate_on_submit():
        meeting = Meeting(series=series, group=group)
        services.apply_meeting_changes(meeting, _meeting_values(form), current_user)
        db.session.add(meeting)
        db.session.commit()
        flash(_("The meeting is saved as a draft. Publish it when it is ready."), "success")
        return redirect(url_for("events.manage_meeting", meeting_id=meeting.id))
    return render_template("events/meeting_form.html", form=form, meeting=None, owner=owner)


@bp.route("/manage/meetings/<int:meeting_id>/edit", methods=["GET", "POST"])
def edit_meeting(meeting_id):
    meeting = require_manager(db.get_or_404(Meeting, meeting_id))
    form = MeetingForm(obj=meeting)
    if request.method == "GET":
        _fill_meeting_form(form, meeting)
    if form.validate_on_submit():
        values = _meeting_values(form)
        # first, so the change mail's calendar entry already has the agenda's new times
        shifted = services.shift_agenda(meeting, values)
        kinds = services.apply_meeting_changes(meeting, values, current_user)
        db.session.commit()
        if kinds:
            flash(_("The meeting is saved. Everyone registered, and everyone invited who "
                    "has not answered, will receive the change."), "success")
        else:
            flash(_("The meeting is saved."), "success")
        if shifted:
            flash(_("The agenda moved with the meeting: it begins at %(time)s.",
                    time=min(i.starts_at for i in meeting.agenda if i.starts_at).strftime(
                        "%H:%M")), "info")
        return redirect(url_for("events.manage_meeting", meeting_id=meeting.id))
    owner = meeting.series or meeting.group
    return render_template("events/meeting_form.html", form=form, meeting=meeting, owner=owner)


@bp.route("/manage/meetings/<int:meeting_id>/")
def manage_meeting(meeting_id):
    return _meeting_page(require_reader(db.get_or_404(Meeting, meeting_id)))


def _meeting_page(meeting: Meeting, agenda_form=None, document_form=None):
    """The organizer's meeting page; a form passed in keeps what was typed and its errors."""
    if agenda_form is None:
        agenda_form = AgendaItemForm(formdata=None)
        agenda_form.main_language.data = meeting.main_language
    documents = _documents_for_reader(Document.meeting_id == meeting.id)
    from consult.attendance.services import funnel
    from consult.directory.services import stakeholder_types

    return render_template(
        "events/manage_meeting.html", meeting=meeting, documents=documents,
        agenda_form=agenda_form, document_form=document_form or DocumentForm(formdata=None),
        confirm=ConfirmForm(), state=services.registration_state(meeting),
        funnel=funnel(meeting),
        types=stakeholder_types(), now=utcnow(),
    )


@bp.route("/manage/meetings/<int:meeting_id>/publish", methods=["POST"])
def publish_meeting(meeting_id):
    meeting = require_manager(db.get_or_404(Meeting, meeting_id))
    if ConfirmForm().validate_on_submit():
        services.publish(meeting)
        db.session.commit()
        flash(_("The meeting is published."), "success")
    return redirect(url_for("events.manage_meeting", meeting_id=meeting.id))


@bp.route("/manage/meetings/<int:meeting_id>/held", methods=["POST"])
def mark_meeting_held(meeting_id):
    meeting = require_manager(db.get_or_404(Meeting, meeting_id))
    if ConfirmForm().validate_on_submit():
        try:
            services.mark_held(meeting)
        except services.NotStartedYet:
            flash(_("A meeting can be marked as held once it has started."), "error")
        except services.StatusChangeRefused:
            flash(_("Only a published meeting can be marked as held."), "error")
        else:
            db.session.commit()
            flash(_("The meeting is marked as held."), "success")
    return redirect(url_for("events.manage_meeting", meeting_id=meeting.id))


@bp.route("/manage/meetings/<int:meeting_id>/cancel", methods=["GET", "POST"])
def cancel_meeting(meeting_id):
    meeting = require_manager(db.get_or_404(Meeting, meeting_id))
    if meeting.status is not MeetingStatus.PUBLISHED:
        flash(_("Only a published meeting can be cancelled."), "error")
        return redirect(url_for("events.manage_meeting", meeting_id=meeting.id))
    form = CancelMeetingForm()
    if form.validate_on_submit():
        services.cancel(meeting, form.note.data, current_user)
        db.session.commit()
        flash(_("The meeting is cancelled."), "success")
        return redirect(url_for("events.manage_meeting", meeting_id=meeting.id))
    recipients = services.meeting_recipients(meeting)
    return render_template("events/cancel_meeting.html", meeting=meeting, form=form,
                           recipients=recipients)


@bp.route("/manage/meetings/<int:meeting_id>/delete", methods=["GET", "POST"])
def delete_meeting(meeting_id):
    """Drafts only: a meeting anyone has seen is cancelled instead, so its record stays."""
    meeting = require_manager(db.get_or_404(Meeting, meeting_id))
    if meeting.status is not MeetingStatus.DRAFT:
        flash(_("Only a draft can be deleted; cancel a published meeting instead."), "error")
        return redirect(url_for("events.manage_meeting", meeting_id=meeting.id))
    form = ConfirmForm()
    back = (url_for("events.manage_series", series_id=meeting.series_id) if meeting.series_id
            else url_for("events.manage_home"))
    if form.validate_on_submit():
        db.session.execute(sa.delete(Document).where(Document.meeting_id == meeting.id))
        db.session.delete(meeting)
        db.session.flush()
        delete_unreferenced()
        db.session.commit()
        flash(_("The draft is deleted."), "success")
        return redirect(back)
    return render_template("events/delete_meeting.html", meeting=meeting, form=form,
                           back=url_for("events.manage_meeting", meeting_id=meeting.id))


@bp.route("/manage/meetings/<int:meeting_id>/duplicate", methods=["POST"])
def duplicate_meeting(meeting_id):
    meeting = require_manager(db.get_or_404(Meeting, meeting_id))
    if not ConfirmForm().validate_on_submit():
        abort(400)
    copy_ = services.duplicate(meeting)
    db.session.commit()
    flash(_("This is a draft copy. Give it its own date and place."), "success")
    return redirect(url_for("events.edit_meeting", meeting_id=copy_.id))


# --- agenda ---------------------------------------------------------------------------------

@bp.route("/manage/meetings/<int:meeting_id>/agenda", methods=["POST"])
def add_agenda_item(meeting_id):
    meeting = require_manager(db.get_or_404(Meeting, meeting_id))
    form = AgendaItemForm()
    if form.validate_on_submit():
        position = max((item.position for item in meeting.agenda), default=0) + 1
        meeting.agenda.append(AgendaItem(
            position=position, starts_at=form.starts_at.data,
            duration_minutes=form.duration_minutes.data, speaker=form.speaker.data,
            title=language_values(form, "title"),
        ))
        db.session.commit()
        flash(_("The agenda item is added."), "success")
        return redirect(url_for("events.manage_meeting", meeting_id=meeting.id) + "#agenda")
    return _meeting_page(meeting, agenda_form=form), 400


@bp.route("/manage/agenda/<int:item_id>/edit", methods=["GET", "POST"])
def edit_agenda_item(item_id):
    item = db.get_or_404(AgendaItem, item_id)
    meeting = require_manager(item.meeting)
    form = AgendaItemForm(obj=item)
    if request.method == "GET":
        fill_language_fields(form, "title", item.title)
        form.main_language.data = meeting.main_language
    if form.validate_on_submit():
        item.title = language_values(form, "title")
        item.starts_at = form.starts_at.data
        item.duration_minutes = form.duration_minutes.data
        item.speaker = form.speaker.data
        db.session.commit()
        flash(_("The agenda item is saved."), "success")
        return redirect(url_for("events.manage_meeting", meeting_id=meeting.id) + "#agenda")
    return render_template("events/agenda_item_form.html", form=form, item=item,
                           meeting=meeting)


@bp.route("/manage/agenda/<int:item_id>/move", methods=["POST"])
def move_agenda_item(item_id):
    item = db.get_or_404(AgendaItem, item_id)
    meeting = require_manager(item.meeting)
    if ConfirmForm().validate_on_submit():
        items = list(meeting.agenda)
        index = items.index(item)
        other = index - 1 if request.form.get("direction") == "up" else index + 1
        if 0 <= other < len(items):
            items[index], items[other] = items[other], items[index]
            for position, entry in enumerate(items, start=1):
                entry.position = position
            db.session.commit()
    return redirect(url_for("events.manage_meeting", meeting_id=meeting.id) + "#agenda")


@bp.route("/manage/agenda/<int:item_id>/delete", methods=["GET", "POST"])
def delete_agenda_item(item_id):
    item = db.get_or_404(AgendaItem, item_id)
    meeting = require_manager(item.meeting)
    back = url_for("events.manage_meeting", meeting_id=meeting.id) + "#agenda"
    form = ConfirmForm()
    if form.validate_on_submit():
        db.session.delete(item)
        db.session.commit()
        flash(_("The agenda item is removed."), "success")
        return redirect(back)
    return render_template(
        "confirm_removal.html", form=form, back=back, heading=_("Remove the agenda item"),
        lines=[_("Remove “%(title)s” from the agenda of %(meeting)s?", title=item.text(),
                 meeting=meeting.display_title)])


# --- documents ------------------------------------------------------------------------------

def _add_document(form: DocumentForm, **owner) -> Document | None:
    kind = DocumentType(form.type.data)
    # a signed sheet or a list of invitees names people: internal, whatever the box said
    kept_internal = form.public.data and kind in NAMING_PEOPLE
    document = Document(
        type=kind, title=form.title.data, language=form.language.data, year=form.year.data,
        public=form.public.data and not kept_internal, url=form.url.data or "", **owner,
    )
    upload = form.file.data
    if upload and getattr(upload, "filename", ""):
        try:
            document.file = store_upload(upload)
        except UploadRejected as error:
            form.file.errors.append(str(error.args[0]))
            db.session.rollback()
            return None
    db.session.add(document)
    db.session.commit()
    if kept_internal:
        flash(_("It names people, so it is kept internal: only the organizers can open it."),
              "info")
    return document


@bp.route("/manage/meetings/<int:meeting_id>/documents", methods=["GET", "POST"])
def add_meeting_document(meeting_id):
    meeting = require_manager(db.get_or_404(Meeting, meeting_id))
    if request.method == "GET":  # the address a refused upload leaves in the address bar
        return redirect(url_for("events.manage_meeting", meeting_id=meeting.id) + "#documents")
    form = DocumentForm()
    if form.validate_on_submit() and _add_document(form, meeting_id=meeting.id):
        flash(_("The document is added."), "success")
        return redirect(url_for("events.manage_meeting", meeting_id=meeting.id) + "#documents")
    return _meeting_page(meeting, document_form=form), 400


@bp.route("/manage/series/<int:series_id>/documents", methods=["GET", "POST"])
def add_series_document(series_id):
    series = require_manager(db.get_or_404(Series, series_id))
    if request.method == "GET":
        return redirect(url_for("events.manage_series", series_id=series.id) + "#documents")
    form = DocumentForm()
    if form.validate_on_submit() and _add_document(form, series_id=series.id):
        flash(_("The document is added."), "success")
        return redirect(url_for("events.manage_series", series_id=series.id) + "#documents")
    return _series_page(series, document_form=form), 400


def _document_owner(document: Document):
    if document.meeting is not None:
        return document.meeting, url_for("events.manage_meeting", meeting_id=document.meeting_id)
    if document.series is not None:
        return document.series, url_for("events.manage_series", series_id=document.series_id)
    if document.group_id is not None:
        group = db.get_or_404(WorkingGroup, document.group_id)
        return group, url_for("groups.manage_group", group_id=group.id)
    abort(404)


@bp.route("/manage/documents/<int:document_id>/delete", methods=["GET", "POST"])
def delete_document(document_id):
    document = db.get_or_404(Document, document_id)
    owner, back = _document_owner(document)
    require_manager(owner)
    form = ConfirmForm()
    if form.validate_on_submit():
        db.session.delete(document)
        db.session.flush()
        delete_unreferenced()  # the uploaded bytes go with the document
        db.session.commit()
        flash(_("The document is removed."), "success")
        return redirect(back + "#documents")
    waiting = _mail_waiting_with(document)
    return render_template(
        "confirm_removal.html", form=form, back=back, heading=_("Remove the document"),
        lines=[_("Remove “%(title)s”? Its link stops working.", title=document.title)],
        warning=ngettext(
            "%(num)d message that attaches this file is still waiting to be sent. It will not "
            "be sent, and the outbox will say why.",
            "%(num)d messages that attach this file are still waiting to be sent. They will "
            "not be sent, and the outbox will say why.", waiting) if waiting else "")


@bp.route("/manage/documents/<int:document_id>/edit", methods=["GET", "POST"])
def edit_document(document_id):
    """Correct a document's title, type, language, year or publication, or unpublish it."""
    from consult.events.forms import DocumentEditForm

    document = db.get_or_404(Document, document_id)
    owner, back = _document_owner(document)
    require_manager(owner)
    form = DocumentEditForm(data={
        "type": document.type.value, "title": document.title, "language": document.language,
        "year": document.year, "published_on": document.published_on, "url": document.url,
        "public": document.public})
    form.has_file = document.file is not None
    if form.validate_on_submit():
        document.type = DocumentType(form.type.data)
        document.title, document.language = form.title.data, form.language.data
        document.year, document.published_on = form.year.data, form.published_on.data
        document.public, document.url = form.public.data, form.url.data or ""
        db.session.commit()
        flash(_("The document is saved."), "success")
        return redirect(back + "#documents")
    return render_template("events/document_edit.html", form=form, document=document,
                           back=back)


def _mail_waiting_with(document: Document) -> int:
    """Messages not sent yet that attach the document's file: they fail if it is removed."""
    from consult.mail.models import OutboxAttachment, OutboxMessage, OutboxStatus

    if document.file_id is None:
        return 0
    return db.session.scalar(
        sa.select(sa.func.count(sa.distinct(OutboxAttachment.message_id)))
        .join(OutboxMessage, OutboxMessage.id == OutboxAttachment.message_id)
        .where(OutboxAttachment.stored_file_id == document.file_id,
               OutboxMessage.status.in_((OutboxStatus.PENDING, OutboxStatus.SENDING,
                                         OutboxStatus.HELD))))


# --- private calendar feed ----------------------------------------------------------------

@bp.route("/manage/calendar", methods=["GET", "POST"])
@any_role_may_post  # renewing changes only the user's own feed address
def manage_calendar():
    form = ConfirmForm()
    if form.validate_on_submit():
        services.calendar_feed(current_user, renew=True)
        db.session.commit()
        flash(_("Your calendar address is renewed; the old one no longer works."), "success")
        return redirect(url_for("events.manage_calendar"))
    feed = services.calendar_feed(current_user)
    db.session.commit()
    return render_template("events/calendar.html", feed=feed, form=form)
