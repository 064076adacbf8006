"""Signing in, enrolling a second factor and signing out, in Chromium."""

from __future__ import annotations

import re

import pyotp
import pytest
from playwright.sync_api import Page, expect

from portal.demo import seeding as demo
from tests.e2e.conftest import PASSWORD, LivePortal, Watch

pytestmark = pytest.mark.e2e

DEMO_ANALYST = "analyst@fr-minint.demo"


def test_demo_user_signs_in_and_back_after_sign_out_shows_no_private_page(
    page: Page, live_portal: LivePortal, watch: Watch
) -> None:
    with live_portal.app.app_context():
        demo.seed()
    page.goto(live_portal.url("/login"))
    page.get_by_label("E-mail address").fill(DEMO_ANALYST)
    page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(live_portal.url("/login/verify"))
    # Demo mode shows the code; type the one the seed gives, as an authenticator would.
    expect(page.locator("[data-demo-code]")).to_have_text(re.compile(r"^\s*\d{6}\s*$"))
    page.get_by_label("Six-digit code").fill(live_portal.current_code(DEMO_ANALYST))
    page.get_by_role("button", name="Sign in").click()

    page.wait_for_url(live_portal.url("/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Analyst, FR-MININT (demo)")
    expect(page.locator(".whoami .org")).to_have_text("FR-MININT")
    expect(page.locator(".whoami .user")).to_have_text("Analyst, FR-MININT (demo)")
    expect(page.locator(".facts")).to_contain_text("Ministère de l'Intérieur (FR-MININT)")

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(live_portal.url("/login"))
    expect(page.locator(".flash")).to_have_text("You are signed out.")

    # "commit": a page restored from the back/forward cache fires no load event.
    back = page.go_back(wait_until="commit")
    # The sign-out changed the session cookie and sent Clear-Site-Data, so Chromium may not
    # restore the dashboard from its back/forward cache: it asks the server again, which has
    # ended the session and answers with the sign-in page.
    assert back is not None, "back showed a page without asking the server (bfcache)"
    asked = back.request.redirected_from
    assert asked is not None and asked.url == live_portal.url("/")
    assert back.request.url.startswith(live_portal.url("/login"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert page.url.startswith(live_portal.url("/login"))
    expect(page.get_by_text("Welcome,")).to_have_count(0)
    expect(page.locator(".whoami")).to_have_count(0)
    assert "FR-MININT" not in page.content()
    assert watch.console_errors == []


def test_first_sign_in_enrols_the_authenticator_from_the_qr_page(
    page: Page, live_portal: LivePortal
) -> None:
    live_portal.user("new.analyst@fr.example.org", "analyst", enrolled=False)
    page.goto(live_portal.url("/login"))
    page.get_by_label("E-mail address").fill("new.analyst@fr.example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()

    page.wait_for_url(live_portal.url("/login/enrol"))
    qr = page.locator("figure.qr svg")
    expect(qr).to_be_visible()
    box = qr.bounding_box()
    assert box is not None and box["width"] >= 150 and box["height"] >= 150
    secret = page.locator("[data-totp-secret]").inner_text().strip()
    assert len(secret) >= 16
    page.get_by_label("Six-digit code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Confirm and sign in").click()

    page.wait_for_url(live_portal.url("/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, New Analyst")
    assert live_portal.stored_user("new.analyst@fr.example.org").totp_confirmed
