"""Directory queries shared by the list, the exports and invitation audiences; tags; merging
duplicate contacts."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from flask_babel import format_date, lazy_pgettext
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import NoReferencedTableError

from consult.directory.models import (
    GENDER_LABELS,
    Contact,
    Gender,
    Organisation,
    StakeholderType,
    search_conditions,
)
from consult.extensions import db
from consult.groups.models import Membership, WorkingGroup
from consult.i18n import CONTENT_LANGUAGES

TAG_MAX_LENGTH = 60


def _as_args(filters, changes: dict) -> dict[str, str]:
    """The filters that are set (after ``changes``), as query-string arguments for links."""
    values = {**asdict(filters), **changes}
    return {name: "1" if value is True else value for name, value in values.items() if value}


def parse_id(value: str) -> int | None:
    """A database id from a query-string value; None for anything else."""
    return int(value) if value.isdigit() and len(value) < 10 else None


# --- contacts ---------------------------------------------------------------------------------

@dataclass
class ContactFilters:
    q: str = ""
    type: str = ""  # stakeholder type code
    region: str = ""
    language: str = ""
    archived: bool = False
    tag: str = ""
    group: str = ""  # a WorkingGroup id: its current members
    organisation: str = ""  # an Organisation id
    municipality: str = ""

    def args(self, **changes) -> dict[str, str]:
        return _as_args(self, changes)

    @property
    def narrowed(self) -> bool:
        """Some filter other than "archived" is set."""
        return any(value for name, value in asdict(self).items() if name != "archived")


def tag_condition(tag: str):
    """SQL: the contact has this exact tag.

    Portable between SQLite and PostgreSQL without JSON operators: the tag as JSON text,
    quotes included, inside the column's JSON text. Both spellings JSON allows for non-ASCII
    letters are tried (escaped, as SQLAlchemy writes them, and raw). Tags cannot contain a
    quotation mark or a backslash (the contact form refuses them), so a match is always a
    whole list item.
    """
    text = sa.cast(Contact.tags, sa.Text)
    spellings = dict.fromkeys([json.dumps(tag), json.dumps(tag, ensure_ascii=False)])
    return sa.or_(*(text.contains(spelling, autoescape=True) for spelling in spellings))


def group_day(group_id: int) -> date:
    """Today where the group meets: membership dates are the group's local dates."""
    zone = db.session.scalar(sa.select(WorkingGroup.timezone).where(WorkingGroup.id == group_id))
    try:
        return datetime.now(ZoneInfo(zone or "UTC")).date()
    except (ZoneInfoNotFoundError, ValueError):
        return datetime.now(ZoneInfo("UTC")).date()


def contacts_query(filters: ContactFilters, day: date | None = None):
    """Contacts matching ``filters``; ``day`` is when group membership is checked (today in
    the group's time zone unless given)."""
    query = sa.select(Contact).outerjoin(Organisation, Contact.organisation_id == Organisation.id)
    query = query.where(
        Contact.archived_at.is_not(None) if filters.archived else Contact.archived_at.is_(None)
    )
    if filters.q:
        # each typed word, or its transliteration, inside the stored search key
        query = query.where(*search_conditions(Contact.search_text, filters.q))
    if filters.type:
        kind = sa.select(StakeholderType.id).where(StakeholderType.code == filters.type)
        query = query.where(sa.or_(
            Contact.stakeholder_type_id.in_(kind),
            sa.and_(Contact.stakeholder_type_id.is_(None),
                    Organisation.stakeholder_type_id.in_(kind)),
        ))
    if filters.region:
        query = query.where(Contact.region == filters.region)
    if filters.municipality:
        query = query.where(Contact.municipality == filters.municipality)
    if filters.language:
        query = query.where(Contact.language == filters.language)
    if filters.tag:
        query = query.where(tag_condition(filters.tag))
    if (organisation_id := parse_id(filters.organisation)) is not None:
        query = query.where(Contact.organisation_id == organisation_id)
    if (group_id := parse_id(filters.group)) is not None:
        members = sa.select(Membership.contact_id).where(
            Membership.group_id == group_id,
            Membership.current_on(day or group_day(group_id)),
        )
        query = query.where(Contact.id.in_(members))
    return query.order_by(Contact.name, Contact.id)


