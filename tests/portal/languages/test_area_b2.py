"""The read page and the access request pages in French: its actions, verification, version
changes, discovery panel and comments; releasing, retracting, asking and answering; and a
service's refusal said in French."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from flask import Flask

from portal.extensions import db
from portal.models import AccessRequest
from portal.models.base import utcnow
from portal.services.accounts import preferences
from tests.portal.bulletins.conftest import Desk, desk  # noqa: F401  # the desk fixture
from tests.portal.bulletins.sessions import Clients, amend
from tests.portal.conftest import People, csrf_token

ACCOUNT = {"ref": "a1", "type": "account", "platform": "telegram", "value": "@example_media"}


@pytest.fixture
def clients(app: Flask, people: People, desk: Desk) -> Clients:  # noqa: F811
    return Clients(app, people)


def text_of(page: str) -> str:
    """The page's words: tags removed, entities decoded, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


@pytest.fixture
def scene(app: Flask, desk: Desk, clients: Clients) -> dict[str, str]:  # noqa: F811
    """IT-MININT sent a bulletin to FR-MININT and DE-BMI and amended it, and sent DE-BMI alone
    another naming the same account; the French analyst chose French, the Italian officer's
    browser asks for it."""
    first = desk.post(title="Recruiter active on Telegram")
    second = amend(desk, first, title="Recruiter moved his channel")
    hidden = desk.post("it.officer", ["DE-BMI"], title="Hidden", entities=[ACCOUNT], relations=[])
    with app.app_context():
        preferences.choose_language(desk.users["fr.analyst"], "fr")
    clients["it.officer"].environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr-FR,fr;q=0.9"
    return {"first": first, "second": second, "hidden": hidden}


def test_the_read_page_speaks_french(
    app: Flask,
    desk: Desk,  # noqa: F811
    clients: Clients,
    scene: dict[str, str],
) -> None:
    fr = clients["fr.analyst"]
    bulletin = scene["second"]
    page = fr.get(f"/bulletins/{bulletin}").text
    for words in (
        '<html lang="fr">',
        "Accuser réception : reçu et traité par FR-MININT",
        "Vérifié : signé par IT-MININT",
        "Modifications par rapport à la version 1",
        "Ailleurs dans Ischia",
        "1 bulletin hors de votre accès, de IT-MININT",
        "Commentaires et observations (0)",
        "Signaler une observation",
        "Personnes",
        "recruteur",
        "utilise le compte",
        "Aucun destinataire n'a encore accusé réception de ce bulletin.",
    ):
        assert words in page, words
    for english in (
        "Acknowledge:",
        "Verified: signed by",
        "Changed from version",
        "Elsewhere in Ischia",
        "you cannot read",
        "Comments and sightings",
        "Report a sighting",
        "Persons",
        "uses account",
        "No recipient has acknowledged",
    ):
        assert english not in page, english

    # A comment and a sighting, then the acknowledgement: each said in French.
    token = csrf_token(page)
    done = fr.post(
        f"/bulletins/{bulletin}/comments",
        data={"csrf_token": token, "kind": "comment", "text": "Vu à Lyon."},
        follow_redirects=True,
    )
    assert "Commentaire ajouté, scellé pour les destinataires de ce bulletin." in done.text
    sighting = {"csrf_token": token, "kind": "sighting", "entity": "t1", "place": "Marseille"}
    done = fr.post(
        f"/bulletins/{bulletin}/comments",
        data={**sighting, "country": "fr", "seen_on": "2026-05-02"},
        follow_redirects=True,
    )
    words = text_of(done.text)
    assert "Observation de +33612345678 à Marseille (FR) le 2 mai 2026" in words
    assert "Commentaires et observations (2)" in words and "signature vérifiée" in words
    assert "Sighting of" not in words and "signature verified" not in words
    fr.post(f"/bulletins/{bulletin}/acknowledge", data={"csrf_token": token})
    page = text_of(fr.get(f"/bulletins/{bulletin}").text)
    assert "Réception confirmée par FR-MININT (Analyst) le" in page
    assert "Reçu et traité par FR-MININT (Analyst) le" in page
    assert "Acknowledged by" not in page and "Received and actioned" not in page

    # A service's refusal, in French: a sighting dated in the future.
    future = (utcnow() + timedelta(days=30)).date().isoformat()
    refused = fr.post(
        f"/bulletins/{bulletin}/comments",
        data={**sighting, "country": "", "seen_on": future},
    )
    assert refused.status_code == 400
    assert "La date d'une observation ne peut pas être dans le futur." in text_of(refused.text)
    assert "cannot be in the future" not in refused.text


