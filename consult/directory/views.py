"""Organizer pages of the stakeholder directory. Personal data: admins and organizers only."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from consult.db import utcnow
from consult.directory import importer, services
from consult.directory.forms import ContactForm, ImportForm
from consult.directory.models import Contact, Gender, ImportBatch, Organisation
from consult.extensions import db
from consult.forms import ConfirmForm, page_number, select_choices
from consult.security import roles_required

bp = Blueprint("directory", __name__, url_prefix="/manage/directory")

PER_PAGE = 50


@bp.before_request
@roles_required("admin", "organizer")
def directory_is_for_organizers():
    """Contacts are personal data: viewers (e.g. journalists) never see them."""


def _filters() -> services.ContactFilters:
    args = request.args
    return services.ContactFilters(
        q=args.get("q", "").strip()[:200], type=args.get("type", ""),
        region=args.get("region", ""), language=args.get("language", ""),
        archived=args.get("archived") == "1",
    )


@bp.route("/")
def contacts():
    filters = _filters()
    page = db.paginate(services.contacts_query(filters), page=page_number(), per_page=PER_PAGE,
                       error_out=False)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Contact).where(
        Contact.archived_at.is_(None)))
    return render_template("directory/contacts.html", page=page, filters=filters,
                           types=services.stakeholder_types(), regions=services.regions(),
                           total=total)


@bp.route("/export.csv")
def export_csv():
    body = services.export_csv(_filters())
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = 'attachment; filename="contacts.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _type_choices():
    return select_choices([("", "—"), *((t.id, t.label()) for t in services.stakeholder_types())])


def _save_contact(contact: Contact, form: ContactForm) -> None:
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
    form.stakeholder_type.choices = _type_choices()
    if request.method == "GET" and contact is not None:
        form.gender.data = contact.gender.value
        form.organisation.data = contact.organisation.name if contact.organisation else ""
        form.stakeholder_type.data = str(contact.stakeholder_type_id or "")
    if form.validate_on_submit():
        if _email_taken(form.email.data, contact_id):
            form.email.errors.append(_("Another contact already has this e-mail address."))
        else:
            contact = contact or Contact()
            _save_contact(contact, form)
            db.session.add(contact)
            db.session.commit()
            flash(_("The contact %(name)s is saved.", name=contact.name), "success")
            return redirect(url_for("directory.contacts"))
    return render_template("directory/contact_form.html", form=form, contact=contact)


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


@bp.route("/import", methods=["GET", "POST"])
def start_import():
    form = ImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        batch = ImportBatch(filename=upload.filename[:255], data=upload.read(),
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
            flash(_("Imported: %(new)s new contacts, %(updated)s updated.",
                    new=counts["new"], updated=counts["update"]), "success")
            return redirect(url_for("directory.contacts"))
    return render_template(
        "directory/import_review.html", batch=batch, parsed=parsed, result=result,
        mapping=mapping, fields=importer.FIELDS, labels=importer.FIELD_LABELS,
        on_existing=on_existing, unknown=unknown, confirm=confirm,
    )
