"""Which language a page speaks: the account's choice, the sign-in page's cookie, the browser's
Accept-Language, English; the API in English whatever the browser asks."""

from __future__ import annotations

import html
from datetime import UTC, date, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portal import i18n
from portal.services.accounts import directory as accounts
from portal.services.accounts import preferences
from portal.services.errors import InvalidInput
from tests.portal.conftest import Auth, People, csrf_token

SIGN_OUT = {"en": "Sign out", "fr": "Se déconnecter", "de": "Abmelden", "ja": "サインアウト"}


def choose(
    client: FlaskClient, language: str, next_page: str = "/login", at: str = "/login"
) -> object:
    page = client.get(at)
    return client.post(
        "/language",
        data={"language": language, "next": next_page, "csrf_token": csrf_token(page.text)},
    )


def test_the_browser_language_is_the_default(client: FlaskClient) -> None:
    page = client.get("/login", headers={"Accept-Language": "de-CH,de;q=0.9,en;q=0.5"})
    assert '<html lang="de">' in page.text
    assert "Sprache" in page.text
    assert '<html lang="en">' in client.get("/login").text
    assert '<html lang="en">' in client.get("/login", headers={"Accept-Language": "pt-BR"}).text


def test_the_sign_in_page_remembers_a_choice(client: FlaskClient) -> None:
    answer = choose(client, "ja")
    assert answer.status_code == 302 and answer.location == "/login"
    page = client.get("/login", headers={"Accept-Language": "fr"})
    assert '<html lang="ja">' in page.text
    assert "ポータルは日本語で表示されます。" in page.text


def test_a_signed_in_choice_follows_the_person(
    app: Flask, client: FlaskClient, people: People, auth: Auth
) -> None:
    people.user("eve@fr.example", "analyst")
    auth.sign_in("eve@fr.example")
    answer = choose(client, "fr", next_page="/inbox?page=2", at="/")
    assert answer.status_code == 302 and answer.location == "/inbox?page=2"
    with app.app_context():
        assert accounts.user_by_email("eve@fr.example").language == "fr"
    client.delete_cookie(i18n.COOKIE)
    page = client.get("/", headers={"Accept-Language": "de"})
    assert '<html lang="fr">' in page.text and SIGN_OUT["fr"] in page.text


@pytest.mark.parametrize("language", ["", "xx", "fr-FR", "EN", "<script>"])
def test_an_unknown_language_is_refused_clearly(client: FlaskClient, language: str) -> None:
    answer = choose(client, language)
    assert answer.status_code == 400
    assert "Choose one of the portal's languages" in html.unescape(answer.text)
    assert i18n.COOKIE not in answer.headers.get("Set-Cookie", "")


def test_the_service_refuses_an_unknown_language_naming_the_field(app: Flask) -> None:
    with app.app_context(), pytest.raises(InvalidInput) as refused:
        preferences.checked_language("klingon")
    assert refused.value.field == "language"
    assert "Français (fr)" in refused.value.message


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil", "x"])
def test_the_way_back_never_leaves_the_portal(client: FlaskClient, target: str) -> None:
    answer = choose(client, "it", next_page=target)
    assert answer.status_code == 302 and answer.location == "/login"


def test_the_api_speaks_english_whatever_the_browser_asks(client: FlaskClient) -> None:
    answer = client.get("/api/v1/bulletins", headers={"Accept-Language": "fr"})
    assert answer.status_code == 401
    assert answer.json and "error" in answer.json
    assert "Le " not in str(answer.json)


@pytest.mark.parametrize(
    ("language", "moment", "day", "number"),
    [
        ("en", "4 Dec 2026, 09:05 UTC", "4 Dec 2026", "12,345"),
        ("fr", "4 déc. 2026, 09:05 UTC", "4 déc. 2026", "12\u202f345"),
        ("de", "04.12.2026, 09:05 UTC", "04.12.2026", "12.345"),
        ("it", "4 dic 2026, 09:05 UTC", "4 dic 2026", "12.345"),
        ("ja", "2026/12/04 09:05 UTC", "2026/12/04", "12,345"),
    ],
)
def test_dates_and_numbers_are_written_as_each_language_writes_them(
    app: Flask, language: str, moment: str, day: str, number: str
) -> None:
    with app.test_request_context("/", headers={"Accept-Language": language}):
        assert i18n.when(datetime(2026, 12, 4, 9, 5, tzinfo=UTC)) == moment
        assert i18n.day(date(2026, 12, 4)) == day
        assert i18n.number(12345) == number
    with app.app_context(), i18n.speaking(language):
        assert i18n.day(date(2026, 12, 4)) == day


