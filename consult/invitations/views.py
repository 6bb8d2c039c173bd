"""Choosing an audience and sending (organizers), and answering an invitation (the invited)."""

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
from flask_login import current_user

from consult.auth.services import can_manage
from consult.directory.models import Contact, Organisation
from consult.directory.services import (
    may_filter_by_group,
    parse_id,
    regions,
    stakeholder_types,
    working_groups,
)
from consult.events.manage import require_manager
from consult.events.models import Meeting, MeetingStatus, Series
from consult.extensions import csrf, db
from consult.forms import ConfirmForm, paginate
from consult.i18n import CONTENT_LANGUAGES, language_switched, prefer_language
from consult.invitations import services
from consult.invitations.forms import ReminderForm, SendForm
from consult.invitations.models import (
    INVITATION_STATUS_LABELS,
    Invitation,
    InvitationBatch,
    InvitationStatus,
)
from consult.registrations.forms import DeclineForm
from consult.security import (
    limit_posts,
    private_response,
    public,
    public_form_limit,
    roles_required,
)

bp = Blueprint("invitations", __name__)

PER_PAGE = 50


# --- organizers: audience and sending -------------------------------------------------------

def _audience_from_request() -> services.Audience:
    args = request.args
    group = parse_id(args.get("group", ""))
    # the members of a group another organizer manages are not for this one to list
    if not may_filter_by_group(current_user, group):
        abort(403)
    try:
        max_delegates = min(max(int(args.get("max_delegates", 2)), 1), 20)
    except ValueError:
        max_delegates = 2
    return services.Audience(
        types=[code for code in args.getlist("type") if code][:20],
        region=args.get("region", "")[:120], municipality=args.get("municipality", "")[:120],
        language=args.get("language", "") if args.get("language") in CONTENT_LANGUAGES else "",
        tag=args.get("tag", "")[:60], group=group,
        q=args.get("q", "").strip()[:200],
        exclude={int(x) for x in args.getlist("exclude") if x.isdigit()},
        organisations=args.get("kind") == "organisations", max_delegates=max_delegates,
    )


def _chosen_meetings(series: Series | None, meeting: Meeting | None) -> list[Meeting]:
    if meeting is not None:
        return [meeting]
    wanted = {int(x) for x in request.args.getlist("meeting") if x.isdigit()}
    return [m for m in series.meetings if m.id in wanted and _invitable(m)]


def _invitable(meeting: Meeting) -> bool:
    return meeting.status is MeetingStatus.PUBLISHED


@bp.route("/manage/meetings/<int:meeting_id>/invite", methods=["GET", "POST"])
@bp.route("/manage/series/<int:series_id>/invite", methods=["GET", "POST"])
@roles_required("admin", "organizer")
def invite(meeting_id=None, series_id=None):
    meeting = require_manager(db.get_or_404(Meeting, meeting_id)) if meeting_id else None
    series = require_manager(db.get_or_404(Series, series_id)) if series_id else None
    meetings = _chosen_meetings(series, meeting)
    audience = _audience_from_request()
    form = SendForm()
    if request.method == "POST" and form.validate_on_submit():
        if not meetings or not all(_invitable(m) for m in meetings):
            flash(_("Choose at least one published meeting."), "error")
        else:
            try:
                batch = services.create_batch(meetings, audience, current_user,
                                              resend=form.resend.data)
            except services.NothingToSend:
                db.session.rollback()
                flash(_("Nobody to send to: everyone in this audience is invited already. "
                        "Tick “send again” to resend."), "error")
            else:
                db.session.commit()
                flash(_("%(n)s invitations are queued for sending.", n=batch.total), "success")
                target = meetings[0] if meeting else None
                if target is not None:
                    return redirect(url_for("invitations.dashboard", meeting_id=target.id,
                                            batch=batch.id))
                return redirect(url_for("invitations.batch_page", invitation_batch_id=batch.id))
    query = services.audience_query(audience)
    page = paginate(query, PER_PAGE)
    already = set()
    if meetings and page.items:
        owner = Invitation.organisation_id if audience.organisations else Invitation.contact_id
        already = set(db.session.scalars(sa.select(owner).where(
            Invitation.meeting_id.in_([m.id for m in meetings]),
            owner.in_([item.id for item in page.items]))))
    # the names of those left out, to show them by name (contacts or organisations)
    kind = Organisation if audience.organisations else Contact
    excluded = db.session.execute(
        sa.select(kind.id, kind.name).where(kind.id.in_(audience.exclude))
        .order_by(kind.name, kind.id)).all() if audience.exclude else []
    preview_language = request.args.get("preview", "")
    preview = None
    if meetings and preview_language in CONTENT_LANGUAGES:
        preview = services.preview(meetings, preview_language, audience.organisations,
                                   audience.max_delegates)
    return render_template(
        "invitations/invite.html", meeting=meeting, series=series or meeting.series,
        meetings=meetings, audience=audience, page=page, total=page.total, already=already,
        excluded=excluded,
        types=stakeholder_types(), regions=regions(), form=form,
        groups=working_groups(current_user),
        preview=preview, preview_language=preview_language, mail_languages=CONTENT_LANGUAGES,
        candidates=[m for m in (series.meetings if series else []) if _invitable(m)],
    )


