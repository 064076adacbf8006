"""An official makes a briefing in Chromium and downloads the PDF through the browser; a French
official gets the pages and the briefing in French."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from portal.services.briefings.signing import verify_with_portal_keys
from tests.e2e.conftest import LivePortal, Watch, sign_in
from tests.portal.briefings.pdf_text import page_texts

pytestmark = pytest.mark.e2e

OFFICIAL = "claire.official@fr.example.org"
TITLE = "Recruiter relaunches a channel"


def _post_bulletin(portal: LivePortal) -> str:
    portal.user("marco@it.example.org", "liaison", org="IT-MININT")
    entities = [
        {"ref": "p1", "type": "person", "value": "أبو محمد الحلبي"},
        {"ref": "a1", "type": "account", "platform": "telegram", "value": "@relaunch"},
    ]
    relations = [{"source": "p1", "type": "uses_account", "target": "a1"}]
    return portal.post(
        "marco@it.example.org",
        TITLE,
        entities,
        relations,
        recipients=["FR-MININT"],
        summary="The channel is back.",
        body="Seen on **Telegram**.",
    )


def test_official_downloads_a_briefing(page: Page, live_portal: LivePortal, watch: Watch) -> None:
    live_portal.user(OFFICIAL, "official", org="FR-MININT")
    bulletin_id = _post_bulletin(live_portal)
    sign_in(page, live_portal, OFFICIAL)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Briefings").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Make a briefing")
    # briefing.js (deferred) follows the download to the copy's page: a click before it runs
    # downloads the PDF without that page.
    page.wait_for_load_state("domcontentloaded")
    page.get_by_label(TITLE).check()
    page.get_by_label("Title", exact=True).fill("Tuesday meeting")
    with page.expect_download() as download:
        page.get_by_role("button", name="Make the PDF briefing").click()
    assert download.value.suggested_filename.startswith("ischia-briefing-")
    # The page follows the download to the copy's page: it confirms it and says what is inside.
    expect(page.get_by_text("Your briefing was downloaded: 1 bulletin")).to_be_visible(
        timeout=15_000
    )
    expect(page.get_by_role("heading", name="What the briefing contains")).to_be_visible()
    pdf = download.value.path().read_bytes()
    assert pdf.startswith(b"%PDF-")
    with live_portal.app.app_context():
        verdict = verify_with_portal_keys(pdf)
    assert verdict.claims["prepared_for"].endswith(f"<{OFFICIAL}>")
    assert verdict.claims["bulletins"] == 1 and bulletin_id
    assert not watch.page_errors


def test_a_french_official_reads_french_pages_and_a_french_briefing(
    page: Page, live_portal: LivePortal, watch: Watch, tmp_path: Path
) -> None:
    live_portal.user(OFFICIAL, "official", org="FR-MININT")
    _post_bulletin(live_portal)
    sign_in(page, live_portal, OFFICIAL)
    page.goto(live_portal.url("/briefings/"))
    counted = """() => [0, 1, 2].map((n) => window.ischiaCount(n,
        "%(count)s shortest path of %(steps)s steps.",
        "%(count)s shortest paths of %(steps)s steps.", { steps: 3 }))"""
    assert page.evaluate(counted)[:2] == [
        "0 shortest paths of 3 steps.",
        "1 shortest path of 3 steps.",
    ]
    days = "() => [window.ischiaDay('2025-07-12'), window.ischiaDay('not a day')]"
    assert page.evaluate(days) == ["12 Jul 2025", "not a day"]
    # The footer's language form: Français, then the same page in French.
    page.locator("#language-choice").select_option("fr")
    page.locator("form.language-choice button[type=submit]").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", level=1)).to_have_text("Produire une note de synthèse")
    page.wait_for_load_state("domcontentloaded")  # briefing.js listens (see above)
    # Scripts choose a count's form by French rules: 0 and 1 are singular.
    assert page.evaluate(counted) == [
        "0 plus court chemin de 3 étapes.",
        "1 plus court chemin de 3 étapes.",
        "2 plus courts chemins de 3 étapes.",
    ]
    assert page.evaluate(days)[0] == "12 juil. 2025"  # as the French pages write days
    page.get_by_label(TITLE).check()
    page.get_by_label("Titre", exact=True).fill("Point du mardi")
    with page.expect_download() as download:
        page.get_by_role("button", name="Produire la note de synthèse PDF").click()
    expect(page.get_by_text("Votre note de synthèse a été téléchargée : 1 bulletin")).to_be_visible(
        timeout=15_000
    )
    expect(page.locator(".briefing-language")).to_have_text("Français")
    path = tmp_path / "briefing.pdf"
    download.value.save_as(path)
    text = " ".join(" ".join(page_texts(path)).split())
    for words in ("Note de synthèse Ischia", "Sommaire", "Synthèse", "Points clés"):
        assert words in text, words
    assert "Executive summary" not in text
    assert not watch.page_errors
