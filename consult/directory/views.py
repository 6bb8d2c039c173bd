"""Organizer pages of the stakeholder directory. Personal data: admins and organizers only."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user

from consult.db import utcnow
from consult.directory import importer, services
from consult.directory.forms import ContactForm, ImportForm, OrganisationForm, country_name
from consult.directory.models import Contact, Gender, ImportBatch, Organisation
from consult.events.models import Meeting
from consult.extensions import db
from consult.files import XLSX, download
from consult.forms import ConfirmForm, paginate
from consult.security import roles_required

bp = Blueprint("directory", __name__, url_prefix="/manage/directory")

PER_PAGE = 50


@bp.before_request
@roles_required("admin", "organizer")
def directory_is_for_organizers():
    """Contacts are personal data: viewers (e.g. journalists) never see them."""


def _filters() -> services.ContactFilters:
    args = request.args
    filters = services.ContactFilters(
        q=args.get("q", "").strip()[:200], type=args.get("type", ""),
        region=args.get("region", ""), language=args.get("language", ""),
        archived=args.get("archived") == "1", tag=args.get("tag", "").strip()[:200],
        group=args.get("group", ""), organisation=args.get("organisation", ""),
        municipality=args.get("municipality", ""),
    )
    # the members of a group another organizer manages are not for this one to list
    if not services.may_filter_by_group(current_user, services.parse_id(filters.group)):
        abort(403)
    return filters


@bp.route("/")
def contacts():
    filters = _filters()
    page = paginate(services.contacts_query(filters), PER_PAGE)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Contact).where(
        Contact.archived_at.is_(None)))
    organisation_id = services.parse_id(filters.organisation)
    organisation = db.session.get(Organisation, organisation_id) if organisation_id else None
    return render_template("directory/contacts.html", page=page, filters=filters,
                           types=services.stakeholder_types(), regions=services.regions(),
                           municipalities=services.municipalities(), tags=services.all_tags(),
                           groups=services.working_groups(current_user),
                           organisation=organisation,
                           total=total)


@bp.route("/export.csv")
def export_csv():
    return download(services.export_csv(_filters()), "text/csv; charset=utf-8", "contacts.csv")


@bp.route("/export.xlsx")
def export_xlsx():
    return download(services.export_xlsx(_filters()), XLSX, "contacts.xlsx")


def _save_contact(contact: Contact, form: ContactForm) -> None:
    tags = services.canonical_tags(form.tag_list)  # queries first: the contact is not added yet
    contact.name = form.name.data
    contact.email = form.email.data.lower() if form.email.data else None
    contact.gender = Gender(form.gender.data)
    contact.stakeholder_type_id = int(form.stakeholder_type.data) \
        if form.stakeholder_type.data else None
    for name in ("position", "region", "oblast", "municipality", "phone", "language"):
        setattr(contact, name, getattr(form, name).data or "")
    if form.organisation.data:
        organisation = db.session.scalar(sa.select(Organisation).where(
            sa.func.lower(Organisation.name) == form.organisation.data.lower()))
        if organisation is None:
            organisation = Organisation(name=form.organisation.data, region=contact.region)
            organisation.refresh_search()
            db.session.add(organisation)
        contact.organisation = organisation
    else:
        contact.organisation = None
    contact.tags = tags
    contact.refresh_search()


def _email_taken(address: str | None, contact_id: int | None) -> bool:
    if not address:
        return False
    other = db.session.scalar(sa.select(Contact.id).where(Contact.email == address.lower()))
    return other is not None and other != contact_id


@bp.route("/contacts/new", methods=["GET", "POST"])
@bp.route("/contacts/<int:contact_id>", methods=["GET", "POST"])
def edit_contact(contact_id=None):
    contact = db.get_or_404(Contact, contact_id) if contact_id else None
    form = ContactForm(obj=contact)
    form.stakeholder_type.choices = services.stakeholder_type_choices()
    if request.method == "GET" and contact is not None:
        form.gender.data = contact.gender.value
        form.organisation.data = contact.organisation.name if contact.organisation else ""
        form.stakeholder_type.data = str(contact.stakeholder_type_id or "")
        form.tags.data = ", ".join(contact.tags or [])
    if form.validate_on_submit():
        if _email_taken(form.email.data, contact_id):
            form.email.errors.append(_("Another contact already has this e-mail address."))
        else:
            contact = contact or Contact()
            _save_contact(contact, form)
            db.session.add(contact)
            db.session.commit()
            flash(_("The contact %(name)s is saved.", name=contact.name), "success")
            if contact.organisation is not None and contact.organisation.archived_at:
                flash(_("%(organisation)s is archived: bring it back to the directory from "
                        "its page if it is active again.",
                        organisation=contact.organisation.name), "info")
            return redirect(url_for("directory.contacts"))
    reach = _reach()
    history, bounces = _mail_history(contact, reach) if contact else ([], [])
    return render_template("directory/contact_form.html", form=form, contact=contact,
                           history=history, bounces=bounces,
                           **(_participation(contact, reach) if contact else {}))


@dataclass
class Reach:
    """What of a contact's past the signed-in organizer may see: the directory is shared,
    but registrations, invitations and seats belong to the series and groups whose
    managers run them (admins see all: ``meetings`` and ``groups`` are None)."""

    meetings: set[int] | None
    groups: set[int] | None

    def meeting(self, meeting_id: int) -> bool:
        return self.meetings is None or meeting_id in self.meetings

    def group(self, group_id: int) -> bool:
        return self.groups is None or group_id in self.groups


def _reach() -> Reach:
    from consult.events.services import managed_meetings_query, visible_to
    from consult.groups.models import WorkingGroup, group_managers

    if current_user.is_admin:
        return Reach(None, None)
    meetings = set(db.session.scalars(
        managed_meetings_query(current_user).with_only_columns(Meeting.id)))
    groups = set(db.session.scalars(visible_to(
        current_user, WorkingGroup, group_managers).with_only_columns(WorkingGroup.id)))
    return Reach(meetings, groups)


def _participation(contact: Contact, reach: Reach) -> dict:
    """The meetings the person registered for (and whether they came) and their seats in
    working groups: what an organizer looks up before inviting them again. Of meetings and
    groups the organizer does not manage, only how many."""
    from consult.attendance.models import Attendance
    from consult.groups.models import MEMBERSHIP_ROLE_LABELS, Membership
    from consult.registrations.models import Registration

    registrations = db.session.execute(
        sa.select(Registration, Attendance.id.is_not(None))
        .join(Meeting, Meeting.id == Registration.meeting_id)
        .outerjoin(Attendance, Attendance.registration_id == Registration.id)
        .where(Registration.contact_id == contact.id)
        .order_by(Meeting.starts_at.desc())).all()
    memberships = db.session.scalars(
        sa.select(Membership).where(Membership.contact_id == contact.id)
        .order_by(Membership.starts_on.desc(), Membership.id.desc())).all()
    shown = [row for row in registrations if reach.meeting(row[0].meeting_id)]
    seats = [m for m in memberships if reach.group(m.group_id)]
    return {"registrations": shown[:100], "memberships": seats,
            "registrations_elsewhere": len(registrations) - len(shown),
            "memberships_elsewhere": len(memberships) - len(seats),
            "membership_role_label": MEMBERSHIP_ROLE_LABELS.get}


def _elsewhere(contact: Contact, reach: Reach) -> int:
    """How many of the contact's registrations, invitations and seats lie outside the
    organizer's series and groups."""
    from consult.groups.models import Membership
    from consult.invitations.models import Invitation
    from consult.registrations.models import Registration
    from consult.registrations.privacy import same_person

    if reach.meetings is None:
        return 0
    # every registration erasing would reach: linked, or made with the contact's address
    meeting_ids = [*db.session.scalars(sa.select(Registration.meeting_id).where(
        same_person(contact))), *db.session.scalars(sa.select(
            Invitation.meeting_id).where(Invitation.contact_id == contact.id))]
    group_ids = db.session.scalars(sa.select(Membership.group_id).where(
        Membership.contact_id == contact.id))
    return sum(not reach.meeting(i) for i in meeting_ids) + sum(
        not reach.group(i) for i in group_ids)


