"""A ministry's referral in Chromium: a DE-BMI liaison officer refers three URLs to META through
the page (a fourth row added by the page's script and left empty), sees the referral verified;
META decides the items (through the service, as its own queue would); the officer sees the
outcomes and times to action on "My referrals", with times in Berlin's zone."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, expect

from portal.extensions import db
from portal.models import ReferralItem, User
from portal.services.accounts import directory as accounts
from portal.services.principals import CLI, Actor, Reader
from portal.services.referrals import queue
from portal.services.referrals.queue import Decision
from tests.e2e.conftest import DESKTOP, LivePortal, Watch, sign_in

pytestmark = pytest.mark.e2e

OFFICER = "dana.liaison@de.example.org"
META = "trust@meta.example.com"
URLS = [
    "https://www.facebook.com/watch/?v=1001",
    "https://www.instagram.com/p/recruit2/",
    "https://www.facebook.com/groups/front/posts/3",
]
# What META decides, and how many minutes after receipt.
DECISIONS = [("removed", 12), ("account_suspended", 45), ("no_violation", 185)]


def _decide_as_meta(portal: LivePortal) -> None:
    with portal.app.app_context():
        user = accounts.user_by_email(META)
        reader = Reader.of(db.session.get_one(User, user.id))
        actor = Actor(reader.user_id, reader.email, reader.org_id)
        items = db.session.query(ReferralItem).order_by(ReferralItem.position).all()
        assert [i.url for i in items] == URLS
        for row, (outcome, minutes) in zip(items, DECISIONS, strict=True):
            at = row.received_at + timedelta(minutes=minutes)
            queue.open_item(reader, actor, row.id, now=at - timedelta(minutes=1))
            queue.decide(reader, actor, row.id, Decision(outcome), now=at)


def test_a_ministry_refers_three_urls_and_sees_the_outcomes(
    browser: Browser, live_portal: LivePortal, watch: Watch
) -> None:
    live_portal.user(OFFICER, "liaison", org="DE-BMI")
    with live_portal.app.app_context():
        accounts.create_organisation(CLI, code="META", name="Meta", kind="platform", country="US")
    live_portal.user(META, "platform_liaison", org="META")

    context = browser.new_context(viewport=DESKTOP, locale="en-GB", timezone_id="Europe/Berlin")
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        page.on("pageerror", lambda error: watch.page_errors.append(str(error)))
        page.on("request", lambda request: watch.requested.append(request.url))
        sign_in(page, live_portal, OFFICER)

        menu = page.get_by_role("navigation", name="Main")
        menu.get_by_role("link", name="Refer content").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Refer content")
        page.get_by_label("Platform").select_option("META")
        expect(page.get_by_label("Removal order")).to_have_count(0)  # DE-BMI is not named one
        rows = page.locator("[data-row='items']")
        expect(rows).to_have_count(3)
        # refer.js listens once the page has loaded; the browser asks for the icon when it likes.
        page.wait_for_load_state("load")

        def asked() -> list[str]:
            return [u for u in watch.requested if not u.endswith("/favicon.svg")]

        requests_before = len(asked())
        page.get_by_role("button", name="Add another item").click()
        expect(rows).to_have_count(4)  # added by the script, without a round trip
        assert len(asked()) == requests_before
        expect(rows.nth(3).locator("legend")).to_have_text("Item 4")
        for n, url in enumerate(URLS):
            page.locator(f"#items-{n}-url").fill(url)
            page.locator(f"#items-{n}-content_type").select_option("video")
            page.locator(f"#items-{n}-category").select_option("recruitment")
            page.locator(f"#items-{n}-attributed_group").fill("Example Front")
            page.locator(f"#items-{n}-reason").fill(f"Recruitment video number {n + 1}.")
        page.get_by_role("button", name="Sign and send").click()

        expect(page.get_by_role("heading", level=1)).to_have_text("Referral to META")
        expect(page.locator(".flash-success")).to_have_text("3 items signed and sent to META.")
        expect(page.locator("section.verification")).to_contain_text("Verified: signed by DE-BMI")
        for url in URLS:
            expect(page.get_by_role("link", name=url)).to_be_visible()
        # The deadline in the officer's zone (Berlin, UTC+1 in December) as the page's language
        # (English, as written in the UK) writes it, UTC kept in the title.
        deadline = page.locator("dl.facts time").nth(1)
        expect(deadline).to_have_text(
            re.compile(r"^\d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d (CET|GMT\+1)$")
        )
        expect(deadline).to_have_attribute("title", re.compile(r" UTC$"))

        _decide_as_meta(live_portal)

        menu.get_by_role("link", name="My referrals").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("My referrals: DE-BMI")
        table = page.locator("table.referral-items tbody")
        expect(table.locator("tr")).to_have_count(3)
        expected = {
            URLS[0]: ("Removed", "12 min"),
            URLS[1]: ("Account suspended", "45 min"),
            URLS[2]: ("No violation of the platform's terms", "3 h 05 min"),
        }
        for url, (outcome, took) in expected.items():
            row = table.locator("tr").filter(has=page.get_by_role("link", name=url))
            expect(row.locator("td").nth(3)).to_have_text("Decided")
            expect(row.locator("td").nth(4)).to_have_text(outcome)
            expect(row.locator("td").nth(5)).to_have_text(took)

        page.get_by_role("link", name=URLS[0]).click()
        history = page.locator("ol.timeline")
        expect(history).to_contain_text("Sent, and received by the platform")
        expect(history).to_contain_text("First opened by the platform")
        expect(history).to_contain_text("Outcome: Removed")
        expect(page.get_by_role("heading", name="Withdraw this item")).to_have_count(0)
    finally:
        context.close()

    assert watch.page_errors == []
    assert watch.outside_requests() == []
