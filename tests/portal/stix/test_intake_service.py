"""The STIX intake service called directly: a bundle (Ischia's own, MISP's, OpenCTI's) becomes
a draft for an officer to review, with the most restrictive marking and a report of what became
of each object; a bad object is reported by its STIX id and skipped; only a malformed or
oversized bundle is InvalidInput naming the bundle, and nothing is ever stored."""

from __future__ import annotations

import copy
import json

import pytest

from portal.services.errors import InvalidInput
from portal.services.stix import export, intake
from portal.services.stix import vocabulary as vocab
from tests.portal.service_checks import unchanged

T0 = "2026-04-01T08:00:00.000Z"
ACTOR = "threat-actor--3c2b1a09-8f7e-4d6c-9b5a-493827161504"
ACCOUNT = "user-account--0f1e2d3c-4b5a-5968-8776-655443322110"
OPENCTI_LIKE = {
    "type": "bundle",
    "id": "bundle--7e6d5c4b-3a29-4817-9605-f4e3d2c1b0a9",
    "objects": [
        {
            "type": "threat-actor",
            "spec_version": "2.1",
            "id": ACTOR,
            "created": T0,
            "modified": T0,
            "name": "Abu Example",
            "threat_actor_types": ["terrorist"],
            "aliases": ["A. Example"],
        },
        {
            "type": "user-account",
            "spec_version": "2.1",
            "id": ACCOUNT,
            "account_type": "telegram",
            "account_login": "example_channel",
        },
        {
            "type": "relationship",
            "spec_version": "2.1",
            "id": "relationship--6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d",
            "created": T0,
            "modified": T0,
            "relationship_type": "uses",
            "source_ref": ACTOR,
            "target_ref": ACCOUNT,
        },
        {
            "type": "indicator",
            "spec_version": "2.1",
            "id": "indicator--2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c6d",
            "created": T0,
            "modified": T0,
            "pattern": "[url:value = 'https://example.org/join']",
            "pattern_type": "stix",
            "valid_from": T0,
        },
    ],
}


def bundle_with(*objects, base=OPENCTI_LIKE):
    bundle = copy.deepcopy(base)
    bundle["objects"] += list(objects)
    return bundle


def outcomes(draft) -> dict[str, list[tuple[str, str]]]:
    found: dict[str, list[tuple[str, str]]] = {}
    for o in draft.report:
        found.setdefault(o.id, []).append((o.outcome, o.detail))
    return found


def test_an_opencti_bundle_becomes_a_draft_with_what_became_of_each_object():
    draft = intake.draft_from_bundle(json.dumps(OPENCTI_LIKE).encode())
    assert draft.document["title"] == "Imported STIX bundle"  # no report
    # A threat actor is a group unless it says it is one person.
    assert draft.document["entities"] == [
        {"ref": "e1", "type": "group", "value": "Abu Example", "aliases": ["A. Example"]},
        {"ref": "e2", "type": "account", "platform": "telegram", "value": "@example_channel"},
    ]
    assert draft.document["relations"] == [{"source": "e1", "type": "uses_account", "target": "e2"}]
    assert (draft.marking, draft.category, draft.ignored) == (None, None, {"indicator": 1})
    assert outcomes(draft) == {
        ACTOR: [("kept", "group e1")],
        ACCOUNT: [("kept", "account e2")],
        "relationship--6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d": [
            ("kept", "relation e1 uses account e2")
        ],
        "indicator--2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c6d": [
            ("dropped", "no Ischia equivalent for indicator")
        ],
    }
    individual = bundle_with()
    individual["objects"][0]["resource_level"] = "individual"
    assert intake.draft_from_bundle(individual).document["entities"][0]["type"] == "person"


def test_the_report_gives_title_body_and_category_and_the_strictest_marking_wins():
    red_tlp1 = "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"
    bundle = bundle_with(
        {
            "type": "report",
            "spec_version": "2.1",
            "id": "report--1d2c3b4a-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
            "created": T0,
            "modified": T0,
            "published": T0,
            "name": "Recruitment channel",
            "description": "What we know.",
            "labels": ["financing", "other"],
            "object_refs": [ACTOR],
            "object_marking_refs": [vocab.TLP_IDS["TLP:AMBER"]],
        },
    )
    bundle["objects"][1]["object_marking_refs"] = [red_tlp1]
    bundle["objects"][0]["object_marking_refs"] = [
        "marking-definition--00000000-0000-4000-8000-000000000009"
    ]
    draft = intake.draft_from_bundle(bundle)
    assert draft.document["title"] == "Recruitment channel"
    assert draft.document["body"].startswith("What we know.\n\nMarkings from the source:\n")
    assert draft.category == "financing" and draft.marking == "TLP:RED"
    assert draft.labels == ["financing", "other"]
    # A marking the bundle names but does not define is kept as text, never dropped.
    assert draft.markings == [
        "a marking not defined in the bundle "
        "[marking-definition--00000000-0000-4000-8000-000000000009]"
    ]
    assert draft.document["body"].endswith(draft.markings[0])


