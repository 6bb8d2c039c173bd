"""Organizer pages: registrations of a meeting or a series, decisions, exports, mail."""

from __future__ import annotations

import csv
import io

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import BooleanField, StringField, TextAreaField, ValidationError

from consult.attendance.models import Attendance
from consult.directory.models import Gender
from consult.directory.services import (
    spreadsheet_safe,
    stakeholder_type_choices,
    stakeholder_types,
    text_row,
)
from consult.events.manage import require_manager
from consult.events.models import Meeting, Series
from consult.extensions import db
from consult.files import XLSX, download
from consult.forms import BaseForm, ConfirmForm, max_length, paginate, required, strip
from consult.i18n import current_language
from consult.mail.services import queue_mail
from consult.registrations import services
from consult.registrations.forms import RegistrationForm
from consult.registrations.models import Registration, RegistrationStatus
from consult.registrations.views import _data, organisation_names, place_names
from consult.security import roles_required

bp = Blueprint("registrations_admin", __name__, url_prefix="/manage")

PER_PAGE = 50


@bp.before_request
@roles_required("admin", "organizer")
def organizers_only():
    """Registrations are personal data: the meeting's organizers and admins."""


class RejectForm(BaseForm):
    reason = TextAreaField(_l("Reason, sent to the person (optional)"),
                           validators=[max_length(2000)], filters=[strip])


class MailForm(BaseForm):
    subject = StringField(_l("Subject"), validators=[required(), max_length(200)],
                          filters=[strip])
    body = TextAreaField(_l("Message"), validators=[required(), max_length(20000)],
                         filters=[strip])


def _filters() -> services.RegistrationFilters:
    args = request.args
    return services.RegistrationFilters(
        status=args.get("status", ""), gender=args.get("gender", ""),
        type=args.get("type", "")[:60], q=args.get("q", "").strip()[:100])


def _scope(meeting_id=None, series_id=None) -> tuple[Meeting | None, Series | None, list[int]]:
    if meeting_id is not None:
        meeting = require_manager(db.get_or_404(Meeting, meeting_id))
        return meeting, meeting.series, [meeting.id]
    series = require_manager(db.get_or_404(Series, series_id))
    return None, series, [m.id for m in series.meetings]


@bp.route("/meetings/<int:meeting_id>/registrations")
@bp.route("/series/<int:series_id>/registrations")
def registrations(meeting_id=None, series_id=None):
    meeting, series, ids = _scope(meeting_id, series_id)
    filters = _filters()
    page = paginate(services.registrations_query(ids, filters), PER_PAGE)
    present = set(db.session.scalars(sa.select(Attendance.registration_id).where(
        Attendance.registration_id.in_([r.id for r in page.items]))))
    active = Registration.status.in_([s for s in RegistrationStatus
                                      if s is not RegistrationStatus.CANCELLED])
    by_gender = dict(db.session.execute(
        sa.select(Registration.gender, sa.func.count()).where(
            Registration.meeting_id.in_(ids), active).group_by(Registration.gender)).all())
    by_type = dict(db.session.execute(
        sa.select(Registration.stakeholder_type_id, sa.func.count()).where(
            Registration.meeting_id.in_(ids), active)
        .group_by(Registration.stakeholder_type_id)).all())
    types = stakeholder_types()
    return render_template(
        "registrations/list.html", meeting=meeting, series=series, page=page, filters=filters,
        present=present, by_status=services.breakdown(ids, Registration.status),
        by_gender=by_gender, by_type=by_type, types=types, statuses=list(RegistrationStatus),
        genders=list(Gender), confirm=ConfirmForm(),
        route={"meeting_id": meeting.id} if meeting else {"series_id": series.id},
    )


def _export_name(meeting, series, extension: str) -> str:
    stem = f"registrations-meeting-{meeting.id}" if meeting else \
        f"registrations-{series.slug}"
    return f"{stem}.{extension}"


