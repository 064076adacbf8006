"""The pages that lead to the work, in Chromium, on one world and one signed-in page: a read
page of a bulletin with 20 entities is short and its Acknowledge is in view; the dashboard
shows the counts; at 390 px the inbox, the read page and the dashboard never scroll sideways;
and all of it holds in German and French, whose words are longer, chosen in the footer.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from portal.services.accounts import directory as accounts
from portal.services.principals import Actor, Reader
from portal.services.watchlists import watching
from tests.e2e.conftest import LivePortal, sign_in

pytestmark = pytest.mark.e2e

ANALYST = "louise.analyst@fr.example.org"
SENDERS = {
    "IT-MININT": "giulia.officer@it.example.org",
    "DE-BMI": "hans.officer@de.example.org",
    "UK-HO": "oliver.officer@uk.example.org",
}
WIDE = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
OVERFLOW = "() => document.scrollingElement.scrollWidth - window.innerWidth"


def _entities() -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """Twenty entities (persons, accounts, phones, e-mails, a group) and their relations."""
    entities: list[dict[str, Any]] = [
        {"ref": "g1", "type": "group", "value": "Lantern network", "aliases": ["شبكة الفانوس"]}
    ]
    relations = []
    for i in range(1, 5):
        person = f"p{i}"
        entities += [
            {
                "ref": person,
                "type": "person",
                "value": f"Person Number{i} al-Example",
                "aliases": [f"Abu Example {i}"],
                "nationality": "SY",
                "role": "facilitator",
            },
            {
                "ref": f"a{i}",
                "type": "account",
                "platform": "telegram",
                "value": f"https://t.me/lantern_channel_{i}_media",
            },
            {"ref": f"t{i}", "type": "phone", "value": f"+33 6 12 34 56 7{i}"},
            {"ref": f"m{i}", "type": "email", "value": f"lantern.contact.{i}@example.org"},
        ]
        relations += [
            {"source": person, "type": "uses_account", "target": f"a{i}"},
            {"source": person, "type": "uses_phone", "target": f"t{i}"},
            {"source": person, "type": "uses_email", "target": f"m{i}"},
            {"source": person, "type": "member_of", "target": "g1"},
        ]
    entities += [
        {"ref": "u1", "type": "url", "value": "https://lantern.example.org/videos/attack-guide"},
        {"ref": "l1", "type": "location", "value": "Gaziantep", "country": "TR"},
        {"ref": "l2", "type": "location", "value": "Idlib", "country": "SY"},
    ]
    assert len(entities) == 20
    return entities, relations


def _post(portal: LivePortal, org: str, recipients: list[str], title: str) -> str:
    entities, relations = _entities()
    return portal.post(
        SENDERS[org],
        title,
        entities,
        relations,
        recipients=recipients,
        summary="A facilitator network moves recruits and money.",
        body="Seen **twice** in March.\n\n- via Istanbul\n- to Idlib",
    )


def _world(portal: LivePortal) -> str:
    portal.user(ANALYST, "analyst", org="FR-MININT")
    for org, email in SENDERS.items():
        portal.user(email, "liaison", org=org)
    with portal.app.app_context():  # the analyst watches the URL: a notification to lay out
        reader = Reader.of(accounts.user_by_email(ANALYST))
        watching.watch_typed(
            reader, Actor(reader.user_id), "https://lantern.example.org/videos/attack-guide", None
        )
    # The same twenty entities in bulletins FR-MININT cannot read: discovery has a hit for each.
    _post(portal, "DE-BMI", ["UK-HO"], "Hidden from FR (DE)")
    _post(portal, "UK-HO", ["DE-BMI"], "Hidden from FR (UK)")
    _post(portal, "IT-MININT", ["FR-MININT"], "Older bulletin for FR")
    return _post(portal, "IT-MININT", ["FR-MININT", "DE-BMI"], "Lantern network facilitators")


def test_read_page_dashboard_and_narrow_screens(page: Page, live_portal: LivePortal) -> None:
    bulletin = _world(live_portal)
    page.set_viewport_size(WIDE)
    sign_in(page, live_portal, ANALYST)

    # The dashboard: two unread, two not acknowledged; the menu shows the unread count.
    expect(page.locator('[data-count="unread"]')).to_have_text("2")
    expect(page.locator('[data-count="unacknowledged"]')).to_have_text("2")
    expect(
        page.locator(".mainnav a", has_text="Inbox").locator("[data-nav-count]")
    ).to_contain_text("2")
    # Both bulletins FR reads name the URL the analyst watches: two notifications.
    notifications = page.locator(".mainnav a", has_text="Notifications")
    expect(notifications.locator("[data-nav-count]")).to_contain_text("2")

    page.goto(live_portal.url(f"/bulletins/{bulletin}"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Lantern network facilitators")
    expect(page.locator(".discovery-hit")).to_have_count(20)
    height = page.evaluate("() => document.documentElement.scrollHeight")
    assert height < 3000, f"the read page is {height} px tall at 1366 px"
    acknowledge = page.get_by_role("button", name=re.compile("^Acknowledge"))
    expect(acknowledge).to_be_in_viewport()
    # One "Ask" per entity opens a small form that lists both organisations.
    ask = page.locator("details.ask").first
    ask.locator("summary").click()
    expect(ask.locator("select[name=org] option")).to_have_count(2)

    # The entity page of the longest identifier (a URL), to check its heading on a phone.
    url_page = page.locator("a.entity-link", has_text="lantern.example.org").first
    entity_path = url_page.get_attribute("href")
    page.set_viewport_size(PHONE)
    overflowing = {}
    narrow = (f"/bulletins/{bulletin}", "/bulletins/", entity_path, "/watchlist/notifications", "/")
    for path in narrow:
        page.goto(live_portal.url(path))
        if (extra := page.evaluate(OVERFLOW)) > 0:
            overflowing[path] = extra
    assert overflowing == {}, f"pages wider than 390 px (by px): {overflowing}"
    # Reading the bulletin made it read: the dashboard counts one unread now.
    expect(page.locator('[data-count="unread"]')).to_have_text("1")
    _in_longer_languages(page, live_portal, bulletin)


def choose_language(page: Page, language: str) -> None:
    """The footer's form, as a person uses it: the page comes back in that language."""
    page.locator("#language-choice").select_option(language)
    page.locator("form.language-choice button").click()
    expect(page.locator("html")).to_have_attribute("lang", language)


def _in_longer_languages(page: Page, live_portal: LivePortal, bulletin: str) -> None:
    """German and French words are longer: the read page stays short with Acknowledge in view,
    and nothing scrolls sideways at 390 px."""
    read = f"/bulletins/{bulletin}"
    for language in ("de", "fr"):
        page.set_viewport_size(WIDE)
        page.goto(live_portal.url(read))
        choose_language(page, language)
        expect(page).to_have_url(live_portal.url(read))
        page.goto(live_portal.url(read))  # without the one-off notice of the change
        height = page.evaluate("() => document.documentElement.scrollHeight")
        assert height < 3000, f"the read page is {height} px tall at 1366 px in {language}"
        acknowledge = page.locator(f"form[action$='/bulletins/{bulletin}/acknowledge'] button")
        expect(acknowledge).to_be_in_viewport()
        page.set_viewport_size(PHONE)
        overflowing = {}
        for path in (read, "/bulletins/", "/watchlist/notifications", "/"):
            page.goto(live_portal.url(path))
            expect(page.locator("html")).to_have_attribute("lang", language)
            if (extra := page.evaluate(OVERFLOW)) > 0:
                overflowing[path] = extra
        assert overflowing == {}, f"{language} pages wider than 390 px (by px): {overflowing}"
