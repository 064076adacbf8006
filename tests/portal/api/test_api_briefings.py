"""Briefings through the API: a PDF now, or a queued job to follow and download."""

from __future__ import annotations

import os

from redis import Redis
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import BriefingCopy
from portal.services.briefings.signing import verify_with_portal_keys
from tests.portal.api.conftest import bearer

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def test_a_small_briefing_comes_back_as_a_signed_pdf(app, client, desk, token):
    bid = desk.post(title="Brief me")
    response = client.post(
        "/api/v1/briefings",
        json={"title": "API brief", "ids": [bid]},
        headers=bearer(token("fr.analyst", write=True)),
    )
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    with app.app_context():
        assert verify_with_portal_keys(response.data).claims["bulletins"] == 1


def test_briefing_requests_follow_the_web_rules(client, desk, token):
    hidden = desk.post(title="DE only", recipients=("DE-BMI",))
    analyst = bearer(token("fr.analyst", write=True))
    assert (
        client.post(
            "/api/v1/briefings", json={"title": "x", "ids": [hidden]}, headers=analyst
        ).status_code
        == 404
    )
    missing = client.post("/api/v1/briefings", json={"title": "x"}, headers=analyst)
    assert missing.status_code == 400 and missing.json["error"]["field"] == "ids"
    untitled = client.post("/api/v1/briefings", json={"title": " ", "ids": []}, headers=analyst)
    assert untitled.status_code == 400 and untitled.json["error"]["field"] == "title"
    officer = bearer(token("fr.officer"))
    assert (
        client.post(
            "/api/v1/briefings", json={"title": "x", "ids": [hidden]}, headers=officer
        ).status_code
        == 403
    )


def test_a_read_only_token_may_not_make_a_briefing(app, client, desk, token):
    """A briefing is a signed copy recorded in the database: making one is a write."""
    bid = desk.post(title="Brief me")
    refused = client.post(
        "/api/v1/briefings",
        json={"title": "API brief", "ids": [bid]},
        headers=bearer(token("fr.analyst")),
    )
    assert refused.status_code == 403
    assert "write scope" in refused.json["error"]["message"]
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(BriefingCopy)) == 0


def test_a_large_briefing_is_queued_and_downloaded(app, client, desk, token):
    app.config.update(REDIS_URL=REDIS_URL, BRIEFING_QUEUE_ABOVE=0)
    Redis.from_url(REDIS_URL).flushdb()
    try:
        bid = desk.post(title="Queued through the API")
        analyst = bearer(token("fr.analyst", write=True))
        queued = client.post(
            "/api/v1/briefings", json={"title": "Q", "ids": [bid]}, headers=analyst
        )
        assert queued.status_code == 202 and queued.json["state"] == "queued"
        assert client.get(queued.json["download_url"], headers=analyst).status_code == 404
        assert app.test_cli_runner().invoke(args=["worker", "--burst"]).exit_code == 0
        state = client.get(queued.json["status_url"], headers=analyst).json
        assert state["state"] == "ready" and state["pages"]
        pdf = client.get(queued.json["download_url"], headers=analyst)
        assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
        other = bearer(token("de.analyst"))
        assert client.get(queued.json["status_url"], headers=other).status_code == 404
    finally:
        Redis.from_url(REDIS_URL).flushdb()
