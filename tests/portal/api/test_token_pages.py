"""The API token pages: a token is shown once, listed without its secret, revoked at once, and
only by its own user, through forms that need their CSRF token."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import ApiToken, AuditRecord
from tests.portal.api.conftest import bearer
from tests.portal.bulletins.sessions import Clients

PAGE = "/account/tokens/"


@pytest.fixture
def clients(app, people, desk) -> Clients:
    return Clients(app, people)


def _tokens(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(ApiToken))


def _make(clients: Clients, who: str, **fields: str):
    data = {"csrf_token": clients.token(who), "name": "Case system", "days": "30"}
    data.update(fields)
    return clients[who].post(PAGE, data=data)


def _secret(html: str) -> str:
    match = re.search(
        r'<code class="fingerprint" id="new-token">(isk_[A-Za-z0-9_-]{43})</code>', html
    )
    assert match, "the new token is not on the page"
    return match.group(1)


def _revoke_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'action="/account/tokens/(\d+)/revoke"', html)]


def test_a_new_token_is_shown_once_and_then_listed_without_its_secret(app, client, clients):
    made = _make(clients, "fr.analyst", write="y")
    assert made.status_code == 200
    secret = _secret(made.text)
    assert "shown only once" in made.text
    listed = clients["fr.analyst"].get(PAGE)
    assert listed.status_code == 200
    assert secret not in listed.text and 'id="new-token"' not in listed.text
    assert "Case system" in listed.text and secret[:10] + "…" in listed.text
    assert "read, write" in listed.text
    # The secret is the credential the API takes, with the scope asked for.
    assert client.get("/api/v1/bulletins", headers=bearer(secret)).status_code == 200
    with app.app_context():
        row = db.session.scalars(select(ApiToken)).one()
        assert row.can_write and row.name == "Case system"
        assert secret.encode() not in row.token_hash  # only its digest is kept
        made_events = db.session.scalars(
            select(AuditRecord).where(AuditRecord.event == "api_token.created")
        ).all()
        assert [r.actor_email for r in made_events] == ["analyst@fr.example"]


def test_a_token_without_the_box_ticked_reads_only(clients):
    made = _make(clients, "fr.analyst")
    assert made.status_code == 200
    page = clients["fr.analyst"].get(PAGE).text
    assert '<td dir="auto">read</td>' in page and "read, write" not in page


def test_revoking_makes_the_token_unusable_on_the_api(app, client, clients):
    secret = _secret(_make(clients, "fr.analyst").text)
    assert client.get("/api/v1/bulletins", headers=bearer(secret)).status_code == 200
    [token_id] = _revoke_ids(clients["fr.analyst"].get(PAGE).text)
    answer = clients["fr.analyst"].post(
        f"{PAGE}{token_id}/revoke", data={"csrf_token": clients.token("fr.analyst")}
    )
    assert answer.status_code == 302 and answer.headers["Location"].endswith(PAGE)
    page = clients["fr.analyst"].get(PAGE).text
    assert "Token revoked." in page and '<td dir="auto">revoked</td>' in page
    assert _revoke_ids(page) == []  # nothing left to revoke
    response = client.get("/api/v1/bulletins", headers=bearer(secret))
    assert response.status_code == 401
    with app.app_context():
        events = db.session.scalars(
            select(AuditRecord.event).where(AuditRecord.event == "api_token.revoked")
        ).all()
    assert events == ["api_token.revoked"]


def test_making_a_token_needs_the_csrf_token(app, clients):
    fr = clients["fr.analyst"]
    fr.get(PAGE)  # a session exists; only the form's token is missing or wrong
    for data in ({"name": "No token", "days": "30"}, {"name": "Bad", "csrf_token": "forged"}):
        response = fr.post(PAGE, data=data)
        assert response.status_code == 400
        assert "isk_" not in response.text
    assert _tokens(app) == 0


def test_revoking_needs_the_csrf_token(app, client, clients):
    secret = _secret(_make(clients, "fr.analyst").text)
    [token_id] = _revoke_ids(clients["fr.analyst"].get(PAGE).text)
    for data in ({}, {"csrf_token": "forged"}):
        answer = clients["fr.analyst"].post(f"{PAGE}{token_id}/revoke", data=data)
        assert answer.status_code == 400
    assert client.get("/api/v1/bulletins", headers=bearer(secret)).status_code == 200
    with app.app_context():
        assert db.session.get_one(ApiToken, token_id).revoked_at is None


def test_another_users_token_cannot_be_revoked_or_seen(app, client, clients):
    secret = _secret(_make(clients, "fr.analyst", name="FR pipeline").text)
    [token_id] = _revoke_ids(clients["fr.analyst"].get(PAGE).text)
    for who in ("de.analyst", "fr.officer"):  # another organisation, and a colleague
        page = clients[who].get(PAGE)
        assert page.status_code == 200 and "FR pipeline" not in page.text
        answer = clients[who].post(
            f"{PAGE}{token_id}/revoke", data={"csrf_token": clients.token(who)}
        )
        assert answer.status_code == 404
        assert "FR pipeline" not in answer.text
    assert client.get("/api/v1/bulletins", headers=bearer(secret)).status_code == 200
    with app.app_context():
        assert db.session.get_one(ApiToken, token_id).revoked_at is None
    assert (
        clients["fr.analyst"]
        .post(f"{PAGE}{token_id + 1000}/revoke", data={"csrf_token": clients.token("fr.analyst")})
        .status_code
        == 404
    )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": ""}, "This field is required."),
        ({"name": "x" * 101}, "Field cannot be longer than 100 characters."),
        ({"days": "0"}, "Number must be between 1 and 365."),
        ({"days": "366"}, "Number must be between 1 and 365."),
        ({"days": "soon"}, "Not a valid integer value."),
    ],
)
def test_bad_input_is_a_400_naming_the_problem_and_makes_no_token(app, clients, fields, message):
    response = _make(clients, "fr.analyst", **fields)
    assert response.status_code == 400
    assert message in response.text and 'id="new-token"' not in response.text
    assert _tokens(app) == 0


def test_the_pages_need_a_signed_in_user(app, client):
    assert client.get(PAGE).status_code == 302
    assert client.post(PAGE, data={"name": "x", "days": "30"}).status_code in (302, 400)
    assert _tokens(app) == 0
