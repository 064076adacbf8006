"""Grading and tags through the API: required and checked when posting (400 naming the field,
nothing written), returned with their meanings, listed as a compact code, filtered by tag only
within what the token's organisation reads, and described in the OpenAPI document."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Bulletin, BulletinToken
from tests.portal.api.conftest import bearer
from tests.portal.bulletins.conftest import document

GROUP = 'group:jihadist="islamic-state"'


def _counts(app) -> tuple[int, int]:
    with app.app_context():
        return tuple(
            db.session.scalar(select(func.count()).select_from(model))
            for model in (Bulletin, BulletinToken)
        )


def _draft(**document_changes):
    return {
        "document": document("Graded through the API", **document_changes),
        "category": "recruitment",
        "marking": "TLP:AMBER",
        "recipients": ["FR-MININT"],
    }


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"grading": None}, "grading", "Grade the bulletin"),
        ({"grading": {"source": "A", "information": "1"}}, "grading.handling", "H0 ("),
        (
            {"grading": {"source": "A", "information": "1", "handling": "H3"}},
            "grading.conditions",
            "H3 needs",
        ),
        ({"tags": ["tlp:amber"]}, "tags[0]", "'tlp:amber': unknown namespace 'tlp'"),
        ({"tags": "group:jihadist"}, "tags", None),  # a string is one tag per line: accepted
        ({"tags": [1]}, "tags[0]", "A tag is text"),
        ({"tags": {"a": 1}}, "tags", "A list of tags"),
    ],
)
def test_bad_grading_or_tags_are_400_naming_the_field(
    app, client, desk, token, changes, field, words
):
    headers = bearer(token("it.officer", write=True))
    before = _counts(app)
    response = client.post("/api/v1/bulletins", json=_draft(**changes), headers=headers)
    if words is None:
        assert response.status_code == 201, response.json
        return
    assert response.status_code == 400, response.json
    assert response.json["error"]["field"] == field
    assert words in response.json["error"]["message"]
    assert _counts(app) == before


def test_grading_and_tags_come_back_with_their_meanings(client, desk, token):
    grading = {"source": "B", "information": "2", "handling": "H2"}
    made = client.post(
        "/api/v1/bulletins",
        json=_draft(grading=grading, tags=[GROUP]),
        headers=bearer(token("it.officer", write=True)),
    )
    assert made.status_code == 201
    body = client.get(
        f"/api/v1/bulletins/{made.json['id']}", headers=bearer(token("fr.analyst"))
    ).json
    content = body["content"]
    assert content["grading"]["code"] == "B2 · H2"
    assert content["grading"]["handling"] == "H2" and content["grading"]["conditions"] is None
    assert content["grading"]["meanings"]["handling"].startswith("not to be disseminated")
    assert content["tags"] == [GROUP]
    listed = client.get("/api/v1/bulletins", headers=bearer(token("fr.analyst"))).json
    assert {b["id"]: b["grading"] for b in listed["bulletins"]}[made.json["id"]] == "B2 · H2"


def test_the_tag_filter_stays_within_the_organisation(client, desk, token):
    for_fr = desk.post(recipients=("FR-MININT",), tags=[GROUP])
    for_de = desk.post(recipients=("DE-BMI",), tags=[GROUP])
    desk.post(recipients=("FR-MININT", "DE-BMI"))

    def tagged(who):
        response = client.get(
            "/api/v1/bulletins", query_string={"tag": GROUP}, headers=bearer(token(who))
        )
        assert response.status_code == 200, response.json
        return {b["id"] for b in response.json["bulletins"]}

    assert tagged("fr.analyst") == {for_fr}
    assert tagged("de.analyst") == {for_de}
    assert tagged("uk.analyst") == set()
    refused = client.get("/api/v1/bulletins?tag=nation:fr", headers=bearer(token("fr.analyst")))
    assert refused.status_code == 400 and refused.json["error"]["field"] == "tag"
    assert "nation:fr" in refused.json["error"]["message"]


def test_the_openapi_document_describes_grading_and_tags(client):
    spec = client.get("/api/v1/openapi.json").json
    schemas = spec["components"]["schemas"]
    document_schema = schemas["NewBulletin"]["properties"]["document"]
    assert "grading" in document_schema["required"]
    assert document_schema["properties"]["grading"] == {"$ref": "#/components/schemas/Grading"}
    assert document_schema["properties"]["tags"]["maxItems"] == 20
    grading = schemas["Grading"]
    assert grading["properties"]["source"]["enum"] == ["A", "B", "C", "X"]
    assert grading["properties"]["handling"]["enum"] == ["H0", "H1", "H2", "H3"]
    assert "H2: not to be disseminated" in grading["properties"]["handling"]["description"]
    listing = spec["paths"]["/api/v1/bulletins"]["get"]["parameters"]
    assert "tag" in {p["name"] for p in listing}
