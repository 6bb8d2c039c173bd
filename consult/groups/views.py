"""Working groups: organizer pages (group, leads, memberships, documents, conclusions sent
to members) and the public group pages."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user

from consult.auth.models import User
from consult.auth.services import can_manage
from consult.cache import public_cache
from consult.directory.models import Contact, StakeholderType
from consult.directory.services import ContactFilters, contacts_query
from consult.events.forms import fill_language_fields, home_defaults, language_values
from consult.events.models import DOCUMENT_TYPE_LABELS, Meeting
from consult.events.services import slugify, unique_slug, visible_to
from consult.extensions import db
from consult.forms import ConfirmForm, paginate
from consult.groups import services
from consult.groups.forms import (
    ConclusionsForm,
    DayForm,
    EndForm,
    GroupDocumentForm,
    GroupForm,
    LeadForm,
    MembershipForm,
    NewLeadForm,
)
from consult.groups.models import (
    LEAD_ROLE_LABELS,
    MEMBERSHIP_ROLE_LABELS,
    ConclusionsSend,
    GroupLead,
    LeadRole,
    Membership,
    MembershipRole,
    WorkingGroup,
    group_managers,
)
from consult.i18n import CONTENT_LANGUAGES
from consult.reports.queries import record_years
from consult.security import public, roles_required

bp = Blueprint("groups", __name__)

PER_PAGE = 50
SEARCH_PER_PAGE = 20


def _require_manager(thing):
    from consult.events.manage import require_manager

    return require_manager(thing)


def _require_reader(thing):
    from consult.events.manage import require_reader

    return require_reader(thing)


def _group_url(group: WorkingGroup, anchor: str = "") -> str:
    return url_for("groups.manage_group", group_id=group.id) + (f"#{anchor}" if anchor else "")


def _types_by_code() -> dict[str, StakeholderType]:
    from consult.directory.services import stakeholder_types

    return {t.code: t for t in stakeholder_types()}


@bp.app_context_processor
def _labels():
    return {"membership_role_label": MEMBERSHIP_ROLE_LABELS.get,
            "lead_role_label": LEAD_ROLE_LABELS.get}


# --- the list and the group form ------------------------------------------------------------

@bp.route("/manage/groups/")
def manage_groups():
    query = visible_to(current_user, WorkingGroup, group_managers).order_by(WorkingGroup.id)
    page = paginate(query, PER_PAGE)
    ids = [g.id for g in page.items]
    members = {}
    if ids:
        members = dict(db.session.execute(
            sa.select(Membership.group_id, sa.func.count(sa.distinct(Membership.contact_id)))
            .where(Membership.group_id.in_(ids), Membership.current_on(date.today()))
            .group_by(Membership.group_id)).all())
    return render_template("groups/list.html", page=page, members=members)


def _manager_choices():
    from consult.events.manage import _manager_choices as choices

    return choices()


def _apply_group_form(group: WorkingGroup, form: GroupForm) -> None:
    group.name = language_values(form, "name")
    group.mandate = language_values(form, "mandate")
    group.main_language = form.main_language.data
    group.established_on = form.established_on.data
    group.timezone = form.timezone.data
    group.public = form.public.data
    chosen = set(form.managers.data or [])
    if current_user.id not in chosen and not current_user.is_admin:
        chosen.add(current_user.id)  # organizers cannot lock themselves out of their group
    group.managers = list(db.session.scalars(sa.select(User).where(User.id.in_(chosen))))


@bp.route("/manage/groups/new", methods=["GET", "POST"])
@roles_required("admin", "organizer")
def create_group():
    form = GroupForm()
    form.managers.choices = _manager_choices()
    if request.method == "GET":
        form.managers.data = [current_user.id]
        home_defaults(form)
    if form.validate_on_submit():
        group = WorkingGroup()
        _apply_group_form(group, form)
        name = group.name.get(group.main_language, "")
        base = slugify(name) if any(c.isalnum() for c in name) else "group"
        group.slug = unique_slug(base, services.group_slug_taken)
        db.session.add(group)
        db.session.commit()
        flash(_("The working group is created. Now add its lead institution and members."),
              "success")
        return redirect(_group_url(group))
    return render_template("groups/group_form.html", form=form, group=None)


@bp.route("/manage/groups/<int:group_id>/edit", methods=["GET", "POST"])
def edit_group(group_id):
    group = _require_manager(db.get_or_404(WorkingGroup, group_id))
    form = GroupForm(obj=group)
    form.managers.choices = _manager_choices()
    if request.method == "GET":
        fill_language_fields(form, "name", group.name)
        fill_language_fields(form, "mandate", group.mandate)
        form.managers.data = [u.id for u in group.managers]
    if form.validate_on_submit():
        _apply_group_form(group, form)
        db.session.commit()
        flash(_("The working group is saved."), "success")
        return redirect(_group_url(group))
    return render_template("groups/group_form.html", form=form, group=group)


# --- the group page -------------------------------------------------------------------------

def _chosen_day(group: WorkingGroup) -> tuple[date, DayForm]:
    form = DayForm(formdata=request.args)
    today = services.group_today(group)
    if request.args.get("on") and form.validate() and form.on.data:
        return form.on.data, form
    if not request.args.get("on"):
        form.on.data = today
    return today, form


@bp.route("/manage/groups/<int:group_id>/")
def manage_group(group_id):
    group = _require_reader(db.get_or_404(WorkingGroup, group_id))
    day, day_form = _chosen_day(group)
    show_all = request.args.get("all") == "1"
    query = services.all_memberships_query(group) if show_all else \
        services.members_query(group, day)
    page = paginate(query, PER_PAGE)
    # a viewer may open only the public ones
    documents = services.group_documents(group, include_internal=not current_user.is_viewer)
    return render_template(
        "groups/manage_group.html", group=group, day=day, day_form=day_form,
        today=services.group_today(group), show_all=show_all, page=page,
        by_gender=services.member_counts_by_gender(group, day),
        by_type=services.member_counts_by_type(group, day), types=_types_by_code(),
        meetings=services.group_meetings(group),
        documents=services.documents_by_year(documents),
        manager=can_manage(current_user, group), confirm=ConfirmForm(),
        record_years=record_years(group) if group.public else [],
    )


# --- lead institutions ----------------------------------------------------------------------

@bp.route("/manage/groups/<int:group_id>/leads/new", methods=["GET", "POST"])
def add_lead(group_id):
    group = _require_manager(db.get_or_404(WorkingGroup, group_id))
    form = NewLeadForm(language=group.main_language)
    if form.validate_on_submit():
        _lead, ended = services.add_lead(
            group, language_values(form, "institution"), LeadRole(form.role.data),
            form.starts_on.data, form.ends_on.data, hand_over=form.hand_over.data)
        db.session.commit()
        if ended:
            flash(_("The institution is added; the previous term ends on %(day)s.",
                    day=format_date(ended[0].ends_on, "long")), "success")
        else:
            flash(_("The institution is added."), "success")
        return redirect(_group_url(group, "leads"))
    return render_template("groups/lead_form.html", form=form, group=group, lead=None)


def _lead(lead_id: int) -> tuple[GroupLead, WorkingGroup]:
    lead = db.get_or_404(GroupLead, lead_id)
    return lead, _require_manager(lead.group)


@bp.route("/manage/groups/leads/<int:lead_id>/edit", methods=["GET", "POST"])
def edit_lead(lead_id):
    lead, group = _lead(lead_id)
    form = LeadForm(obj=lead, language=group.main_language)
    if request.method == "GET":
        fill_language_fields(form, "institution", lead.institution)
        form.role.data = lead.role.value
    if form.validate_on_submit():
        lead.institution = language_values(form, "institution")
        lead.role = LeadRole(form.role.data)
        lead.starts_on = form.starts_on.data
        lead.ends_on = form.ends_on.data
        db.session.commit()
        flash(_("The institution is saved."), "success")
        return redirect(_group_url(group, "leads"))
    return render_template("groups/lead_form.html", form=form, group=group, lead=lead)


@bp.route("/manage/groups/leads/<int:lead_id>/end", methods=["GET", "POST"])
def end_lead(lead_id):
    lead, group = _lead(lead_id)
    return _end_term(lead, group, "lead", lead.name(), "leads", lambda day: _(
        "The term of %(name)s ends on %(day)s.", name=lead.name(), day=day))


@bp.route("/manage/groups/leads/<int:lead_id>/delete", methods=["GET", "POST"])
def delete_lead(lead_id):
    lead, group = _lead(lead_id)
    return _remove_entry(
        group, _("Remove from the lead history"),
        _("Remove %(name)s from the lead history, as if it had never been entered? To record "
          "that its term is over, end the term instead.", name=lead.name()),
        "leads", lambda: group.leads.remove(lead),
        _("The entry is removed from the lead history."))


def _end_term(term, group: WorkingGroup, kind: str, what: str, anchor: str, done):
    """A page asking when a lead's or a member's term ends (today by default), then the
    group's page; ``done(day)`` is the message."""
    form = EndForm(starts_on=term.starts_on)
    if request.method == "GET":
        form.ends_on.data = term.ends_on or services.group_today(group)
    if form.validate_on_submit():
        term.ends_on = form.ends_on.data
        db.session.commit()
        flash(done(format_date(term.ends_on, "long")), "success")
        return redirect(_group_url(group, anchor))
    return render_template("groups/end.html", form=form, group=group, what=what, kind=kind,
                           back=_group_url(group, anchor))