@bp.route("/meetings/<int:meeting_id>/registrations.csv")
@bp.route("/series/<int:series_id>/registrations.csv")
def export_csv(meeting_id=None, series_id=None):
    meeting, series, ids = _scope(meeting_id, series_id)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(services.export_headers())
    writer.writerows([spreadsheet_safe(str(cell)) for cell in row]
                     for row in services.export_rows(ids, _filters()))
    # a byte order mark: Excel then reads UTF-8 (Cyrillic) correctly
    return download(("\ufeff" + buffer.getvalue()).encode("utf-8"),
                    "text/csv; charset=utf-8", _export_name(meeting, series, "csv"))


@bp.route("/meetings/<int:meeting_id>/registrations.xlsx")
@bp.route("/series/<int:series_id>/registrations.xlsx")
def export_xlsx(meeting_id=None, series_id=None):
    from openpyxl import Workbook

    meeting, series, ids = _scope(meeting_id, series_id)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Registrations")[:31])
    sheet.append(services.export_headers())
    for row in services.export_rows(ids, _filters()):
        sheet.append(text_row(sheet, [str(cell) for cell in row]))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return download(buffer.getvalue(), XLSX, _export_name(meeting, series, "xlsx"))


def _registration(registration_id: int) -> Registration:
    registration = db.get_or_404(Registration, registration_id)
    require_manager(registration.meeting)
    return registration


ACTIONS = {
    "approve": (services.approve, _l("%(name)s is accepted.")),
    "confirm": (lambda r: services.move(r, RegistrationStatus.CONFIRMED),
                _l("%(name)s has a seat.")),
    "cancel": (lambda r: services.cancel(r, by_participant=False),
               _l("The registration of %(name)s is cancelled.")),
}


@bp.route("/registrations/<int:registration_id>/<any(approve, confirm, cancel):action>",
          methods=["POST"])
def decide(registration_id, action):
    registration = _registration(registration_id)
    if action == "confirm" and registration.meeting.has_ended:
        # seats of a meeting that has ended no longer matter, and would mail the person
        flash(_("The meeting has ended: its seats stay as they were."), "error")
    elif ConfirmForm().validate_on_submit():
        function, message = ACTIONS[action]
        function(registration)
        db.session.commit()
        flash(message % {"name": registration.name}, "success")
    return redirect(request.form.get("back") if request.form.get("back", "").startswith(
        "/manage/") else url_for("registrations_admin.registrations",
                                 meeting_id=registration.meeting_id))


@bp.route("/registrations/<int:registration_id>/waitlist", methods=["GET", "POST"])
def waitlist(registration_id):
    """Take someone's seat away, after a page that says who is told and who gets the seat."""
    registration = _registration(registration_id)
    back = url_for("registrations_admin.registrations", meeting_id=registration.meeting_id)
    if registration.status is not RegistrationStatus.CONFIRMED or registration.meeting.has_ended:
        return redirect(back)
    form = ConfirmForm()
    if form.validate_on_submit():
        promoted = services.move(registration, RegistrationStatus.WAITLISTED)
        db.session.commit()
        if promoted is not None:
            flash(_("%(name)s is on the waiting list; %(other)s has the seat.",
                    name=registration.name, other=promoted.name), "success")
        else:
            flash(_("%(name)s is on the waiting list.", name=registration.name), "success")
        return redirect(back)
    return render_template("registrations/waitlist.html", registration=registration,
                           meeting=registration.meeting, form=form, back=back,
                           next_in_line=services.next_in_line(registration))


@bp.route("/registrations/<int:registration_id>/reject", methods=["GET", "POST"])
def reject(registration_id):
    registration = _registration(registration_id)
    form = RejectForm()
    if form.validate_on_submit():
        services.reject(registration, form.reason.data or "")
        db.session.commit()
        flash(_("The registration of %(name)s is not accepted; they are told by e-mail.",
                name=registration.name), "success")
        return redirect(url_for("registrations_admin.registrations",
                                meeting_id=registration.meeting_id))
    return render_template("registrations/reject.html", registration=registration, form=form,
                           meeting=registration.meeting)