def _mail_history(contact: Contact, reach: Reach):
    """Invitations with their answer or delivery (to meetings the organizer manages), and
    mails refused for this address."""
    from consult.invitations.views import contact_history
    from consult.mail.models import OutboxMessage, OutboxStatus

    bounces = []
    if contact.email:
        bounces = db.session.execute(
            sa.select(OutboxMessage.created_at, OutboxMessage.subject, OutboxMessage.last_error)
            .where(OutboxMessage.recipient == contact.email,
                   OutboxMessage.status == OutboxStatus.FAILED)
            .order_by(OutboxMessage.created_at.desc()).limit(20)).all()
    history = [row for row in contact_history(contact) if reach.meeting(row[0].meeting_id)]
    return history, bounces


@bp.route("/contacts/<int:contact_id>/archive", methods=["POST"])
def archive_contact(contact_id):
    contact = db.get_or_404(Contact, contact_id)
    if ConfirmForm().validate_on_submit():
        contact.archived_at = None if contact.archived_at else utcnow()
        db.session.commit()
        flash(_("The contact %(name)s is archived.", name=contact.name) if contact.archived_at
              else _("The contact %(name)s is back in the directory.", name=contact.name),
              "success")
    return redirect(url_for("directory.contacts"))


# --- merging duplicates -----------------------------------------------------------------------

MERGE_CANDIDATES = 20


