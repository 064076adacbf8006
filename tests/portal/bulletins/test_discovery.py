"""Discovery without disclosure: how many bulletins the asker cannot read name an identifier,
and from which organisations; nothing more."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Organisation
from portal.services.bulletins import lifecycle
from portal.services.discovery import hits as discovery
from portal.services.errors import InvalidInput, NotFound
from portal.services.principals import Actor

ARABIC_NAME = "أبو محمد العدناني"
LATIN_NAME = "Abu Muhammad al-Adnani"


def entities(account: dict[str, str], *more: dict[str, str]) -> list[dict[str, str]]:
    return [{"ref": "a1", "type": "account", **account}, *more]


def set_country(app, code: str, country: str) -> None:
    with app.app_context(), db.write() as session:
        session.scalar(select(Organisation).where(Organisation.code == code)).country = country


@pytest.fixture
def scene(app, desk):
    """Bulletins naming one Telegram account, spelt differently, some readable by FR, some not."""
    set_country(app, "FR-MININT", "FR")
    account = {"platform": "telegram", "value": "@example_media"}
    url = {"platform": "telegram", "value": "https://t.me/Example_Media"}
    ids = {
        "it_to_de": desk.post(
            "it.officer",
            ["DE-BMI"],
            title="HIDDEN-IT secret title",
            entities=entities(
                account,
                {"ref": "t1", "type": "phone", "value": "+33 6 12 34 56 78"},
                {"ref": "p1", "type": "person", "value": ARABIC_NAME, "role": "recruiter"},
            ),
            relations=[],
        ),
        "de_to_it": desk.post(
            "de.officer",
            ["IT-MININT"],
            title="HIDDEN-DE title",
            entities=entities(url),
            relations=[],
        ),
        "it_to_fr": desk.post(
            "it.officer",
            ["FR-MININT"],
            title="Readable by FR",
            entities=entities(url),
            relations=[],
        ),
        "red": desk.post(
            "uk.officer",
            ["DE-BMI"],
            marking="TLP:RED",
            title="HIDDEN-RED title",
            entities=entities(account),
            relations=[],
        ),
        "retracted": desk.post(
            "uk.officer", ["IT-MININT"], title="HIDDEN-GONE", entities=entities(url), relations=[]
        ),
    }
    with app.app_context():
        reader = desk.reader("uk.officer")
        lifecycle.retract(reader, Actor(reader.user_id), ids["retracted"], confirmed=True)
    return ids


def hidden(app, desk, query, platform=None, who="fr.analyst"):
    with app.app_context():
        result = discovery.search(desk.reader(who), query, platform)
        return [(g.org_code, g.count) for g in result.hidden], [h.title for h in result.readable]


@pytest.mark.parametrize(
    ("query", "platform"),
    [
        ("https://t.me/Example_Media", None),
        ("t.me/example_media/", None),
        ("@example_media", "telegram"),
        ("@Example_Media", None),  # an @handle without a platform is tried on every platform
        ("example_media", "telegram"),
    ],
)
def test_an_account_in_any_spelling_counts_hidden_bulletins_per_sender(
    app, desk, scene, query, platform
):
    groups, readable = hidden(app, desk, query, platform)
    # TLP:RED (from UK-HO) and the retracted one are not counted; FR's own copy is listed.
    assert groups == [("DE-BMI", 1), ("IT-MININT", 1)]
    assert readable == ["Readable by FR"]


@pytest.mark.parametrize("query", ["06 12 34 56 78", "+33612345678", "0033 6 12 34 56 78"])
def test_a_phone_in_national_or_international_form(app, desk, scene, query):
    assert hidden(app, desk, query) == ([("IT-MININT", 1)], [])


@pytest.mark.parametrize("query", [LATIN_NAME, "Abou Mohamed Al Adnani", ARABIC_NAME])
def test_a_name_in_latin_or_arabic_script(app, desk, scene, query):
    assert hidden(app, desk, query) == ([("IT-MININT", 1)], [])


def test_no_hit_when_nothing_hidden_names_it(app, desk, scene):
    assert hidden(app, desk, "@someone_else", "telegram") == ([], [])
    # UK-HO sent the TLP:RED one itself (readable, so not hidden) and cannot read the others.
    groups, _ = hidden(app, desk, "@example_media", "telegram", who="uk.analyst")
    assert groups == [("DE-BMI", 1), ("IT-MININT", 2)]


def test_the_search_page_shows_counts_and_organisations_only(app, client, auth, desk, scene):
    auth.sign_in("analyst@fr.example")
    page = client.get("/bulletins/search?" + urlencode({"q": "https://t.me/Example_Media"}))
    assert page.status_code == 200
    assert "also appears in 2 bulletins you cannot read, from DE-BMI and IT-MININT" in page.text
    assert "Readable by FR" in page.text and scene["it_to_fr"] in page.text
    for key in ("it_to_de", "de_to_it", "red", "retracted"):
        assert scene[key] not in page.text
    assert "HIDDEN" not in page.text and "TLP:RED bulletins are never counted" in page.text
    assert "TLP:RED</span>" not in page.text  # no marking of a bulletin FR cannot read
    assert "Ask DE-BMI for access" in page.text and "Ask IT-MININT for access" in page.text


def test_the_read_page_says_which_entities_appear_elsewhere(app, client, auth, desk, scene):
    auth.sign_in("analyst@fr.example")
    page = client.get(f"/bulletins/{scene['it_to_fr']}")
    assert page.status_code == 200
    assert "2 bulletins you cannot read, from DE-BMI and IT-MININT" in page.text
    assert f'action="/bulletins/{scene["it_to_fr"]}/ask"' in page.text
    for key in ("it_to_de", "de_to_it", "red", "retracted"):
        assert scene[key] not in page.text
    assert "HIDDEN" not in page.text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"q": "x" * 501}, "at most 500 characters"),
        ({"q": "@example_media", "platform": "myspace"}, "Choose a platform from the list."),
        ({"q": "!!!"}, "not an identifier or a name"),
    ],
)
def test_bad_search_input_is_a_400_with_a_message(app, client, auth, desk, args, message):
    auth.sign_in("analyst@fr.example")
    page = client.get("/bulletins/search?" + urlencode(args))
    assert page.status_code == 400 and message in page.text


def test_a_national_number_without_a_country_asks_for_the_international_form(app, desk):
    with app.app_context(), pytest.raises(InvalidInput, match="international form"):
        discovery.search(desk.reader("it.analyst"), "06 12 34 56 78")


def test_platform_partners_cannot_search(app, client, auth, desk, scene):
    with app.app_context(), pytest.raises(NotFound):
        discovery.search(desk.reader("platform"), "@example_media", "telegram")
    auth.sign_in("trust@platform.example")
    assert client.get("/bulletins/search?q=%40example_media&platform=telegram").status_code == 404