def _remove_entry(group: WorkingGroup, heading: str, question: str, anchor: str, remove,
                  message: str):
    """The confirmation page every removal uses, then ``remove()`` and the group's page."""
    back = _group_url(group, anchor)
    form = ConfirmForm()
    if form.validate_on_submit():
        remove()
        db.session.commit()
        flash(message, "success")
        return redirect(back)
    return render_template("confirm_removal.html", form=form, back=back, heading=heading,
                           lines=[question])


# --- memberships ----------------------------------------------------------------------------

def _organisation_from_form(form: MembershipForm):
    """The organisation named in the form, or False (with the field's error) when the
    directory has none of that name."""
    if not form.organisation.data:
        return None
    organisation = services.organisation_named(form.organisation.data)
    if organisation is None:
        form.organisation.errors.append(_(
            "The directory has no organisation of this name. Add it to the directory first, "
            "or leave the field empty."))
        return False
    return organisation


def _overlaps(form: MembershipForm, group: WorkingGroup, contact_id: int,
              exclude_id: int | None = None) -> bool:
    other = services.overlapping_membership(group.id, contact_id, form.starts_on.data,
                                            form.ends_on.data, exclude_id)
    if other is not None:
        form.starts_on.errors.append(_(
            "This person already has a seat in the group for part of this period "
            "(%(start)s – %(end)s). End or edit that membership first.",
            start=format_date(other.starts_on, "long") if other.starts_on else "…",
            end=format_date(other.ends_on, "long") if other.ends_on else "…"))
        return True
    return False