def _batch_or_404(batch_id: int) -> InvitationBatch:
    batch = db.get_or_404(InvitationBatch, batch_id)
    meetings = db.session.scalars(sa.select(Meeting).where(
        Meeting.id.in_(batch.meeting_ids or []))).all()
    if not meetings or not all(can_manage(current_user, m) for m in meetings):
        abort(403)
    return batch


@bp.route("/manage/invitations/batches/<int:invitation_batch_id>")
@roles_required("admin", "organizer")
def batch_page(invitation_batch_id):
    batch = _batch_or_404(invitation_batch_id)
    meetings = db.session.scalars(sa.select(Meeting).where(
        Meeting.id.in_(batch.meeting_ids)).order_by(Meeting.starts_at)).all()
    return render_template("invitations/batch.html", batch=batch, meetings=meetings,
                           progress=services.batch_progress(batch), confirm=ConfirmForm())


@bp.route("/manage/invitations/batches/<int:invitation_batch_id>/progress.json")
@roles_required("admin", "organizer")
def batch_progress(invitation_batch_id):
    response = jsonify(services.batch_progress(_batch_or_404(invitation_batch_id)))
    response.headers["Cache-Control"] = "no-store"
    return response


BATCH_ACTIONS = {
    "pause": (services.pause, _l("%(n)s mails are paused.")),
    "resume": (services.resume, _l("%(n)s mails are queued again.")),
    "stop": (services.stop, _l("Sending stopped: %(n)s mails will not be sent.")),
    "retry": (services.retry_failed, _l("%(n)s failed mails are queued again.")),
}


@bp.route("/manage/invitations/batches/<int:invitation_batch_id>/"
          "<any(pause, resume, stop, retry):action>", methods=["POST"])
@roles_required("admin", "organizer")
def control_batch(invitation_batch_id, action):
    batch = _batch_or_404(invitation_batch_id)
    back = request.form.get("back", "")
    back = back if back.startswith("/manage/") else url_for(
        "invitations.batch_page", invitation_batch_id=batch.id)
    if action == "stop" and request.form.get("confirmed") != "1":
        # cannot be undone: ask first
        return render_template("invitations/stop.html", batch=batch, back=back,
                               progress=services.batch_progress(batch), confirm=ConfirmForm())
    if ConfirmForm().validate_on_submit():
        function, message = BATCH_ACTIONS[action]
        count = function(batch)
        db.session.commit()
        flash(message % {"n": count}, "success")
    return redirect(back)


