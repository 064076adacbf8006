"""Enumeration: for every desk user, every bulletin and every route of the app that takes a
``bulletin_id`` (found in ``app.url_map``, so routes added later are covered without editing
this file), the answer is 404 unless the user's organisation may read the bulletin, and no
404 page carries a title. Unknown and malformed ids are 404 on every such route too."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.routing import AnyConverter, Rule, UUIDConverter
from werkzeug.routing.converters import NumberConverter

from portal.extensions import db
from portal.models import BulletinRecipient, Organisation
from portal.services.accounts import api_tokens
from portal.services.accounts import directory as accounts
from portal.services.principals import CLI
from tests.portal.bulletins.conftest import PNG
from tests.portal.bulletins.sessions import EMAILS, Clients, amend, retract

ORG_OF = {
    "it": "IT-MININT",
    "fr": "FR-MININT",
    "de": "DE-BMI",
    "uk": "UK-HO",
    "platform": "PLATFORM-X",
}
MALFORMED = [
    "0" * 32,
    "f" * 32,
    "0" * 31,
    "0" * 33,
    "ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ",
    "' OR '1'='1",
    "..",
    "%00",
    "1",
]


def bulletin_rules(app: Flask) -> list[Rule]:
    rules = [rule for rule in app.url_map.iter_rules() if "bulletin_id" in rule.arguments]
    assert rules, "no route takes a bulletin_id"
    return rules


def _fillers(rule: Rule, name: str) -> list[object]:
    converter = rule._converters.get(name)
    if isinstance(converter, AnyConverter):
        return sorted(converter.items)
    if isinstance(converter, NumberConverter):
        return [0]
    if isinstance(converter, UUIDConverter):
        return [uuid.UUID(int=0)]
    return ["0"]


def urls(rule: Rule, bulletin_id: str) -> Iterator[str]:
    """Every URL of ``rule`` for ``bulletin_id``, other arguments filled in (each ``any`` item)."""
    others = sorted(rule.arguments - {"bulletin_id"})
    for combination in itertools.product(*(_fillers(rule, name) for name in others)):
        values = dict(zip(others, combination, strict=True), bulletin_id=bulletin_id)
        built = rule.build(values, append_unknown=False)
        assert built is not None
        yield built[1]


def methods(rule: Rule) -> list[str]:
    return sorted((rule.methods or set()) & {"GET", "POST", "PUT", "PATCH", "DELETE"})


def request(client, method: str, url: str, token: str, api_token: str | None = None):
    """A signed-in browser request; for an API route, the user's API token instead."""
    if url.startswith("/api/"):
        assert api_token is not None
        return client.open(url, method=method, headers={"Authorization": f"Bearer {api_token}"})
    data = {"csrf_token": token} if method != "GET" else None
    return client.open(url, method=method, data=data)


def api_tokens_of(app: Flask, people) -> dict[str, str]:
    """A write-scope API token for every desk user (the API's routes are walked too)."""
    made = {}
    with app.app_context():
        for who, email in EMAILS.items():
            user = accounts.user_by_email(email)
            made[who] = api_tokens.create(user, CLI, "enumeration", write=True).token
    return made


@pytest.fixture
def desk_set(app, people, desk):
    """The desk's traffic: who sent what to whom, with the organisations that may read each."""
    bulletins: dict[str, tuple[str, set[str]]] = {}

    def post(label: str, who: str, recipients: tuple[str, ...], **fields: object) -> str:
        title = f"Enumeration title {label}"
        bulletin_id = desk.post(who, recipients, title=title, **fields)
        bulletins[bulletin_id] = (title, {ORG_OF[who.split(".")[0]], *recipients})
        return bulletin_id

    post("IT to FR and DE", "it.officer", ("FR-MININT", "DE-BMI"), uploads=[("a.png", PNG)])
    post("FR to IT", "fr.officer", ("IT-MININT",))
    post("DE to UK", "de.officer", ("UK-HO",))
    post("IT red to FR", "it.officer", ("FR-MININT",), marking="TLP:RED")
    retracted = post("IT retracted to DE", "it.officer", ("DE-BMI",))
    retract(desk, retracted)
    first = post("IT v1 to FR and DE", "it.officer", ("FR-MININT", "DE-BMI"))
    second = amend(desk, first, title="Enumeration title IT v2 to FR", recipients=("FR-MININT",))
    bulletins[second] = ("Enumeration title IT v2 to FR", {"IT-MININT", "FR-MININT"})
    with app.app_context():
        stored = {
            (bulletin_id, code)
            for bulletin_id, code in db.session.execute(
                select(BulletinRecipient.bulletin_id, Organisation.code).join(
                    Organisation, Organisation.id == BulletinRecipient.org_id
                )
            )
        }
    expected = {(b, org) for b, (_, orgs) in bulletins.items() for org in orgs}
    assert stored == expected
    return bulletins


def test_every_route_answers_not_found_to_organisations_that_may_not_read(app, people, desk_set):
    clients = Clients(app, people)
    titles = [title for title, _ in desk_set.values()]
    rules = bulletin_rules(app)
    keys = api_tokens_of(app, people)
    checked = 0
    for who in EMAILS:
        client, token = clients[who], clients.token(who)
        org = ORG_OF[who.split(".")[0]]
        for bulletin_id, (_, readers) in desk_set.items():
            for rule in rules:
                for url in urls(rule, bulletin_id):
                    for method in methods(rule):
                        response = request(client, method, url, token, keys[who])
                        where = f"{who} {method} {url} ({rule.endpoint})"
                        assert response.status_code < 500, where
                        if org not in readers:
                            assert response.status_code == 404, where
                            for title in titles:
                                assert title not in response.text, where
                            checked += 1
    assert checked > 0


def test_unknown_and_malformed_ids_are_not_found_everywhere(app, people, desk_set):
    clients = Clients(app, people)
    titles = [title for title, _ in desk_set.values()]
    real = next(iter(desk_set))
    keys = api_tokens_of(app, people)
    for who in ("it.officer", "uk.analyst", "platform"):
        client, token = clients[who], clients.token(who)
        for bulletin_id in [*MALFORMED, real.upper(), real + "0", real[:-1]]:
            for rule in bulletin_rules(app):
                for url in urls(rule, bulletin_id):
                    for method in methods(rule):
                        response = request(client, method, url, token, keys[who])
                        assert response.status_code == 404, f"{who} {method} {url}"
                        assert not any(title in response.text for title in titles)


def test_the_walk_covers_this_helpers_routes(app):
    endpoints = {rule.endpoint for rule in bulletin_rules(app)}
    assert {"bulletins.read", "bulletins.acknowledge", "bulletins.attachment"} <= endpoints
    assert {"api.get_bulletin", "api.acknowledge"} <= endpoints
