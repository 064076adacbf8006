"""GET/POST /api/v1/bulletins/<id>/comments: sealed comments and sightings through tokens,
only for organisations that can read the bulletin; bad input names the field and writes
nothing; a retracted bulletin takes no comment (409); a read-only token cannot post."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import BulletinComment
from tests.portal.api.conftest import bearer
from tests.portal.bulletins.sessions import retract


def count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(BulletinComment)) or 0


def test_comments_and_sightings_through_the_api(app, client, desk, token):
    bid = desk.post(recipients=("FR-MININT",))
    fr = bearer(token("fr.analyst", write=True))
    made = client.post(
        f"/api/v1/bulletins/{bid}/comments", json={"text": "Seen in Lyon"}, headers=fr
    )
    assert made.status_code == 201, made.json
    assert made.json["text"] == "Seen in Lyon" and made.json["verified"] is True
    sighted = client.post(
        f"/api/v1/bulletins/{bid}/comments",
        json={"kind": "sighting", "entity": "a1", "place": "Lyon", "country": "FR",
              "seen_on": "2026-05-02"},
        headers=bearer(token("it.officer", write=True)),
    )  # fmt: skip
    assert sighted.status_code == 201, sighted.json
    listed = client.get(f"/api/v1/bulletins/{bid}/comments", headers=bearer(token("fr.officer")))
    assert listed.status_code == 200
    assert [(c["kind"], c["organisation"], c["version"]) for c in listed.json["comments"]] == [
        ("comment", "FR-MININT", 1),
        ("sighting", "IT-MININT", 1),
    ]
    second = listed.json["comments"][1]
    assert (second["entity"], second["entity_label"], second["seen_on"]) == (
        "a1",
        "@example_media",
        "2026-05-02",
    )
    uk = bearer(token("uk.analyst", write=True))
    assert client.get(f"/api/v1/bulletins/{bid}/comments", headers=uk).status_code == 404
    refused = client.post(f"/api/v1/bulletins/{bid}/comments", json={"text": "x"}, headers=uk)
    assert refused.status_code == 404
    assert count(app) == 2


def test_bad_input_is_a_400_naming_the_field(app, client, desk, token):
    bid = desk.post(recipients=("FR-MININT",))
    fr = bearer(token("fr.analyst", write=True))
    future = (date.today() + timedelta(days=5)).isoformat()
    for body, field in [
        ({"text": ""}, "text"),
        ({"text": "x" * 4001}, "text"),
        ({"kind": "sighting", "entity": "zz", "place": "Lyon", "seen_on": "2026-01-01"}, "entity"),
        ({"kind": "sighting", "entity": "a1", "place": "Lyon", "seen_on": future}, "seen_on"),
        ({"kind": "sighting", "entity": "a1", "place": "Lyon", "seen_on": "2026-01-01",
          "country": "FRA"}, "country"),
    ]:  # fmt: skip
        answer = client.post(f"/api/v1/bulletins/{bid}/comments", json=body, headers=fr)
        assert answer.status_code == 400, body
        assert answer.json["error"]["field"] == field
    assert count(app) == 0


def test_a_read_only_token_cannot_comment(app, client, desk, token):
    bid = desk.post(recipients=("FR-MININT",))
    answer = client.post(
        f"/api/v1/bulletins/{bid}/comments", json={"text": "x"}, headers=bearer(token("fr.analyst"))
    )
    assert answer.status_code == 403
    assert count(app) == 0


def test_a_retracted_bulletin_takes_no_comment(app, client, desk, token):
    bid = desk.post(recipients=("FR-MININT",))
    retract(desk, bid)
    answer = client.post(
        f"/api/v1/bulletins/{bid}/comments",
        json={"text": "too late"},
        headers=bearer(token("fr.analyst", write=True)),
    )
    assert answer.status_code == 409
    assert "retracted" in answer.json["error"]["message"]
    assert count(app) == 0


def test_the_openapi_document_describes_the_comments(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    operations = paths["/api/v1/bulletins/{bulletin_id}/comments"]
    assert set(operations) >= {"get", "post"}
    assert set(operations["post"]["responses"]) >= {"201", "400", "404", "409"}
