"""Signed-in test clients for several desk users at once, signed in by the authentication service
(``tests.portal.conftest.sign_in``): signing in is not what these tests are about."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from portal.extensions import db
from portal.models import Bulletin
from portal.services.bulletins import lifecycle, sealing
from portal.services.principals import Actor
from tests.portal.bulletins.conftest import Desk, document
from tests.portal.conftest import People, csrf_token, sign_in

EMAILS = {
    "it.officer": "officer@it.example",
    "it.analyst": "analyst@it.example",
    "fr.officer": "officer@fr.example",
    "fr.analyst": "analyst@fr.example",
    "de.officer": "officer@de.example",
    "de.analyst": "analyst@de.example",
    "uk.officer": "officer@uk.example",
    "uk.analyst": "analyst@uk.example",
    "platform": "trust@platform.example",
}


class Clients:
    """One signed-in client per desk user, created on first use."""

    def __init__(self, app: Flask, people: People) -> None:
        self.app = app
        self.people = people
        self._clients: dict[str, FlaskClient] = {}

    def __getitem__(self, who: str) -> FlaskClient:
        client = self._clients.get(who)
        if client is None:
            client = self.app.test_client()
            sign_in(client, self.people, EMAILS[who])
            self._clients[who] = client
        return client

    def token(self, who: str) -> str:
        """A CSRF token of ``who``'s session, taken from a page."""
        return csrf_token(self[who].get("/").text)


def post_at(desk: Desk, when: datetime, who: str = "it.officer", **fields: Any) -> str:
    """Post as ``desk.post`` does, sealed at ``when`` (for date filters and ordering)."""
    recipients = fields.pop("recipients", ("FR-MININT", "DE-BMI"))
    marking = fields.pop("marking", "TLP:AMBER")
    category = fields.pop("category", "recruitment")
    with desk.app.app_context():
        reader = desk.reader(who)
        draft = sealing.Draft(
            document=document(**fields),
            category=category,
            marking=marking,
            recipients=list(recipients),
        )
        return sealing.post_bulletin(reader, Actor(reader.user_id), draft, now=when).id


def amend(desk: Desk, bulletin_id: str, who: str = "it.officer", **fields: Any) -> str:
    """A new version of ``bulletin_id`` through the sealing service (as the amend form does)."""
    recipients = fields.pop("recipients", ("FR-MININT", "DE-BMI"))
    with desk.app.app_context():
        reader = desk.reader(who)
        previous = db.session.get(Bulletin, bulletin_id)
        assert previous is not None
        draft = sealing.Draft(
            document=document(**fields),
            category=previous.category,
            marking=previous.marking,
            recipients=list(recipients),
        )
        series = sealing.seal_and_store(reader, Actor(reader.user_id), draft, series=previous)
        return series.id


def retract(desk: Desk, bulletin_id: str, who: str = "it.officer") -> None:
    """Retract through the lifecycle service: every key shredded, the row kept as a tombstone."""
    with desk.app.app_context():
        reader = desk.reader(who)
        lifecycle.retract(reader, Actor(reader.user_id), bulletin_id, confirmed=True)
