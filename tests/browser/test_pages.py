"""Every page so far, in a real browser: accessible (axe-core), usable on a phone, no JS needed."""

from __future__ import annotations

import pytest

from tests.browser.conftest import axe_violations, screenshot
from tests.factories import PASSWORD, make_group, make_series, make_user

pytestmark = pytest.mark.browser


def sign_in(page, base, email, password=PASSWORD):
    page.goto(f"{base}/account/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("form[action='/account/login'] button[type=submit]")
    page.wait_for_load_state()


@pytest.mark.parametrize("language", ["en", "bg", "mk", "sq"])
def test_public_pages_are_accessible_in_every_language(page, live_server, language):
    organizer = make_user(email="maria@example.bg")
    make_series(managers=[organizer], published=True,
                title={"bg": "Дискусионни срещи", "en": "Discussion meetings"},
                funder={"en": "European Union"})
    make_group(name={"mk": "Секторска работна група", "en": "Sector working group"})
    for name, path in [("home", "/"), ("login", "/account/login"),
                       ("forgot", "/account/password/forgotten"), ("not-found", "/nope"),
                       ("accessibility", "/accessibility")]:
        page.goto(f"{live_server}{path}?lang={language}")
        assert page.locator("html").get_attribute("lang") == language
        assert axe_violations(page) == [], f"{name} in {language}"
        screenshot(page, f"{name}-{language}")


def test_login_errors_are_announced_and_accessible(page, live_server):
    make_user(email="maria@example.bg")
    page.goto(f"{live_server}/account/login")
    page.fill("#email", "maria@example.bg")
    page.fill("#password", "wrong password")
    page.click("form[action='/account/login'] button[type=submit]")
    page.wait_for_load_state()
    assert page.input_value("#email") == "maria@example.bg"
    assert page.locator("#password").get_attribute("aria-invalid") == "true"
    assert page.locator("#password").get_attribute("aria-describedby") == "password-error"
    assert page.locator(".error-summary[role=alert]").is_visible()
    assert axe_violations(page) == []
    screenshot(page, "login-error")


def test_organizer_pages_are_accessible(page, live_server):
    admin = make_user("admin", email="admin@example.org", name="Администратор")
    make_series(managers=[admin], title={"bg": "Дискусионни срещи"})
    sign_in(page, live_server, "admin@example.org")
    for name, path in [("manage-home", "/manage/"), ("account", "/account/"),
                       ("users", "/manage/users/"), ("user-new", "/manage/users/new"),
                       ("outbox", "/manage/outbox/")]:
        page.goto(f"{live_server}{path}")
        assert page.url.endswith(path), f"redirected away from {path}"
        assert axe_violations(page) == [], name
        screenshot(page, name)


def test_phone_sign_in_without_javascript(browser, live_server):
    make_user(email="maria@example.bg", locale="bg")
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
        java_script_enabled=False, locale="bg-BG",
    )
    phone = context.new_page()
    try:
        sign_in(phone, live_server, "maria@example.bg")
        assert phone.url.endswith("/manage/")
        assert phone.locator("html").get_attribute("lang") == "bg"
        # nothing overflows sideways on a phone
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 390
        screenshot(phone, "phone-manage-home")
    finally:
        context.close()


def test_language_switcher_works_without_javascript(browser, live_server):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{live_server}/account/login")
        page.click(".language-switcher a[lang=mk]")
        page.wait_for_load_state()
        assert page.url.endswith("/account/login?lang=mk")
        assert page.locator("html").get_attribute("lang") == "mk"
        assert page.locator("h1").inner_text() == "Најави се"
        # the choice stays for the next pages of the visit
        page.goto(f"{live_server}/accessibility")
        assert page.locator("html").get_attribute("lang") == "mk"
    finally:
        context.close()
