"""Merging duplicate contacts: what is kept, what moves, and the pages that ask first."""

from __future__ import annotations

import re
from datetime import date

import pytest
import sqlalchemy as sa

from consult.db import utcnow
from consult.directory.models import Contact, Gender
from consult.directory.services import (
    MergeConflict,
    contact_references,
    merge_contacts,
    merge_plan,
)
from consult.groups.models import Membership
from tests.conftest import csrf_token
from tests.factories import (
    make_contact,
    make_group,
    make_membership,
    make_organisation,
    make_user,
)


def organizer(auth):
    make_user(email="maria@example.bg")
    auth.login("maria@example.bg")


def count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.fixture
def duplicates(db):
    """The same person twice: once typed by hand, once from an imported list."""
    lom = make_organisation("Община Лом", "municipality")
    keep = make_contact("Мария Георгиева", email=None, position="", region="Северозападен",
                        gender=Gender.UNDISCLOSED, tags=["роми", "Здраве"])
    other = make_contact("М. Георгиева", "maria.g@lom.example.bg", organisation=lom,
                         position="главен експерт", region="Северен", phone="+359 888",
                         gender=Gender.FEMALE, tags=["здраве", "образование"],
                         unsubscribed_at=utcnow())
    return keep, other


def test_the_plan_keeps_filled_values_and_fills_empty_ones(db, duplicates):
    keep, other = duplicates
    plan = merge_plan(keep, other)
    fields = {f.label: f for f in plan.fields}
    assert (fields["Name"].result, fields["Name"].source) == ("Мария Георгиева", "kept")
    assert (fields["E-mail"].result, fields["E-mail"].source) == \
        ("maria.g@lom.example.bg", "other")
    assert fields["Region"].result == "Северозападен"  # the kept contact's value wins
    assert (fields["Position"].result, fields["Position"].source) == \
        ("главен експерт", "other")
    assert fields["Gender"].result == "woman"  # "not disclosed" counts as empty
    assert fields["Organisation"].result == "Община Лом"
    assert fields["Tags"].result == "роми, Здраве, образование"
    assert fields["Unsubscribed"].source == "other"  # an opt-out is never lost
    assert plan.moved == {} and plan.conflicts == []
    assert count(db, Contact) == 2  # planning changes nothing


def test_merge_moves_every_reference_and_deletes_the_duplicate(db, duplicates):
    keep, other = duplicates
    group = make_group()
    moved_membership = make_membership(group, other, starts_on=date(2020, 1, 1))
    own_membership = make_membership(make_group(), keep)
    other_id = other.id

    moved = merge_contacts(keep, other)
    db.session.commit()

    assert moved == {"memberships": 1}
    assert db.session.get(Contact, other_id) is None
    merged = db.session.get(Contact, keep.id)
    assert merged.name == "Мария Георгиева"
    assert merged.email == "maria.g@lom.example.bg"  # taken over from the deleted one
    assert merged.position == "главен експерт" and merged.region == "Северозападен"
    assert merged.gender is Gender.FEMALE and merged.phone == "+359 888"
    assert merged.organisation.name == "Община Лом"
    assert merged.tags == ["роми", "Здраве", "образование"]
    assert merged.unsubscribed_at is not None
    assert "lom.example.bg" in merged.search_text and "obshtina" in merged.search_text
    assert db.session.get(Membership, moved_membership.id).contact_id == keep.id
    assert db.session.get(Membership, own_membership.id).contact_id == keep.id
    assert count(db, Membership) == 2


def test_references_are_found_in_every_table_pointing_at_contacts(db):
    names = {(column.table.name, column.name) for column in contact_references()}
    assert ("memberships", "contact_id") in names


@pytest.fixture
def invitations_table(db):
    """A table another package might add later, with a unique (meeting, contact) pair."""
    table = sa.Table(
        "test_merge_invitations", db.metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("meeting", sa.Integer, nullable=False),
        sa.Column("contact_id", sa.ForeignKey("contacts.id"), nullable=False),
        sa.UniqueConstraint("meeting", "contact_id"),
    )
    table.create(db.engine)
    try:
        yield table
    finally:
        db.session.rollback()
        table.drop(db.engine)
        db.metadata.remove(table)


