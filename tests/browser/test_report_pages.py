"""The reports pages in a real browser: accessible (axe-core), readable on a phone, no JS."""

from __future__ import annotations

import pytest

from tests.browser.conftest import axe_violations, screenshot
from tests.factories import PASSWORD, make_user
from tests.reports.fixture import build_world

pytestmark = pytest.mark.browser


def sign_in(page, base, email):
    page.goto(f"{base}/account/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("form[action='/account/login'] button[type=submit]")
    page.wait_for_load_state()


def test_reports_pages_are_accessible(page, live_server, db):
    world = build_world()
    make_user("viewer", email="viewer@example.org", locale="bg")
    sign_in(page, live_server, "viewer@example.org")
    for name, path in [("reports-dashboard", "/manage/reports/"),
                       ("reports-group-year",
                        f"/manage/reports/?group={world.group.id}&from=2020-01-01"
                        f"&to=2020-12-31"),
                       ("reports-bad-filter", "/manage/reports/?from=garbage")]:
        page.goto(f"{live_server}{path}")
        assert axe_violations(page) == [], name
        screenshot(page, name)
    assert page.locator(".error-summary[role=alert]").is_visible()
    page.goto(f"{live_server}/manage/reports/")
    charts = page.locator("svg.chart-svg[role=img]")
    assert charts.count() >= 6
    for index in range(charts.count()):
        assert charts.nth(index).get_attribute("aria-label")


def test_reports_fit_a_phone(browser, live_server, db):
    """Charts shrink to the screen; wide tables scroll inside their own box, not the page."""
    build_world()
    make_user("viewer", email="viewer@example.org", locale="bg")
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    phone = context.new_page()
    try:
        sign_in(phone, live_server, "viewer@example.org")
        phone.goto(f"{live_server}/manage/reports/")
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390
        widths = phone.evaluate("[...document.querySelectorAll('svg.chart-svg')]"
                                ".map(s => s.getBoundingClientRect().right)")
        assert widths and max(widths) <= 390
        # labels keep a legible size on a phone (a drawing scaled down to the screen had
        # 9-pixel text) and none runs off its chart (long Bulgarian type names)
        heights = phone.evaluate("[...document.querySelectorAll('.chart-label, .chart-value')]"
                                 ".map(t => t.getBoundingClientRect().height)")
        assert heights and min(heights) >= 14
        clipped = phone.evaluate(
            "[...document.querySelectorAll('svg.chart-svg')].flatMap(svg => {"
            " const box = svg.getBoundingClientRect();"
            " return [...svg.querySelectorAll('.chart-label, .chart-value')]"
            "  .filter(t => t.getBoundingClientRect().left < box.left - 0.5"
            "   || t.getBoundingClientRect().right > box.right + 0.5)"
            "  .map(t => t.textContent); })")
        assert clipped == []
        screenshot(phone, "reports-dashboard-phone")
    finally:
        context.close()


@pytest.mark.parametrize("language", ["mk", "en"])
def test_transparency_record_is_accessible(browser, live_server, db, language):
    build_world()
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    phone_page = context.new_page()
    phone_page.goto(f"{live_server}/groups/roma-swg/2020/transparency?lang={language}")
    assert phone_page.locator("h1").is_visible()
    assert axe_violations(phone_page) == []
    screenshot(phone_page, f"transparency-record-{language}")
    context.close()
