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
