"""Check-in at the door (made for a phone), walk-ins, QR check-in, recorded counts."""

from __future__ import annotations

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_login import current_user
from sqlalchemy.orm import joinedload, lazyload
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import NumberRange, Optional

from consult.attendance import services
from consult.attendance.models import AggregateAttendance, Attendance, CheckInMethod
from consult.db import utcnow
from consult.directory.models import Gender
from consult.directory.services import stakeholder_type_choices, stakeholder_types
from consult.events.manage import require_manager
from consult.events.models import Meeting, MeetingStatus, Series
from consult.extensions import db
from consult.files import download
from consult.forms import BaseForm, ConfirmForm, email, max_length, required, strip
from consult.mail.models import OutboxMessage
from consult.registrations import services as registrations
from consult.registrations.forms import gender_choices
from consult.registrations.models import (
    REGISTRATION_STATUS_LABELS,
    Registration,
    RegistrationStatus,
)
from consult.security import roles_required

bp = Blueprint("attendance", __name__, url_prefix="/manage")


@bp.before_request
@roles_required("admin", "organizer")
def organizers_only():
    """Check-in lists are personal data: organizers of the meeting and admins."""


class WalkInForm(BaseForm):
    name = StringField(lazy_pgettext("person", "Name"),
                       validators=[required(), max_length(200)], filters=[strip])
    gender = SelectField(_l("Gender"), choices=gender_choices, default="")
    organisation = StringField(_l("Organisation"), validators=[max_length(300)],
                               filters=[strip])
    stakeholder_type = SelectField(_l("Type of organisation"), choices=[], default="")
    email = StringField(_l("E-mail (optional)"),
                        validators=[Optional(), email(), max_length(254)], filters=[strip])
    # the meeting's main language unless the organizer picks another: the mails about the
    # meeting (changes, reminders, the certificate) go in it
    language = SelectField(_l("Language of the mails"), choices=[])
    # shown when someone of that name is on the list already
    namesake = BooleanField(_l("This is another person with the same name"))


def _count_field(label):
    return IntegerField(label, default=0, validators=[Optional(), NumberRange(
        min=0, max=100000, message=_l("Enter a number from 0 up."))])


class AggregateForm(BaseForm):
    female = _count_field(_l("Women"))
    male = _count_field(_l("Men"))
    other = _count_field(_l("Other"))
    undisclosed = _count_field(_l("Not disclosed"))
    note = TextAreaField(_l("Note (e.g. how the counts were taken)"),
                         validators=[max_length(2000)], filters=[strip])


def _meeting(meeting_id: int) -> Meeting:
    # the door pages show the meeting and its series, not its agenda or working group; the
    # series' managers come in the same query, for the rights check
    return require_manager(db.get_or_404(Meeting, meeting_id, options=[
        lazyload(Meeting.agenda), lazyload(Meeting.group),
        joinedload(Meeting.series).joinedload(Series.managers)]))


CANCELLED_NOTE = _l("This meeting is cancelled: nobody is checked in or counted, and no "
                    "certificate is issued.")


def _cancelled(meeting: Meeting):
    """A cancelled meeting took place for nobody: the door, the counts and the certificates
    refuse to record anything for it (the answer to give, else None)."""
    if meeting.status is not MeetingStatus.CANCELLED:
        return None
    return _refuse(meeting, str(CANCELLED_NOTE))


def _too_early(meeting: Meeting):
    """Before the meeting's day nobody is checked in (``services.too_early``): the answer to
    give, else None. Undoing a check-in stays possible."""
    if not services.too_early(meeting):
        return None
    return _refuse(meeting, not_yet_note(meeting))


def not_yet_note(meeting: Meeting) -> str:
    from consult.events.display import meeting_date

    return _("Check-in opens on the day of the meeting, %(date)s.", date=meeting_date(meeting))


def _refuse(meeting: Meeting, message: str):
    """Nothing recorded: said in place to the door list's script, else on the door list."""
    if request.headers.get("X-Requested-With") == "fetch":
        return jsonify(message=message), 409
    flash(message, "error")
    return redirect(url_for("attendance.checkin", meeting_id=meeting.id))


def _registration(registration_id: int) -> Registration:
    registration = db.get_or_404(Registration, registration_id)
    require_manager(registration.meeting)
    return registration


DOOR_ROWS = 30  # a phone's list: more is found by typing


