"""The platform's referral pages in French: the queue with its clocks, an item with its case
and ledger, the evidence page, bulk upload and its report, the webhook page, and refusals
shown next to their fields. English stays the default (tests/portal/referrals)."""

from __future__ import annotations

import html
import io
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portal import i18n
from tests.conftest import World as Built
from tests.conftest import Worlds
from tests.portal.conftest import People, csrf_token, sign_in
from tests.portal.referrals.conftest import World, item

FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"}
EMAILS = {
    "de": "de@de-bmi.example",
    "x": "x@platform-x.example",
    "x.admin": "x.admin@platform-x.example",
}
CSV = (
    "url,category,content_type,account,language,attributed_group,reason,hashes\n"
    "https://video.example/fr1,recruitment,video,,,,Appel au départ,\n"
    "https://video.example/fr2,,video,,,,,\n"
)


@pytest.fixture(scope="session")
def parties(worlds: Worlds) -> Built[dict[str, int]]:
    return worlds.build("referral-parties", lambda app: World(app, People(app)).setup().users)


@pytest.fixture
def world(app: Flask, parties: Built[dict[str, int]]) -> World:
    parties.load(app)
    return World(app, People(app), dict(parties.value))


class French:
    """A signed-in client whose browser asks for French."""

    def __init__(self, world: World, who: str) -> None:
        self.client: FlaskClient = world.app.test_client()
        sign_in(self.client, world.people, EMAILS[who])

    def get(self, path: str) -> str:
        page = self.client.get(path, headers=FRENCH)
        assert page.status_code == 200, page.text
        assert '<html lang="fr">' in page.text
        return html.unescape(page.text)

    def post(self, path: str, **kwargs: object) -> tuple[int, str]:
        answer = self.client.post(path, headers=FRENCH, **kwargs)
        return answer.status_code, html.unescape(answer.text)


def in_french(app: Flask, moment: datetime) -> str:
    with app.test_request_context("/", headers=FRENCH):
        return i18n.when(moment)


def test_the_queue_case_and_evidence_pages_speak_french(world: World) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    with world.app.app_context():
        late = world.order("de", [item("https://late.example/v")], now=now - timedelta(hours=2))
        fresh = world.refer("de", [item("https://fresh.example/v")], now=now).items[0]
    x = French(world, "x")

    queue = x.get("/referrals/queue")
    for french in (
        "Signalements adressés à PLATFORM-X",
        "Les heures sont affichées dans votre fuseau horaire.",
        "Filtrer la file d'attente",
        "Effacer les filtres",
        "Prendre en charge la sélection",
        "Échéance",
        "Signalé par",
        "Injonction",  # the kind of the late item
        "en retard",  # its clock, as the server writes it
        "à échéance",
        "Toutes catégories",
        "Recrutement",
        "reçu",
    ):
        assert french in queue, french
    for english in ("Referrals to", "Clear filters", "Claim selected", "Referred by", "Any state"):
        assert english not in queue, english
    assert in_french(world.app, late.items[0].deadline_at) in queue

    case = x.get(f"/referrals/queue/{fresh.id}")
    for french in (
        "Signalement de DE-BMI",
        "← Retour à la file d'attente",
        "Le contenu",
        "Nature",
        "Vidéo",
        "Reçu le",
        in_french(world.app, fresh.received_at),
        "Agir sur cet élément",
        "Prendre en charge",
        "Choisissez une issue",
        "Pays où l'accès est bloqué",
        "Codes ISO 3166 séparés par des espaces",
        "Le dossier : 1 signalement de ce contenu",
        "Signé par DE-BMI (clé v1)",
        "Registre des opérations",
        "première ouverture",
        "Pièces justificatives",
        "Aucune pièce justificative jointe.",
    ):
        assert french in case, french
    for english in ("The content", "Act on this item", "Ledger", "first opened", "No evidence"):
        assert english not in case, english

    # A refusal from the service is shown next to its field, in French.
    token = csrf_token(case)
    status, refused = x.post(
        f"/referrals/queue/{fresh.id}/decide",
        data={"csrf_token": token, "outcome": "access_disabled", "countries": ""},
    )
    assert status == 400
    assert "Indiquez les pays où l'accès est bloqué." in refused
    assert "Name the countries" not in refused
    # So is a refused filter.
    refused_filter = x.client.get("/referrals/queue?state=lost", headers=FRENCH)
    assert refused_filter.status_code == 400
    assert "Choisissez l'une des valeurs suivantes" in html.unescape(refused_filter.text)

    evidence = French(world, "de").get(f"/referrals/items/{fresh.id}/evidence")
    assert f"Pièces justificatives de l'élément {fresh.id[:8]}" in evidence
    assert "Joindre une copie capturée (vidéo, image, PDF, page enregistrée" in evidence
    assert "Attach a captured copy" not in evidence


def test_bulk_upload_and_its_report_speak_french(world: World) -> None:
    de = French(world, "de")
    form = de.get("/referrals/bulk")
    for french in ("Envoi groupé de signalements", "Journée d'action", "Les colonnes du CSV"):
        assert french in form, french
    assert "Bulk referral upload" not in form and "For blank cells" not in form

    status, missing = de.post(
        "/referrals/bulk",
        data={"csrf_token": csrf_token(form), "platform": "PLATFORM-X"},
        content_type="multipart/form-data",
    )
    assert status == 400 and "Choisissez un fichier CSV ou un bundle STIX." in missing

    answer = de.client.post(
        "/referrals/bulk",
        headers=FRENCH,
        data={
            "csrf_token": csrf_token(form),
            "platform": "PLATFORM-X",
            "kind": "referral",
            "label": "Journée du 3",
            "file": (io.BytesIO(CSV.encode()), "jour.csv"),
        },
        content_type="multipart/form-data",
    )
    assert answer.status_code == 303
    job_url = answer.headers["Location"]
    waiting = de.get(job_url)
    assert "Envoi groupé : Journée du 3" in waiting
    assert "Enregistrer les lignes maintenant" in waiting
    assert "En attente" in waiting and "Store the rows now" not in waiting
    de.post(job_url + "/run", data={"csrf_token": csrf_token(waiting)})
    report = de.get(job_url)
    for french in ("Rapport par ligne", "Terminé", "acceptée", "refusée", "(la cellule est vide"):
        assert french in report, french
    assert "Report per row" not in report and "the cell is blank" not in report


def test_the_webhook_page_speaks_french(world: World) -> None:
    admin = French(world, "x.admin")
    page = admin.get("/referrals/webhook")
    for french in (
        "Aucun point de terminaison n'est enregistré : rien n'est envoyé.",
        "Adresse du point de terminaison (https://)",
        "Rien n'a encore été envoyé.",
        "Vérifier un envoi",
        "Télécharger la clé publique (key.json)",
    ):
        assert french in page, french
    assert "No endpoint is registered" not in page and "Checking a delivery" not in page
    status, refused = admin.post(
        "/referrals/webhook",
        data={"csrf_token": csrf_token(page), "url": "http://hooks.example.com/"},
    )
    assert status == 400
    assert "Le point de terminaison doit être une adresse https://" in refused