@pytest.mark.parametrize(
    ("language", "pair", "end"),
    [
        ("en", "Page: 0", "Reason:"),
        ("fr", "Page\u00a0: 0", "Reason\u00a0:"),  # a no-break space: the colon never wraps alone
        ("de", "Page: 0", "Reason:"),
        ("ja", "Page\uff1a0", "Reason\uff1a"),  # full-width colons
    ],
)
def test_a_label_and_its_value_are_joined_as_each_language_writes_them(
    app: Flask, client: FlaskClient, language: str, pair: str, end: str
) -> None:
    with app.app_context(), i18n.speaking(language):
        assert i18n.labelled("Page", 0) == pair
        assert i18n.label_end("Reason") == end


def test_a_page_joins_a_label_and_its_error_in_its_language(
    client: FlaskClient, auth: Auth, people: People
) -> None:
    people.user("officer@fr.example.org", "liaison")
    auth.sign_in("officer@fr.example.org")
    choose(client, "fr", next_page="/bulletins/", at="/")
    page = html.unescape(client.get("/bulletins/?page=0").text)
    assert '<p class="error">Page\u00a0: ' in page


def test_a_required_field_is_asked_for_in_the_portals_words(client: FlaskClient) -> None:
    german = {"Accept-Language": "de"}
    page = client.get("/login", headers=german)
    answer = client.post(
        "/login",
        data={"email": "", "password": "", "csrf_token": csrf_token(page.text)},
        headers=german,
    )
    assert answer.status_code == 400, answer.status_code
    assert "Dieses Feld ist erforderlich." in answer.text
    assert "wird benötigt" not in answer.text  # WTForms' own German


def test_pages_load_their_scripts_messages_in_their_language(client: FlaskClient) -> None:
    """One file per language, named in every page, never English keys inside the page."""
    import json
    import re

    page = client.get("/login", headers={"Accept-Language": "fr"}).text
    found = re.search(r'<script src="(/language/fr/messages\.js\?v=[0-9a-f]{12})" defer>', page)
    assert found, "the page names its messages file"
    assert "Loading…" not in page
    script = client.get(found.group(1))
    assert script.status_code == 200 and script.mimetype == "text/javascript"
    assert "max-age=31536000" in script.headers["Cache-Control"]
    prefix = "window.ischiaMessages = "
    assert script.text.startswith(prefix)
    messages = json.loads(script.text[len(prefix) :].strip().rstrip(";"))
    assert messages["Loading…"] == "Chargement…"
    assert set(messages) == {str(m._args[0]) for m in i18n.SCRIPT_MESSAGES}
    assert client.get("/language/xx/messages.js").status_code == 404


def test_what_was_searched_for_is_said_in_the_readers_language(app: Flask) -> None:
    from portal.services.discovery import hits

    readings = [
        hits.Interpretation("", "account:telegram:wadi"),
        hits.Interpretation("", "account:x:wadi"),
        hits.Interpretation("", "phone:+33612345678"),
    ]
    with app.test_request_context("/", headers={"Accept-Language": "fr"}):
        assert hits.describe("@wadi", readings) == (
            "le compte Telegram ou X @wadi",
            "le numéro de téléphone +33612345678",
        )
    with app.test_request_context("/"):
        assert hits.describe("@wadi", readings)[0] == "the Telegram or X account @wadi"


@pytest.mark.parametrize(
    ("reason", "french"),
    [
        ("same nationality SY", "même nationalité SY"),
        ("both use @adnani_media (Telegram)", "utilisent tous deux @adnani_media (Telegram)"),
        ("different dates of birth", "dates de naissance différentes"),
        ("names Omar / Umar", "noms Omar / Umar"),
        ("a reason not known", "a reason not known"),
    ],
)
def test_the_graphs_reasons_are_worded_in_the_readers_language(
    app: Flask, reason: str, french: str
) -> None:
    from portal.graph_words import person_match_reason

    with app.test_request_context("/", headers={"Accept-Language": "fr"}):
        assert person_match_reason(reason) == french
    with app.test_request_context("/"):
        assert person_match_reason(reason) == reason