@bp.route("/manage/groups/<int:group_id>/members/new", methods=["GET", "POST"])
def add_member(group_id):
    group = _require_manager(db.get_or_404(WorkingGroup, group_id))
    contact_id = request.args.get("contact", type=int)
    q = request.args.get("q", "").strip()[:200]
    if contact_id is None:
        results = None
        current = set()
        if q:
            results = paginate(contacts_query(ContactFilters(q=q)), SEARCH_PER_PAGE)
            current = services.current_member_ids(
                group, services.group_today(group), [c.id for c in results.items])
        return render_template("groups/member_search.html", group=group, q=q,
                               results=results, current=current)
    contact = db.get_or_404(Contact, contact_id)
    form = MembershipForm()
    if request.method == "GET":
        form.organisation.data = contact.organisation.name if contact.organisation else ""
        form.starts_on.data = services.group_today(group)
    if form.validate_on_submit():
        organisation = _organisation_from_form(form)
        if organisation is not False and not _overlaps(form, group, contact.id):
            db.session.add(Membership(
                group_id=group.id, contact_id=contact.id, organisation=organisation,
                role=MembershipRole(form.role.data), starts_on=form.starts_on.data,
                ends_on=form.ends_on.data, publish_consent=form.publish_consent.data))
            db.session.commit()
            flash(_("%(name)s is added to the group.", name=contact.name), "success")
            return redirect(_group_url(group, "members"))
    return render_template("groups/membership_form.html", form=form, group=group,
                           contact=contact, membership=None, q=q)


def _membership(membership_id: int) -> tuple[Membership, WorkingGroup]:
    membership = db.get_or_404(Membership, membership_id)
    return membership, _require_manager(membership.group)


@bp.route("/manage/groups/memberships/<int:membership_id>/edit", methods=["GET", "POST"])
def edit_membership(membership_id):
    membership, group = _membership(membership_id)
    form = MembershipForm(obj=membership)
    if request.method == "GET":
        form.role.data = membership.role.value
        form.organisation.data = membership.organisation.name if membership.organisation else ""
    if form.validate_on_submit():
        organisation = _organisation_from_form(form)
        if organisation is not False and not _overlaps(form, group, membership.contact_id,
                                                       membership.id):
            membership.organisation = organisation
            membership.role = MembershipRole(form.role.data)
            membership.starts_on = form.starts_on.data
            membership.ends_on = form.ends_on.data
            membership.publish_consent = form.publish_consent.data
            db.session.commit()
            flash(_("The membership is saved."), "success")
            return redirect(_group_url(group, "members"))
    return render_template("groups/membership_form.html", form=form, group=group,
                           contact=membership.contact, membership=membership, q="")


@bp.route("/manage/groups/memberships/<int:membership_id>/end", methods=["GET", "POST"])
def end_membership(membership_id):
    membership, group = _membership(membership_id)
    name = membership.contact.name
    return _end_term(membership, group, "membership", name, "members", lambda day: _(
        "The membership of %(name)s ends on %(day)s.", name=name, day=day))


