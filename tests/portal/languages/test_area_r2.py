"""The referral, transparency and hash bank pages in French: refer content (and one refusal),
my referrals, one referral and one item, the transparency page and its yearly report, the hash
banks; French where English was, and the English gone."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portal.services.hashbanks import banks
from portal.services.principals import CLI
from portal.services.referrals import queue
from portal.services.referrals.queue import Decision
from tests.portal.briefings.pdf_text import page_count, page_texts, words_past_the_edge
from tests.portal.conftest import Auth, People, csrf_token
from tests.portal.referrals.conftest import World, item
from tests.portal.service_checks import actor_of

DE = "de@de-bmi.example"


@pytest.fixture
def french(app: Flask, client: FlaskClient, auth: Auth, people: People) -> dict[str, str]:
    """DE-BMI's liaison officer, reading in French, with two items referred to PLATFORM-X (one
    removed after 42 minutes) and a hash bank."""
    world = World(app, people).setup()
    with app.app_context():
        referred = world.refer("de", [item("https://v.example/a"), item("https://v.example/b")])
        x = world.reader("x")
        removed = referred.items[0]
        queue.decide(
            x,
            actor_of(x),
            removed.id,
            Decision("removed"),
            now=removed.received_at + timedelta(minutes=42),
        )
        bank = banks.create_bank(CLI, "DE-BMI", "Images DE", readers=["PLATFORM-X"])
        ids = {"referral": referred.referral.id, "item": removed.id, "bank": str(bank.id)}
    auth.sign_in(DE)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr-FR,fr;q=0.9"
    return ids


def _page(client: FlaskClient, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status, response.text[:500]
    assert '<html lang="fr">' in response.text
    return response.text


def _speaks(html: str, french: list[str], english: list[str]) -> None:
    """The French texts on the page, and the English ones gone from its content (the menu
    around it is another page family's)."""
    if '<main id="main"' in html:
        html = html[html.index('<main id="main"') : html.index("</main>")]
    missing = [text for text in french if text not in html]
    left = [text for text in english if text in html]
    assert not missing and not left, (missing, left)


def test_the_refer_pages_speak_french(client: FlaskClient, french: dict[str, str]) -> None:
    refer = _page(client, "/referrals/new")
    _speaks(
        refer,
        ["Signaler un contenu", "Éléments de contenu", "Signer et envoyer", "Élément 1"],
        ["Refer content", "Content items", "Sign and send", "Item 1", "Add another item"],
    )
    assert "Injonction de retrait" in refer and "Plateforme" in refer

    # One refusal: no platform chosen, said in French next to the field, nothing sent.
    refused = client.post(
        "/referrals/new",
        data={
            "csrf_token": csrf_token(refer),
            "platform": "",
            "kind": "referral",
            "items-0-url": "https://v.example/c",
            "items-0-content_type": "video",
            "items-0-category": "recruitment",
            "items-0-reason": "Vidéo de recrutement.",
            "send": "1",
        },
    )
    assert refused.status_code == 400
    _speaks(
        refused.text,
        ["Rien n'a été envoyé", "Choisissez le partenaire plateforme auquel signaler"],
        ["Nothing was sent", "Choose a platform partner"],
    )

    mine = _page(client, "/referrals/mine")
    _speaks(
        mine,
        ["Mes signalements : DE-BMI", "Retiré", "42 min", "Délai de traitement", "Filtrer"],
        ["My referrals", "Time to action", "Removed", "Filter my referrals"],
    )
    # Dates in French, without the script too: '3 déc. 2026, 10:00 UTC'.
    assert "déc. 2026" in mine

    one = _page(client, f"/referrals/mine/{french['item']}")
    _speaks(
        one,
        ["Historique", "Envoyé et reçu par la plateforme", "Vérifié : signé par DE-BMI"],
        ["History", "Sent, and received by the platform", "Verified: signed by", "Outcome:"],
    )
    sent = _page(client, f"/referrals/sent/{french['referral']}")
    _speaks(
        sent,
        ["Signalement à l'intention de PLATFORM-X", "Échéance", "Éléments (2)"],
        ["Referral to PLATFORM-X", "Deadline", "Also referred by others"],
    )


def test_the_transparency_page_and_report_speak_french(
    client: FlaskClient, french: dict[str, str], tmp_path: Path
) -> None:
    page = _page(client, "/referrals/transparency/ministry/DE-BMI")
    _speaks(
        page,
        [
            "Transparence : Signalements de DE-BMI org (DE-BMI)",
            "90 derniers jours",
            "Éléments signalés par semaine",
            "Synthèse, les 90 derniers jours",
            "Comment ces chiffres sont établis",
            "Recrutement",
        ],
        ["Items referred per week", "How these figures are made", "Last 90 days", "Summary,"],
    )

    report = client.get("/referrals/transparency/ministry/DE-BMI/report.pdf?year=2026")
    assert report.status_code == 200 and report.data.startswith(b"%PDF-")
    path = tmp_path / "report.pdf"
    path.write_bytes(report.data)
    texts = page_texts(path)
    pages = page_count(path)
    for number, text in enumerate(texts, start=1):
        assert f"Page {number} sur {pages}" in text, number
        assert "TRANSPARENCE 2026" in text, number
    whole = " ".join(" ".join(text.split()) for text in texts)
    _speaks(
        whole,
        ["Rapport de transparence Ischia", "injonctions de retrait", "article 8, paragraphe 1"],
        ["Method notes", "Removal orders issued", "Items referred per week"],
    )
    assert words_past_the_edge(path) == []
    # German's longer column headings wrap between words instead of running off the page.
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "de"
    german = client.get("/referrals/transparency/ministry/DE-BMI/report.pdf?year=2026")
    assert german.status_code == 200
    path.write_bytes(german.data)
    assert "Ausnahmen" in " ".join(page_texts(path))
    assert words_past_the_edge(path) == []


def test_the_hash_bank_pages_speak_french(client: FlaskClient, french: dict[str, str]) -> None:
    index = _page(client, "/hash-banks/")
    _speaks(
        index,
        ["Banques d'empreintes", "Banques que vous pouvez consulter", "Images DE"],
        ["Hash banks", "Banks you may read", "Or paste hashes"],
    )
    bank = _page(client, f"/hash-banks/{french['bank']}")
    _speaks(
        bank,
        ["Propriété de DE-BMI", "0 entrée.", "Ajouter des entrées", "Aucune entrée pour l"],
        ["Owned by", "Add entries", "No entries yet"],
    )
    refused = client.post(
        f"/hash-banks/{french['bank']}/entries",
        data={"csrf_token": csrf_token(bank), "kind": "pdq", "hashes": "not-a-hash"},
    )
    assert refused.status_code == 400
    assert "Ligne 1 : Une empreinte PDQ compte 64 chiffres hexadécimaux." in refused.text