@bp.route("/contacts/<int:contact_id>/merge")
def merge_contact(contact_id):
    """Step 1: find the duplicate (by name, e-mail or organisation)."""
    contact = db.get_or_404(Contact, contact_id)
    # at first, the other people with the same family name (the last word of the name)
    q = request.args.get("q", "").strip()[:200] or (contact.name.split() or [""])[-1]
    candidates = db.session.scalars(
        services.contacts_query(services.ContactFilters(q=q)).where(Contact.id != contact.id)
        .limit(MERGE_CANDIDATES)).all()
    return render_template("directory/merge_search.html", contact=contact, q=q,
                           candidates=candidates, limit=MERGE_CANDIDATES)


@bp.route("/contacts/<int:contact_id>/merge/<int:other_id>", methods=["GET", "POST"])
def confirm_merge(contact_id, other_id):
    """Step 2: both side by side, what is kept; the POST merges the other into this one."""
    keep = db.get_or_404(Contact, contact_id)
    other = db.get_or_404(Contact, other_id)
    if keep.id == other.id:
        flash(_("Choose another contact to merge with."), "error")
        return redirect(url_for("directory.merge_contact", contact_id=keep.id))
    form = ConfirmForm()
    if form.validate_on_submit():
        name = other.name
        try:
            services.merge_contacts(keep, other)
        except services.MergeConflict:
            db.session.rollback()
            flash(_("These two contacts cannot be merged: both have a record of the same "
                    "kind for the same thing."), "error")
        else:
            db.session.commit()
            flash(_("%(other)s is merged into %(name)s.", other=name, name=keep.name),
                  "success")
            return redirect(url_for("directory.edit_contact", contact_id=keep.id))
    plan = services.merge_plan(keep, other)
    return render_template("directory/merge_confirm.html", plan=plan, form=form,
                           reference_labels=services.REFERENCE_LABELS)


# --- organisations ----------------------------------------------------------------------------

def _organisation_filters() -> services.OrganisationFilters:
    args = request.args
    return services.OrganisationFilters(
        q=args.get("q", "").strip()[:200], type=args.get("type", ""),
        region=args.get("region", ""), archived=args.get("archived") == "1",
    )


@bp.route("/organisations/")
def organisations():
    filters = _organisation_filters()
    page = paginate(services.organisations_query(filters), PER_PAGE)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Organisation).where(
        Organisation.archived_at.is_(None)))
    return render_template(
        "directory/organisations.html", page=page, filters=filters, total=total,
        counts=services.contact_counts([o.id for o in page.items]),
        types=services.stakeholder_types(), regions=services.organisation_regions(),
    )


@bp.route("/organisations/<int:organisation_id>")
def organisation(organisation_id):
    organisation = db.get_or_404(Organisation, organisation_id)
    return render_template("directory/organisation.html", organisation=organisation,
                           contacts=services.organisation_contacts(organisation),
                           country_name=country_name)


@bp.route("/organisations/new", methods=["GET", "POST"])
@bp.route("/organisations/<int:organisation_id>/edit", methods=["GET", "POST"])
def edit_organisation(organisation_id=None):
    organisation = db.get_or_404(Organisation, organisation_id) if organisation_id else None
    form = OrganisationForm(obj=organisation)
    form.stakeholder_type.choices = services.stakeholder_type_choices()
    if request.method == "GET" and organisation is not None:
        form.stakeholder_type.data = str(organisation.stakeholder_type_id or "")
    if form.validate_on_submit():
        if services.organisation_name_taken(form.name.data, organisation_id):
            form.name.errors.append(_("Another organisation already has this name."))
        else:
            renamed = organisation is not None and organisation.name != form.name.data
            organisation = organisation or Organisation()
            organisation.name = form.name.data
            organisation.stakeholder_type_id = int(form.stakeholder_type.data) \
                if form.stakeholder_type.data else None
            organisation.email = (form.email.data or "").lower()
            for name in ("region", "oblast", "municipality", "country"):
                setattr(organisation, name, getattr(form, name).data or "")
            organisation.refresh_search()
            db.session.add(organisation)
            if renamed:
                services.refresh_contact_search(organisation)
            db.session.commit()
            flash(_("The organisation %(name)s is saved.", name=organisation.name), "success")
            return redirect(url_for("directory.organisation", organisation_id=organisation.id))
    return render_template("directory/organisation_form.html", form=form,
                           organisation=organisation)


@bp.route("/organisations/<int:organisation_id>/archive", methods=["POST"])
def archive_organisation(organisation_id):
    organisation = db.get_or_404(Organisation, organisation_id)
    if ConfirmForm().validate_on_submit():
        organisation.archived_at = None if organisation.archived_at else utcnow()
        db.session.commit()
        flash(_("The organisation %(name)s is archived.", name=organisation.name)
              if organisation.archived_at
              else _("The organisation %(name)s is back in the directory.",
                     name=organisation.name), "success")
    return redirect(url_for("directory.organisation", organisation_id=organisation.id))


