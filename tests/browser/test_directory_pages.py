"""The directory pages in Chromium with axe-core: import preview, list, search, contact."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.conftest import axe_violations, screenshot
from tests.browser.test_pages import sign_in
from tests.factories import make_user

pytestmark = pytest.mark.browser
DATA = Path(__file__).resolve().parents[1] / "directory" / "data" / "bg-stakeholders.csv"


def test_import_and_directory_pages_are_accessible(phone, live_server, db):
    make_user(email="maria@example.bg", locale="bg")
    page = phone
    page.set_default_timeout(15000)
    sign_in(page, live_server, "maria@example.bg")
    page.goto(f"{live_server}/manage/directory/")
    assert axe_violations(page) == []
    screenshot(page, "directory-empty")
    page.goto(f"{live_server}/manage/directory/import")
    assert axe_violations(page) == []
    page.set_input_files("#file", str(DATA))
    page.click("form button[type=submit] >> nth=-1")
    page.wait_for_load_state()
    assert "/manage/directory/import/" in page.url
    assert axe_violations(page) == []
    screenshot(page, "directory-import-review")
    page.click("button[name=action][value=import]")
    page.wait_for_load_state()
    assert page.url.endswith("/manage/directory/")
    assert axe_violations(page) == []
    screenshot(page, "directory-list")
    page.fill("#q", "todor")
    page.click("form.filters button[type=submit]")
    page.wait_for_load_state()
    assert "Тодор Христов" in page.content()
    page.click("text=Тодор Христов")
    page.wait_for_load_state()
    assert axe_violations(page) == []
    screenshot(page, "directory-contact")


def test_organisation_tag_and_merge_pages_are_accessible(page, live_server, db):
    from tests.factories import make_contact, make_group, make_membership, make_organisation

    make_user(email="maria@example.bg")
    lom = make_organisation("Община Лом", "municipality", region="Северозападен")
    keep = make_contact("Мария Георгиева", "maria@example.bg.example", organisation=lom,
                        tags=["роми", "здраве"])
    other = make_contact("М. Георгиева", "m.georgieva@lom.example.bg", position="експерт")
    make_membership(make_group(name={"en": "Health group"}), other)
    page.set_default_timeout(15000)
    sign_in(page, live_server, "maria@example.bg")
    checks = [
        ("/manage/directory/?tag=роми", "directory-tag-filter"),
        ("/manage/directory/organisations/", "directory-organisations"),
        (f"/manage/directory/organisations/{lom.id}", "directory-organisation"),
        (f"/manage/directory/contacts/{keep.id}/merge?q=georgieva", "directory-merge-search"),
        (f"/manage/directory/contacts/{keep.id}/merge/{other.id}", "directory-merge-confirm"),
    ]
    for path, name in checks:
        page.goto(f"{live_server}{path}")
        assert axe_violations(page) == [], path
        screenshot(page, name)
    # a form with errors next to its fields
    page.goto(f"{live_server}/manage/directory/organisations/new")
    page.fill("#email", "not-an-address")
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("#name-error").is_visible()
    assert axe_violations(page) == []
    screenshot(page, "directory-organisation-form-errors")
    # merging without JavaScript: a plain form POST
    page.goto(f"{live_server}/manage/directory/contacts/{keep.id}/merge/{other.id}")
    page.click("main button.button-danger")
    page.wait_for_load_state()
    assert page.url.endswith(f"/manage/directory/contacts/{keep.id}")
    assert page.input_value("#position") == "експерт"


def test_a_working_groups_management_page_fits_a_phone(phone, live_server, db):
    """The members table scrolls inside its box: the hidden names in its action links
    (for screen readers) must not widen the page."""
    from tests.factories import make_contact, make_group, make_member, make_organisation

    admin = make_user(role="admin", email="maria@example.bg", locale="bg")
    group = make_group(managers=[admin], name={"bg": "Секторна работна група за ромите"})
    ministry = make_organisation("Министерство на труда и социалната политика")
    for n in range(4):
        make_member(group, make_contact(f"Александра Константинова-Петрова {n}",
                                        organisation=ministry), organisation=ministry)
    db.session.commit()
    sign_in(phone, live_server, "maria@example.bg")
    phone.goto(f"{live_server}/manage/groups/{group.id}/")
    assert "Александра Константинова-Петрова 0" in phone.content()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert axe_violations(phone) == []
    screenshot(phone, "group-manage-phone")