def regions() -> list[str]:
    return list(db.session.scalars(
        sa.select(Contact.region).where(Contact.region != "").distinct().order_by(Contact.region)
    ))


def municipalities() -> list[str]:
    return list(db.session.scalars(
        sa.select(Contact.municipality).where(Contact.municipality != "").distinct()
        .order_by(Contact.municipality)
    ))


def stakeholder_type_choices():
    """The stakeholder-type select of every form: none, then the types by id."""
    from consult.forms import select_choices

    return select_choices([("", "—"), *((str(t.id), t.label()) for t in stakeholder_types())])


def stakeholder_types() -> list[StakeholderType]:
    return list(db.session.scalars(
        sa.select(StakeholderType).order_by(StakeholderType.position, StakeholderType.code)))


def filterable_groups(user):
    """SELECT of the working groups whose members ``user`` may list with a group filter (the
    directory, its exports, invitation audiences): every group for an administrator, else
    those they manage. A group's seats are its managers' to see, as on a contact's page."""
    from consult.groups.models import group_managers

    query = sa.select(WorkingGroup)
    if not user.is_admin:
        query = query.join(group_managers).where(group_managers.c.user_id == user.id)
    return query


def may_filter_by_group(user, group_id: int | None) -> bool:
    """Whether ``user`` may list the members of this group (no group: yes)."""
    if group_id is None:
        return True
    return db.session.scalar(filterable_groups(user).where(WorkingGroup.id == group_id)
                             .with_only_columns(WorkingGroup.id)) is not None


def working_groups(user) -> list[WorkingGroup]:
    """The groups offered in a group filter (see ``filterable_groups``), by name."""
    groups = db.session.scalars(filterable_groups(user)).all()
    return sorted(groups, key=lambda group: group.text("name").casefold())


# --- tags -------------------------------------------------------------------------------------

def parse_tags(text: str) -> list[str]:
    """Comma-separated tags: trimmed, inner spaces collapsed, empty and repeated ones dropped
    (case does not make a different tag)."""
    tags: dict[str, str] = {}
    for part in (text or "").split(","):
        tag = " ".join(part.split())
        if tag:
            tags.setdefault(tag.casefold(), tag)
    return list(tags.values())


def all_tags() -> list[str]:
    """Every tag in use, one spelling each, in alphabetical order."""
    found: dict[str, str] = {}
    for text in db.session.scalars(sa.select(sa.cast(Contact.tags, sa.Text)).distinct()):
        for tag in json.loads(text or "[]") or []:
            if isinstance(tag, str):
                found.setdefault(tag.casefold(), tag)
    return sorted(found.values(), key=str.casefold)


def canonical_tags(tags: list[str]) -> list[str]:
    """A tag typed in other capitals than one in use takes that spelling, so "roma" and
    "Roma" stay one tag (and filter alike on every database)."""
    known = {tag.casefold(): tag for tag in all_tags()}
    return [known.get(tag.casefold(), tag) for tag in tags]


# --- organisations ----------------------------------------------------------------------------

@dataclass
class OrganisationFilters:
    q: str = ""
    type: str = ""  # stakeholder type code
    region: str = ""
    archived: bool = False

    def args(self, **changes) -> dict[str, str]:
        return _as_args(self, changes)

    @property
    def narrowed(self) -> bool:
        return bool(self.q or self.type or self.region)