@bp.route("/meetings/<int:meeting_id>/checkin")
def checkin(meeting_id):
    meeting = _meeting(meeting_id)
    q = request.args.get("q", "").strip()[:100]
    rows = services.search(meeting, q, limit=DOOR_ROWS + 1)
    more, rows = len(rows) > DOOR_ROWS, rows[:DOOR_ROWS]  # "more": say so, type to narrow
    namesakes = services.namesakes(rows)
    if request.args.get("partial") == "1":
        # the results as the organizer types; the page fetches the counts above them itself
        # (checkin_counts)
        return render_template("attendance/_results.html", q=q, rows=rows, namesakes=namesakes,
                               more=more)
    return render_template("attendance/checkin.html", meeting=meeting, q=q, rows=rows,
                           namesakes=namesakes, more=more, counts=services.door_counts(meeting),
                           too_early=services.too_early(meeting))


@bp.route("/meetings/<int:meeting_id>/checkin/counts.json")
def checkin_counts(meeting_id):
    response = jsonify(services.door_counts(_meeting(meeting_id)).as_dict())
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/registrations/<int:registration_id>/checkin", methods=["POST"])
def toggle_checkin(registration_id):
    registration = _registration(registration_id)
    if (refused := _cancelled(registration.meeting)) is not None:
        return refused
    if ConfirmForm().validate_on_submit():
        if request.form.get("action") == "undo":
            services.undo(registration)
            message = _("%(name)s: check-in undone.", name=registration.name)
        elif (refused := _too_early(registration.meeting)) is not None:
            return refused
        elif request.form.get("anyway") != "1" and services.asks_first(registration):
            # someone without a seat (waiting list, awaiting approval, cancelled, refused) is
            # let in only when the organizer has seen who it is and what it does: their
            # page (the QR code's) says so and asks; then back to the list as it was
            page = url_for("attendance.checkin_by_code",
                           token=registrations.checkin_token(registration), via="list",
                           q=request.form.get("q") or None)
            if request.headers.get("X-Requested-With") == "fetch":
                return jsonify(location=page), 409
            return redirect(page)
        else:
            method = CheckInMethod.QR if request.form.get("method") == "qr" \
                else CheckInMethod.DOOR
            services.check_in(registration, current_user, method)
            message = _("%(name)s is checked in.", name=registration.name)
        db.session.commit()
        if request.headers.get("X-Requested-With") == "fetch":
            return jsonify(message=message,
                           counts=services.door_counts(registration.meeting).as_dict())
        flash(message, "success")
    return redirect(url_for("attendance.checkin", meeting_id=registration.meeting_id,
                            q=request.form.get("q", "")))


@bp.route("/checkin/<token>")
def checkin_by_code(token):
    """The QR code in a confirmation mail: the organizer's phone opens this person."""
    registration = registrations.by_checkin_token(token)
    if registration is None:
        abort(404)
    require_manager(registration.meeting)
    meeting = registration.meeting
    attendance = services.attendance_of(registration)
    asks = attendance is None and services.asks_first(registration)
    return render_template("attendance/person.html", registration=registration,
                           meeting=meeting, attendance=attendance, confirm=ConfirmForm(),
                           asks=asks, full=services.full(meeting) if asks else None,
                           too_early=services.too_early(meeting),
                           # reached from the door list (a tap that asks first): recorded
                           # as such, and back to the list as it was
                           method="door" if request.args.get("via") == "list" else "qr",
                           q=request.args.get("q", "")[:100])


def _language_choices(meeting: Meeting) -> list[tuple[str, str]]:
    """The languages mail is written in, the meeting's own first (its main language, then
    the others it is held in): at a Macedonian/Albanian meeting both are at the top."""
    from consult.i18n import CONTENT_LANGUAGES

    own = [meeting.main_language, *(meeting.languages or [])]
    order = {code: own.index(code) if code in own else len(own) for code in CONTENT_LANGUAGES}
    return [(code, CONTENT_LANGUAGES[code]) for code in sorted(CONTENT_LANGUAGES, key=order.get)]


