"""The STIX vocabulary called directly: every marking and relation Ischia has is named in
STIX, both ways; the fixed objects are valid STIX 2.1; derived ids are stable and distinct."""

from __future__ import annotations

import uuid

import stix2

from portal.services.bulletins.content import Marking, RelationType
from portal.services.stix import mapping
from portal.services.stix import vocabulary as vocab


def test_every_marking_has_a_valid_tlp_2_definition():
    assert set(vocab.TLP_IDS) == {m.value for m in Marking} == set(vocab.TLP_ORDER)
    for marking in Marking:
        definition = vocab.tlp_marking(marking.value)
        stix2.parse(definition, allow_custom=True, version="2.1")
        assert definition["id"] == vocab.TLP_IDS[marking.value]
        assert definition["name"] == marking.value
        level = definition["extensions"][vocab.TLP_EXTENSION]["tlp_2_0"]
        assert level == marking.value.removeprefix("TLP:").lower()
        assert vocab.TLP_OF_ID[definition["id"]] == marking.value


def test_tlp_1_ids_read_as_their_tlp_2_markings_in_order_of_restriction():
    assert set(vocab.TLP1_IDS.values()) <= set(vocab.TLP_ORDER)
    assert {vocab.TLP_OF_ID[i] for i in vocab.TLP1_IDS} == {
        "TLP:CLEAR",
        "TLP:GREEN",
        "TLP:AMBER",
        "TLP:RED",
    }
    assert stix2.TLP_RED.id in vocab.TLP_OF_ID and vocab.TLP_OF_ID[stix2.TLP_RED.id] == "TLP:RED"
    assert vocab.TLP_OF_ID[stix2.TLP_WHITE.id] == "TLP:CLEAR"
    ranks = [vocab.TLP_ORDER.index(m) for m in ("TLP:CLEAR", "TLP:AMBER", "TLP:RED")]
    assert ranks == sorted(ranks)


def test_every_relation_type_round_trips():
    assert set(mapping.ISCHIA_TO_RELATIONSHIP) == {r.value for r in RelationType}
    # Exported as the specification's common types, Ischia's own in the extension.
    assert set(mapping.ISCHIA_TO_RELATIONSHIP.values()) == {"related-to", "duplicate-of"}
    # Read back from what other tools (and Ischia before) write.
    for theirs, ours in {
        "member-of": "member_of",
        "recruited": "recruited",
        "contacted": "contacted",
        "travelled-to": "travelled_to",
        "financed": "financed",
        "same-as": "same_as",
        "duplicate-of": "same_as",
        "related-to": "related_to",
        "uses-account": "uses_account",
    }.items():
        assert mapping.relation_type(theirs, "person", "person") == (ours, None)
    assert mapping.relation_type("uses", "person", "account") == ("uses_account", None)
    # A type Ischia has no name for is kept as its label.
    assert mapping.relation_type("attributed-to", "group", "person") == (
        "related_to",
        "attributed-to",
    )


def test_object_ids_are_deterministic_and_distinct():
    first = vocab.object_id("report", "b" * 32)
    assert first == vocab.object_id("report", "b" * 32)
    kind, _, value = first.partition("--")
    assert kind == "report" and uuid.UUID(value).version == 4  # STIX 2.1 --strict: UUIDv4
    assert first != vocab.object_id("report", "c" * 32)
    assert vocab.object_id("identity", "b" * 32, "p1") != vocab.object_id("identity", "b" * 32)
    assert vocab.object_id("location", "x", "v1", "origin") != vocab.object_id(
        "location", "x", "v1", "destination"
    )


def test_the_ischia_extension_and_identity_are_valid_stix():
    extension = stix2.parse(vocab.ischia_extension_definition(), allow_custom=True, version="2.1")
    assert extension.created_by_ref == vocab.ISCHIA_IDENTITY
    identity = stix2.parse(vocab.ischia_identity(), allow_custom=True, version="2.1")
    assert identity.id == vocab.ISCHIA_IDENTITY and identity.identity_class == "system"