def test_labels_are_suggestions_and_a_category_only_when_one_names_it():
    report = {
        "type": "report",
        "spec_version": "2.1",
        "id": "report--1d2c3b4a-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
        "created": T0,
        "modified": T0,
        "published": T0,
        "name": "From MISP",
        "labels": ['misp:tool="MISP-STIX-Converter"', "Threat-Report", "Propaganda"],
        "object_refs": [ACTOR],
    }
    draft = intake.draft_from_bundle(bundle_with(report))
    assert draft.category == "propaganda_promotion"
    assert draft.labels == report["labels"]
    report["labels"] = ["threat-report"]
    assert intake.draft_from_bundle(bundle_with(report)).category is None


def test_relations_and_sightings_that_name_nothing_known_are_ignored():
    unknown = "threat-actor--00000000-0000-4000-8000-000000000000"
    draft = intake.draft_from_bundle(
        bundle_with(
            {
                "type": "relationship",
                "spec_version": "2.1",
                "id": "relationship--00000000-0000-4000-8000-000000000001",
                "created": T0,
                "modified": T0,
                "relationship_type": "uses",
                "source_ref": unknown,
                "target_ref": ACCOUNT,
            },
            {
                "type": "sighting",
                "spec_version": "2.1",
                "id": "sighting--00000000-0000-4000-8000-000000000002",
                "created": T0,
                "modified": T0,
                "sighting_of_ref": ACTOR,  # known, but not one of Ischia's journeys
            },
        )
    )
    assert draft.ignored == {"indicator": 1, "relationship": 1, "sighting": 1}
    assert len(draft.document["relations"]) == 1
    found = outcomes(draft)
    assert found["relationship--00000000-0000-4000-8000-000000000001"] == [
        ("dropped", f"its source {unknown} is not in the bundle")
    ]
    assert found["sighting--00000000-0000-4000-8000-000000000002"] == [
        ("dropped", "not a journey of a kept person")
    ]


def _deep(levels: int) -> object:
    value: object = "x"
    for _ in range(levels):
        value = {"a": value}
    return value


URL = {"type": "url", "spec_version": "2.1", "id": "url--9a8b7c6d-5e4f-5a3b-8c1d-0e9f8a7b6c5d"}
NAMELESS = {k: v for k, v in OPENCTI_LIKE["objects"][0].items() if k != "name"}  # not STIX


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"{not json", "not JSON"),
        ("[1, 2]", "Send a STIX bundle"),
        ({"type": "report"}, "Send a STIX bundle"),
        ({"type": "bundle"}, '"objects" list'),
        ({"type": "bundle", "objects": {"a": 1}}, '"objects" list'),
        (bundle_with(), None),  # a valid control: no error
    ],
)
def test_malformed_bundles_are_refused_naming_the_bundle(raw, message):
    if message is None:
        assert intake.draft_from_bundle(raw).document["entities"]
        return
    with pytest.raises(InvalidInput) as refused:
        intake.draft_from_bundle(raw)
    assert refused.value.field == "bundle"
    assert message in refused.value.message


EMAIL = "email-addr--6f1a9d50-8e76-4f0e-9a3e-2ad4d1f6c001"


@pytest.mark.parametrize(
    ("bad", "named", "reason"),
    [
        ("url", "objects[4]", "not a JSON object"),
        ({"id": "url--x"}, "url--x", "it has no type"),
        ({"type": "url"}, "objects[4]", "its id is not a STIX id"),
        ({**URL, "id": "u" * 201}, "u" * 200, "its id is not a STIX id"),
        ({**URL, "id": EMAIL}, EMAIL, "its id is not of type url"),
        ({**URL, "x": _deep(25)}, URL["id"], "nested more than 20 levels"),
        ({**URL, "value": "x" * 100_001}, URL["id"], "a text longer than 100,000 characters"),
        ({**URL, "value": 5}, URL["id"], "A full address"),
        ({**URL, "value": None}, URL["id"], "it has no value"),
        ({**NAMELESS}, NAMELESS["id"], "it has no name"),
        (
            {**URL, "type": "email-addr", "id": EMAIL, "value": "not-an-address"},
            EMAIL,
            "Not a valid e-mail address",
        ),
    ],
)
def test_a_bad_object_is_reported_by_its_id_and_the_rest_imported(bad, named, reason):
    base = copy.deepcopy(OPENCTI_LIKE)
    if isinstance(bad, dict) and bad.get("id") == ACTOR:
        base["objects"][0] = bad  # the nameless actor replaces the good one
    else:
        base["objects"].append(bad)
    draft = intake.draft_from_bundle(base)
    dropped = [o for o in draft.report if o.id == named and o.outcome == "dropped"]
    assert dropped and dropped[0].detail.startswith(reason)
    assert any(e["type"] == "account" for e in draft.document["entities"])


