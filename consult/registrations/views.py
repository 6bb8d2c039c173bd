"""The registration form (open, or through a personal invitation link) and the personal
manage link."""

from __future__ import annotations

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy.orm import lazyload

from consult.directory.models import Gender
from consult.directory.services import stakeholder_type_choices
from consult.events import services as events
from consult.events.calendar import build_calendar
from consult.events.display import meeting_when
from consult.events.models import Meeting, MeetingStatus, RegistrationMode
from consult.events.views import _is_manager, _publicly_visible
from consult.extensions import db
from consult.files import download
from consult.forms import ConfirmForm, select_choices
from consult.i18n import current_language, prefer_language
from consult.invitations.models import Invitation
from consult.invitations.services import by_token as invitation_by_token
from consult.registrations import services
from consult.registrations.forms import RegistrationForm
from consult.registrations.models import RegistrationStatus
from consult.security import limit_posts, private_response, public, public_form_limit

bp = Blueprint("registrations", __name__)


def _prefill(form: RegistrationForm, invitation: Invitation | None) -> None:
    contact = invitation.contact if invitation and not invitation.for_organisation else None
    if contact is not None:
        form.name.data = contact.name
        form.email.data = contact.email
        form.gender.data = contact.gender.value if contact.gender else ""
        form.organisation.data = contact.organisation.name if contact.organisation else ""
        kind = contact.stakeholder_type
        form.stakeholder_type.data = str(kind.id) if kind else ""
        form.region.data = contact.municipality or contact.region
        form.position.data = contact.position
        form.phone.data = contact.phone
    elif invitation is not None and invitation.organisation is not None:
        form.organisation.data = invitation.organisation.name
        kind = invitation.organisation.stakeholder_type
        form.stakeholder_type.data = str(kind.id) if kind else ""
        form.region.data = invitation.organisation.municipality or invitation.organisation.region


def _data(form: RegistrationForm) -> dict:
    kind = form.stakeholder_type.data
    return {
        "name": form.name.data, "email": form.email.data,
        "gender": Gender(form.gender.data) if form.gender.data else Gender.UNDISCLOSED,
        "organisation_name": form.organisation.data or "",
        "stakeholder_type_id": int(kind) if kind and kind.isdigit() else None,
        "region": form.region.data or "", "position": form.position.data or "",
        "phone": form.phone.data or "",
        "accessibility_needs": form.accessibility_needs.data or "",
        "interpretation_language": form.interpretation_language.data or "",
        "publish_consent": form.publish_consent.data, "locale": current_language(),
        "sensitive_answer": form.sensitive_answer.data if form.sensitive_consent.data
        and form.sensitive_answer.data in ("yes", "no", "prefer_not") else None,
    }


def form_for(meeting: Meeting):
    """The registration form with the meeting's own questions added as fields ``q_<id>``."""
    from wtforms import RadioField, TextAreaField
    from wtforms.validators import Optional

    from consult.events.forms import MultiCheckboxField
    from consult.forms import max_length, required, strip
    from consult.i18n import localized
    from consult.registrations.models import Question, QuestionKind

    questions = db.session.scalars(sa.select(Question).where(
        Question.meeting_id == meeting.id).order_by(Question.position, Question.id)).all()
    if not questions:
        return RegistrationForm(), questions

    class MeetingRegistrationForm(RegistrationForm):
        pass

    for question in questions:
        label = localized(question.label, meeting.main_language)
        validators = [required()] if question.required else [Optional()]
        choices = [(str(n), localized(option, meeting.main_language))
                   for n, option in enumerate(question.options or [])]
        if question.kind is QuestionKind.TEXT:
            field = TextAreaField(label, validators=[*validators, max_length(2000)],
                                  filters=[strip])
        elif question.kind is QuestionKind.MULTIPLE:
            field = MultiCheckboxField(label, choices=select_choices(choices),
                                       validators=validators)
        else:
            if question.kind is QuestionKind.YES_NO:
                choices = [("yes", _("yes")), ("no", _("no"))]
            field = RadioField(label, choices=select_choices(choices), validators=validators)
        setattr(MeetingRegistrationForm, f"q_{question.id}", field)
    return MeetingRegistrationForm(), questions


