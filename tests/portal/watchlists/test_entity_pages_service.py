"""An entity's page as the service builds it: readable bulletins only, spellings, the
organisation's own referrals for its liaison officers, counts for the rest."""

from __future__ import annotations

import pytest

from portal.services.discovery import hits
from portal.services.errors import NotFound
from portal.services.principals import Actor
from portal.services.referrals import intake
from portal.services.referrals.intake import ItemDraft, ReferralDraft
from portal.services.watchlists import entity_pages, references

ACCOUNT = "https://t.me/example_media"


def refer(desk, who: str, url: str, content_type: str = "account") -> None:
    reader = desk.reader(who)
    draft = ReferralDraft(
        platform="PLATFORM-X",
        kind="referral",
        items=[
            ItemDraft(
                url=url,
                content_type=content_type,
                category="recruitment",
                reason="Recruiter's channel.",
            )
        ],
    )
    intake.refer(reader, Actor(reader.user_id), draft)


def page_of(desk, who: str, query: str, platform: str | None = None, kind: str = "account"):
    reader = desk.reader(who)
    (key,) = [r.key for r in hits.query_keys(reader, query, platform) if r.key.startswith(kind)]
    return entity_pages.entity_page(reader, references.reference(reader.org_id, key))


def test_only_readable_bulletins_are_listed_and_the_rest_counted(app, desk):
    readable = desk.post("it.officer", ["FR-MININT"], title="For FR")
    desk.post("de.officer", ["IT-MININT"], title="Not for FR")
    desk.post("uk.officer", ["IT-MININT"], title="Red", marking="TLP:RED")
    with app.app_context():
        page = page_of(desk, "fr.analyst", "@example_media", "telegram")
    assert [(b.bulletin_id, b.title, b.sender_code) for b in page.bulletins] == [
        (readable, "For FR", "IT-MININT")
    ]
    assert [(g.org_code, g.count) for g in page.hidden] == [("DE-BMI", 1)]  # never TLP:RED
    assert page.ask_via == (readable, "a1")
    assert page.name == "@example_media" and page.kind == "account"


def test_an_account_spelt_two_ways_shows_both(app, desk):
    desk.post("it.officer", ["FR-MININT"], title="Handle")
    url_form = [{"ref": "a1", "type": "account", "platform": "telegram", "value": ACCOUNT}]
    desk.post("de.officer", ["FR-MININT"], title="URL", entities=url_form, relations=[])
    with app.app_context():
        page = page_of(desk, "fr.analyst", "@example_media", "telegram")
    assert {b.title for b in page.bulletins} == {"Handle", "URL"}
    assert {page.name, *page.variants} == {"@example_media", ACCOUNT}


def test_the_organisations_own_referrals_for_its_liaison_officers_only(app, desk):
    desk.post("it.officer", ["FR-MININT"])
    with app.app_context():
        refer(desk, "fr.officer", ACCOUNT)
        refer(desk, "it.officer", ACCOUNT)  # IT's, never on FR's page
        refer(desk, "fr.officer", "https://video.example/watch?v=other", "video")
        officer = page_of(desk, "fr.officer", "@example_media", "telegram")
        analyst = page_of(desk, "fr.analyst", "@example_media", "telegram")
    assert [(r.url, r.platform_code) for r in officer.referrals] == [(ACCOUNT, "PLATFORM-X")]
    assert analyst.referrals is None


def test_a_referred_url_is_found_by_its_key(app, desk):
    url = "https://recruit.example.org/join"
    entity = [{"ref": "u1", "type": "url", "value": url}]
    desk.post("it.officer", ["FR-MININT"], entities=entity, relations=[])
    with app.app_context():
        refer(desk, "fr.officer", url, "video")
        page = page_of(desk, "fr.officer", url, kind="url")
    assert [b.title for b in page.bulletins] == ["Recruiter active on Telegram"]
    assert [r.url for r in page.referrals] == [url]


def test_references_are_per_organisation_and_platforms_see_none(app, desk):
    desk.post("it.officer", ["FR-MININT", "DE-BMI"])
    with app.app_context():
        fr = desk.reader("fr.analyst")
        key = hits.query_keys(fr, "@example_media", "telegram")[0].key
        ref = references.reference(fr.org_id, key)
        with pytest.raises(NotFound):
            entity_pages.entity_page(desk.reader("de.analyst"), ref)
        with pytest.raises(NotFound):
            entity_pages.entity_page(desk.reader("platform"), ref)
        assert entity_pages.entity_page(fr, ref).bulletins