@bp.route("/manage/groups/memberships/<int:membership_id>/delete", methods=["GET", "POST"])
def delete_membership(membership_id):
    membership, group = _membership(membership_id)
    return _remove_entry(
        group, _("Remove the membership"),
        _("Remove the membership of %(name)s, as if it had never been entered? Reports will no "
          "longer count it for any day. To record that the person left the group, end the "
          "membership instead.", name=membership.contact.name),
        "members", lambda: db.session.delete(membership), _("The membership is removed."))


# --- documents ------------------------------------------------------------------------------

@bp.route("/manage/groups/<int:group_id>/documents/new", methods=["GET", "POST"])
def add_document(group_id):
    from consult.events.manage import _add_document

    group = _require_manager(db.get_or_404(WorkingGroup, group_id))
    form = GroupDocumentForm()
    if request.method == "GET":
        form.type.data = "work_plan"
        form.year.data = services.group_today(group).year
        form.language.data = group.main_language
    if form.validate_on_submit() and _add_document(
            form, group_id=group.id, published_on=form.published_on.data):
        flash(_("The document is added."), "success")
        return redirect(_group_url(group, "documents"))
    return render_template("groups/document_form.html", document_form=form, group=group)


# --- conclusions of a meeting, mailed to the members ----------------------------------------

@bp.route("/manage/meetings/<int:meeting_id>/conclusions", methods=["GET", "POST"])
def conclusions(meeting_id):
    meeting = _require_manager(db.get_or_404(Meeting, meeting_id))
    group = meeting.group
    if group is None:
        abort(404)
    documents = services.conclusion_documents(meeting)
    form = ConclusionsForm()
    form.document.choices = [
        (d.id, f"{d.title} ({DOCUMENT_TYPE_LABELS[d.type]})") for d in documents]
    if request.method == "GET" and documents:
        form.document.data = documents[0].id  # conclusions before minutes
    today = services.group_today(group)
    recipients = services.conclusions_recipients(group, today)
    previews, sent_before = [], None
    if documents and form.validate_on_submit():
        document = next(d for d in documents if d.id == form.document.data)
        # the same document mailed already: said before a second send
        sent_before = db.session.scalar(
            sa.select(ConclusionsSend).where(ConclusionsSend.meeting_id == meeting.id,
                                             ConclusionsSend.document_id == document.id)
            .order_by(ConclusionsSend.created_at.desc()).limit(1))
        if request.form.get("action") == "send":
            try:
                send = services.send_conclusions(meeting, document, current_user,
                                                 form.note.data, day=today)
            except services.NothingToSend:
                db.session.rollback()
                flash(_("No current member has an e-mail address: nothing was sent."), "error")
            else:
                db.session.commit()
                flash(_("The document is on its way to %(n)s members.", n=send.recipients),
                      "success")
                return redirect(url_for("groups.conclusions", meeting_id=meeting.id) + "#log")
        else:
            languages = sorted({services.mail_language(c, group) for c in recipients}) or [
                services.mail_language(None, group)]
            previews = [services.preview_conclusions(meeting, document, form.note.data, code)
                        for code in languages]
    return render_template(
        "groups/conclusions.html", meeting=meeting, group=group, documents=documents,
        form=form, recipients=recipients, previews=previews, sent_before=sent_before,
        sent_before_day=sent_before.created_at.astimezone(ZoneInfo(group.timezone)).date()
        if sent_before else None,
        without_address=services.members_without_address(group, today),
        log=services.conclusions_log(meeting), language_names=CONTENT_LANGUAGES,
    )


# --- the public page ------------------------------------------------------------------------

@bp.route("/groups/<slug>")
@public
@public_cache
def group(slug):
    from consult.events.views import _publicly_visible

    group = db.first_or_404(sa.select(WorkingGroup).where(WorkingGroup.slug == slug))
    manager = current_user.is_authenticated and can_manage(current_user, group)
    if not group.public and not manager:
        abort(404)
    day = services.group_today(group)
    meetings = [m for m in services.group_meetings(group, public_only=True)
                if _publicly_visible(m) or manager]
    documents = services.group_documents(group, include_internal=manager)
    return render_template(
        "groups/group.html", group=group, day=day, manager=manager,
        leads=group.leads, current_leads=services.leads_on(group, day),
        organisations=services.member_counts_by_organisation(group, day),
        names=services.published_member_names(group, day),
        by_gender=services.member_counts_by_gender(group, day),
        by_type=services.member_counts_by_type(group, day),
        types=_types_by_code(), meetings=services.meetings_by_type(meetings[::-1]),
        documents=services.documents_by_year(documents), record_years=record_years(group),
    )