def answers_of(form, questions) -> dict:
    """The answers with the wording they answered (the question may change later)."""
    answers = {}
    for question in questions:
        field = form[f"q_{question.id}"]
        value = field.data
        if value in (None, "", []):
            continue
        if hasattr(field, "choices") and field.choices:
            labels = {str(choice.value if hasattr(choice, "value") else choice[0]):
                      str(choice.label if hasattr(choice, "label") else choice[1])
                      for choice in field.choices}
            shown = [labels.get(v, v) for v in (value if isinstance(value, list) else [value])]
            value = ", ".join(shown)
        answers[str(question.id)] = {"question": str(field.label.text), "answer": value}
    return answers


def _registration_form(meeting: Meeting, invitation: Invitation | None):
    form, questions = form_for(meeting)
    form.stakeholder_type.choices = stakeholder_type_choices()
    state = events.registration_state(meeting)
    refused = None
    if meeting.registration_mode is RegistrationMode.INVITATION and invitation is None:
        refused = _("This meeting is by invitation only. Please use the personal link from "
                    "your invitation.")
    elif state in (events.RegistrationState.CLOSED, events.RegistrationState.CANCELLED,
                   events.RegistrationState.NOT_YET):
        refused = str(events.REGISTRATION_STATE_LABELS[state])
    if request.method == "GET" and refused is None:
        _prefill(form, invitation)
    if refused is None and form.validate_on_submit():
        try:
            outcome = services.register(meeting, {**_data(form),
                                                  "answers": answers_of(form, questions)},
                                        invitation)
        except services.RegistrationRefused as error:
            db.session.rollback()
            refused = str(error.message)
        else:
            if not outcome.created:
                # the same address again: no second registration, and the manage link goes to
                # that address only, never to whoever typed it into the form
                services.send_status_mail_again(outcome.registration)
                db.session.commit()
                return _to_registered_already(meeting)
            registration = outcome.registration
            # read before the commit expires them
            token, email = registration.token, registration.email
            db.session.commit()
            if outcome.revived and not (invitation is not None and invitation.went_to(email)):
                # an earlier registration of this address, taken up again: its link went to
                # the address (in the status mail), as for one still active
                return _to_registered_already(meeting)
            return redirect(url_for("registrations.done", token=token))
    status = 409 if refused and request.method == "POST" else 200
    return private_response(render_template(
        "registrations/register.html", meeting=meeting, invitation=invitation, form=form,
        refused=refused, state=state, consent_text=services.CONSENT_TEXT,
        question_fields=[f"q_{q.id}" for q in questions],
        organisations=organisation_names(), places=place_names()), status)


def place_names() -> list[str]:
    """Suggestions for "region or municipality": the places the directory knows (at most a
    thousand, as for organisations)."""
    from consult.directory.services import municipalities, regions

    return sorted(set(regions()) | set(municipalities()))[:1000]


def organisation_names() -> list[str]:
    """Names for the organisation field's suggestions (institutions, not people)."""
    from consult.directory.models import Organisation

    return list(db.session.scalars(sa.select(Organisation.name).where(
        Organisation.archived_at.is_(None)).order_by(Organisation.name).limit(1000)))


def _meeting_open_to_public(meeting_id: int) -> Meeting:
    """A meeting whose public form anyone may use: one the public can see (published, in a
    published series and a public group); its managers may try the form of the others. A
    meeting kept from the public takes registrations through invitations only."""
    # the form shows the meeting and its series, not its agenda
    meeting = db.get_or_404(Meeting, meeting_id, options=[lazyload(Meeting.agenda)])
    if meeting.status is MeetingStatus.DRAFT or not (
            _publicly_visible(meeting) or _is_manager(meeting)):
        abort(404)
    return meeting


@bp.route("/meetings/<int:meeting_id>/register", methods=["GET", "POST"])
@public
@limit_posts(public_form_limit)
def register(meeting_id):
    return _registration_form(_meeting_open_to_public(meeting_id), None)


@bp.route("/i/<token>/register", methods=["GET", "POST"])
@public
@limit_posts(public_form_limit)
def register_invited(token):
    invitation = invitation_by_token(token)
    if invitation is None or invitation.meeting.status is MeetingStatus.DRAFT:
        abort(404)
    prefer_language(invitation.locale)
    return _registration_form(invitation.meeting, invitation)


def _registration_or_404(token: str):
    registration = services.by_token(token)
    if registration is None:
        abort(404)
    prefer_language(registration.locale)
    return registration


@bp.route("/r/<token>/done")
@public
def done(token):
    registration = _registration_or_404(token)
    return private_response(render_template(
        "registrations/done.html", registration=registration, meeting=registration.meeting,
        meeting_public=_publicly_visible(registration.meeting)))


