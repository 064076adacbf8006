"""Briefings and the link-analysis workspace in French: the pages, their messages and errors,
and a briefing whose PDF is written in the language its requester chose."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from portal.extensions import db
from portal.models import BriefingCopy
from portal.services.analysis import org_graphs
from tests.conftest import World
from tests.portal.briefings.pdf_text import page_texts
from tests.portal.bulletins.conftest import Desk
from tests.portal.bulletins.sessions import Clients
from tests.portal.conftest import People, csrf_token


@pytest.fixture
def desk(app: Flask, people: People, desk_world: World[dict[str, int]]) -> Iterator[Desk]:
    org_graphs.forget()
    yield Desk.loaded(app, people, desk_world)
    org_graphs.forget()


@pytest.fixture
def french(app: Flask, people: People, desk: Desk) -> Clients:
    """The desk's clients; the FR analyst has chosen French in the footer's language form."""
    clients = Clients(app, people)
    analyst = clients["fr.analyst"]
    answer = analyst.post(
        "/language",
        data={"language": "fr", "next": "/briefings/", "csrf_token": clients.token("fr.analyst")},
    )
    assert answer.status_code == 302
    return clients


def _text(page: str) -> str:
    """The page as a reader sees it (the script messages' English keys left out)."""
    return html.unescape(page)


def _script_messages(client: FlaskClient, page: str) -> dict[str, str]:
    """The messages file the page loads, read as its script reads it."""
    found = re.search(r'<script src="(/language/[a-z]{2}/messages\.js[^"]*)"', page)
    assert found is not None
    script = client.get(html.unescape(found.group(1))).text
    prefix = "window.ischiaMessages = "
    assert script.startswith(prefix)
    return json.loads(script[len(prefix) :].rstrip().rstrip(";"))


def test_the_briefing_pages_speak_french(french: Clients, desk: Desk) -> None:
    analyst = french["fr.analyst"]
    compose = _text(analyst.get("/briefings/").text)
    assert '<html lang="fr">' in compose
    for words in (
        "Produire une note de synthèse",
        "Contenu de la note de synthèse",
        "Produire la note de synthèse PDF",
        "Les bulletins que je coche ci-dessous",
        "Afficher les bulletins correspondants",
    ):
        assert words in compose, words
    for words in ("Make a briefing", "What the briefing contains", "Show matching bulletins"):
        assert words not in compose, words
    verify = _text(analyst.get("/briefings/verify").text)
    assert "Vérifier le PDF d'une note de synthèse" in verify and "Verify a briefing" not in verify
    refused = analyst.post(
        "/briefings/",
        data={"csrf_token": csrf_token(compose), "title": "Point hebdo", "source": "selection"},
    )
    assert refused.status_code == 400
    assert "Sélectionnez au moins un bulletin." in _text(refused.text)


def test_a_french_user_gets_a_french_briefing(
    app: Flask, french: Clients, desk: Desk, tmp_path: Path
) -> None:
    bulletin = desk.post(title="Recruteurs à Lyon", recipients=("FR-MININT",))
    analyst = french["fr.analyst"]
    made = analyst.post(
        "/briefings/",
        data={
            "csrf_token": french.token("fr.analyst"),
            "title": "Point hebdomadaire",
            "source": "selection",
            "bulletin_ids": [bulletin],
        },
    )
    assert made.status_code == 200 and made.mimetype == "application/pdf"
    with app.app_context():
        copy = db.session.scalars(select(BriefingCopy)).one()
        assert copy.language == "fr"
    path = tmp_path / "briefing-fr.pdf"
    path.write_bytes(made.data)
    text = " ".join(" ".join(page_texts(path)).split())
    for words in ("Synthèse", "Points clés", "Sommaire", "Établie pour", "Note de synthèse Ischia"):
        assert words in text, words
    assert "Executive summary" not in text and "Key points" not in text
    status = _text(analyst.get(f"/briefings/{copy.id}?made=1").text)
    assert "Votre note de synthèse a été téléchargée : 1 bulletin" in status
    assert "Français" in status and "Téléchargée" in status
    assert "Your briefing was downloaded" not in status


def test_the_workspace_speaks_french(french: Clients, desk: Desk) -> None:
    analyst = french["fr.analyst"]
    raw = analyst.get("/analysis/").text
    page = _text(raw)
    for words in ("Analyse des liens", "Identifiant ou nom", "Légende", "Compte en ligne"):
        assert words in page, words
    for words in ("Link analysis", "Identifier or name", "Online account"):
        assert words not in page, words
    # The page's script has its messages in French too.
    messages = _script_messages(analyst, raw)
    assert messages["Path from here"] == "Chemin depuis cette entité"
    assert messages["Online account"] == "Compte en ligne"
    empty = analyst.get("/analysis/search?q=")
    assert empty.status_code == 400
    assert empty.json["error"]["message"] == "Saisissez un identifiant ou un nom à rechercher."
    wrong = analyst.get("/analysis/neighbourhood?node=x&since=hier")
    assert wrong.status_code == 400
    assert "Une date au format AAAA-MM-JJ." in wrong.json["error"]["message"]