@bp.route("/manage/meetings/<int:meeting_id>/invitations", methods=["GET", "POST"])
@roles_required("admin", "organizer")
def dashboard(meeting_id):
    meeting = require_manager(db.get_or_404(Meeting, meeting_id))
    reminder_form = ReminderForm(obj=meeting)
    if request.method == "POST" and reminder_form.validate_on_submit():
        meeting.reminder_days = reminder_form.reminder_days.data
        meeting.remind_unanswered = reminder_form.remind_unanswered.data
        meeting.reminder_sent_at = None if meeting.reminder_days else meeting.reminder_sent_at
        db.session.commit()
        flash(_("Reminder settings saved."), "success")
        return redirect(url_for("invitations.dashboard", meeting_id=meeting.id))
    status = request.args.get("status", "")
    if status not in {s.value for s in InvitationStatus}:
        status = ""
    page = paginate(services.invitations_query(meeting, status), PER_PAGE)
    page_rows = db.session.execute(
        services.invitations_query(meeting, status).limit(PER_PAGE)
        .offset((page.page - 1) * PER_PAGE)).all()
    batches = services.running_batches(meeting)
    return render_template(
        "invitations/dashboard.html", meeting=meeting, counts=services.status_counts(meeting),
        labels=INVITATION_STATUS_LABELS, statuses=list(InvitationStatus), status=status,
        row_status_enum=InvitationStatus,
        page=page, rows=page_rows, batches=[(b, services.batch_progress(b)) for b in batches],
        reminder_form=reminder_form, confirm=ConfirmForm(),
        declines=db.session.execute(sa.select(Invitation.name, Invitation.decline_reason).where(
            Invitation.meeting_id == meeting.id, Invitation.decline_reason != "")).all(),
    )


# --- the invited: answer through the personal link ----------------------------------------

def _invitation_or_404(token: str) -> Invitation:
    invitation = services.by_token(token)
    if invitation is None or invitation.meeting.status is MeetingStatus.DRAFT:
        abort(404)
    prefer_language(invitation.locale)
    return invitation


@bp.route("/i/<token>")
@public
def respond(token):
    from consult.events.services import REGISTRATION_STATE_LABELS, registration_state
    from consult.registrations.models import ACTIVE_STATUSES, Registration, RegistrationStatus

    invitation = _invitation_or_404(token)
    delegates = db.session.scalars(sa.select(Registration).where(
        Registration.invitation_id == invitation.id,
        Registration.status.in_(ACTIVE_STATUSES))).all()
    state = registration_state(invitation.meeting)
    # a registration the organizers refused is not offered again here
    refused = db.session.scalar(sa.select(sa.func.count()).select_from(Registration).where(
        Registration.invitation_id == invitation.id,
        Registration.status == RegistrationStatus.REJECTED)) > 0
    response = render_template(
        "invitations/respond.html", invitation=invitation, meeting=invitation.meeting,
        delegates=delegates, state=state, state_label=REGISTRATION_STATE_LABELS[state],
        refused=refused)
    return private_response(response)


@bp.route("/i/<token>/decline", methods=["GET", "POST"])
@public
@limit_posts(public_form_limit)
def decline(token):
    invitation = _invitation_or_404(token)
    form = DeclineForm()
    if form.validate_on_submit():
        services.decline(invitation, form.reason.data or "")
        db.session.commit()
        flash(_("Thank you for letting us know."), "success")
        return redirect(url_for("invitations.respond", token=token))
    return private_response(render_template("invitations/decline.html", invitation=invitation,
                                    meeting=invitation.meeting, form=form))


# --- unsubscribing: a link in every non-transactional mail --------------------------------

@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@public
@csrf.exempt  # RFC 8058 one-click: mail programs POST here without a form; the token is the key
@limit_posts(public_form_limit)
def unsubscribe_page(token):
    who = services.unsubscriber(token)
    if who is None:
        abort(404)
    # in the language the invitations reached them in, whatever browser opens the link
    prefer_language(getattr(who, "language", None))
    again = False
    if request.method == "POST" and not language_switched():
        one_click = request.form.get("List-Unsubscribe") == "One-Click"
        if request.form.get("action") == "again" and not one_click:
            # a click too many, undone from the same page (a mail program's post never is)
            again = who.unsubscribed_at is not None
            services.subscribe_again(who)
        else:
            services.unsubscribe(who)
        db.session.commit()
        if one_click:
            return "", 204
    name = who.name
    kind = "organisation" if isinstance(who, Organisation) else "contact"
    return private_response(render_template("invitations/unsubscribe.html", name=name, kind=kind,
                                    done=who.unsubscribed_at is not None, again=again,
                                    token=token))


def contact_history(contact: Contact) -> list:
    """Invitations of a contact with their status, for the contact's page."""
    status_value = services.status_expression().label("status")
    from consult.mail.models import OutboxMessage

    return db.session.execute(
        sa.select(Invitation, status_value, OutboxMessage.last_error)
        .outerjoin(OutboxMessage, OutboxMessage.dedupe_key == Invitation.mail_key)
        .where(Invitation.contact_id == contact.id)
        .order_by(Invitation.created_at.desc())).all()