def test_a_table_added_later_is_merged_too_and_collisions_stop_the_merge(
        db, duplicates, invitations_table):
    keep, other = duplicates
    db.session.execute(invitations_table.insert(), [
        {"meeting": 1, "contact_id": keep.id}, {"meeting": 2, "contact_id": other.id},
        {"meeting": 1, "contact_id": other.id},
    ])
    db.session.commit()
    # both invited to meeting 1: moving would break the unique pair, so nothing happens
    assert merge_plan(keep, other).conflicts == ["test_merge_invitations"]
    with pytest.raises(MergeConflict):
        merge_contacts(keep, other)
    db.session.rollback()
    assert count(db, Contact) == 2

    db.session.execute(invitations_table.delete().where(
        invitations_table.c.meeting == 1, invitations_table.c.contact_id == other.id))
    db.session.commit()
    assert merge_contacts(keep, other) == {"test_merge_invitations": 1}
    db.session.commit()
    contacts = db.session.scalars(sa.select(invitations_table.c.contact_id)).all()
    assert contacts == [keep.id, keep.id]


def test_a_contact_cannot_be_merged_with_itself(db, duplicates):
    keep, _ = duplicates
    with pytest.raises(ValueError):
        merge_contacts(keep, keep)


def test_merge_over_http_asks_first_then_merges(client, auth, db, duplicates):
    organizer(auth)
    keep, other = duplicates
    membership = make_membership(make_group(), other)
    contact_page = client.get(f"/manage/directory/contacts/{keep.id}?lang=en")
    merge_url = f"/manage/directory/contacts/{keep.id}/merge"
    assert f'href="{merge_url}"' in contact_page.get_data(as_text=True)

    # step 1: the same family name is offered at first; or search by e-mail, or in Latin
    confirm_url = f"/manage/directory/contacts/{keep.id}/merge/{other.id}"
    assert f'href="{confirm_url}"' in client.get(merge_url).get_data(as_text=True)
    search = client.get(merge_url + "?q=maria.g@lom&lang=en").get_data(as_text=True)
    assert f'href="{confirm_url}"' in search
    by_name = client.get(merge_url + "?q=georgieva").get_data(as_text=True)
    assert f'href="{confirm_url}"' in by_name
    assert f'/merge/{keep.id}"' not in by_name  # never offered itself

    # step 2: both side by side, nothing changed yet
    page = client.get(confirm_url + "?lang=en").get_data(as_text=True)
    # with their addresses, so that two namesakes can be told apart
    assert "Kept: Мария Георгиева<" in page  # no address to show
    assert "Deleted: М. Георгиева (maria.g@lom.example.bg)" in page
    assert "taken from the deleted contact" in page
    assert "working-group memberships: 1" in page
    assert f"/manage/directory/contacts/{other.id}/merge/{keep.id}" in page  # swap
    assert count(db, Contact) == 2

    # the POST needs the confirmation form's token
    assert client.post(confirm_url, data={}).status_code == 400
    assert count(db, Contact) == 2
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post(confirm_url, data={"csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/manage/directory/contacts/{keep.id}")
    assert count(db, Contact) == 1
    assert db.session.get(Membership, membership.id).contact_id == keep.id
    assert client.get(confirm_url).status_code == 404  # the other one is gone


def test_merge_pages_refuse_the_same_contact_and_show_collisions(
        client, auth, db, duplicates, invitations_table):
    organizer(auth)
    keep, other = duplicates
    same = client.get(f"/manage/directory/contacts/{keep.id}/merge/{keep.id}")
    assert same.status_code == 302
    db.session.execute(invitations_table.insert(), [
        {"meeting": 7, "contact_id": keep.id}, {"meeting": 7, "contact_id": other.id}])
    db.session.commit()
    url = f"/manage/directory/contacts/{keep.id}/merge/{other.id}?lang=en"
    page = client.get(url).get_data(as_text=True)
    assert "cannot be merged yet" in page and "test_merge_invitations" in page
    assert "Yes, merge them" not in page
    response = client.post(url, data={"csrf_token": csrf_token(client, url)})
    assert response.status_code == 200 and "cannot be merged" in response.get_data(as_text=True)
    assert count(db, Contact) == 2
