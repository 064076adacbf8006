"""An organisation administrator adds a user through the browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from portal.models import Role
from tests.e2e.conftest import LivePortal, Watch, sign_in

pytestmark = pytest.mark.e2e

ADMIN = "claire.admin@fr.example.org"
NEW_USER = "marc.durand@fr.example.org"


def test_org_admin_adds_a_user_with_the_admin_form(
    page: Page, live_portal: LivePortal, watch: Watch
) -> None:
    live_portal.user(ADMIN, "org_admin")
    sign_in(page, live_portal, ADMIN)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Users").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Users of Ministry FR-MININT (FR-MININT)"
    )
    # An org_admin is never offered the sysadmin role.
    expect(page.get_by_label("System administrator")).to_have_count(0)
    form = page.locator("form", has=page.get_by_role("button", name="Add user"))
    form.get_by_label("E-mail address").fill(NEW_USER)
    form.get_by_label("Full name").fill("Marc Durand")
    form.get_by_label("Analyst", exact=True).check()
    form.get_by_label("Liaison officer").check()
    form.get_by_label("Temporary password").fill("amber harbour violin 1789")
    form.get_by_role("button", name="Add user").click()

    expect(page.locator(".flash-success")).to_contain_text(f"{NEW_USER} can now sign in")
    row = page.get_by_role("row", name="Marc Durand")
    expect(row).to_contain_text(NEW_USER)
    expect(row).to_contain_text("Analyst")
    expect(row).to_contain_text("Liaison officer")
    expect(row).to_contain_text("authenticator not set up")

    stored = live_portal.stored_user(NEW_USER)
    assert stored.roles == {Role.ANALYST, Role.LIAISON}
    assert stored.organisation.code == "FR-MININT"
    assert stored.must_change_password and not stored.totp_confirmed
    assert watch.console_errors == []
