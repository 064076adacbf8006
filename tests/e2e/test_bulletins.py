"""A bulletin's whole journey in Chromium: composed with entities and an attachment by an
IT-MININT officer for FR and DE, read and verified by an FR analyst who acknowledges it,
refused to a UK user with a 404, and its read receipt seen by the officer."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.conftest import DESKTOP, LivePortal, Watch, sign_in

pytestmark = pytest.mark.e2e

OFFICER = "giulia.officer@it.example.org"
ANALYST = "louis.analyst@fr.example.org"
UK_USER = "oliver.analyst@uk.example.org"
TITLE = "Facilitator moving recruits through Gaziantep"
# A valid 1x1 PNG: the portal decides the type from these bytes, not from the name.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


@pytest.fixture
def contexts(browser: Browser) -> Iterator[list[BrowserContext]]:
    opened: list[BrowserContext] = []
    yield opened
    for context in opened:
        context.close()


def _new_page(browser: Browser, contexts: list[BrowserContext], watch: Watch) -> Page:
    context = browser.new_context(viewport=DESKTOP, locale="en-GB", timezone_id="UTC")
    context.set_default_timeout(10_000)
    contexts.append(context)
    tab = context.new_page()
    tab.on("pageerror", lambda error: watch.page_errors.append(str(error)))
    tab.on("request", lambda request: watch.requested.append(request.url))
    return tab


def _compose(page: Page, portal: LivePortal) -> str:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Compose").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New bulletin")
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Summary").fill("A facilitator books travel for recruits.")
    page.get_by_label("Body (Markdown)").fill(
        "Seen **twice** in March.\n\n- via Istanbul\n- to Idlib"
    )
    page.get_by_label("Category").select_option("foreign_fighter_travel")
    page.locator("input[name=marking][value='TLP:AMBER']").check()
    page.get_by_label("B usually reliable").check()
    page.get_by_label("2 known personally to the source").check()
    page.get_by_label("H2 not to be disseminated").check()
    page.get_by_label("Tags").fill("travel-route:balkan")
    page.locator("input[name=recipients][value=FR-MININT]").check()
    page.locator("input[name=recipients][value=DE-BMI]").check()

    page.locator("#entities-0-type").select_option("person")
    page.locator("#entities-0-value").fill("أبو محمد الحلبي")
    page.locator("#entities-0-aliases").fill("Abu Muhammad al-Halabi; Abou Mohamed El Halabi")
    page.get_by_role("button", name="Add entity").click()
    page.locator("#entities-1-type").select_option("account")
    page.locator("#entities-1-platform").select_option("telegram")
    page.locator("#entities-1-value").fill("https://t.me/halabi_travel")
    page.locator("#relations-0-source").fill("e1")
    page.locator("#relations-0-type").select_option("uses_account")
    page.locator("#relations-0-target").fill("e2")
    page.locator("#attachments").set_input_files(
        files=[{"name": "route.png", "mimeType": "image/png", "buffer": PNG}]
    )
    page.get_by_role("button", name="Seal and send").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    return page.url.rstrip("/").rsplit("/", 1)[-1]


def test_bulletin_is_composed_read_verified_acknowledged_and_refused_to_others(
    browser: Browser,
    page: Page,
    live_portal: LivePortal,
    watch: Watch,
    contexts: list[BrowserContext],
) -> None:
    live_portal.user(OFFICER, "liaison", org="IT-MININT")
    live_portal.user(ANALYST, "analyst", org="FR-MININT")
    live_portal.user("dirk.analyst@de.example.org", "analyst", org="DE-BMI")
    live_portal.user(UK_USER, "analyst", org="UK-HO")

    sign_in(page, live_portal, OFFICER)
    bulletin_id = _compose(page, live_portal)
    read_url = live_portal.url(f"/bulletins/{bulletin_id}")

    reader = _new_page(browser, contexts, watch)
    sign_in(reader, live_portal, ANALYST)
    reader.get_by_role("navigation", name="Main").get_by_role("link", name="Inbox").click()
    reader.get_by_role("link", name=TITLE).click()
    expect(reader.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(reader.locator(".handling-notice")).to_contain_text("H2: not to be disseminated")
    panel = reader.locator("section.verification")
    expect(panel).to_contain_text("Verified: signed by IT-MININT")
    expect(panel.locator("code.fingerprint").first).to_have_text(re.compile(r"^(\d{5} ){11}\d{5}$"))
    expect(reader.get_by_role("alert")).to_have_count(0)
    expect(reader.get_by_role("cell", name="أبو محمد الحلبي", exact=True).first).to_be_visible()
    expect(reader.get_by_text("halabi_travel").first).to_be_visible()
    with reader.expect_download() as download:
        reader.get_by_role("link", name="route.png").click()
    assert download.value.path().read_bytes() == PNG
    reader.get_by_role("button", name="Acknowledge: received and actioned by FR-MININT").click()
    expect(reader.locator(".ack-list")).to_contain_text("Received and actioned by FR-MININT")

    outsider = _new_page(browser, contexts, watch)
    sign_in(outsider, live_portal, UK_USER)
    response = outsider.goto(read_url)
    assert response is not None and response.status == 404
    expect(outsider.get_by_text(TITLE)).to_have_count(0)

    page.goto(read_url)
    receipts = page.locator("section.receipts")
    expect(receipts).to_contain_text("FR-MININT")
    expect(receipts).to_contain_text("Louis Analyst")
    expect(page.locator(".ack-list")).to_contain_text("Received and actioned by FR-MININT")

    assert watch.page_errors == []
    assert watch.outside_requests() == []


# The question is the script's: the database makes no difference to it.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_retracting_asks_for_the_reason_before_the_confirmation(
    page: Page, live_portal: LivePortal, watch: Watch
) -> None:
    live_portal.user(OFFICER, "liaison", org="IT-MININT")
    live_portal.user(ANALYST, "analyst", org="FR-MININT")  # the recipient's organisation
    bulletin = live_portal.post(
        OFFICER,
        "Retract me",
        [{"ref": "e1", "type": "person", "value": "Nobody In Particular"}],
        [],
        recipients=["FR-MININT"],
    )
    sign_in(page, live_portal, OFFICER)
    page.goto(live_portal.url(f"/bulletins/{bulletin}/retract"))
    asked: list[str] = []

    def answer(dialog) -> None:  # type: ignore[no-untyped-def]
        asked.append(dialog.message)
        dialog.accept()

    page.on("dialog", answer)
    # Without its reason and tick, the form goes to the portal unasked and comes back saying so.
    page.get_by_role("button", name="Retract bulletin").click()
    expect(page.locator("#reason-error")).to_contain_text("Say why the bulletin is retracted")
    assert asked == []
    page.get_by_label("Reason, shown to every recipient").fill("The identification was wrong.")
    page.get_by_role("checkbox").check()
    page.get_by_role("button", name="Retract bulletin").click()
    expect(page.locator(".flash, [role=status]").first).to_contain_text("Retracted")
    assert asked == ["Retract and destroy every version of this bulletin now?"]
    assert not watch.page_errors
