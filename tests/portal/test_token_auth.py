"""The API token's reading from a request, its rate-limit key and its refusals, on a bare Flask
app (no database): each rule of ``portal/token_auth.py`` tried on its own, so that a change to
any of them fails here (mutation testing: bench/mutation.sh). The whole token walk, with the
database, is in tests/portal/api/test_api.py."""

from __future__ import annotations

import base64
import hashlib

import pytest
from flask import Blueprint, Flask, g

from portal import token_auth
from portal.models import User
from portal.services.accounts import api_tokens
from portal.services.errors import AuditUnavailable
from portal.services.principals import Actor


@pytest.fixture(scope="module")
def bare() -> Flask:
    app = Flask(__name__)
    app.config["API_RATE_LIMIT"] = "7 per minute"
    return app


def basic(text: bytes) -> str:
    return "Basic " + base64.b64encode(text).decode()


@pytest.mark.parametrize(
    ("header", "token"),
    [
        ("Bearer isk_abc", "isk_abc"),
        ("bearer isk_abc", "isk_abc"),
        ("BEARER   isk_abc  ", "isk_abc"),
        ("Bearer ", None),
        ("Bearer", None),
        (basic(b"anyone:isk_abc"), "isk_abc"),
        ("basic " + base64.b64encode(b"u:isk_abc").decode(), "isk_abc"),
        ("BASIC  " + base64.b64encode(b"u:isk_abc").decode() + " ", "isk_abc"),
        (basic(b":isk_abc"), "isk_abc"),
        (basic(b"u:isk:abc"), "isk:abc"),  # the password is everything after the first colon
        (basic(b"isk_abc"), None),  # no colon: a user name alone is not a token
        (basic(b"u:"), None),
        (basic(b"u:\xff\xfe"), None),  # not UTF-8
        ("Basic !!!", None),  # not base64
        ("Basic dTpp*c2tfYWJj", None),  # "u:isk_abc" with a stray character: refused, not repaired
        ("Token isk_abc", None),
        ("isk_abc", None),
        ("", None),
    ],
)
def test_the_credential_is_a_bearer_token_or_the_basic_password(bare, header, token):
    headers = {"Authorization": header} if header else {}
    with bare.test_request_context("/api/v1/bulletins", headers=headers):
        assert token_auth.credential() == token


def test_requests_are_limited_per_token_however_it_is_sent(bare):
    key = "api:" + hashlib.sha256(b"isk_abc").hexdigest()
    for header in ("Bearer isk_abc", basic(b"someone:isk_abc")):
        with bare.test_request_context("/api/v1/bulletins", headers={"Authorization": header}):
            assert token_auth.rate_key() == key
    with bare.test_request_context("/api/v1/bulletins", environ_base={"REMOTE_ADDR": "192.0.2.7"}):
        assert token_auth.rate_key() == "api-anonymous:192.0.2.7"
    with bare.test_request_context("/api/v1/bulletins", environ_base={"REMOTE_ADDR": ""}):
        assert token_auth.rate_key() == "api-anonymous:"
    with bare.test_request_context("/"):
        assert token_auth.rate_limit() == "7 per minute"


def test_a_refusal_is_the_api_error_or_a_taxii_error_message(bare):
    with bare.test_request_context("/api/v1/bulletins"):
        response, status = token_auth._unauthorised()
        assert status == response.status_code == 401
        assert response.json == {
            "error": {"code": 401, "message": "A valid API token is required.", "field": None}
        }
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="ischia", Basic realm="ischia"'
        assert response.mimetype == "application/json"
    with bare.test_request_context("/taxii2/api/collections/"):
        response, status = token_auth._unauthorised()
        assert status == response.status_code == 401
        assert response.json == {"title": "A valid API token is required.", "http_status": "401"}
        assert response.headers["Content-Type"] == "application/taxii+json;version=2.1"
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="ischia", Basic realm="ischia"'


def test_guard_puts_the_token_check_audit_commit_and_cleanup_on_a_blueprint():
    """The API and TAXII blueprints are guarded when their modules are imported; a fresh one
    shows what guard() registers."""
    blueprint = Blueprint("fresh", __name__)
    token_auth.guard(blueprint)
    assert blueprint.before_request_funcs == {None: [token_auth.authenticate]}
    assert blueprint.after_request_funcs == {None: [token_auth.commit_audit]}
    assert blueprint.teardown_request_funcs == {None: [token_auth.end_request]}


def test_what_a_token_request_acts_as(bare):
    """The token's user, organisation and scope, and the request's address for the audit."""
    user = User(id=7, email="a@fr.example", name="A", organisation_id=3)
    with bare.test_request_context("/api/v1/bulletins", environ_base={"REMOTE_ADDR": "192.0.2.9"}):
        g.api_use = api_tokens.TokenUse(user, token_id=11, can_write=True)
        assert token_auth.user() is user
        assert token_auth.actor() == Actor(7, "a@fr.example", 3, "192.0.2.9")
        assert token_auth.can_write() is True
        g.api_use = api_tokens.TokenUse(user, token_id=11, can_write=False)
        assert token_auth.can_write() is False


def test_an_answer_whose_audit_cannot_be_committed_is_replaced_by_a_503(bare, monkeypatch, caplog):
    """The content never leaves when the token's use (or the read) is not in the audit trail:
    the answer becomes the API's (or TAXII's) 503, and the cause is logged."""
    cause = OSError("disk full")

    def fail() -> None:
        raise AuditUnavailable() from cause

    monkeypatch.setattr(token_auth.audit_commit, "flush", fail)
    message = AuditUnavailable().message
    with bare.test_request_context("/api/v1/bulletins/x"):
        answer = token_auth.commit_audit(bare.response_class("secret content"))
        assert answer.status_code == 503 and b"secret" not in answer.get_data()
        assert answer.json == {"error": {"code": 503, "message": message, "field": None}}
    with bare.test_request_context("/taxii2/api/collections/"):
        answer = token_auth.commit_audit(bare.response_class("secret content"))
        assert answer.json == {"title": message, "http_status": "503"}
    assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"] == [
        "audit records could not be committed: disk full"
    ] * 2
    monkeypatch.setattr(token_auth.audit_commit, "flush", lambda: None)
    with bare.test_request_context("/api/v1/bulletins/x"):
        kept = bare.response_class("content")
        assert token_auth.commit_audit(kept) is kept
