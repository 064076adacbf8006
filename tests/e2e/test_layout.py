"""Layout at desktop and tablet widths, and a Content-Security-Policy the pages live with."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import DESKTOP, PASSWORD, TABLET, LivePortal, Watch, sign_in

pytestmark = pytest.mark.e2e

ADMIN = "root.admin@it.example.org"
ADMIN_PAGES = ("/", "/admin/users", "/admin/audit", "/admin/organisations")
OVERFLOW = "() => document.scrollingElement.scrollWidth - window.innerWidth"


@pytest.mark.parametrize("viewport", [DESKTOP, TABLET], ids=["1280px", "768px"])
def test_dashboard_and_admin_pages_fit_the_width_without_horizontal_scrolling(
    page: Page, live_portal: LivePortal, tmp_path: Path, viewport: dict[str, int]
) -> None:
    live_portal.user(ADMIN, "org_admin", "sysadmin", org="IT-MININT")
    live_portal.user("giulia.analista@it.example.org", "analyst", "liaison", org="IT-MININT")
    page.set_viewport_size(viewport)
    sign_in(page, live_portal, ADMIN)

    overflowing = {}
    for path in ADMIN_PAGES:
        page.goto(live_portal.url(path))
        expect(page.locator(".whoami .org")).to_have_text("IT-MININT")
        name = path.strip("/").replace("/", "-") or "dashboard"
        shot = tmp_path / f"{name}-{viewport['width']}.png"
        page.screenshot(path=shot, full_page=True)
        assert shot.stat().st_size > 10_000
        if (extra := page.evaluate(OVERFLOW)) > 0:
            overflowing[path] = extra
    assert overflowing == {}, f"pages wider than {viewport['width']} px (by px): {overflowing}"


def test_pages_cause_no_console_errors_and_inline_script_is_refused(
    page: Page, live_portal: LivePortal, watch: Watch
) -> None:
    live_portal.user(ADMIN, "org_admin", "sysadmin", org="IT-MININT")
    live_portal.user("first.time@it.example.org", "analyst", org="IT-MININT", enrolled=False)
    page.goto(live_portal.url("/login"))
    page.get_by_label("E-mail address").fill("first.time@it.example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("figure.qr svg")).to_be_visible()  # the enrolment page and its QR code

    sign_in(page, live_portal, ADMIN)
    for path in (*ADMIN_PAGES, "/account/password"):
        page.goto(live_portal.url(path))
        expect(page.locator(".whoami .org")).to_have_text("IT-MININT")
    missing = page.goto(live_portal.url("/no-such-page"))
    assert missing is not None and missing.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Not found")
    # Chromium reports the 404 status of the page itself; nothing else may be reported.
    expect(page.locator(".whoami .org")).to_have_text("IT-MININT")
    assert [e for e in watch.console_errors if "404" in e] == [
        f"Failed to load resource: the server responded with a status of 404 (NOT FOUND)"
        f" at {live_portal.url('/no-such-page')}"
    ]
    watch.console_errors.clear()
    page.get_by_role("link", name="Users").first.click()
    page.get_by_role("link", name="Root Admin").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Root Admin")

    assert watch.console_errors == []
    assert watch.page_errors == []
    assert watch.outside_requests() == []
    assert len(watch.requested) > 20

    # The policy is really there: an injected inline script neither runs nor goes unreported.
    ran = page.evaluate(
        """() => {
            const script = document.createElement("script");
            script.textContent = "window.inlineRan = true";
            document.body.appendChild(script);
            return window.inlineRan === true;
        }"""
    )
    assert ran is False
    for _ in range(20):  # the console message arrives asynchronously
        if watch.console_errors:
            break
        page.wait_for_timeout(50)
    assert any("Content Security Policy" in e for e in watch.console_errors), watch.console_errors