# the meeting whose form this browser was last sent to "registered already" from
REGISTERED_ALREADY = "registered_already"


def _to_registered_already(meeting: Meeting):
    session[REGISTERED_ALREADY] = meeting.id
    return redirect(url_for("registrations.registered_already", meeting_id=meeting.id))


@bp.route("/meetings/<int:meeting_id>/registered-already")
@public
def registered_already(meeting_id):
    """After a registration with an address registered already: the link went to that
    address; this page names neither.

    Anyone may open it with any meeting's number: it names the meeting only where the
    public may see it, to its managers, or to the browser whose form led here (an
    invitation's form, whose meeting may be kept from the public)."""
    meeting = db.get_or_404(Meeting, meeting_id, options=[lazyload(Meeting.agenda)])
    if meeting.status is MeetingStatus.DRAFT:
        abort(404)
    meeting_public = _publicly_visible(meeting)
    named = meeting_public or _is_manager(meeting) or \
        session.get(REGISTERED_ALREADY) == meeting.id
    return private_response(render_template(
        "registrations/registered_already.html", meeting=meeting if named else None,
        meeting_public=meeting_public))


@bp.route("/r/<token>")
@public
def manage(token):
    from consult.attendance.services import attendance_of

    registration = _registration_or_404(token)
    meeting = registration.meeting
    # where someone who cancelled can register again, while they can
    again = services.register_again_url(registration)
    return private_response(render_template(
        "registrations/manage.html", registration=registration, meeting=meeting,
        confirm=ConfirmForm(), attended=attendance_of(registration) is not None,
        register_again=again, meeting_public=_publicly_visible(meeting)))


@bp.route("/r/<token>/cancel", methods=["GET", "POST"])
@public
@limit_posts(public_form_limit)
def cancel(token):
    registration = _registration_or_404(token)
    form = ConfirmForm()
    if form.validate_on_submit():
        services.cancel(registration)
        db.session.commit()
        flash(_("Your registration is cancelled. A confirmation is on its way by e-mail."),
              "success")
        return redirect(url_for("registrations.manage", token=token))
    return private_response(render_template(
        "registrations/cancel.html", registration=registration, meeting=registration.meeting,
        form=form, next_in_line=services.next_in_line(registration) is not None))


@bp.route("/r/<token>/meeting.ics")
@public
def calendar(token):
    registration = _registration_or_404(token)
    if registration.status is not RegistrationStatus.CONFIRMED:
        abort(404)
    body = build_calendar([registration.meeting], method="REQUEST", include_online_link=True,
                          attendee=(registration.email, registration.name),
                          locale=registration.locale,
                          sequence_offset=registration.calendar_sequence)
    return private_response(download(body, "text/calendar; charset=utf-8; method=REQUEST",
                                     "meeting.ics"))


@bp.route("/r/<token>/certificate.pdf")
@public
def certificate(token):
    """The participant's own certificate, once they were checked in."""
    from consult.attendance.pdf import certificate as render_certificate
    from consult.attendance.services import attendance_of

    registration = _registration_or_404(token)
    if attendance_of(registration) is None or \
            registration.meeting.status is MeetingStatus.CANCELLED:
        abort(404)
    return private_response(download(render_certificate(registration, registration.locale),
                                     "application/pdf", "certificate.pdf"))


DETAILS = ("name", "position", "phone", "accessibility_needs", "interpretation_language",
           "publish_consent")


def _correct_directory(registration) -> None:
    """A person correcting their own name, position or phone corrects the directory's record
    of them too, so the next invitation and its prefilled form do not bring the old ones
    back: only where they registered through that record's own invitation, whose link went
    to its address. Anyone can type an address into the public form and get a link."""
    contact, invitation = registration.contact, registration.invitation
    if contact is None or invitation is None or invitation.contact_id != contact.id or \
            (contact.email or "").lower() != registration.email.lower():
        return
    contact.name = registration.name
    for name in ("position", "phone"):
        if getattr(registration, name):
            setattr(contact, name, getattr(registration, name))
    contact.refresh_search()


