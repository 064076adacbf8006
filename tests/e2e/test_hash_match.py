"""A platform's liaison officer matches an image in Chromium: the upload is hashed on the
server and the planted entry of a ministry's bank comes back with its distance."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from portal.services.accounts import directory as accounts
from portal.services.hashbanks import banks
from portal.services.hashbanks.banks import EntryDraft
from portal.services.hashbanks.hashing import hash_image
from portal.services.principals import CLI, Actor, Reader
from tests.e2e.conftest import LivePortal, Watch, sign_in
from tests.portal.hashbanks.conftest import picture

pytestmark = pytest.mark.e2e

PLATFORM_USER = "tina.trust@meta.example.org"
OFFICER = "jonas.liaison@bmi.example.org"


def test_a_platform_matches_an_uploaded_image_against_a_shared_bank(
    page: Page, live_portal: LivePortal, watch: Watch, tmp_path: Path
) -> None:
    original = picture(seed=42)
    upload = picture(seed=42, size=220, fmt="JPEG", quality=70)  # a re-encoded, resized copy
    with live_portal.app.app_context():
        accounts.create_organisation(CLI, code="DE-BMI", name="BMI", kind="member", country="DE")
        accounts.create_organisation(CLI, code="META", name="Meta", kind="platform", country="US")
    live_portal.user(OFFICER, "liaison", org="DE-BMI")
    live_portal.user(PLATFORM_USER, "platform_liaison", org="META")
    with live_portal.app.app_context():
        bank = banks.create_bank(CLI, "DE-BMI", "BMI propaganda stills", readers=["META"])
        reader = Reader.of(accounts.user_by_email(OFFICER))
        planted = hash_image(original)
        banks.add_entries(
            reader,
            Actor(reader.user_id, reader.email, reader.org_id),
            bank.id,
            [EntryDraft("pdq", planted.pdq, planted.quality, "Attack video still")],
        )
        sent = hash_image(upload)
    distance = bin(int(planted.pdq, 16) ^ int(sent.pdq, 16)).count("1")
    assert 0 < distance <= 31
    image = tmp_path / "suspect.jpg"
    image.write_bytes(upload)

    sign_in(page, live_portal, PLATFORM_USER)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Hash banks").click()
    expect(page.get_by_role("heading", name="Hash banks", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="BMI propaganda stills")).to_be_visible()
    page.get_by_label("Image to hash").set_input_files(str(image))
    page.get_by_role("button", name="Match").click()

    results = page.locator("#match-results")
    expect(results).to_be_visible()
    row = results.locator("tr.hash-match", has_text="Attack video still")
    expect(row).to_have_count(1)
    expect(row.locator("td.distance")).to_have_text(str(distance))
    expect(row).to_contain_text("BMI propaganda stills")
    expect(row).to_contain_text(planted.pdq)
    assert watch.console_errors == [] and watch.page_errors == []
    assert watch.outside_requests() == []