class TypedInRegistrationForm(RegistrationForm):
    """The registration form as the organizer fills it in for someone: the agreement is
    the person's, not the organizer's."""
    consent = BooleanField(_l("The person agrees to the processing of their data as "
                              "described above."))
    publish_consent = BooleanField(_l("Their name and organisation may appear in the "
                                      "published list of participants."))

    def validate_consent(self, field):
        if not field.data:
            raise ValidationError(_l("A registration needs the person's agreement: tick "
                                     "this once they have given it."))


@bp.route("/meetings/<int:meeting_id>/registrations/new", methods=["GET", "POST"])
def add(meeting_id):
    """A registration taken by phone or on paper: the organizer types it in."""

    meeting = require_manager(db.get_or_404(Meeting, meeting_id))
    form = TypedInRegistrationForm()
    form.stakeholder_type.choices = stakeholder_type_choices()
    refused = None
    if form.validate_on_submit():
        data = _data(form)
        data["locale"] = request.form.get("locale") or meeting.main_language
        try:
            outcome = services.register(meeting, data, organizer=True)
        except services.RegistrationRefused as error:
            db.session.rollback()
            refused = str(error.message)
        else:
            db.session.commit()
            if outcome.created:
                flash(_("%(name)s is registered.", name=outcome.registration.name), "success")
            else:
                flash(_("%(email)s was registered already.", email=outcome.registration.email),
                      "info")
            return redirect(url_for("registrations_admin.registrations",
                                    meeting_id=meeting.id))
    return render_template("registrations/add.html", meeting=meeting, form=form,
                           refused=refused, consent_text=services.CONSENT_TEXT,
                           current=current_language(), organisations=organisation_names(),
                           places=place_names())


@bp.route("/meetings/<int:meeting_id>/registrations/mail", methods=["GET", "POST"])
@bp.route("/series/<int:series_id>/registrations/mail", methods=["GET", "POST"])
def mail(meeting_id=None, series_id=None):
    """A message to everyone registered, or to the filtered part of the list."""
    meeting, series, ids = _scope(meeting_id, series_id)
    filters = _filters()
    query = services.registrations_query(ids, filters)
    if not filters.status:
        query = query.where(Registration.status != RegistrationStatus.CANCELLED)
    people = [r for r in db.session.scalars(query) if not r.email.endswith(".invalid")]
    form = MailForm()
    if form.validate_on_submit():
        if not people:
            abort(400)
        from consult.invitations.services import reply_to_for, sender_for

        for person in people:
            queue_mail(
                to=person.email, to_name=person.name, locale=person.locale,
                template="organizer_message", subject=form.subject.data,
                context={"registration": person, "meeting": person.meeting,
                         "body": form.body.data},
                topic="registrations.message", sender=sender_for(person.meeting.series),
                reply_to=reply_to_for(series),
            )
        db.session.commit()
        flash(_("The message is queued for %(n)s people.", n=len(people)), "success")
        return redirect(url_for("registrations_admin.registrations",
                                **({"meeting_id": meeting.id} if meeting
                                   else {"series_id": series.id})))
    return render_template("registrations/mail.html", meeting=meeting, series=series,
                           form=form, people=people, filters=filters,
                           by=current_user)


# --- the meeting's own questions ---------------------------------------------------------------

