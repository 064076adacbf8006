"""Signing in, the desk, administration, API tokens and the watchlist speak French to a French
reader, English phrases gone; the watchlist e-mail is written in its recipient's language."""

from __future__ import annotations

import html
import re
from email.header import decode_header, make_header

from flask import Flask
from flask.testing import FlaskClient

from portal import i18n
from portal.services.accounts import directory as accounts
from portal.services.accounts import preferences
from portal.services.watchlists import mail
from tests.portal.bulletins.conftest import Desk, desk  # noqa: F401  (the fixture)
from tests.portal.conftest import Auth, People, csrf_token
from tests.portal.watchlists.test_mail import relay, smtp_server, watched_post  # noqa: F401

# An ISO moment as the pages used to write it ("2026-12-04 11:54"): no longer shown as text.
ISO_MOMENT = re.compile(r">[^<]*\d{4}-\d{2}-\d{2} \d{2}:\d{2}")


def text(answer: object) -> str:
    return html.unescape(answer.text)  # type: ignore[attr-defined]


def in_french(client: FlaskClient) -> None:
    client.set_cookie(i18n.COOKIE, "fr")


def assert_french(page: str, french: list[str], english: list[str]) -> None:
    assert '<html lang="fr">' in page
    for phrase in french:
        assert phrase in page, phrase
    for phrase in english:
        assert phrase not in page, phrase


def test_signing_in_speaks_french(client: FlaskClient, people: People) -> None:
    people.user("eve@fr.example.org", "analyst")
    page = client.get("/login", headers={"Accept-Language": "fr"})
    assert_french(
        text(page),
        ["<h1>Se connecter</h1>", "Adresse électronique", "Mot de passe", ">Continuer<"],
        ["<h1>Sign in</h1>", "E-mail address", ">Continue<", "authenticator app"],
    )
    refused = client.post(
        "/login",
        data={
            "email": "eve@fr.example.org",
            "password": "wrong",
            "csrf_token": csrf_token(page.text),
        },
        headers={"Accept-Language": "fr"},
    )
    assert "L'adresse électronique ou le mot de passe est incorrect." in text(refused)
    assert "is incorrect" not in text(refused)


def test_the_desk_and_the_administration_speak_french(
    app: Flask, client: FlaskClient, auth: Auth, people: People
) -> None:
    people.user("admin@fr.example.org", "org_admin")
    people.user("ana@fr.example.org", "analyst")
    auth.sign_in("admin@fr.example.org")
    english_menu = client.get("/").text
    assert ">Dashboard<" in english_menu  # the menu is kept per language: English first
    in_french(client)

    desk_page = text(client.get("/"))
    assert_french(
        desk_page,
        [
            "Bienvenue, ",
            "Votre organisation",
            "Vos rôles",
            "Administrateur de l'organisation",
            "Connexions récentes",
            "Connecté",
            ">Tableau de bord<",
            ">Journal d'audit<",
            "destinataires nommés uniquement",
        ],
        [
            "Welcome,",
            "Your roles",
            "Recent sign-in activity",
            ">Dashboard<",
            ">Audit trail<",
            "Organisation administrator",
            "named recipients only",
        ],
    )
    assert not ISO_MOMENT.search(desk_page)

    users = text(client.get("/admin/users"))
    assert_french(
        users,
        [
            "Utilisateurs de ",
            "Ajouter un utilisateur",
            "Analyste",
            "Actif",
            "Nom complet",
            "Mot de passe temporaire (à changer à la première connexion)",
        ],
        ["Add a user", "Full name", "Active<", "Temporary password"],
    )
    assert "L'adresse électronique n'est pas valide" in text(
        client.post(
            "/admin/users",
            data={
                "email": "not-an-address",
                "name": "Léa",
                "roles": ["analyst"],
                "password": "a long enough passphrase",
                "csrf_token": csrf_token(users),
            },
        )
    )
    missing = client.get("/admin/users/9999")
    assert missing.status_code == 404
    assert_french(text(missing), ["Introuvable", "Utilisateur introuvable."], ["Not found"])

    trail = client.get("/admin/audit")
    assert_french(
        text(trail),
        [
            "Journal d'audit : FR-MININT",
            "Vérifier la chaîne",
            "Exporter ces enregistrements",
            "Connecté",
            "Utilisateur créé",
            "Succès",
            "Depuis le (date)",
        ],
        ["Verify the chain", "Export these records", "Signed in<", "User created", "Success<"],
    )
    checked = client.post("/admin/audit/verify", data={"csrf_token": csrf_token(trail.text)})
    assert "La chaîne d'audit est intacte" in text(checked)
    assert "chain is intact" not in text(checked)

    client.delete_cookie(i18n.COOKIE)
    assert ">Dashboard<" in client.get("/").text  # and back in English: not the French menu


