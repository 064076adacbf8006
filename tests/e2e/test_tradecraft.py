"""The tradecraft pages in Chromium, as a recipient uses them: a comment and a sighting added
on the read page and listed as verified, the entity's page reached from the bulletin, the
entity watched, and the next bulletin that names it listed among the notifications."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import LivePortal, Watch, sign_in

pytestmark = pytest.mark.e2e

SENDER = "giulia.officer@it.example.org"
OFFICER = "camille.officer@fr.example.org"
OUTSIDER = "oliver.analyst@uk.example.org"  # UK-HO exists: the second bulletin goes there too
ACCOUNT = {"ref": "a1", "type": "account", "platform": "telegram", "value": "@cedar_relay"}
PERSON = {"ref": "p1", "type": "person", "value": "Yusuf al-Karimi", "role": "recruiter"}
RELATIONS = [{"source": "p1", "type": "uses_account", "target": "a1"}]


def test_comment_sighting_entity_page_and_watch(
    page: Page, live_portal: LivePortal, watch: Watch
) -> None:
    live_portal.user(SENDER, "liaison", org="IT-MININT")
    live_portal.user(OFFICER, "liaison", org="FR-MININT")
    live_portal.user(OUTSIDER, "analyst", org="UK-HO")
    first = live_portal.post(
        SENDER, "Cedar relay recruits", [PERSON, ACCOUNT], RELATIONS, recipients=["FR-MININT"]
    )
    sign_in(page, live_portal, OFFICER)
    page.goto(live_portal.url(f"/bulletins/{first}"))

    comments = page.locator("section.comments")
    comments.get_by_text("Add a comment").click()
    comments.get_by_label("Comment").fill("Our service saw this account in Lyon on 2 May.")
    comments.get_by_role("button", name="Add comment").click()
    expect(page.locator(".comment-text")).to_have_text(
        "Our service saw this account in Lyon on 2 May."
    )
    comments.get_by_text("Report a sighting").click()
    comments.get_by_label("Entity seen").select_option("a1")
    comments.get_by_label("Where").fill("Lyon")
    comments.get_by_label("Country (two-letter code such as DE, optional)").fill("FR")
    comments.get_by_label("When").fill("2026-05-02")
    comments.get_by_role("button", name="Report sighting").click()
    listed = page.locator("li.comment")
    expect(listed).to_have_count(2)
    expect(listed.locator(".badge.verified")).to_have_count(2)
    expect(page.locator("li.comment-sighting")).to_contain_text("in Lyon (FR) on 2 May 2026")

    # The account's own page, by its opaque reference, and watching it.
    page.locator("a.entity-link", has_text="cedar_relay").first.click()
    expect(page).to_have_url(re.compile(r"/entities/[\w-]+$"))
    assert "cedar" not in page.url
    expect(page.locator("main")).to_contain_text("Cedar relay recruits")
    page.get_by_role("button", name="Watch").click()
    expect(page.get_by_role("button", name="Unwatch")).to_be_visible()

    live_portal.post(SENDER, "Cedar relay moves", [ACCOUNT], [], recipients=["FR-MININT", "UK-HO"])
    page.goto(live_portal.url("/watchlist/notifications"))
    expect(page.locator("main table")).to_contain_text("Cedar relay moves")
    assert not watch.console_errors and not watch.page_errors