def organisations_query(filters: OrganisationFilters):
    query = sa.select(Organisation).where(
        Organisation.archived_at.is_not(None) if filters.archived
        else Organisation.archived_at.is_(None)
    )
    if filters.q:
        query = query.where(*search_conditions(Organisation.search_text, filters.q))
    if filters.type:
        query = query.where(Organisation.stakeholder_type_id.in_(
            sa.select(StakeholderType.id).where(StakeholderType.code == filters.type)))
    if filters.region:
        query = query.where(Organisation.region == filters.region)
    return query.order_by(Organisation.name, Organisation.id)


def contact_counts(organisation_ids: list[int]) -> dict[int, int]:
    """Contacts (not archived) of each organisation."""
    if not organisation_ids:
        return {}
    rows = db.session.execute(
        sa.select(Contact.organisation_id, sa.func.count(Contact.id))
        .where(Contact.organisation_id.in_(organisation_ids), Contact.archived_at.is_(None))
        .group_by(Contact.organisation_id)
    )
    return {organisation_id: count for organisation_id, count in rows}


def organisation_regions() -> list[str]:
    return list(db.session.scalars(
        sa.select(Organisation.region).where(Organisation.region != "").distinct()
        .order_by(Organisation.region)
    ))


def organisation_name_taken(name: str, organisation_id: int | None) -> bool:
    """Contacts find their organisation by name, case-insensitively: names must differ."""
    other = db.session.scalar(sa.select(Organisation.id).where(
        sa.func.lower(Organisation.name) == name.lower(), Organisation.id != (organisation_id or 0)
    ).limit(1))
    return other is not None


def organisation_contacts(organisation: Organisation) -> list[Contact]:
    return list(db.session.scalars(
        sa.select(Contact).where(Contact.organisation_id == organisation.id)
        .order_by(Contact.archived_at.is_not(None), Contact.name, Contact.id)
    ))


def refresh_contact_search(organisation: Organisation) -> None:
    """The contacts' search keys hold their organisation's name: renew them after a rename."""
    for contact in db.session.scalars(
            sa.select(Contact).where(Contact.organisation_id == organisation.id)):
        contact.refresh_search()


# --- exports ----------------------------------------------------------------------------------

EXPORT_COLUMNS = ["name", "email", "gender", "organisation", "stakeholder_type", "region",
                  "oblast", "municipality", "position", "language", "phone", "tags"]


def export_headers() -> list[str]:
    """The columns' names in the organizer's language; the importer knows them in each."""
    from consult.directory.importer import FIELD_LABELS

    return [str(FIELD_LABELS[column]) for column in EXPORT_COLUMNS]


def export_rows(filters: ContactFilters):
    """Genders and stakeholder types as the organizer reads them; the importer reads them
    back (types by their name in any language)."""
    genders = {gender: str(label) for gender, label in GENDER_LABELS.items()}
    for contact in db.session.scalars(contacts_query(filters)):
        kind = contact.stakeholder_type
        yield [
            contact.name, contact.email or "", genders[contact.gender],
            contact.organisation.name if contact.organisation else "",
            kind.label() if kind else "", contact.region, contact.oblast, contact.municipality,
            contact.position, contact.language, contact.phone, ", ".join(contact.tags or []),
        ]


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: str) -> str:
    """Text a spreadsheet opening a CSV will show, never run: "=HYPERLINK(…)" typed as a
    name stays text, and so does a phone number "+359 …". The importer takes the apostrophe
    off again (``spreadsheet_value``)."""
    return "'" + value if _escaped(value) else value


def _escaped(value: str) -> bool:
    """Whether ``spreadsheet_safe`` puts an apostrophe before the value: one a spreadsheet
    would run, or one that begins with such an apostrophe already (so that it comes back)."""
    return value[:1] in FORMULA_STARTS or (value[:1] == "'" and _escaped(value[1:]))


def spreadsheet_value(value: str) -> str:
    """A CSV cell as it was before ``spreadsheet_safe``: an export imports unchanged."""
    return value[1:] if value[:1] == "'" and _escaped(value[1:]) else value