def test_api_tokens_speak_french(client: FlaskClient, auth: Auth, people: People) -> None:
    people.user("ana@fr.example.org", "analyst")
    auth.sign_in("ana@fr.example.org")
    in_french(client)
    page = client.get("/account/tokens/")
    assert_french(
        text(page),
        [
            "<h1>Jetons d'API</h1>",
            "Nom (ce qui l'utilisera)",
            "Expire après (jours)",
            "Autoriser l'écriture",
            "Créer un jeton",
            "Description OpenAPI",
        ],
        ["Make a token", "Name (what will use it)", "Allow writing", "Keep it secret"],
    )
    made = client.post(
        "/account/tokens/",
        data={"name": "case system", "days": "30", "csrf_token": csrf_token(page.text)},
    )
    assert_french(
        text(made),
        ["Votre nouveau jeton", "Copiez-le maintenant", "Vos jetons", ">lecture<", "jamais"],
        ["Your new token", "Your tokens", ">read<", "never"],
    )
    assert not ISO_MOMENT.search(made.text)


def test_the_watchlist_and_its_notifications_speak_french(
    app: Flask,
    client: FlaskClient,
    auth: Auth,
    desk: Desk,  # noqa: F811  (the fixture)
) -> None:
    watched_post(app, desk)
    auth.sign_in("analyst@fr.example")
    in_french(client)
    notices = text(client.get("/watchlist/notifications"))
    assert_french(
        notices,
        [
            "<h1>Notifications</h1>",
            "Votre liste de surveillance",
            "Tout marquer comme vu",
            ">nouveau<",
            "(publié)",
            "Date (UTC)",
        ],
        ["Mark all as seen", ">new<", "(posted)", "Your watchlist", "When (UTC)"],
    )
    assert not ISO_MOMENT.search(notices)
    watchlist = text(client.get("/watchlist"))
    assert_french(
        watchlist,
        ["Liste de surveillance", "Ce que vous surveillez (1)", "Ne plus surveiller"],
        ["What you watch", "Unwatch"],
    )


def test_the_watchlist_email_is_written_in_its_recipients_language(
    app: Flask,
    desk: Desk,  # noqa: F811  (the fixture)
    smtp_server,  # noqa: F811  (the fixture)
) -> None:
    controller, inbox = smtp_server
    with app.app_context():
        preferences.choose_language(accounts.user_by_email("analyst@fr.example").id, "fr")
    relay(app, controller.port)
    watched_post(app, desk)
    with app.app_context():
        assert mail.send_due() == mail.Drained(sent=1, retried=0, failed=0)
    (message,) = inbox.received
    subject = str(make_header(decode_header(message["Subject"])))
    assert subject == "Ischia : un élément que vous surveillez figure dans un bulletin"
    assert message["Content-Language"] == "fr"
    body = message.get_payload(decode=True).decode(message.get_content_charset())
    assert "Un élément de votre liste de surveillance Ischia figure dans un bulletin" in body
    assert "Connectez-vous pour le consulter : " in body and "/watchlist/notifications" in body
    assert "watchlist appeared" not in body and "Sign in" not in body
