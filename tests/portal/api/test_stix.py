"""STIX 2.1 export and import through the API: valid bundles (OASIS validator), deterministic
observable ids, the same entities after a round trip, and hostile bundles refused with nothing
stored (how fast: bench/interop_bench.py --only hostile)."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import func, select
from stix2validator import ValidationOptions, validate_instance

from portal.extensions import db
from portal.models import Bulletin
from tests.portal.api.conftest import bearer

ENTITIES = [
    {
        "ref": "p1",
        "type": "person",
        "value": "أبو محمد الشامي",
        "role": "recruiter",
        "aliases": ["Abu Muhammad al-Shami"],
        "nationality": "SY",
        "date_of_birth": "1990-04-02",
    },
    {"ref": "p2", "type": "person", "value": "Karim Example"},
    {"ref": "a1", "type": "account", "platform": "telegram", "value": "https://t.me/shami_media"},
    {"ref": "t1", "type": "phone", "value": "+33 6 12 34 56 78"},
    {"ref": "e1", "type": "email", "value": "someone@example.org"},
    {"ref": "u1", "type": "url", "value": "https://example.org/recruit"},
    {"ref": "g1", "type": "group", "value": "Some Cell"},
    {"ref": "l1", "type": "location", "value": "Raqqa", "country": "SY"},
    {
        "ref": "v1",
        "type": "travel",
        "traveller": "p1",
        "origin": "Lyon",
        "via": ["Istanbul"],
        "destination": "Raqqa",
        "on": "2026-03-01",
    },
]
RELATIONS = [
    {"source": "p1", "type": "uses_account", "target": "a1"},
    {"source": "p1", "type": "member_of", "target": "g1", "on": "2026-01-02"},
    {"source": "p1", "type": "recruited", "target": "p2"},
    {"source": "p2", "type": "contacted", "target": "t1"},
]


@pytest.fixture
def posted(desk):
    return desk.post(title="STIX export", entities=ENTITIES, relations=RELATIONS)


def _export(client, token, bulletin_id):
    response = client.get(f"/api/v1/bulletins/{bulletin_id}/stix", headers=bearer(token))
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("application/stix+json")
    return response.json


def test_exported_bundle_passes_the_oasis_validator(client, desk, token, posted):
    bundle = _export(client, token("fr.analyst"), posted)
    result = validate_instance(bundle, ValidationOptions(version="2.1"))
    assert result.is_valid, [str(e) for e in result.errors]
    types = {o["type"] for o in bundle["objects"]}
    assert {
        "report",
        "identity",
        "threat-actor",
        "intrusion-set",
        "user-account",
        "url",
        "email-addr",
        "location",
        "relationship",
        "sighting",
        "extension-definition",
        "marking-definition",
    } <= types
    actor = next(o for o in bundle["objects"] if o["type"] == "threat-actor")
    assert actor["threat_actor_types"] == ["terrorist"]
    assert actor["aliases"] == ["Abu Muhammad al-Shami"]
    tlp = next(o for o in bundle["objects"] if o["type"] == "marking-definition")
    assert tlp["id"] == "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"  # TLP:AMBER 2.0
    report = next(o for o in bundle["objects"] if o["type"] == "report")
    sender = next(o for o in bundle["objects"] if o["id"] == report["created_by_ref"])
    assert sender["identity_class"] == "organization"


def test_the_same_account_from_two_ministries_has_one_id(client, desk, token):
    account = [{"ref": "a1", "type": "account", "platform": "telegram", "value": "@Shami_Media"}]
    first = desk.post(entities=account, relations=[])
    second = desk.post(
        who="de.officer",
        recipients=("FR-MININT",),
        entities=[
            {
                "ref": "x9",
                "type": "account",
                "platform": "telegram",
                "value": "https://t.me/shami_media/",
            }
        ],
        relations=[],
    )
    response = client.post(
        "/api/v1/stix/export", json={"ids": [first, second]}, headers=bearer(token("fr.analyst"))
    )
    accounts = [o for o in response.json["objects"] if o["type"] == "user-account"]
    assert len(accounts) == 1 and accounts[0]["id"].startswith("user-account--")
    reports = [o for o in response.json["objects"] if o["type"] == "report"]
    assert len(reports) == 2 and all(accounts[0]["id"] in r["object_refs"] for r in reports)


def _comparable(document):
    by_ref = {e["ref"]: e for e in document["entities"]}

    def entity_key(e):
        return (
            e["type"],
            e.get("value"),
            e.get("platform"),
            tuple(e.get("aliases", [])),
            e.get("role"),
            e.get("nationality"),
            e.get("date_of_birth"),
            e.get("origin"),
            tuple(e.get("via", [])),
            e.get("destination"),
            e.get("on"),
        )

    entities = sorted(entity_key(e) for e in document["entities"])
    relations = sorted(
        (by_ref[r["source"]]["value"], r["type"], by_ref[r["target"]]["value"], r.get("on"))
        for r in document["relations"]
    )
    return entities, relations


def test_an_exported_bundle_reimported_gives_the_same_entities_and_relations(
    client, desk, token, posted
):
    bundle = _export(client, token("fr.analyst"), posted)
    response = client.post(
        "/api/v1/stix/import",
        data=json.dumps(bundle),
        content_type="application/json",
        headers=bearer(token("fr.officer", write=True)),
    )
    assert response.status_code == 200, response.json
    draft = response.json
    assert draft["marking"] == "TLP:AMBER" and draft["category"] == "recruitment"
    stored = client.get(f"/api/v1/bulletins/{posted}", headers=bearer(token("fr.analyst")))
    assert _comparable(draft["document"]) == _comparable(stored.json["content"])
    assert len(draft["document"]["entities"]) == len(ENTITIES)
    assert len(draft["document"]["relations"]) == len(RELATIONS)


MISP_LIKE = {
    "type": "bundle",
    "id": "bundle--5b4e8e5c-3a0c-4c4c-9e2e-2b6f2d1c0a01",
    "objects": [
        {
            "type": "identity",
            "spec_version": "2.1",
            "id": "identity--0c1b6f6e-8a5f-4a35-9b84-6a3e0b0e6a11",
            "created": "2026-05-01T10:00:00.000Z",
            "modified": "2026-05-01T10:00:00.000Z",
            "name": "MISP-Project",
            "identity_class": "organization",
        },
        {
            "type": "report",
            "spec_version": "2.1",
            "id": "report--1d2c3b4a-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
            "created": "2026-05-01T10:00:00.000Z",
            "modified": "2026-05-01T10:00:00.000Z",
            "name": "MISP event: recruitment channel",
            "published": "2026-05-01T10:00:00Z",
            "report_types": ["misc"],
            "labels": ['misp:tool="MISP-STIX-Converter"'],
            "object_refs": [
                "indicator--2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c6d",
                "url--9a8b7c6d-5e4f-5a3b-8c1d-0e9f8a7b6c5d",
            ],
        },
        {
            "type": "indicator",
            "spec_version": "2.1",
            "id": "indicator--2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c6d",
            "created": "2026-05-01T10:00:00.000Z",
            "modified": "2026-05-01T10:00:00.000Z",
            "pattern": "[url:value = 'https://example.org/join']",
            "pattern_type": "stix",
            "valid_from": "2026-05-01T10:00:00Z",
        },
        {
            "type": "url",
            "spec_version": "2.1",
            "id": "url--9a8b7c6d-5e4f-5a3b-8c1d-0e9f8a7b6c5d",
            "value": "https://example.org/join",
        },
    ],
}
OPENCTI_LIKE = {
    "type": "bundle",
    "id": "bundle--7e6d5c4b-3a29-4817-9605-f4e3d2c1b0a9",
    "objects": [
        {
            "type": "threat-actor",
            "spec_version": "2.1",
            "id": "threat-actor--3c2b1a09-8f7e-4d6c-9b5a-493827161504",
            "created": "2026-04-01T08:00:00.000Z",
            "modified": "2026-04-01T08:00:00.000Z",
            "name": "Abu Example",
            "threat_actor_types": ["terrorist"],
            "aliases": ["A. Example"],
            "x_opencti_id": "b8f2c3d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
        },
        {
            "type": "user-account",
            "spec_version": "2.1",
            "id": "user-account--0f1e2d3c-4b5a-5968-8776-655443322110",
            "account_type": "telegram",
            "account_login": "example_channel",
        },
        {
            "type": "relationship",
            "spec_version": "2.1",
            "id": "relationship--6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d",
            "created": "2026-04-01T08:00:00.000Z",
            "modified": "2026-04-01T08:00:00.000Z",
            "relationship_type": "uses",
            "source_ref": "threat-actor--3c2b1a09-8f7e-4d6c-9b5a-493827161504",
            "target_ref": "user-account--0f1e2d3c-4b5a-5968-8776-655443322110",
        },
    ],
}


@pytest.mark.parametrize(
    ("bundle", "expected"),
    [
        # An organisation is a group (here MISP's own identity, which authors nothing).
        (MISP_LIKE, {("group", "MISP-Project"), ("url", "https://example.org/join")}),
        (OPENCTI_LIKE, {("group", "Abu Example"), ("account", "@example_channel")}),
    ],
)
def test_misp_and_opencti_bundles_import(client, desk, token, bundle, expected):
    response = client.post(
        "/api/v1/stix/import", json=bundle, headers=bearer(token("fr.officer", write=True))
    )
    assert response.status_code == 200, response.json
    got = {(e["type"], e["value"]) for e in response.json["document"]["entities"]}
    assert got == expected
    assert {o["id"] for o in response.json["report"]} == {o["id"] for o in bundle["objects"]}
    if bundle is MISP_LIKE:
        assert response.json["ignored"] == {"indicator": 1}
        assert response.json["labels"] == ['misp:tool="MISP-STIX-Converter"']
        assert response.json["category"] is None  # a label is a suggestion, not a category
    else:
        assert response.json["document"]["relations"][0]["type"] == "uses_account"


def _deep(levels: int):
    value: object = "x"
    for _ in range(levels):
        value = {"a": value}
    return value


HOSTILE = [
    ({"type": "bundle", "objects": "nope"}, "objects"),
    ({"type": "not-a-bundle"}, "bundle"),
    (
        {
            "type": "bundle",
            "objects": [{"type": "url", "spec_version": "2.1", "value": "https://a.example"}]
            * 10_001,
        },
        "10,000",
    ),
]


@pytest.mark.parametrize(("bundle", "message"), HOSTILE)
def test_hostile_bundles_are_refused_and_store_nothing(app, client, desk, token, bundle, message):
    headers = bearer(token("fr.officer", write=True))
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(Bulletin))
    response = client.post("/api/v1/stix/import", json=bundle, headers=headers)
    assert response.status_code == 400, response.json
    assert message in response.json["error"]["message"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Bulletin)) == before


def test_other_organisations_bulletins_cannot_be_exported(client, desk, token):
    hidden = desk.post(title="DE only", recipients=("DE-BMI",))
    fr = bearer(token("fr.analyst"))
    assert client.get(f"/api/v1/bulletins/{hidden}/stix", headers=fr).status_code == 404
    response = client.post("/api/v1/stix/export", json={"ids": [hidden]}, headers=fr)
    assert response.status_code == 404 and "DE only" not in response.text


def test_the_compose_page_imports_a_bundle_for_review(app, client, desk, token, posted):
    from tests.portal.bulletins.sessions import Clients

    bundle = _export(client, token("fr.analyst"), posted)
    sessions = Clients(app, desk.people)
    officer = sessions["fr.officer"]
    csrf = sessions.token("fr.officer")
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(Bulletin))
    response = officer.post(
        "/bulletins/new/import",
        data={"csrf_token": csrf, "bundle": (io.BytesIO(json.dumps(bundle).encode()), "b.json")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert "Imported 9 entities and 4 relations" in response.text
    assert "What became of each STIX object" in response.text
    assert "the sending organisation" in response.text
    assert 'value="STIX export"' in response.text and "shami_media" in response.text
    bad = officer.post(
        "/bulletins/new/import",
        data={"csrf_token": csrf, "bundle": (io.BytesIO(b'{"type": "nope"}'), "b.json")},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 400 and "Send a STIX bundle" in bad.text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Bulletin)) == before


def test_markings_from_stix_tlp_ids_keep_the_most_restrictive(client, desk, token):
    red_v1 = "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"
    clear_v2 = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
    bundle = json.loads(json.dumps(OPENCTI_LIKE))
    bundle["objects"][0]["object_marking_refs"] = [clear_v2]
    bundle["objects"][1]["object_marking_refs"] = [red_v1]
    response = client.post(
        "/api/v1/stix/import", json=bundle, headers=bearer(token("fr.officer", write=True))
    )
    assert response.status_code == 200 and response.json["marking"] == "TLP:RED"


TA = "threat-actor--6f1a9d50-8e76-4f0e-9a3e-2ad4d1f6c001"


@pytest.mark.parametrize(
    ("bad_object", "named", "reason"),
    [
        ({"type": "x-thing", "spec_version": "2.1"}, "objects[0]", "its id is not a STIX id"),
        ({"type": "x-thing", "id": ["a"]}, "objects[0]", "its id is not a STIX id"),
        ({"type": "url", "id": "url--x", "value": 5}, "url--x", "its id is not a STIX id"),
        (
            {"type": "threat-actor", "id": TA, "name": "x" * 200_000},
            TA,
            "a text longer than 100,000",
        ),
        (
            {"type": "note", "id": TA.replace("threat-actor", "note"), "x": _deep(40)},
            "note--",
            "nested",
        ),
        (
            {"type": "x-thing", "id": "x-thing--6f1a9d50-8e76-4f0e-9a3e-2ad4d1f6c002"},
            "x-thing--6f1a9d50-8e76-4f0e-9a3e-2ad4d1f6c002",
            "no Ischia equivalent for x-thing",
        ),
    ],
)
def test_a_bad_object_is_named_in_the_report_and_the_rest_kept(
    app, client, desk, token, bad_object, named, reason
):
    good = OPENCTI_LIKE["objects"][1]
    bundle = {"type": "bundle", "id": OPENCTI_LIKE["id"], "objects": [bad_object, good]}
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(Bulletin))
    response = client.post(
        "/api/v1/stix/import", json=bundle, headers=bearer(token("fr.officer", write=True))
    )
    assert response.status_code == 200, response.json
    dropped = [o for o in response.json["report"] if o["outcome"] == "dropped"]
    assert len(dropped) == 1 and dropped[0]["id"].startswith(named)
    assert dropped[0]["detail"].startswith(reason)
    assert response.json["document"]["entities"][0]["value"] == "@example_channel"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Bulletin)) == before


def test_a_50_mb_bundle_is_refused_and_the_server_keeps_serving(client, desk, token):
    headers = {**bearer(token("fr.officer", write=True)), "Content-Type": "application/json"}
    big = b'{"type": "bundle", "objects": [' + b'"x",' * (50 * 2**20 // 4) + b'"x"]}'
    response = client.post("/api/v1/stix/import", data=big, headers=headers)
    assert response.status_code == 400
    assert "A bundle of at most 10 MB: this one has 50.0 MB" in response.json["error"]["message"]
    again = client.post("/api/v1/stix/import", json=OPENCTI_LIKE, headers=headers)
    assert again.status_code == 200