@bp.route("/meetings/<int:meeting_id>/walk-in", methods=["GET", "POST"])
def walk_in(meeting_id):
    meeting = _meeting(meeting_id)
    language = services.walk_in_language(meeting)
    form = WalkInForm(language=language)  # what an old page or a script that omits it gets
    form.stakeholder_type.choices = stakeholder_type_choices()
    form.language.choices = _language_choices(meeting)
    if request.method == "POST" and ((refused := _cancelled(meeting)) is not None
                                     or (refused := _too_early(meeting)) is not None):
        return refused
    if form.validate_on_submit():
        if not form.email.data and not form.namesake.data and \
                services.registered_namesake(meeting, form.name.data):
            # a second tap on "add" or someone who did register: not a second person unless
            # the organizer says so
            form.name.errors.append(_(
                "%(name)s is on this meeting's list already: find them in the check-in list. "
                "If this is someone else, tick the box below.", name=form.name.data))
        else:
            kind = form.stakeholder_type.data
            let_in = request.form.get("let_in", "")
            try:
                registration, known = services.walk_in(meeting, {
                    "name": form.name.data, "email": form.email.data or "",
                    "gender": Gender(form.gender.data) if form.gender.data
                    else Gender.UNDISCLOSED,
                    "organisation_name": form.organisation.data or "",
                    "stakeholder_type_id": int(kind) if kind and kind.isdigit() else None,
                    "locale": form.language.data,
                }, current_user, let_in=int(let_in) if let_in.isdigit() else None)
            except services.AskFirst as question:
                # the address is the registration of someone without a seat: the page says
                # whose, what checking them in does, and asks, with everything typed kept
                db.session.rollback()
                return render_template("attendance/walk_in.html", meeting=meeting, form=form,
                                       counts=services.door_counts(meeting),
                                       ask=question.registration, full=services.full(meeting),
                                       too_early=False)
            db.session.commit()
            if known:
                # the address was on the list already: that registration is checked in, as
                # it is (its name, not the one typed)
                flash(_("%(email)s was registered already, as %(name)s (%(status)s): checked "
                        "in.", email=registration.email, name=registration.name,
                        status=REGISTRATION_STATUS_LABELS[known]), "success")
            else:
                flash(_("%(name)s is registered and checked in.", name=registration.name),
                      "success")
            return redirect(url_for("attendance.walk_in", meeting_id=meeting.id))
    return render_template("attendance/walk_in.html", meeting=meeting, form=form,
                           counts=services.door_counts(meeting), ask=None,
                           full=services.full(meeting), too_early=services.too_early(meeting))


@bp.route("/meetings/<int:meeting_id>/attendance/counts", methods=["GET", "POST"])
def aggregate_counts(meeting_id):
    meeting = _meeting(meeting_id)
    record = db.session.scalar(sa.select(AggregateAttendance).where(
        AggregateAttendance.meeting_id == meeting.id))
    form = AggregateForm()
    types = stakeholder_types()
    if request.method == "GET" and record is not None:
        for gender in Gender:
            form[gender.value].data = (record.by_gender or {}).get(gender.value, 0)
        form.note.data = record.note
    type_values = {}
    type_errors = {}
    if request.method == "POST":
        for kind in types:
            raw = request.form.get(f"type-{kind.code}", "").strip() or "0"
            if not raw.isdigit():
                type_errors[kind.code] = _("Enter a number from 0 up.")
            elif int(raw):
                type_values[kind.code] = int(raw)
    elif record is not None:
        type_values = dict(record.by_type or {})
    if request.method == "POST" and (refused := _cancelled(meeting)) is not None:
        return refused
    if form.validate_on_submit() and not type_errors and sum(type_values.values()) > sum(
            form[g.value].data or 0 for g in Gender):
        # by type, people may be left unknown; more than were counted is a typing error
        type_errors["_total"] = _("The counts by type add up to more than the counts by "
                                  "gender: check both.")
    if form.validate_on_submit() and not type_errors:
        record = record or AggregateAttendance(meeting_id=meeting.id)
        record.by_gender = {g.value: form[g.value].data or 0 for g in Gender}
        record.by_type = type_values
        record.note = form.note.data or ""
        record.recorded_by_id = current_user.id
        db.session.add(record)
        db.session.commit()
        flash(_("The counts are saved. Reports show them apart from the registered "
                "participants, and add them to the totals."), "success")
        return redirect(url_for("attendance.aggregate_counts", meeting_id=meeting.id))
    from consult.events.models import Document, DocumentType

    sheets = db.session.scalars(sa.select(Document).where(
        Document.meeting_id == meeting.id, Document.type == DocumentType.SIGNED_SHEET)).all()
    return render_template("attendance/counts.html", meeting=meeting, form=form, types=types,
                           type_values=type_values, type_errors=type_errors, record=record,
                           sheets=sheets)