def test_the_originator_pages_speak_french(
    app: Flask,
    desk: Desk,  # noqa: F811
    clients: Clients,
    scene: dict[str, str],
) -> None:
    it = clients["it.officer"]
    bulletin = scene["second"]
    page = it.get(f"/bulletins/{bulletin}").text
    assert '<html lang="fr">' in page
    for words in ("Modifier", "Retirer…", "Accusés de lecture", "Première ouverture"):
        assert words in page, words
    assert "Read receipts" not in page and ">Amend<" not in page
    retract = it.get(f"/bulletins/{bulletin}/retract").text
    assert "Retirer ce bulletin" in retract and "(v1, v2)" in retract
    assert "Motif, visible par chaque destinataire" in retract
    assert "Retract this bulletin" not in retract and "every version" not in retract
    refused = it.post(
        f"/bulletins/{bulletin}/retract",
        data={"csrf_token": csrf_token(retract), "reason": "Erreur d'identification."},
    )
    assert refused.status_code == 400
    assert "Cochez la case pour confirmer" in text_of(refused.text)
    page = it.get(f"/bulletins/{scene['hidden']}/release").text
    assert (
        "Diffuser à une organisation supplémentaire" in page
        and "Choisissez une organisation" in page
    )
    assert "Release to one more organisation" not in page


def test_asking_and_answering_speak_french(
    app: Flask,
    desk: Desk,  # noqa: F811
    clients: Clients,
    scene: dict[str, str],
) -> None:
    fr, it = clients["fr.analyst"], clients["it.officer"]
    bulletin = scene["second"]
    token = csrf_token(fr.get(f"/bulletins/{bulletin}").text)
    ask = {"csrf_token": token, "entity": "a1", "org": "IT-MININT"}
    asked = fr.post(f"/bulletins/{bulletin}/ask", data=ask, follow_redirects=True)
    words = text_of(asked.text)
    assert "Accès demandé à IT-MININT pour 1 bulletin." in words
    assert "Demande adressée à IT-MININT : en attente." in words
    again = fr.post(f"/bulletins/{bulletin}/ask", data=ask)
    assert again.status_code == 409
    assert "Votre organisation a déjà sollicité IT-MININT à ce sujet" in text_of(again.text)
    assert "already asked" not in again.text

    outgoing = text_of(fr.get("/bulletins/requests/outgoing").text)
    for words in ("Demandes d'accès", "Envoyées : nos demandes", "En attente", "Émetteur"):
        assert words in outgoing, words
    assert "Outgoing: our requests" not in outgoing and "Pending" not in outgoing

    incoming = it.get("/bulletins/requests").text
    words = text_of(incoming)
    for phrase in (
        "En attente de réponse (1)",
        "Approuver",
        "Refuser",
        "Reçues : pour nos bulletins",
    ):
        assert phrase in words, phrase
    assert "Waiting for an answer" not in words and "Approve" not in words
    with app.app_context():
        request_id = db.session.query(AccessRequest.id).scalar()
    approved = it.post(
        f"/bulletins/requests/{request_id}/approve",
        data={"csrf_token": csrf_token(incoming)},
        follow_redirects=True,
    )
    words = text_of(approved.text)
    assert f"Demande n° {request_id} approuvée : le bulletin a été diffusé." in words
    assert "Réponses récentes" in words and "Approuvée" in words
    assert "Recently answered" not in words