def text_row(sheet, values) -> list:
    """Workbook cells that hold each value as text, whatever it starts with ("=", "+"): an
    Excel cell typed as text is never a formula, so it needs no apostrophe."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    cells = []
    for value in values:
        if isinstance(value, str):
            # control characters (pasted from other programs) would make the file unreadable
            cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
            cell.data_type = "s"
        else:
            cell = WriteOnlyCell(sheet, value=value)
        cells.append(cell)
    return cells


def export_csv(filters: ContactFilters) -> bytes:
    """UTF-8 with a byte order mark, so Excel opens Cyrillic correctly; importable again."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(export_headers())
    writer.writerows([spreadsheet_safe(cell) for cell in row] for row in export_rows(filters))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def export_xlsx(filters: ContactFilters) -> bytes:
    """The same columns as the CSV, as an Excel workbook written row by row."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("contacts")
    sheet.append(export_headers())
    for row in export_rows(filters):
        sheet.append(text_row(sheet, row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- merging duplicates -----------------------------------------------------------------------

@dataclass
class MergeField:
    label: str
    kept: str  # as shown
    other: str
    result: str
    source: str  # "kept", "other" (filled from the other contact), "both" (tags) or ""


@dataclass
class MergePlan:
    keep: Contact
    other: Contact
    fields: list[MergeField]
    values: dict  # attribute → value the kept contact gets
    moved: dict[str, int] = field(default_factory=dict)  # table → rows that move
    conflicts: list[str] = field(default_factory=list)  # tables where rows would collide


class MergeConflict(ValueError):
    """Both contacts have a row where only one may be (say, two invitations to one meeting)."""

    def __init__(self, tables: list[str]):
        super().__init__(", ".join(tables))
        self.tables = tables


def _show_date(value) -> str:
    return format_date(value, "medium") if value else ""


# attribute, label, how a value is shown; a value counts as empty when it is falsy (or "not
# disclosed" for gender). Not merged: archived_at and created_at stay the kept contact's.
MERGED_ATTRIBUTES = [
    ("name", lazy_pgettext("person", "Name"), str),
    ("email", _l("E-mail"), str),
    ("gender", _l("Gender"), lambda g: str(GENDER_LABELS[g])),
    ("organisation", _l("Organisation"), lambda o: o.name),
    ("own_type", _l("Stakeholder type"), lambda t: t.label()),
    ("position", _l("Position"), str),
    ("region", _l("Region"), str),
    ("oblast", _l("Oblast / district"), str),
    ("municipality", _l("Municipality"), str),
    ("phone", _l("Phone"), str),
    ("language", _l("Language of mail"), lambda code: CONTENT_LANGUAGES.get(code, code)),
    # once unsubscribed from either record, the person stays unsubscribed
    ("unsubscribed_at", _l("Unsubscribed"), _show_date),
]

# what the moved rows are, for people; other tables show their own name
REFERENCE_LABELS = {
    "memberships": _l("working-group memberships"),
    "invitations": _l("invitations"),
    "registrations": _l("registrations"),
}


def _empty(value) -> bool:
    return value is None or value == "" or value is Gender.UNDISCLOSED


def contact_references() -> list[sa.Column]:
    """Every column, in every table of the application, with a foreign key to contacts.id.

    Found from the metadata rather than listed, so tables other packages add later
    (invitations, registrations, …) are merged too without anyone remembering this function.
    """
    target = Contact.__table__.c.id
    columns = []
    for table in db.metadata.sorted_tables:
        for foreign_key in table.foreign_keys:
            try:
                if foreign_key.column is target:
                    columns.append(foreign_key.parent)
            except NoReferencedTableError:
                continue
    return columns


def _unique_column_sets(table: sa.Table) -> list[set[str]]:
    sets = [{column.name for column in constraint.columns} for constraint in table.constraints
            if isinstance(constraint, sa.UniqueConstraint | sa.PrimaryKeyConstraint)]
    sets += [{column.name for column in index.columns} for index in table.indexes
             if index.unique]
    return [names for names in sets if names]


def merge_conflicts(keep: Contact, other: Contact) -> list[str]:
    """Tables where moving the other contact's rows would break a unique constraint: both
    contacts already have a row there with the same values in the constraint's other
    columns."""
    tables = []
    for column in contact_references():
        table = column.table
        for names in _unique_column_sets(table):
            if column.name not in names:
                continue
            mine, theirs = table.alias(), table.alias()
            same = [mine.c[name] == theirs.c[name] for name in sorted(names - {column.name})]
            clash = sa.select(sa.literal(1)).select_from(mine).join(theirs, sa.and_(
                theirs.c[column.name] == other.id, *same,
            )).where(mine.c[column.name] == keep.id).limit(1)
            if db.session.execute(clash).first() is not None and table.name not in tables:
                tables.append(table.name)
    return tables


def merge_plan(keep: Contact, other: Contact) -> MergePlan:
    """What merging ``other`` into ``keep`` does, field by field, before anything changes."""
    fields, values = [], {}
    for name, label, show in MERGED_ATTRIBUTES:
        mine, theirs = getattr(keep, name), getattr(other, name)
        take_theirs = _empty(mine) and not _empty(theirs)
        result = theirs if take_theirs else mine
        values[name] = result
        fields.append(MergeField(
            label=str(label),
            kept="" if _empty(mine) else show(mine),
            other="" if _empty(theirs) else show(theirs),
            result="" if _empty(result) else show(result),
            source="other" if take_theirs else ("kept" if not _empty(mine) else ""),
        ))
    # the kept contact's tags first, in its spelling, then the other's new ones
    united: dict[str, str] = {}
    for tag in [*(keep.tags or []), *(other.tags or [])]:
        united.setdefault(tag.casefold(), tag)
    tags = values["tags"] = list(united.values())
    fields.append(MergeField(
        label=str(_l("Tags")), kept=", ".join(keep.tags or []),
        other=", ".join(other.tags or []), result=", ".join(tags),
        source="both" if keep.tags and other.tags else ("other" if other.tags else
                                                        ("kept" if keep.tags else "")),
    ))
    moved = {}
    for column in contact_references():
        count = db.session.scalar(sa.select(sa.func.count()).select_from(column.table)
                                  .where(column == other.id))
        if count:
            moved[column.table.name] = moved.get(column.table.name, 0) + count
    return MergePlan(keep, other, fields, values, moved, merge_conflicts(keep, other))


def merge_contacts(keep: Contact, other: Contact) -> dict[str, int]:
    """Merge the duplicate ``other`` into ``keep`` and delete it, in the caller's transaction.

    ``keep``'s non-empty values win, its empty ones are filled from ``other``; tags are
    united; every row of any table that points at ``other`` (memberships, invitations,
    registrations…) is moved to ``keep``. Returns the moved rows by table. Raises
    MergeConflict, having changed nothing, if moving would break a unique constraint.
    """
    if keep.id == other.id:
        raise ValueError("a contact cannot be merged with itself")
    plan = merge_plan(keep, other)
    if plan.conflicts:
        raise MergeConflict(plan.conflicts)
    db.session.flush()
    moved: dict[str, int] = {}
    for column in contact_references():
        result = db.session.execute(
            sa.update(column.table).where(column == other.id).values({column.name: keep.id}))
        if result.rowcount:
            moved[column.table.name] = moved.get(column.table.name, 0) + result.rowcount
    # the other contact goes first: the kept one may take over its e-mail address
    db.session.delete(other)
    db.session.flush()
    for name, value in plan.values.items():
        setattr(keep, name, value)
    keep.refresh_search()
    db.session.flush()
    # rows moved by UPDATE statements are stale in this session: load them again on use
    db.session.expire_all()
    return moved