@bp.route("/meetings/<int:meeting_id>/sign-in-sheet.pdf")
def sign_in_sheet(meeting_id):
    """The printable sheet for the door: everyone with a seat, then blank rows for walk-ins."""
    from consult.attendance.pdf import sign_in_sheet as render_sheet
    from consult.i18n import CONTENT_LANGUAGES

    meeting = _meeting(meeting_id)
    people = db.session.scalars(sa.select(Registration).where(
        Registration.meeting_id == meeting.id,
        Registration.status == RegistrationStatus.CONFIRMED,
    ).order_by(Registration.name, Registration.id)).all()
    language = request.args.get("lang")
    body = render_sheet(meeting, people, blank_rows=10,
                        locale=language if language in CONTENT_LANGUAGES else None)
    return download(body, "application/pdf", f"sign-in-sheet-{meeting.id}.pdf")


@bp.route("/meetings/<int:meeting_id>/certificates", methods=["GET", "POST"])
def certificates(meeting_id):
    """Send a certificate of attendance to everyone who was there (each once)."""
    from consult.attendance.services import queue_certificate

    meeting = _meeting(meeting_id)
    attended = db.session.scalars(
        sa.select(Registration).join(Attendance, Attendance.registration_id == Registration.id)
        .where(Registration.meeting_id == meeting.id).order_by(Registration.name)).all()
    reachable = [r for r in attended if not r.email.endswith(".invalid")]
    keys = {services.certificate_key(r): r for r in reachable}
    sent = set(db.session.scalars(sa.select(OutboxMessage.dedupe_key).where(
        OutboxMessage.dedupe_key.in_(keys))))
    waiting = [r for key, r in keys.items() if key not in sent]
    # a certificate says the person took part: not before the meeting has begun
    begun = meeting.starts_at <= utcnow()
    form = ConfirmForm()
    if request.method == "POST" and (refused := _cancelled(meeting)) is not None:
        return refused
    if form.validate_on_submit() and begun:
        queued = sum(queue_certificate(registration) for registration in waiting)
        db.session.commit()
        flash(_("Certificates queued: %(n)s (people who had one already are skipped).",
                n=queued), "success")
        return redirect(url_for("attendance.certificates", meeting_id=meeting.id))
    return render_template("attendance/certificates.html", meeting=meeting, attended=attended,
                           reachable=reachable, waiting=waiting, begun=begun, form=form)


@bp.route("/meetings/<int:meeting_id>/attendance/mark", methods=["GET", "POST"])
def mark_from_list(meeting_id):
    """Mark attendance from a typed-in paper sheet or a video platform's report: preview
    first, then confirm."""
    from consult.attendance import reconcile
    from consult.directory.importer import ImportError_

    meeting = _meeting(meeting_id)
    form = ConfirmForm()
    text = request.form.get("people", "")[:200000]
    online = request.form.get("online") == "1"
    add_unmatched = request.form.get("add_unmatched") == "1"
    matches, error = None, None
    if request.method == "POST" and form.validate_on_submit():
        upload = request.files.get("report")
        if upload and upload.filename:
            try:
                entries = reconcile.entries_from_report(upload.read(), upload.filename)
            except ImportError_ as problem:
                entries, error = [], str(problem.args[0])
            text = "\n".join(", ".join(p for p in (e.name, e.email) if p) for e in entries)
            online = True
        else:
            entries = reconcile.entries_from_text(text)
        if not entries and error is None:
            error = _("Type or paste at least one name or e-mail address, or choose a file.")
        elif entries:
            matches = reconcile.match(meeting, entries)
            if request.form.get("action") == "apply":
                if (refused := _cancelled(meeting)) is not None \
                        or (refused := _too_early(meeting)) is not None:
                    return refused
                counts = reconcile.apply(meeting, matches, current_user, online, add_unmatched)
                db.session.commit()
                flash(_("Checked in: %(checked_in)s. Added: %(added)s. Already present: "
                        "%(already)s.", **counts), "success")
                return redirect(url_for("attendance.checkin", meeting_id=meeting.id))
    return render_template("attendance/mark.html", meeting=meeting, form=form, text=text,
                           online=online, add_unmatched=add_unmatched, matches=matches,
                           error=error, kinds=reconcile.MatchKind,
                           too_early=services.too_early(meeting))