# --- import -----------------------------------------------------------------------------------

@bp.route("/import", methods=["GET", "POST"])
def start_import():
    form = ImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.read()
        try:  # a file that is not a list is refused here, next to the field
            importer.parse(data, upload.filename or "")
        except importer.ImportError_ as error:
            form.file.errors.append(str(error.args[0]))
            return render_template("directory/import.html", form=form)
        batch = ImportBatch(filename=upload.filename[:255], data=data,
                            created_by_id=current_user.id)
        db.session.add(batch)
        db.session.commit()
        return redirect(url_for(
            "directory.review_import", batch_id=batch.id, on_existing=form.on_existing.data,
            unknown="1" if form.unknown_gender_as_undisclosed.data else ""))
    return render_template("directory/import.html", form=form)


def _mapping_from_request(parsed: importer.ParsedFile) -> dict:
    mapping = importer.guess_mapping(parsed.headers)
    for name in importer.FIELDS:
        chosen = request.values.get(f"map-{name}")
        if chosen is not None:
            mapping[name] = int(chosen) if chosen.isdigit() and int(chosen) < len(
                parsed.headers) else None
    return mapping


@bp.route("/import/<int:batch_id>", methods=["GET", "POST"])
def review_import(batch_id):
    batch = db.get_or_404(ImportBatch, batch_id)
    if batch.created_by_id != current_user.id and not current_user.is_admin:
        abort(403)
    try:
        parsed = importer.parse(batch.data, batch.filename)
    except importer.ImportError_ as error:
        flash(str(error.args[0]), "error")
        return redirect(url_for("directory.start_import"))
    mapping = _mapping_from_request(parsed)
    on_existing = request.values.get("on_existing", "update")
    unknown = request.values.get("unknown") == "1"
    result = importer.preview(parsed, mapping, on_existing if on_existing in ("update", "skip")
                              else "update", unknown)
    confirm = ConfirmForm()
    if request.method == "POST" and request.form.get("action") == "import":
        if batch.applied_at is not None:
            flash(_("This file was imported already."), "error")
        elif confirm.validate_on_submit():
            counts = importer.apply(result)
            batch.applied_at = utcnow()
            batch.summary = counts
            db.session.commit()
            flash(_("Imported: %(counts)s.", counts=_import_counts(counts)), "success")
            return redirect(url_for("directory.contacts"))
    return render_template(
        "directory/import_review.html", batch=batch, parsed=parsed, result=result,
        mapping=mapping, fields=importer.FIELDS, labels=importer.FIELD_LABELS,
        on_existing=on_existing, unknown=unknown, confirm=confirm,
        separator=SEPARATORS.get(parsed.delimiter, parsed.delimiter),
        done=_import_counts(batch.summary or {}) if batch.applied_at else "",
        new_rows_shown=NEW_ROWS_SHOWN,
    )


# new contacts listed in an import's preview: enough to check the columns landed right, not
# ten thousand table rows
NEW_ROWS_SHOWN = 200


# a CSV's separator by name: a bare "," or ";" in a sentence is hard to read
SEPARATORS = {",": _l("comma"), ";": _l("semicolon"), "\t": _l("tab"), "|": _l("vertical bar")}


def _import_counts(summary: dict) -> str:
    """"12 new contacts, 3 updated", in each language's plural forms."""
    new, updated = summary.get("new", 0), summary.get("update", 0)
    return ", ".join((ngettext("%(num)s new contact", "%(num)s new contacts", new),
                      ngettext("%(num)s updated", "%(num)s updated", updated)))


@bp.route("/contacts/<int:contact_id>/erase", methods=["GET", "POST"])
def erase_contact(contact_id):
    """Erase a person on their request: personal data goes, counts stay, the act is logged."""
    from consult.registrations.forms import DeclineForm
    from consult.registrations.privacy import erase_contact as erase

    contact = db.get_or_404(Contact, contact_id)
    # erasing reaches every registration of the person: another series' records are for
    # their managers or an administrator to erase
    elsewhere = _elsewhere(contact, _reach())
    if elsewhere and request.method == "POST":
        abort(403)
    form = DeclineForm()
    form.reason.label.text = _("Request (e.g. “e-mail of 3 March asking for erasure”)")
    if form.validate_on_submit():
        counts = erase(contact, current_user, form.reason.data or "")
        db.session.commit()
        flash(_("The person's data is erased (%(n)s registrations anonymised). Counts in "
                "reports are unchanged.", n=counts["registrations"]), "success")
        return redirect(url_for("directory.contacts"))
    return render_template("directory/erase.html", contact=contact, form=form,
                           elsewhere=elsewhere)
