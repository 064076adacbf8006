"""The bulletin desk in French: compose (with the meanings of the grading and TLP codes), a
compose error, the inbox, search, sharing groups and the key directory. The codes themselves
(B, H2, TLP:RED, machine tags) stay as the standards write them."""

from __future__ import annotations

import html

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portal import i18n
from tests.conftest import World
from tests.portal.bulletins.compose_posts import fields, page_token, post
from tests.portal.bulletins.conftest import Desk
from tests.portal.conftest import People


@pytest.fixture
def desk(app: Flask, people: People, desk_world: World[dict[str, int]]) -> Desk:
    return Desk.loaded(app, people, desk_world)


@pytest.fixture
def french(client: FlaskClient) -> FlaskClient:
    client.set_cookie(i18n.COOKIE, "fr")
    return client


def text(client: FlaskClient, url: str, status: int = 200) -> str:
    page = client.get(url)
    assert page.status_code == status, (url, page.status_code)
    assert '<html lang="fr">' in page.text
    return html.unescape(page.text)


def test_compose_speaks_french_with_the_meanings_of_the_codes(
    french: FlaskClient, auth, desk: Desk
) -> None:
    auth.sign_in("officer@fr.example")
    page = text(french, "/bulletins/new")
    for words in (
        "Nouveau bulletin",
        "Marquage TLP",
        "destinataires désignés uniquement ; pas de groupes de partage",
        "Évaluation et traitement",
        "Fiabilité de la source",
        "Fiabilité de l'information",
        "Code de traitement",
        "entièrement fiable : aucun doute",
        "ne doit pas être diffusée sans l'autorisation du fournisseur",
        "Compte en ligne",
        "Utilise le compte",
        "Terrorisme djihadiste",
        "Ajouter une entité",
        "Sceller et envoyer",
    ):
        assert words in page, words
    for english in (
        "New bulletin",
        "Source reliability",
        "completely reliable",
        "not to be disseminated",
        "named recipients only",
        "Online account",
        "Jihadist terrorism",
        "Seal and send",
    ):
        assert english not in page, english
    # The codes stay as the standards write them.
    for code in ('value="B"', 'value="H2"', "TLP:AMBER+STRICT", 'group:jihadist="islamic-state"'):
        assert code in page, code


def test_a_compose_error_is_told_in_french(app, french: FlaskClient, auth, desk: Desk) -> None:
    auth.sign_in("officer@fr.example")
    data = fields(page_token(french), title="", grading_source="E", category="gossip")
    answer = post(french, data)
    assert answer.status_code == 400
    page = html.unescape(answer.text)
    assert "Le bulletin n'a pas été envoyé" in page
    assert "Ce champ est obligatoire." in page
    assert "Choisissez la fiabilité de la source (A, B, C ou X)." in page
    assert "Choisissez une catégorie." in page and "Choose one of" not in page
    assert "This field is required." not in page and "Choose the source's" not in page


def test_inbox_search_groups_and_keys_speak_french(
    french: FlaskClient, auth, desk: Desk, people: People
) -> None:
    desk.post("it.officer", ("FR-MININT",))
    people.user("admin@fr.example", "org_admin", org="FR-MININT")
    auth.sign_in("officer@fr.example")

    inbox = text(french, "/bulletins/")
    for words in (
        "Boîte de réception : FR-MININT",
        "<strong>1</strong> bulletin correspond",
        "<strong>1</strong> non lu",
        "Recrutement",
        "Effacer les filtres",
        "Enregistrer ces filtres sous le nom",
        "Trier par",
    ):
        assert words in inbox, words
    for english in ("bulletin matches", "Clear filters", "Recruitment", "Sort by"):
        assert english not in inbox, english

    search = text(french, "/bulletins/search?q=%40example_media&platform=telegram")
    assert "Rechercher un identifiant ou un nom" in search
    assert "Bulletins que votre organisation peut lire (1)" in search
    assert "Bulletins que votre organisation ne peut pas lire" in search
    assert "Bulletins your organisation can read" not in search

    keys = text(french, "/bulletins/keys")
    assert "Empreintes des clés" in keys and "Version de la clé" in keys
    assert "la vôtre" in keys and "Key fingerprints" not in keys

    auth.sign_in("admin@fr.example")
    groups = text(french, "/bulletins/groups")
    for words in (
        "Groupes de partage de FR-MININT",
        "Aucun groupe de partage pour l'instant.",
        "Organisations membres",
        "Créer le groupe",
    ):
        assert words in groups, words
    assert "Sharing groups of" not in groups and "Create group" not in groups
