"""The platform's side of referrals in Chromium: META's liaison officer decides three items
referred through the service (one on its page, two at once from the queue); and a removal
order's clock turns red when its hour runs out, with the browser's clock moved forward
(Playwright's ``page.clock``), never by sleeping."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from portal.extensions import db
from portal.models import ReferralItem
from portal.services.accounts import directory as accounts
from portal.services.principals import CLI, Actor, Reader
from portal.services.referrals import authorities, intake
from portal.services.referrals.intake import ItemDraft, ReferralDraft
from tests.e2e.conftest import DESKTOP, LivePortal, Watch, sign_in

pytestmark = pytest.mark.e2e

OFFICER = "anna.officer@de.example.org"
TRUST = "sam.trust@meta.example.com"


def _world(portal: LivePortal) -> None:
    with portal.app.app_context():
        accounts.create_organisation(CLI, code="META", name="Meta", kind="platform", country="US")
    portal.user(OFFICER, "liaison", org="DE-BMI")
    portal.user(TRUST, "platform_liaison", org="META")
    with portal.app.app_context():
        authorities.set_competent_authority(CLI, "DE-BMI", True)


def _refer(portal: LivePortal, urls: list[str], *, kind: str, now: datetime) -> list[str]:
    """Refer ``urls`` to META as DE-BMI's officer, through the intake service."""
    with portal.app.app_context():
        reader = Reader.of(accounts.user_by_email(OFFICER))
        draft = ReferralDraft(
            platform="META",
            kind=kind,
            items=[
                ItemDraft(
                    url=url,
                    content_type="video",
                    category="recruitment",
                    reason="Recruitment video with a call to travel.",
                )
                for url in urls
            ],
            legal_basis="Regulation (EU) 2021/784, Art. 3" if kind == "removal_order" else None,
        )
        referred = intake.refer(reader, Actor(reader.user_id), draft, now=now)
        return [item.id for item in referred.items]


def _states(portal: LivePortal, ids: list[str]) -> dict[str, tuple[str, str | None]]:
    with portal.app.app_context():
        rows = db.session.query(ReferralItem).filter(ReferralItem.id.in_(ids))
        return {row.id: (row.state, row.outcome) for row in rows}


def test_a_platform_liaison_decides_three_referred_items(
    page: Page, live_portal: LivePortal, watch: Watch
) -> None:
    _world(live_portal)
    urls = [f"https://video.example.com/watch?v=e2e{n}" for n in range(3)]
    ids = _refer(live_portal, urls, kind="referral", now=datetime.now(UTC))
    sign_in(page, live_portal, TRUST)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Referrals").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Referrals to META")
    rows = page.locator("table.queue tbody tr[data-item]")
    expect(rows).to_have_count(3)
    expect(rows.first.locator(".clock")).to_contain_text(re.compile(r"\d+ h \d\d min left"))

    # The first one on its own page: the content as text, then a decision with countries.
    page.locator(f"tr[data-item='{ids[0]}']").get_by_role("link", name="Item").click()
    expect(page.locator(".item-facts code.url")).to_have_text(urls[0])
    expect(page.locator("a[href^='https://video.example.com']")).to_have_count(0)
    expect(page.locator(".signature")).to_contain_text("Signed by DE-BMI")
    page.get_by_label("Outcome").select_option("access_disabled")
    page.get_by_label("Countries where access is disabled").fill("DE AT")
    page.get_by_role("button", name="Record the decision").click()
    expect(page.locator(".flash-success")).to_have_text("Decision recorded.")
    expect(page.locator(".outcome")).to_have_text("Access disabled in listed countries")
    expect(page.locator("td.event", has_text="decided")).to_have_count(1)

    # The other two from the queue at once.
    page.get_by_role("link", name="← Back to the queue").click()
    for item_id in ids[1:]:
        page.locator(f"input[name=items][value='{item_id}']").check()
    bulk = page.locator("form#bulk")
    bulk.get_by_label("Outcome").select_option("removed")
    bulk.get_by_role("button", name="Decide selected").click()
    expect(page.locator(".flash-success")).to_have_text("Decided 2 items.")
    expect(page.locator("table.queue tbody tr[data-item] .clock")).to_have_count(0)

    assert _states(live_portal, ids) == {
        ids[0]: ("decided", "access_disabled"),
        ids[1]: ("decided", "removed"),
        ids[2]: ("decided", "removed"),
    }
    assert watch.page_errors == [] and watch.console_errors == []
    assert watch.outside_requests() == []


@pytest.fixture
def rome(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport=DESKTOP, locale="en-GB", timezone_id="Europe/Rome")
    context.set_default_timeout(10_000)
    yield context
    context.close()


def test_a_removal_orders_clock_turns_red_when_its_hour_runs_out(
    rome: BrowserContext, live_portal: LivePortal, watch: Watch
) -> None:
    _world(live_portal)
    now = datetime.now(UTC).replace(microsecond=0)
    # Received 50 minutes ago: ten minutes are left of the hour when the page is served.
    order = _refer(
        live_portal,
        ["https://video.example.com/watch?v=order"],
        kind="removal_order",
        now=now - timedelta(minutes=50),
    )[0]
    page = rome.new_page()
    page.on("pageerror", lambda error: watch.page_errors.append(str(error)))
    page.on("request", lambda request: watch.requested.append(request.url))
    page.clock.install(time=now)
    sign_in(page, live_portal, TRUST)
    page.goto(live_portal.url("/referrals/queue"))
    row = page.locator(f"tr[data-item='{order}']")
    clock = row.locator(".clock")
    expect(clock).to_have_text(re.compile(r"^(10|9) min left$"))
    expect(clock).not_to_have_class(re.compile(r"\boverdue\b"))
    expect(row).not_to_have_class(re.compile(r"\boverdue\b"))
    # The deadline in the user's time zone (Rome: UTC+1 in December).
    local = (now + timedelta(minutes=10, hours=1)).strftime("%H:%M")
    expect(row.locator("time.local-time")).to_contain_text(local)

    page.clock.fast_forward("11:00")  # the browser's clock passes the deadline
    expect(clock).to_have_class(re.compile(r"\boverdue\b"))
    expect(clock).to_have_text(re.compile(r"^overdue by \d+ (s|min)$"))
    expect(row).to_have_class(re.compile(r"\boverdue\b"))
    color = clock.evaluate("element => getComputedStyle(element).backgroundColor")
    assert color == "rgb(176, 0, 32)"  # red
    assert watch.page_errors == [] and watch.outside_requests() == []
