"""Directory queries shared by the list, the export and (later) invitation audiences."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import sqlalchemy as sa

from consult.directory.models import Contact, Organisation, StakeholderType, search_key
from consult.extensions import db


@dataclass
class ContactFilters:
    q: str = ""
    type: str = ""  # stakeholder type code
    region: str = ""
    language: str = ""
    archived: bool = False


def contacts_query(filters: ContactFilters):
    query = sa.select(Contact).outerjoin(Organisation, Contact.organisation_id == Organisation.id)
    query = query.where(
        Contact.archived_at.is_not(None) if filters.archived else Contact.archived_at.is_(None)
    )
    if filters.q:
        # the typed text, folded and transliterated, inside the stored search key
        for word in search_key(filters.q).split():
            query = query.where(Contact.search_text.contains(word, autoescape=True))
    if filters.type:
        kind = sa.select(StakeholderType.id).where(StakeholderType.code == filters.type)
        query = query.where(sa.or_(
            Contact.stakeholder_type_id.in_(kind),
            sa.and_(Contact.stakeholder_type_id.is_(None),
                    Organisation.stakeholder_type_id.in_(kind)),
        ))
    if filters.region:
        query = query.where(Contact.region == filters.region)
    if filters.language:
        query = query.where(Contact.language == filters.language)
    return query.order_by(Contact.name, Contact.id)


def regions() -> list[str]:
    return list(db.session.scalars(
        sa.select(Contact.region).where(Contact.region != "").distinct().order_by(Contact.region)
    ))


def stakeholder_types() -> list[StakeholderType]:
    return list(db.session.scalars(
        sa.select(StakeholderType).order_by(StakeholderType.position, StakeholderType.code)))


EXPORT_COLUMNS = ["name", "email", "gender", "organisation", "stakeholder_type", "region",
                  "oblast", "municipality", "position", "language", "phone"]


def export_rows(filters: ContactFilters):
    for contact in db.session.scalars(contacts_query(filters)):
        kind = contact.stakeholder_type
        yield [
            contact.name, contact.email or "", contact.gender.value,
            contact.organisation.name if contact.organisation else "",
            kind.code if kind else "", contact.region, contact.oblast, contact.municipality,
            contact.position, contact.language, contact.phone,
        ]


def spreadsheet_safe(value: str) -> str:
    """Text a spreadsheet will show, never run: "=HYPERLINK(…)" typed as a name stays text."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def export_csv(filters: ContactFilters) -> bytes:
    """UTF-8 with a byte order mark, so Excel opens Cyrillic correctly; importable again."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_COLUMNS)
    writer.writerows([spreadsheet_safe(cell) for cell in row] for row in export_rows(filters))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
