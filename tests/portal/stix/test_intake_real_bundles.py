"""Real bundles from MISP's, OpenCTI's and OASIS's own repositories (tests/data/stix/README.md)
imported object by object: every object of each bundle has the outcome recorded in
expected-outcomes.json (reviewed when it was written), none is left out of the report, and
the facts that matter to an officer are checked by hand below."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from portal.services.bulletins.content import parse
from portal.services.stix import intake

DATA = Path(__file__).parents[2] / "data" / "stix"
EXPECTED = json.loads((DATA / "expected-outcomes.json").read_text())


def imported(name: str) -> intake.ImportedDraft:
    return intake.draft_from_bundle((DATA / name).read_bytes())


def entity(draft: intake.ImportedDraft, ref: str) -> dict:
    return next(e for e in draft.document["entities"] if e["ref"] == ref)


def test_a_dozen_real_bundles_are_kept():
    assert len(EXPECTED) >= 12
    assert sorted(EXPECTED) == sorted(
        p.name for p in DATA.glob("*.json") if p.name != "expected-outcomes.json"
    )


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_object_of_a_real_bundle_has_its_expected_outcome(name):
    draft = imported(name)
    objects = json.loads((DATA / name).read_text())["objects"]
    got: dict[str, list[list[str]]] = {}
    for outcome in draft.report:
        got.setdefault(outcome.id, []).append([outcome.outcome, outcome.detail])
    assert {o["id"] for o in objects} == set(got)  # nothing left out silently
    for object_id, outcomes in EXPECTED[name].items():
        assert got[object_id] == outcomes, object_id
    assert got == EXPECTED[name]
    parse(draft.document)  # the draft is one an officer can post


def test_apt1_keeps_its_actors_identities_and_attributions():
    draft = imported("oasis-apt1.json")
    assert draft.document["title"].startswith("APT1: Exposing One of China's Cyber Espionage")
    kinds = [e["type"] for e in draft.document["entities"]]
    # The intrusion set and the five threat actors (a unit, personas) are groups; the
    # identities of individuals are persons, with their e-mail addresses.
    assert kinds.count("group") == 6 and kinds.count("person") == 4
    relations = draft.document["relations"]
    assert sum(r.get("label") == "attributed-to" for r in relations) == 7
    assert all(r["type"] == "related_to" for r in relations)
    assert sum(r.get("label") == "contact information" for r in relations) == 4


def test_opencti_markings_in_upper_case_and_statements_are_understood():
    draft = imported("opencti-data-test-stix2-v2.json")
    assert draft.marking == "TLP:CLEAR"  # definition_type "TLP" on TLP:WHITE's id
    assert "Statement: Copyright 2017, The MITRE Corporation" in draft.markings[1]
    assert draft.markings[0].startswith("TLP: TLP:TEST")  # not a TLP Ischia knows: kept as text
    body = draft.document["body"]
    assert "Note" in body and "Markings from the source:" in body
    persons = [e for e in draft.document["entities"] if e["type"] == "person"]
    assert [p["value"] for p in persons] == ["John Doe"]
    # "part-of" from an individual to an organisation is membership.
    names = {e["ref"]: e["value"] for e in draft.document["entities"]}
    members = [
        (names[r["source"]], names[r["target"]])
        for r in draft.document["relations"]
        if r["type"] == "member_of"
    ]
    assert members == [("John Doe", "Allied Universal")]
    locations = [e for e in draft.document["entities"] if e["type"] == "location"]
    assert len(locations) == 4


def test_a_misp_bundle_made_by_misp_stix_keeps_phones_addresses_and_accounts():
    draft = imported("misp-generated-recruitment.json")
    assert draft.document["title"] == "Recruitment network on messaging apps"  # the grouping
    assert draft.marking == "TLP:AMBER"
    values = {(e["type"], e.get("platform"), e["value"]) for e in draft.document["entities"]}
    assert {
        ("email", None, "contact@recruit.onion"),  # .onion and .test addresses are kept
        ("email", None, "handler@example.test"),
        ("phone", None, "+33612345678"),  # a MISP phone-number attribute
        ("phone", None, "+963944123456"),  # the person's contact_information
        ("phone", None, "+33798765432"),  # the telegram account's x_misp_phone
        ("account", "x", "@recruit_x"),  # account_type twitter
        ("account", "telegram", "@recruit_tg"),
        ("person", None, "Abu Example"),
    } <= values


def test_dangling_and_cyclic_opencti_bundles_import_what_they_can():
    missing = imported("opencti-missing-refs.json")
    assert missing.document["entities"] == [] and missing.document["relations"] == []
    cyclic = imported("opencti-cyclic-bundle.json")
    assert cyclic.document["title"] == "A demo report for testing purposes"
    assert cyclic.summary()["merged"] == 1  # the marking defined twice, read once