def test_size_limits_are_checked_before_any_parsing(monkeypatch):
    monkeypatch.setattr(intake, "MAX_BYTES", 100)
    with pytest.raises(InvalidInput, match="A bundle of at most"):
        intake.draft_from_bundle(b" " * 101)
    monkeypatch.setattr(intake, "MAX_BYTES", 10 * 1024 * 1024)
    monkeypatch.setattr(intake, "MAX_OBJECTS", 3)
    with pytest.raises(InvalidInput, match="At most 3 objects"):
        intake.draft_from_bundle(OPENCTI_LIKE)
    monkeypatch.setattr(intake, "MAX_OBJECTS", 10_000)
    monkeypatch.setattr(intake, "MAX_ENTITIES", 1)
    draft = intake.draft_from_bundle(OPENCTI_LIKE)
    assert [e["type"] for e in draft.document["entities"]] == ["group"]
    assert outcomes(draft)[ACCOUNT] == [("dropped", "more than 1 entities: the rest are left out")]


def test_an_exported_bulletin_comes_back_as_the_same_draft(app, desk):
    bulletin_id = desk.post(
        title="Round trip",
        category="financing",
        marking="TLP:GREEN",
        entities=[
            {"ref": "p1", "type": "person", "value": "Abu Example", "role": "financier"},
            {"ref": "a1", "type": "account", "platform": "telegram", "value": "@example_media"},
            {"ref": "t1", "type": "phone", "value": "+33 6 12 34 56 78"},
            {"ref": "g1", "type": "group", "value": "Some Cell"},
        ],
        relations=[
            {"source": "p1", "type": "uses_account", "target": "a1"},
            {"source": "p1", "type": "member_of", "target": "g1", "on": "2026-01-02"},
        ],
    )
    with app.app_context():
        fr = desk.reader("fr.analyst")
        bundle = export.bundle(fr, [bulletin_id])
        with unchanged():
            draft = intake.draft_from_bundle(json.dumps(bundle))
    assert (draft.marking, draft.category, draft.ignored) == ("TLP:GREEN", "financing", {})
    assert draft.document["title"] == "Round trip"
    entities = {e["ref"]: e for e in draft.document["entities"]}
    assert {ref: (e["type"], e["value"]) for ref, e in entities.items()} == {
        "p1": ("person", "Abu Example"),
        "a1": ("account", "@example_media"),
        "t1": ("phone", "+33612345678"),  # as sealed: E.164
        "g1": ("group", "Some Cell"),
    }
    assert entities["p1"]["role"] == "financier"
    assert draft.document["relations"] == [
        {"source": "p1", "type": "uses_account", "target": "a1"},
        {"source": "p1", "type": "member_of", "target": "g1", "on": "2026-01-02"},
    ]


def test_t_me_and_x_com_accounts_keep_their_value_and_id_across_round_trips(app, desk):
    accounts = [
        {"ref": "a1", "type": "account", "platform": "telegram", "value": "t.me/shami_media"},
        {"ref": "a2", "type": "account", "platform": "x", "value": "x.com/shami_x"},
        {"ref": "a3", "type": "account", "platform": "telegram", "value": "@plain_handle"},
    ]

    def account_ids(bulletin_id):
        with app.app_context():
            exported = export.bundle(desk.reader("fr.analyst"), [bulletin_id])
        return exported, sorted(o["id"] for o in exported["objects"] if o["type"] == "user-account")

    first, first_ids = account_ids(desk.post(title="Accounts", entities=accounts, relations=[]))
    draft = intake.draft_from_bundle(first)
    assert [(e["platform"], e["value"]) for e in draft.document["entities"]] == [
        ("telegram", "t.me/shami_media"),
        ("x", "x.com/shami_x"),
        ("telegram", "@plain_handle"),
    ]
    again = desk.post(
        title="Accounts again",
        entities=draft.document["entities"],
        relations=draft.document["relations"],
    )
    _, second_ids = account_ids(again)
    assert second_ids == first_ids and len(first_ids) == 3