@bp.route("/r/<token>/edit", methods=["GET", "POST"])
@public
@limit_posts(public_form_limit)
def edit(token):
    from consult.registrations.forms import DetailsForm

    registration = _registration_or_404(token)
    if registration.anonymised_at is not None:
        abort(404)
    # plain values: the registration's "organisation" is an organisation, not the text the
    # field shows (a POST without the field must not fall back to the object)
    form = DetailsForm(data={
        **{name: getattr(registration, name) for name in DETAILS},
        "organisation": registration.organisation_name})
    if form.validate_on_submit():
        registration.name = form.name.data
        registration.organisation_name = form.organisation.data or ""
        for name in ("position", "phone", "accessibility_needs", "interpretation_language"):
            setattr(registration, name, getattr(form, name).data or "")
        registration.publish_consent = form.publish_consent.data
        registration.refresh_search()
        _correct_directory(registration)
        db.session.commit()
        flash(_("Your details are saved."), "success")
        return redirect(url_for("registrations.manage", token=token))
    return private_response(render_template(
        "registrations/edit.html", registration=registration, meeting=registration.meeting,
        form=form, organisations=organisation_names()))


@bp.route("/r/<token>/my-data.json")
@public
def my_data(token):
    """This registration's data, as a file the person can keep (GDPR art. 15 and 20)."""
    import json

    from consult.registrations.privacy import personal_data

    registration = _registration_or_404(token)
    body = json.dumps(personal_data(registration), ensure_ascii=False, indent=2)
    return private_response(download(body, "application/json; charset=utf-8", "my-data.json"))


@bp.route("/r/<token>/my-data/send", methods=["POST"])
@public
@limit_posts(public_form_limit)
def send_my_data(token):
    """Everything held about the registration's address, mailed to that address only."""
    from consult.registrations.privacy import send_personal_data

    registration = _registration_or_404(token)
    if registration.anonymised_at is not None:
        abort(404)
    if ConfirmForm().validate_on_submit():
        try:
            sent = send_personal_data(registration)
            db.session.commit()
        except sa.exc.IntegrityError:  # a second click, at the same moment: one mail
            db.session.rollback()
            registration = _registration_or_404(token)
            sent = False
        if sent:
            flash(_("Everything we hold about %(email)s is on its way to that address.",
                    email=registration.email), "success")
        else:
            flash(_("It was sent to %(email)s today already. Please look for it there.",
                    email=registration.email), "info")
    return redirect(url_for("registrations.manage", token=token))


@bp.route("/series/<slug>/register", methods=["GET", "POST"])
@public
@limit_posts(public_form_limit)
def register_series(slug):
    """One form for several meetings of a series: each gets its own seat decision."""
    from wtforms.validators import DataRequired

    from consult.events.forms import MultiCheckboxField
    from consult.events.models import Series
    from consult.registrations.models import Question

    series = db.first_or_404(sa.select(Series).where(Series.slug == slug,
                                                     Series.published.is_(True)))
    open_states = (events.RegistrationState.OPEN, events.RegistrationState.FULL)
    candidates = [m for m in series.meetings
                  if m.registration_mode is not RegistrationMode.INVITATION
                  and events.registration_state(m) in open_states and _publicly_visible(m)]
    with_questions = set(db.session.scalars(sa.select(Question.meeting_id).where(
        Question.meeting_id.in_([m.id for m in candidates]), Question.required.is_(True))))

    class SeriesForm(RegistrationForm):
        meetings = MultiCheckboxField(_("Meetings"), validators=[DataRequired(
            message=_("Choose at least one meeting."))],
                                      choices=select_choices(
            (str(m.id), f"{m.display_title} — {meeting_when(m)}") for m in candidates
            if m.id not in with_questions))

    form = SeriesForm()
    form.stakeholder_type.choices = stakeholder_type_choices()
    if form.validate_on_submit():
        outcomes = []
        for meeting in candidates:
            if str(meeting.id) not in form.meetings.data:
                continue
            try:
                outcome = services.register(meeting, _data(form))
            except services.RegistrationRefused as error:
                outcomes.append((meeting, None, str(error.message)))
                continue
            if not outcome.created:
                # no status shown for an address registered already: the mail tells it
                services.send_status_mail_again(outcome.registration)
                outcomes.append((meeting, None, _(
                    "registered before: the personal link went to the address again")))
                continue
            outcomes.append((meeting, outcome.registration, ""))
        db.session.commit()
        return private_response(render_template("registrations/series_done.html", series=series,
                                        outcomes=outcomes, email=form.email.data))
    return private_response(render_template(
        "registrations/register_series.html", series=series, form=form,
        consent_text=services.CONSENT_TEXT, organisations=organisation_names(),
        places=place_names(),
        separate=[m for m in candidates if m.id in with_questions]))