def _question_form_class():
    from wtforms import BooleanField, SelectField

    from consult.events.forms import add_language_fields
    from consult.forms import select_choices
    from consult.i18n import CONTENT_LANGUAGES
    from consult.registrations.models import QUESTION_KIND_LABELS

    class QuestionForm(BaseForm):
        kind = SelectField(_l("Kind of answer"), choices=lambda: select_choices(
            (kind.value, label) for kind, label in QUESTION_KIND_LABELS.items()),
            default="text")
        required = BooleanField(_l("An answer is required"))

        def validate(self, extra_validators=None):
            ok = super().validate(extra_validators)
            labels = {code: self[f"label_{code}"].data for code in CONTENT_LANGUAGES}
            if not any(labels.values()):
                self[f"label_{next(iter(CONTENT_LANGUAGES))}"].errors.append(
                    _("Write the question in at least one language."))
                ok = False
            if self.kind.data in ("single", "multiple"):
                counts = {code: len(_lines(self[f"options_{code}"].data))
                          for code in CONTENT_LANGUAGES if labels.get(code)}
                if not any(counts.values()):
                    self[f"options_{next(iter(counts))}"].errors.append(
                        _("Give the choices, one per line."))
                    ok = False
                elif len({n for n in counts.values() if n}) > 1:
                    for code in counts:
                        self[f"options_{code}"].errors.append(
                            _("Give the same number of choices in every language."))
                    ok = False
            return ok

    add_language_fields(QuestionForm, "label", _l("Question"))
    add_language_fields(QuestionForm, "options", _l("Choices, one per line"), TextAreaField,
                        3000)
    return QuestionForm


def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _save_question(question, form) -> None:
    from consult.events.forms import language_values
    from consult.i18n import CONTENT_LANGUAGES
    from consult.registrations.models import QuestionKind

    question.kind = QuestionKind(form.kind.data)
    question.required = form.required.data
    question.label = language_values(form, "label")
    if question.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
        per_language = {code: _lines(form[f"options_{code}"].data) for code in CONTENT_LANGUAGES}
        count = max(len(v) for v in per_language.values())
        question.options = [{code: lines[n] for code, lines in per_language.items()
                             if n < len(lines)} for n in range(count)]
    else:
        question.options = []


@bp.route("/meetings/<int:meeting_id>/questions", methods=["GET", "POST"])
def questions(meeting_id):
    from consult.registrations.models import Question

    meeting = require_manager(db.get_or_404(Meeting, meeting_id))
    form = _question_form_class()()
    if form.validate_on_submit():
        question = Question(meeting_id=meeting.id, position=db.session.scalar(
            sa.select(sa.func.count()).select_from(Question).where(
                Question.meeting_id == meeting.id)))
        _save_question(question, form)
        db.session.add(question)
        db.session.commit()
        flash(_("The question is added to the registration form."), "success")
        return redirect(url_for("registrations_admin.questions", meeting_id=meeting.id))
    existing = db.session.scalars(sa.select(Question).where(
        Question.meeting_id == meeting.id).order_by(Question.position, Question.id)).all()
    return render_template("registrations/questions.html", meeting=meeting, form=form,
                           questions=existing, confirm=ConfirmForm())


@bp.route("/questions/<int:question_id>/edit", methods=["GET", "POST"])
def edit_question(question_id):
    from consult.events.forms import fill_language_fields
    from consult.i18n import CONTENT_LANGUAGES
    from consult.registrations.models import Question

    question = db.get_or_404(Question, question_id)
    require_manager(question.meeting)
    form = _question_form_class()()
    if request.method == "GET":
        form.kind.data = question.kind.value
        form.required.data = question.required
        fill_language_fields(form, "label", question.label)
        for code in CONTENT_LANGUAGES:
            form[f"options_{code}"].data = "\n".join(
                option.get(code, "") for option in question.options or [])
    if form.validate_on_submit():
        _save_question(question, form)
        db.session.commit()
        flash(_("The question is saved."), "success")
        return redirect(url_for("registrations_admin.questions",
                                meeting_id=question.meeting_id))
    return render_template("registrations/question_form.html", meeting=question.meeting,
                           form=form, question=question)


@bp.route("/questions/<int:question_id>/delete", methods=["GET", "POST"])
def delete_question(question_id):
    from consult.registrations.models import Question

    question = db.get_or_404(Question, question_id)
    meeting = require_manager(question.meeting)
    form = ConfirmForm()
    if form.validate_on_submit():
        db.session.delete(question)
        db.session.commit()
        flash(_("The question is removed from the form. Answers already given stay with "
                "their registrations."), "success")
        return redirect(url_for("registrations_admin.questions", meeting_id=meeting.id))
    return render_template("registrations/question_delete.html", meeting=meeting,
                           question=question, form=form)
